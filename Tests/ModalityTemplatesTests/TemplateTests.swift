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
        XCTAssertTrue(mri.matchesValues { values[$0] })
        XCTAssertFalse(mri.matchesValues { [.modality: "MR", .seriesDescription: "flair"][$0] })
        XCTAssertFalse(mri.matchesValues { [.seriesDescription: "t1"][$0] }, "a missing value never matches")
        XCTAssertTrue(t.templates[1].matchesPath(Array("anything".utf8)), "no path: every folder is a candidate")
        XCTAssertTrue(t.templates[1].matchesValues { [.modality: "CT"][$0] })
        XCTAssertEqual(t.conditionTags, [.modality, .seriesDescription])
    }

    func testErrorsSayWhere() {
        func error(_ text: String) -> String {
            do { _ = try parse(text); return "no error" } catch { return "\(error)" }
        }
        XCTAssertEqual(error("{\"a\": [\"x\"]"), "t.json:1:12: invalid JSON: unexpected end of the file inside an object")
        XCTAssertEqual(error("{\"a\": [\"x\"]}\n,"), "t.json:2:1: invalid JSON: unexpected text after the end of the JSON value")
        XCTAssertEqual(error("{\"a\": [\"x\" \"y\"]}"), "t.json:1:12: invalid JSON: expected ',' or ']' after a list item")
        XCTAssertEqual(error("{\"é\": [\"\"]}"), "t.json:1:8: label \"é\" contains an empty string, which would match every folder")
        XCTAssertEqual(error("{\"a\": {}}"), "t.json:1:7: label \"a\" has an empty object: give \"path\" and/or DICOM keywords")
        XCTAssertEqual(error("{\"a\": {\"path\": \"x\"}}"), "t.json:1:16: \"path\" of label \"a\" must be a list of strings, found a string")
        XCTAssertEqual(error("{\"a\": null}"), "t.json:1:7: label \"a\" must map to a list of folder-name substrings or to an object, found null")
        XCTAssertEqual(error("\"x\""), "t.json:1:1: the templates must be a JSON object mapping labels to lists of folder-name substrings, found a string")
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
}
