import DICOM
import DICOMTestSupport
import Foundation
import XCTest

/// Template matching that says what it did: globs, regular expressions, case, exclusions, ranges;
/// the folders no label took and the folders several took, in the summary, `--report` and
/// `--strict`; `--all`; the grand total. Through the binary, on writer-made trees.
final class CrawlMatchingTests: XCTestCase {
    /// A subject as scanners export it: T1, resting state (REST1 holds "t1"), DWI with its derived
    /// maps, a localizer no label names, and a folder of notes.
    func subject(_ t: FixtureTree, _ root: String) throws {
        let echo = Tag(0x0018_0081)
        try t.write("\(root)/T1_MPRAGE/1.dcm", dicomFile(description: "T1_MPRAGE", raw: [.string(echo, "2.46")]))
        try t.write("\(root)/REST1 w SMS PF7-8/1.dcm", dicomFile(description: "REST1 w SMS", raw: [.string(echo, "30")]))
        try t.write("\(root)/DWI/1.dcm", dicomFile(description: "DWI_b1000", raw: [.string(echo, "89")]))
        try t.write("\(root)/DWI_ADC/1.dcm", dicomFile(description: "DWI_ADC", raw: [.string(echo, "89")]))
        try t.write("\(root)/localizer/1.dcm", dicomFile(description: "localizer"))
        try t.write("\(root)/notes/readme.txt", text: "not DICOM\n")
    }

    func labels(_ t: FixtureTree, _ table: String) throws -> [String: [String]] {
        var out: [String: [String]] = [:]
        for row in try parseCSV(try t.read(table)).rows { out[row[1], default: []].append(row[0]) }
        return out
    }

