import Foundation
import DICOM
import XCTest
@testable import ModalityTemplates

final class TemplateTests: XCTestCase {
    func parse(_ text: String) throws -> TemplateSet { try TemplateSet.parse(Array(text.utf8), path: "t.json") }

    func testSeedFormKeepsLabelOrder() throws {
        let t = try parse(#"{"MRI": ["MR", "MagneticResonance"], "CT": ["CT", "ComputedTomography"], "A": ["x"]}"#)
        XCTAssertEqual(t.templates.map(\.label), ["MRI", "CT", "A"])
        XCTAssertEqual(t.templates[0].pathPatterns, ["MR", "MagneticResonance"])
        XCTAssertTrue(t.templates[1].matchesPath(Array("sub/ComputedTomography_1".utf8)))
        XCTAssertFalse(t.templates[1].matchesPath(Array("sub/ct_1".utf8)), "path matching is case-sensitive, as before")
    }

    func testExtendedFormConditionsAreCaseInsensitiveSubstrings() throws {
        let t = try parse(#"{"MRI": {"path": ["mri"], "Modality": ["MR"], "SeriesDescription": ["mprage", "t1"]}, "Any": {"Modality": "ct"}}"#)
        let mri = t.templates[0]
        XCTAssertEqual(mri.conditions.map(\.keyword), ["Modality", "SeriesDescription"])
        XCTAssertEqual(mri.conditions[1].tag, Tag(0x0008_103E))
        let values: [Tag: String] = [.modality: "MR", .seriesDescription: "T1_MPRAGE_SAG"]
        XCTAssertTrue(mri.matchesValues({ values[$0] }, path: []))
        XCTAssertFalse(mri.matchesValues({ [.modality: "MR", .seriesDescription: "flair"][$0] }, path: []))
        XCTAssertFalse(mri.matchesValues({ [.seriesDescription: "t1"][$0] }, path: []), "a missing value never matches")
        XCTAssertTrue(t.templates[1].matchesPath(Array("anything".utf8)), "no path: every folder is a candidate")
        XCTAssertTrue(t.templates[1].matchesValues({ [.modality: "CT"][$0] }, path: []))
        XCTAssertEqual(t.conditionTags, [.modality, .seriesDescription])
    }

    func testErrorsSayWhere() {
        func error(_ text: String) -> String {
            do { _ = try parse(text); return "no error" } catch { return "\(error)" }
        }
        XCTAssertEqual(error("{\"a\": [\"x\"]"), "t.json:1:12: invalid JSON: unexpected end of the file inside an object")
        XCTAssertEqual(error("{\"a\": [\"x\"]}\n,"), "t.json:2:1: invalid JSON: unexpected text after the end of the JSON value")
        XCTAssertEqual(error("{\"a\": [\"x\" \"y\"]}"), "t.json:1:12: invalid JSON: expected ',' or ']' after a list item")
        XCTAssertEqual(error("{\"é\": [\"\"]}"), "t.json:1:8: label \"é\" contains an empty string, which would match every folder (--all gives every folder holding DICOM files a row)")
        XCTAssertEqual(error("{\"a\": {}}"), "t.json:1:7: label \"a\" has an empty object: give \"path\" and/or DICOM keywords")
        XCTAssertEqual(error("{\"a\": {\"path\": \"x\"}}"), "t.json:1:16: \"path\" of label \"a\" must be a list of strings, found a string")
        XCTAssertEqual(error("{\"a\": null}"), "t.json:1:7: label \"a\" must map to a list of folder-name patterns or to an object, found null")
        XCTAssertEqual(error("\"x\""), "t.json:1:1: the templates must be a JSON object mapping labels to lists of folder-name patterns, found a string")
        XCTAssertEqual(error(""), "t.json:1:1: invalid JSON: unexpected end of the file, expected a value")
    }

    func testJSONParser() throws {
        let n = try JSONParser.parse(Array(#" {"a\u00e9\ud83d\ude00": [1.5e2, -0, true, false, null, "t\"\\\/\n"]} "#.utf8))
        guard case .object(let m) = n.value, case .array(let items) = m[0].value.value else { return XCTFail() }
        XCTAssertEqual(m[0].key, "aé😀")
        XCTAssertEqual(items.map(\.value), [.number(150), .number(0), .bool(true), .bool(false), .null, .string("t\"\\/\n")])
        XCTAssertEqual(items[1].column, 34)
        XCTAssertThrowsError(try JSONParser.parse(Array("[1,]".utf8)))
        XCTAssertThrowsError(try JSONParser.parse(Array(String(repeating: "[", count: 300).utf8)))
        XCTAssertThrowsError(try JSONParser.parse([0x22, 0xFF, 0x22]))
        XCTAssertNoThrow(try JSONParser.parse([0xEF, 0xBB, 0xBF] + Array("{}".utf8)))
    }

    /// Columns stay right on a long line (counted on from the last node, not from the line start),
    /// with characters of several bytes and after a line break.
    func testColumnsOnALongLine() throws {
        var text = "{"
        var expected: [(String, Int, Int)] = []
        for i in 0..<2000 {
            if i > 0 { text += ", " }
            if i == 1500 { text += "\n  " }
            let key = i % 3 == 0 ? "é\(i)" : "L\(i)"
            text += "\"\(key)\": "
            let line = i >= 1500 ? 2 : 1
            let lineStart = i >= 1500 ? text.range(of: "\n", options: .backwards)!.upperBound : text.startIndex
            expected.append((key, line, text[lineStart...].count + 1))
            text += "[\"p\(i)\"]"
        }
        text += "}"
        let set = try TemplateSet.parse(Array(text.utf8), path: "t.json")
        XCTAssertEqual(set.templates.count, 2000)
        XCTAssertEqual(set.templates.map(\.label), expected.map(\.0))
        guard case .object(let members) = try JSONParser.parse(Array(text.utf8)).value else { return XCTFail("not an object") }
        for ((key, node), (label, line, column)) in zip(members, expected) {
            XCTAssertEqual(key, label)
            XCTAssertEqual(node.line, line, label)
            XCTAssertEqual(node.column, column, label)
        }
    }

    func path(_ t: ModalityTemplate, _ p: String) -> Bool { t.matchesPath(Array(p.utf8)) }

    /// Plain text is a substring, a text with * ? [ a glob over the whole path, re: a regular
    /// expression searched anywhere; case matters for paths unless the label or the load says not.
    func testPathPatternKinds() throws {
        let t = try parse(#"{"S": ["t1_mp"], "G": ["*mprage*"], "Q": ["t1_?prage"], "B": ["[Tt]1*"], "R": ["re:^sub-\\d+/t1"], "E": ["a\\*b*"]}"#)
        let (s, g, q, b, r, e) = (t.templates[0], t.templates[1], t.templates[2], t.templates[3], t.templates[4], t.templates[5])
        XCTAssertEqual(t.templates.map { $0.conditions.isEmpty }, [true, true, true, true, true, true])
        XCTAssertTrue(path(s, "sub/t1_mprage"))
        XCTAssertFalse(path(s, "sub/T1_MPRAGE"))
        XCTAssertTrue(path(g, "sub/t1_mprage_sag"), "a glob's * crosses /")
        XCTAssertFalse(path(g, "sub/T1_MPRAGE"))
        XCTAssertFalse(path(g, "mpr"))
        XCTAssertTrue(path(q, "t1_mprage"))
        XCTAssertFalse(path(q, "sub/t1_mprage"), "a glob matches the whole path")
        XCTAssertTrue(path(b, "T1_x") && path(b, "t1") && !path(b, "x/t1"))
        XCTAssertTrue(path(r, "sub-12/t1_x") && !path(r, "x/sub-12/t1") && !path(r, "sub-/t1"))
        XCTAssertTrue(path(e, "a*bc") && !path(e, "axbc"), "\\ makes * plain")
        XCTAssertEqual(g.pathPatterns, ["*mprage*"])

        let folded = try TemplateSet.parse(Array(#"{"S": ["t1_mp"], "G": ["*mprage*"], "R": ["re:^T1"]}"#.utf8), path: "t.json", ignoreCase: true)
        XCTAssertTrue(folded.templates.allSatisfy(\.ignoreCase))
        XCTAssertTrue(path(folded.templates[0], "sub/T1_MPRAGE"))
        XCTAssertTrue(path(folded.templates[1], "sub/T1_MPRAGE"))
        XCTAssertTrue(path(folded.templates[2], "t1_x"))
        let label = try parse(#"{"A": {"path": ["*MPRAGE*"], "ignoreCase": true}, "B": {"path": ["*MPRAGE*"]}}"#)
        XCTAssertTrue(path(label.templates[0], "sub/t1_mprage"))
        XCTAssertFalse(path(label.templates[1], "sub/t1_mprage"))
        // Paths need not be UTF-8: substrings and globs compare bytes.
        XCTAssertTrue(s.matchesPath([0xFF] + Array("/t1_mp".utf8)))
        XCTAssertTrue(g.matchesPath([0xFF] + Array("/mprage".utf8)))
    }

    /// Beyond ASCII, patterns work on characters: ? and [...] take one character, case folds for
    /// every letter, and é written as one code point or as e + accent is the same letter, for all
    /// three kinds alike.
    func testNonASCIIPatternsWorkOnCharacters() throws {
        func p(_ text: String, ignoreCase: Bool = false) throws -> TemplatePattern { try TemplatePattern(text, ignoreCase: ignoreCase) }
        let nfd = "cafe\u{301}_nfd", elan = "x/\u{C9}lan"
        XCTAssertFalse(try p("*/[äöü]*").matches(Array(elan.utf8)), "a set is of characters, not bytes")
        XCTAssertFalse(try p("[à-ü]*").matches(Array("ÉCHO".utf8)))
        XCTAssertTrue(try p("[à-ü]*").matches(Array("écho".utf8)))
        XCTAssertTrue(try p("caf?_n*").matches(Array("café_nfc".utf8)), "? is one character")
        XCTAssertTrue(try p("caf?_n*").matches(Array(nfd.utf8)), "e + accent is one character")
        XCTAssertTrue(try p("caf[é]_n*").matches(Array("café_nfc".utf8)))
        XCTAssertTrue(try p("*/?lan").matches(Array(elan.utf8)))
        XCTAssertTrue(try p("T?te*").matches("Tête_ÉCHO"))
        XCTAssertTrue(try p("écho", ignoreCase: true).matches(Array("sub/ÉCHO_2".utf8)))
        XCTAssertFalse(try p("écho").matches(Array("sub/ÉCHO_2".utf8)))
        XCTAssertTrue(try p("*écho*", ignoreCase: true).matches(Array("sub/ÉCHO_2".utf8)))
        XCTAssertTrue(try p("re:écho", ignoreCase: true).matches(Array("sub/ÉCHO_2".utf8)))
        for kind in ["café", "*café*", "re:café"] {
            XCTAssertTrue(try p(kind).matches(Array(nfd.replacingOccurrences(of: "_nfd", with: "").utf8)), "\(kind) on an NFD name")
        }
        // ASCII keeps its byte-by-byte meaning; a path that is not UTF-8 still matches its ASCII part.
        XCTAssertTrue(try p("t1_?prage").matches(Array("t1_mprage".utf8)))
        XCTAssertTrue(try p("t1").matches([0xFF] + Array("/t1".utf8)))
    }

    /// Values: every kind, always without regard to case; ranges on the first number; a missing
    /// value never matches.
    func testValueConditions() throws {
        let t = try parse(#"{"T1": {"SeriesDescription": ["t1_?prage", "re:^t1w"], "EchoTime": {"min": 2, "max": 5}, "Modality": "mr"}}"#)
        let l = t.templates[0]
        XCTAssertTrue(l.needsValues)
        XCTAssertEqual(l.conditions.map(\.keyword), ["SeriesDescription", "EchoTime", "Modality"])
        XCTAssertEqual(l.conditions[1].minimum, 2)
        XCTAssertEqual(l.conditions[1].maximum, 5)
        func matches(_ v: [Tag: String]) -> Bool { l.matchesValues({ v[$0] }, path: Array("x".utf8)) }
        let echo = Tag(0x0018_0081)
        XCTAssertTrue(matches([.seriesDescription: "T1_MPRAGE", echo: "2.46", .modality: "MR"]))
        XCTAssertTrue(matches([.seriesDescription: "T1w_iso", echo: " 5 ", .modality: "MR"]))
        XCTAssertFalse(matches([.seriesDescription: "T1_MPRAGE_SAG", echo: "2.46", .modality: "MR"]), "a glob is the whole value")
        XCTAssertFalse(matches([.seriesDescription: "x T1w", echo: "2.46", .modality: "MR"]), "^ anchors the expression")
        XCTAssertFalse(matches([.seriesDescription: "T1_MPRAGE", echo: "5.01", .modality: "MR"]))
        XCTAssertFalse(matches([.seriesDescription: "T1_MPRAGE", echo: "1.99", .modality: "MR"]))
        XCTAssertTrue(matches([.seriesDescription: "T1_MPRAGE", echo: "3\\90", .modality: "MR"]), "the first of several values")
        XCTAssertFalse(matches([.seriesDescription: "T1_MPRAGE", echo: "n/a", .modality: "MR"]))
        XCTAssertFalse(matches([.seriesDescription: "T1_MPRAGE", .modality: "MR"]))
        XCTAssertEqual(t.conditionTags, [.seriesDescription, echo, .modality])
    }

    /// A value a hostile file makes huge (megabytes where a description has 64 characters) is
    /// matched on its first 8 KiB, so that a pattern's cost does not grow with what a file claims.
    func testHugeValuesAreMatchedOnTheirBeginning() throws {
        let t = try parse(#"{"A": {"SeriesDescription": ["re:^a+$"]}, "B": {"SeriesDescription": ["*x"]}}"#)
        XCTAssertTrue(t.templates[0].matchesValues({ _ in String(repeating: "a", count: 5_000_000) + "!" }, path: []), "the first 8 KiB are all a")
        XCTAssertFalse(t.templates[0].matchesValues({ _ in String(repeating: "a", count: 8_000) + "!" }, path: []))
        XCTAssertFalse(t.templates[1].matchesValues({ _ in String(repeating: "a", count: 20_000) + "x" }, path: []), "past 8 KiB is not looked at")
        XCTAssertTrue(t.templates[1].matchesValues({ _ in String(repeating: "a", count: 8_000) + "x" }, path: []))
    }

    /// An exclusion leaves out what it matches: by path alone at walk time, by values after.
    func testExclusions() throws {
        let t = try parse(#"""
            {"T1": {"path": ["t1"], "exclude": {"path": ["*REST*", "*rest*"]}},
             "DWI": {"path": ["dwi"], "exclude": {"SeriesDescription": ["*ADC*", "*TRACEW*"]}},
             "T2": {"path": ["t2"], "exclude": {"path": ["*derived*"], "ImageType": ["*DERIVED*"]}}}
            """#)
        let (t1, dwi, t2) = (t.templates[0], t.templates[1], t.templates[2])
        XCTAssertTrue(path(t1, "sub/t1_mprage"))
        XCTAssertFalse(path(t1, "sub/REST1_sms_t1"), "REST1 contains t1, the exclusion leaves it out")
        XCTAssertFalse(t1.needsValues)
        XCTAssertTrue(path(dwi, "sub/dwi_ADC"), "a value exclusion is decided on the values")
        XCTAssertTrue(dwi.needsValues)
        XCTAssertFalse(dwi.matchesValues({ [.seriesDescription: "DWI_ADC"][$0] }, path: Array("sub/dwi_ADC".utf8)))
        XCTAssertTrue(dwi.matchesValues({ [.seriesDescription: "DWI_b1000"][$0] }, path: Array("sub/dwi".utf8)))
        XCTAssertTrue(dwi.matchesValues({ _ in nil }, path: Array("sub/dwi".utf8)), "no value: the exclusion's condition does not hold")
        // Both parts of an exclusion must hold.
        let derived = Tag(0x0008_0008)
        XCTAssertFalse(t2.matchesValues({ [derived: "DERIVED\\SECONDARY"][$0] }, path: Array("sub/t2_derived".utf8)))
        XCTAssertTrue(t2.matchesValues({ [derived: "DERIVED\\SECONDARY"][$0] }, path: Array("sub/t2".utf8)))
        XCTAssertTrue(t2.matchesValues({ [derived: "ORIGINAL\\PRIMARY"][$0] }, path: Array("sub/t2_derived".utf8)))
        XCTAssertEqual(t.conditionTags, [.seriesDescription, derived])
    }

    /// Bad patterns and shapes are errors at their place in the file.
    func testPatternErrorsSayWhere() {
        func error(_ text: String) -> String {
            do { _ = try parse(text); return "no error" } catch { return "\(error)" }
        }
        XCTAssertEqual(error("{\"T1\": [\"*mprage*\", \"t1_[mp\"]}"), "t.json:1:25: label \"T1\": \"t1_[mp\": \"[\" opens a set of characters that no \"]\" closes (for a plain bracket anywhere in the path, write \"*t1_\\[mp*\": \\[ is a plain bracket, and a glob matches the whole path)")
        XCTAssertEqual(error("{\"T1\": [\"*x\\\\\"]}"), "t.json:1:12: label \"T1\": \"*x\\\": a pattern cannot end with a backslash (it makes the next character plain)")
        XCTAssertTrue(error("{\n  \"T1\": {\"SeriesDescription\": [\"re:t1_(mp\"]}}").hasPrefix("t.json:2:36: \"SeriesDescription\" of label \"T1\": \"re:t1_(mp\": not a regular expression: "))
        XCTAssertEqual(error("{\"T1\": [\"re:\"]}"), "t.json:1:13: label \"T1\": \"re:\": an empty regular expression matches everything")
        XCTAssertEqual(error("{\"T1\": {\"EchoTime\": {\"min\": 5, \"max\": 2}}}"), "t.json:1:21: \"EchoTime\" of label \"T1\": \"min\" 5.0 is greater than \"max\" 2.0")
        XCTAssertEqual(error("{\"T1\": {\"EchoTime\": {\"below\": 5}}}"), "t.json:1:31: \"EchoTime\" of label \"T1\": a range has \"min\" and/or \"max\", not \"below\"")
        XCTAssertEqual(error("{\"T1\": {\"EchoTime\": {\"min\": \"2\"}}}"), "t.json:1:29: \"EchoTime\" of label \"T1\": \"min\" must be a number, found a string")
        XCTAssertEqual(error("{\"T1\": {\"ignoreCase\": 1, \"path\": [\"t1\"]}}"), "t.json:1:23: \"ignoreCase\" of label \"T1\" must be true or false, found a number")
        XCTAssertEqual(error("{\"T1\": {\"ignoreCase\": true}}"), "t.json:1:8: label \"T1\" needs \"path\" or a DICOM keyword besides \"ignoreCase\"")
        XCTAssertEqual(error("{\"T1\": {\"path\": [\"t1\"], \"exclude\": []}}"), "t.json:1:36: \"exclude\" of label \"T1\" must be an object with \"path\" and/or DICOM keywords, as a label")
        XCTAssertEqual(error("{\"T1\": {\"path\": [\"t1\"], \"exclude\": {\"exclude\": {}}}}"), "t.json:1:48: \"exclude\" of label \"T1\" cannot hold \"exclude\"")
        XCTAssertEqual(error("{\"T1\": [\"re:t1|t2|\"]}"), "t.json:1:13: label \"T1\": \"re:t1|t2|\": this expression matches empty text, so it would match everything (an empty alternative such as \"t1|t2|\"?)")
        XCTAssertEqual(error("{\"T1\": [\"**\"]}"), "t.json:1:10: label \"T1\": \"**\": \"*\" alone matches everything (use --all for a row for every folder holding DICOM files)")
        XCTAssertEqual(error("{\"T1\": {\"EchoTime\": {\"min\": 1e999}}}"), "t.json:1:29: \"EchoTime\" of label \"T1\": \"min\" must be a finite number")
        // Columns count characters: é is one.
        XCTAssertEqual(error("{\"é\": [\"é[mp\"]}"), "t.json:1:10: label \"é\": \"é[mp\": \"[\" opens a set of characters that no \"]\" closes (for a plain bracket anywhere in the path, write \"*é\\[mp*\": \\[ is a plain bracket, and a glob matches the whole path)")
        XCTAssertEqual(error("{\"T1\": {\"Bogus\": [\"x\"]}}"), "t.json:1:18: label \"T1\": \"Bogus\" is not a DICOM keyword (keywords are like \"Modality\", \"SeriesDescription\"; also allowed: \"path\", \"ignoreCase\", \"exclude\")")
    }

    /// One compiled regular expression used by many threads at once gives what one thread gives.
    func testARegularExpressionSharedByThreads() throws {
        let t = try parse(#"{"R": ["re:(?i)^sub-\\d{2}/(t1|t2)_"]}"#).templates[0]
        let paths = (0..<4000).map { i in "sub-\(i % 150)/\(["t1", "t2", "T1", "dwi"][i % 4])_\(i)" }
        let expected = paths.map { path(t, $0) }
        XCTAssertEqual(expected.filter { $0 }.count, paths.indices.filter { i in i % 150 >= 10 && i % 150 < 100 && i % 4 != 3 }.count)
        let results = UnsafeMutableBufferPointer<Bool>.allocate(capacity: paths.count)
        defer { results.deallocate() }
        DispatchQueue.concurrentPerform(iterations: 8) { k in
            for i in stride(from: k, to: paths.count, by: 8) { results[i] = path(t, paths[i]) }
        }
        XCTAssertEqual(Array(results), expected)
    }
}