    /// The seed form with wildcards (dcm2bids habits), case, and a regular expression.
    func testGlobsRegularExpressionsAndCase() throws {
        let t = try FixtureTree()
        try subject(t, "s")
        try t.write("t.json", text: #"{"T1": ["*mprage*"], "DWI": ["re:^DWI$"]}"#)
        let plain = try runTool(["--templates", "t.json", "s"], cwd: t.path)
        XCTAssertEqual(plain.status, 0, plain.stderr)
        XCTAssertEqual(try labels(t, "s/modal_data.csv"), ["s/DWI": ["DWI"]], "the glob is case-sensitive on paths: T1_MPRAGE is not *mprage*")
        let folded = try runTool(["--ignore-case", "--templates", "t.json", "s"], cwd: t.path)
        XCTAssertEqual(folded.status, 0, folded.stderr)
        XCTAssertEqual(try labels(t, "s/modal_data.csv"), ["s/DWI": ["DWI"], "s/T1_MPRAGE": ["T1"]])
        try t.write("u.json", text: #"{"T1": {"path": ["*mprage*"], "ignoreCase": true}, "LOC": ["[Ll]ocal"]}"#)
        let label = try runTool(["--templates", "u.json", "s"], cwd: t.path)
        XCTAssertEqual(try labels(t, "s/modal_data.csv"), ["s/T1_MPRAGE": ["T1"]], "[Ll]ocal is a glob over the whole relative path")
        XCTAssertTrue(label.stderr.contains("4 folders holding DICOM files matched no label: DWI, DWI_ADC, REST1 w SMS PF7-8, localizer"), label.stderr)
        try t.write("v.json", text: #"{"LOC": ["[Ll]ocali?er"]}"#)
        _ = try runTool(["--templates", "v.json", "s"], cwd: t.path)
        XCTAssertEqual(try labels(t, "s/modal_data.csv"), ["s/localizer": ["LOC"]])
    }

    /// "t1" is in "REST1": reported as several labels, and an exclusion or a value condition fixes
    /// it; ranges on numbers; values compared without regard to case.
    func testAmbiguityReportedAndFixedByExclusionsAndRanges() throws {
        let t = try FixtureTree()
        try subject(t, "s")
        try t.write("t.json", text: #"{"T1": ["t1", "T1"], "REST": ["REST"], "DWI": ["DWI"]}"#)
        let r = try runTool(["--templates", "t.json", "s"], cwd: t.path)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("1 folder matched several labels: REST1 w SMS PF7-8 (T1, REST)"), r.stderr)
        XCTAssertTrue(r.stderr.contains("1 folder holding DICOM files matched no label: localizer"), r.stderr)
        XCTAssertEqual(try labels(t, "s/modal_data.csv")["s/REST1 w SMS PF7-8"], ["T1", "REST"])
        let strict = try runTool(["--strict", "--templates", "t.json", "s"], cwd: t.path)
        XCTAssertEqual(strict.status, 1, strict.stderr)
        XCTAssertTrue(strict.stderr.contains("--strict: 1 folder holding DICOM files got no label, 1 got several"), strict.stderr)

        try t.write("u.json", text: #"""
            {"T1": {"path": ["t1", "T1"], "exclude": {"path": ["*REST*"]}},
             "REST": {"path": ["REST"], "EchoTime": {"min": 20, "max": 40}},
             "DWI": {"path": ["DWI"], "exclude": {"SeriesDescription": ["*adc*"]}},
             "ADC": {"SeriesDescription": "re:_adc$"},
             "LOC": {"SeriesDescription": ["LOCALIZER"]}}
            """#)
        let fixed = try runTool(["--strict", "--templates", "u.json", "s"], cwd: t.path)
        XCTAssertEqual(fixed.status, 0, fixed.stderr)
        XCTAssertFalse(fixed.stderr.contains("several labels"), fixed.stderr)
        XCTAssertFalse(fixed.stderr.contains("matched no label"), fixed.stderr)
        XCTAssertEqual(try labels(t, "s/modal_data.csv"), ["s/T1_MPRAGE": ["T1"], "s/REST1 w SMS PF7-8": ["REST"], "s/DWI": ["DWI"],
                                                         "s/DWI_ADC": ["ADC"], "s/localizer": ["LOC"]])
        // A range that the value misses: no row, and the folder is unmatched.
        try t.write("w.json", text: #"{"REST": {"path": ["REST"], "EchoTime": {"max": 25}}, "OTHER": ["MPRAGE", "DWI", "localizer"]}"#)
        let missed = try runTool(["--strict", "--templates", "w.json", "s"], cwd: t.path)
        XCTAssertEqual(missed.status, 1, missed.stderr)
        XCTAssertTrue(missed.stderr.contains("1 folder matched a label's path but not its DICOM values: no row"), missed.stderr)
        XCTAssertTrue(missed.stderr.contains("1 folder holding DICOM files matched no label: REST1 w SMS PF7-8"), missed.stderr)
    }

    /// --report: every DIR, its table and counts, all unmatched and ambiguous folders, the totals;
    /// --quiet --strict still says what failed; the grand total line after several DIRs.
    func testReportAndTotals() throws {
        let t = try FixtureTree()
        try subject(t, "a")
        try subject(t, "b")
        for i in 0..<7 { try t.write("b/extra\(i)/1.dcm", dicomFile()) }
        try t.write("t.json", text: #"{"T1": ["t1", "T1"], "REST": ["REST"]}"#)
        let r = try runTool(["--templates", "t.json", "--report", "out/report.json", "a", "b", "a"], cwd: t.path)
        XCTAssertEqual(r.status, 1, "out/ does not exist: the report cannot be written\n\(r.stderr)")
        XCTAssertTrue(r.stderr.contains("cannot write --report out/report.json"), r.stderr)
        let ok = try runTool(["--templates", "t.json", "--report", "report.json", "a", "b", "a"], cwd: t.path)
        XCTAssertEqual(ok.status, 0, ok.stderr)
        XCTAssertTrue(ok.stderr.contains("total: 2 directories, 4 folders with rows, 6 rows, 4 DICOM files, 0 other files skipped; 13 unmatched, 2 ambiguous folders"), ok.stderr)
        XCTAssertTrue(ok.stderr.contains("10 folders holding DICOM files matched no label: DWI, DWI_ADC, extra0, extra1, extra2, and 5 more (in report.json)"), ok.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(try t.read("report.json").utf8)) as! [String: Any]
        let dirs = json["directories"] as! [[String: Any]]
        XCTAssertEqual(dirs.map { $0["directory"] as! String }, ["a", "b", "a"])
        XCTAssertEqual(dirs[2]["sameAs"] as? String, "a")
        XCTAssertEqual(dirs[0]["table"] as? String, "a/modal_data.csv")
        XCTAssertEqual(dirs[0]["unmatched"] as! [String], ["a/DWI", "a/DWI_ADC", "a/localizer"])
        XCTAssertEqual((dirs[1]["unmatched"] as! [String]).count, 10)
        let ambiguous = dirs[0]["ambiguous"] as! [[String: Any]]
        XCTAssertEqual(ambiguous.map { $0["folder"] as! String }, ["a/REST1 w SMS PF7-8"])
        XCTAssertEqual(ambiguous.map { $0["labels"] as! [String] }, [["T1", "REST"]])
        let total = json["total"] as! [String: Any]
        XCTAssertEqual(total["unmatched"] as? Int, 13)
        XCTAssertEqual(total["ambiguous"] as? Int, 2)
        XCTAssertEqual(total["rows"] as? Int, 6)

        let quiet = try runTool(["-q", "--strict", "--templates", "t.json", "a"], cwd: t.path)
        XCTAssertEqual(quiet.status, 1)
        XCTAssertTrue(quiet.stderr.contains("a: no label: DWI, DWI_ADC, localizer"), quiet.stderr)
        XCTAssertTrue(quiet.stderr.contains("a: several labels: REST1 w SMS PF7-8 (T1, REST)"), quiet.stderr)
        XCTAssertFalse(quiet.stderr.contains("total:"), quiet.stderr)
    }

    /// --all: a plain inventory without templates (every folder holding DICOM files, label empty,
    /// nothing called unmatched), and with templates the folders no label took get an empty label.
    func testAllFolders() throws {
        let t = try FixtureTree()
        try subject(t, "s")
        let plain = try runTool(["--all", "s"], cwd: t.path)
        XCTAssertEqual(plain.status, 0, plain.stderr)
        XCTAssertFalse(plain.stderr.contains("matched no label"), plain.stderr)
        let rows = try parseCSV(try t.read("s/modal_data.csv")).rows
        XCTAssertEqual(Set(rows.map { $0[1] }), ["s/T1_MPRAGE", "s/REST1 w SMS PF7-8", "s/DWI", "s/DWI_ADC", "s/localizer"])
        XCTAssertEqual(Set(rows.map { $0[0] }), [""])
        XCTAssertEqual(rows.map { $0[2] }, ["1", "1", "1", "1", "1"])

        try t.write("t.json", text: #"{"T1": ["MPRAGE"], "REST": {"path": ["REST"], "EchoTime": {"max": 25}}}"#)
        let mixed = try runTool(["--all", "--templates", "t.json", "s"], cwd: t.path)
        XCTAssertEqual(mixed.status, 0, mixed.stderr)
        XCTAssertEqual(try labels(t, "s/modal_data.csv"), ["s/T1_MPRAGE": ["T1"], "s/REST1 w SMS PF7-8": [""], "s/DWI": [""],
                                                         "s/DWI_ADC": [""], "s/localizer": [""]])
        XCTAssertTrue(mixed.stderr.contains("4 folders holding DICOM files matched no label: DWI, DWI_ADC, REST1 w SMS PF7-8, localizer"), mixed.stderr)

        // Without --templates or --all: a usage error that names both.
        let neither = try runTool(["s"], cwd: t.path)
        XCTAssertEqual(neither.status, 2, neither.stderr)
        XCTAssertTrue(neither.stderr.contains("give --templates FILE (which folders to name), or --all"), neither.stderr)
        // An empty pattern is still refused, and the error says what to use.
        try t.write("e.json", text: #"{"ALL": [""]}"#)
        let empty = try runTool(["--templates", "e.json", "s"], cwd: t.path)
        XCTAssertEqual(empty.status, 2, empty.stderr)
        XCTAssertTrue(empty.stderr.contains("e.json:1:10: label \"ALL\" contains an empty string, which would match every folder (--all gives every folder holding DICOM files a row)"), empty.stderr)
    }

    /// A pattern that cannot be used stops the run before anything is written, at file:line:column.
    func testBadPatternsSayWhere() throws {
        let t = try FixtureTree()
        try subject(t, "s")
        try t.write("t.json", text: "{\n  \"T1\": [\"t1_[mp\"],\n  \"R\": {\"SeriesDescription\": [\"re:(rest\"]}\n}\n")
        let r = try runTool(["--templates", "t.json", "s"], cwd: t.path)
        XCTAssertEqual(r.status, 2, r.stderr)
        XCTAssertTrue(r.stderr.contains("t.json:2:14: label \"T1\": \"t1_[mp\": \"[\" opens a set of characters that no \"]\" closes"), r.stderr)
        XCTAssertFalse(t.exists("s/modal_data.csv"))
        try t.write("t.json", text: "{\n  \"T1\": [\"t1\"],\n  \"R\": {\"SeriesDescription\": [\"re:(rest\"]}\n}\n")
        let regex = try runTool(["--templates", "t.json", "s"], cwd: t.path)
        XCTAssertEqual(regex.status, 2, regex.stderr)
        XCTAssertTrue(regex.stderr.contains("t.json:3:35: \"SeriesDescription\" of label \"R\": \"re:(rest\": not a regular expression"), regex.stderr)
    }

    /// DICOM files lying in the DIR itself (a flat export): a row with --all (Path = DIR), and named
    /// as "." when no label takes them; in both walks (with and without --follow-symlinks).
    func testFilesInTheDIRItself() throws {
        let t = try FixtureTree()
        try t.write("flat/1.dcm", dicomFile(id: "ROOT"))
        try t.write("flat/sub/1.dcm", dicomFile(id: "SUB"))
        try t.write("t.json", text: #"{"SUB": ["sub"]}"#)
        for follow in [[], ["--follow-symlinks"]] {
            let all = try runTool(follow + ["--all", "flat"], cwd: t.path)
            XCTAssertEqual(all.status, 0, all.stderr)
            let rows = try parseCSV(try t.read("flat/modal_data.csv")).rows
            XCTAssertEqual(rows.map { [$0[1], $0[2], $0[5]] }, [["flat", "1", "ROOT"], ["flat/sub", "1", "SUB"]], "\(follow)")
            let strict = try runTool(follow + ["--strict", "--templates", "t.json", "--report", "r.json", "flat"], cwd: t.path)
            XCTAssertEqual(strict.status, 1, strict.stderr)
            XCTAssertTrue(strict.stderr.contains("1 folder holding DICOM files matched no label: ."), "\(follow): \(strict.stderr)")
            let json = try JSONSerialization.jsonObject(with: Data(try t.read("r.json").utf8)) as! [String: Any]
            XCTAssertEqual((json["directories"] as! [[String: Any]])[0]["unmatched"] as! [String], ["flat"], "\(follow)")
        }
    }
}
