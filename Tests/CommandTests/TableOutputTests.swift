import DICOM
import DICOMTestSupport
import Foundation
import XCTest

/// Where tables go and how columns are named (issue 12): crawl --output-dir and --combined for
/// read-only archives, colliding column names, tags --columns, tag numbers in --keywords and --tags.
final class TableOutputTests: XCTestCase {
    /// A read-only archive of two subjects: the tables go to OUT/<subject>/modal_data.csv with the
    /// same content a writable archive gets, and one combined table has a Subject column.
    func testOutputDirAndCombinedTableForAReadOnlyArchive() throws {
        let t = try FixtureTree()
        try t.write("t.json", text: #"{"T1": ["t1"], "T2": ["t2"]}"#)
        try t.write("archive/sub-01/t1/1.dcm", dicomFile(date: "20240102", id: "S1"))
        try t.write("archive/sub-01/t2/1.dcm", dicomFile(date: "20240101", id: "S1"))
        try t.write("archive/sub-02/t1/1.dcm", dicomFile(date: "20240103", id: "S2"))
        try t.write("copy/sub-01/t1/1.dcm", dicomFile(date: "20240102", id: "S1"))
        // The tables a writable archive gets, for comparison.
        let writable = try runTool(["-q", "--templates", "t.json", "archive/sub-01", "archive/sub-02"], cwd: t.path)
        XCTAssertEqual(writable.status, 0, writable.stderr)
        let expected1 = try t.read("archive/sub-01/modal_data.csv"), expected2 = try t.read("archive/sub-02/modal_data.csv")
        try FileManager.default.removeItem(atPath: t.path + "/archive/sub-01/modal_data.csv")
        try FileManager.default.removeItem(atPath: t.path + "/archive/sub-02/modal_data.csv")
        // The output folder is the user's (nobody's here); the archive is nobody's to read only.
        try t.mkdir("out")
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: t.path + "/out")
        for dir in ["archive/sub-01/t1", "archive/sub-01/t2", "archive/sub-02/t1", "archive/sub-01", "archive/sub-02", "archive"] {
            try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: t.path + "/" + dir)
        }
        defer {
            for dir in ["archive", "archive/sub-01", "archive/sub-02"] { try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: t.path + "/" + dir) }
        }
        let r = try runToolAsNobody(["--templates", "t.json", "--output-dir", "out/tables", "--combined", "out/all.csv", "archive/sub-01", "archive/sub-02/"], cwd: t.path)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("archive/sub-01: 2 folders matched, 2 rows, 2 DICOM files, 0 other files skipped -> out/tables/sub-01/modal_data.csv"), r.stderr)
        XCTAssertTrue(r.stderr.contains("out/all.csv: 3 rows of 2 directories"), r.stderr)
        XCTAssertEqual(try t.read("out/tables/sub-01/modal_data.csv"), expected1)
        XCTAssertEqual(try t.read("out/tables/sub-02/modal_data.csv"), expected2)
        XCTAssertFalse(t.exists("archive/sub-01/modal_data.csv"))
        XCTAssertEqual(try t.read("out/all.csv"), """
            Subject,Modality,Path,DCM_Count,Study Date,Acquisition Time,Subject_ID,Subject_Sex,Subject_Age
            sub-01,T2,archive/sub-01/t2,1,20240101,101530,S1,M,045Y
            sub-01,T1,archive/sub-01/t1,1,20240102,101530,S1,M,045Y
            sub-02,T1,archive/sub-02/t1,1,20240103,101530,S2,M,045Y

            """)
        // Without --output-dir the read-only DIRs cannot take their tables: errors, exit 1, and the
        // combined table is still written.
        let ro = try runToolAsNobody(["-q", "--templates", "t.json", "--combined", "out/all2.csv", "archive/sub-01", "archive/sub-02"], cwd: t.path)
        XCTAssertEqual(ro.status, 1, ro.stderr)
        XCTAssertTrue(ro.stderr.contains("archive/sub-01: cannot write archive/sub-01/modal_data.csv"), ro.stderr)
        XCTAssertEqual(try t.read("out/all2.csv"), try t.read("out/all.csv"))

        // Two DIRs of one name would write one table: the later is refused, the earlier written.
        let clash = try runTool(["-q", "--templates", "t.json", "--output-dir", "out/clash", "archive/sub-01", "copy/sub-01"], cwd: t.path)
        XCTAssertEqual(clash.status, 1, clash.stderr)
        XCTAssertTrue(clash.stderr.contains("copy/sub-01: its name is that of archive/sub-01, given before: both would write out/clash/sub-01/modal_data.csv"), clash.stderr)
        XCTAssertEqual(try t.read("out/clash/sub-01/modal_data.csv"), expected1)
        // `.` is named after the folder it is.
        let dot = try runTool(["-q", "--templates", "../../t.json", "--output-dir", "../../out/dot", "."], cwd: t.path + "/copy/sub-01")
        XCTAssertEqual(dot.status, 0, dot.stderr)
        XCTAssertTrue(t.exists("out/dot/sub-01/modal_data.csv"))
    }

    /// An extra column whose name is taken gets its tag; tag numbers pick private elements.
    func testCollidingColumnNamesAndTagNumbers() throws {
        let t = try FixtureTree()
        try t.write("t.json", text: #"{"T1": ["t1"]}"#)
        let priv = [Element.bytes(Tag(0x0019_0010), .LO, Array("ACME".utf8)), Element.bytes(Tag(0x0019_100C), .DS, Array("1000".utf8))]
        try t.write("d/t1/1.dcm", dicomFile(raw: priv))
        let r = try runTool(["-q", "--templates", "t.json", "--tags", "Modality, (0019,100C), 0019,0010, 00080060", "d"], cwd: t.path)
        XCTAssertEqual(r.status, 0, r.stderr)
        let table = try parseCSV(try t.read("d/modal_data.csv"))
        XCTAssertEqual(Array(table.header.suffix(4)), ["Modality (0008,0060)", "(0019,100C)", "(0019,0010)", "Modality (0008,0060) [2]"])
        XCTAssertEqual(Array(table.rows[0].suffix(4)), ["MR", "1000", "ACME", "MR"])
        let bad = try runTool(["--templates", "t.json", "--tags", "0019,Bogus", "d"], cwd: t.path)
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("'0019' is not a DICOM keyword or tag number"), bad.stderr)
    }

    /// tags --columns: keyword and tag styles, unique even where keywords repeat (overlay groups);
    /// --keywords with tag numbers.
    func testTagsColumnStyles() throws {
        let t = try FixtureTree()
        let item = DataSet([.string(Tag(0x0008_1155), "1.2.3.10")])
        try t.write("d/1.dcm", dicomFile(raw: [
            .sequence(Tag(0x0008_1140), [item, DataSet([.string(Tag(0x0008_1155), "1.2.3.11")])]),
            .uint16(Tag(0x6000_0010), [4]), .uint16(Tag(0x6002_0010), [8]),
            .bytes(Tag(0x0019_0010), .LO, Array("ACME".utf8)), .bytes(Tag(0x0019_100C), .DS, Array("1000".utf8)),
        ]))
        for (style, expected) in [
            ("keyword", ["ReferencedImageSequence.NumberOfItems", "ReferencedImageSequence.ReferencedSOPInstanceUID",
                         "ReferencedImageSequence[2].ReferencedSOPInstanceUID", "00190010", "0019100C[ACME]"]),
            ("tag", ["00081140/#", "00081140/1/00081155", "00081140/2/00081155", "00190010", "0019100C[ACME]"]),
        ] {
            let r = try runTool(["tags", "-q", "--columns", style, "d", "-o", "\(style).csv"], cwd: t.path)
            XCTAssertEqual(r.status, 0, r.stderr)
            let header = try parseCSV(try t.read("\(style).csv")).header
            XCTAssertEqual(header.count, Set(header).count, "\(style): unique \(header)")
            for e in expected { XCTAssertTrue(header.contains(e), "\(style): \(e) in \(header)") }
            XCTAssertTrue(header.contains(style == "keyword" ? "StudyDate" : "00080020"), "\(header)")
            if style == "keyword" {
                XCTAssertTrue(header.contains("OverlayRows"), "\(header)")
                XCTAssertTrue(header.contains("60020010"), "the second OverlayRows falls back to its tag: \(header)")
            }
        }
        let picked = try runTool(["tags", "-q", "--columns", "keyword", "--keywords", "PatientID,(0019,100C)", "d", "-o", "k.csv"], cwd: t.path)
        XCTAssertEqual(picked.status, 0, picked.stderr)
        let k = try parseCSV(try t.read("k.csv"))
        XCTAssertEqual(k.header, ["DicomPath", "PatientID", "0019100C[ACME]"])
        XCTAssertEqual(k.rows[0].dropFirst(), ["P1", "1000"])
        let bad = try runTool(["tags", "--columns", "names", "d", "-o", "x.csv"], cwd: t.path)
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("--columns must be name, keyword or tag"), bad.stderr)
    }
}

/// A mistyped subcommand is named, not taken for a DIR of `crawl`; a DIR of that name is crawled.
final class SubcommandTypoTests: XCTestCase {
    func testTyposAreNamed() throws {
        let t = try FixtureTree()
        try t.write("t.json", text: #"{"T1": ["t1"]}"#)
        try t.write("d/t1/1.dcm", dicomFile())
        for (typo, meant) in [("tag", "tags"), ("sotr", "sort"), ("exprot", "export"), ("dum", "dump"), ("crawls", "crawl"), ("exp", "export")] {
            let r = try runTool([typo, "d"], cwd: t.path)
            XCTAssertEqual(r.status, 2, typo)
            XCTAssertTrue(r.stderr.contains("unknown command '\(typo)'; did you mean '\(meant)'?"), "\(typo): \(r.stderr)")
        }
        // Not typos: far from every subcommand, an option, or a folder that exists.
        let far = try runTool(["sorted", "--templates", "t.json"], cwd: t.path)
        XCTAssertFalse(far.stderr.contains("did you mean"), far.stderr)
        XCTAssertTrue(far.stderr.contains("sorted: no such directory"), far.stderr)
        try t.write("tag/t1/1.dcm", dicomFile())
        let dir = try runTool(["tag", "--templates", "t.json"], cwd: t.path)
        XCTAssertEqual(dir.status, 0, dir.stderr)
        XCTAssertTrue(t.exists("tag/modal_data.csv"))
    }
}

/// Progress on a terminal (a pseudo-terminal made by `script`): tags counts the files ahead and says
/// when it assembles the table; the crawl shows folders, rate and files.
final class ProgressLineTests: XCTestCase {
    func onATerminal(_ command: String, cwd: String) throws -> String {
        let r = try runProcess("/usr/bin/script", ["-qec", command, "/dev/null"], cwd: cwd)
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        return r.stdout.replacingOccurrences(of: "\r", with: "\n")
    }

    func testTagsCountsAheadAndSaysWhenItAssembles() throws {
        let t = try FixtureTree()
        for i in 0..<30 { try t.write("d/s\(i % 3)/\(i).dcm", dicomFile()) }
        // A pause in the table's write (a test hook) keeps the assembling phase on screen.
        let out = try onATerminal("DICOMCRAWLER_TEST_PAUSE_IN_WRITE_MS=1200 \(toolPath()) tags d -o t.csv", cwd: t.path)
        XCTAssertTrue(out.contains("dicomcrawler tags: 30 files read; assembling the table"), out)
        XCTAssertTrue(t.exists("t.csv"))
        let plain = try runTool(["tags", "d", "-o", "u.csv"], cwd: t.path)
        XCTAssertFalse(plain.stderr.contains("files read"), "no progress line when stderr is not a terminal: \(plain.stderr)")
    }
}

/// Found by attacking the crawl's new outputs: an output that would overwrite an input or another
/// output is refused before anything is read; names cannot fake summary lines; a DIR given twice
/// names the table its first mention wrote; an unchanged combined table is kept.
final class CrawlOutputAttackTests: XCTestCase {
    func testOutputsThatWouldOverwriteInputsAreRefused() throws {
        let t = try FixtureTree()
        try t.write("t.json", text: #"{"T1": ["t1"]}"#)
        try t.write("a/t1/1.dcm", dicomFile())
        let dicom = try Data(contentsOf: t.root.appendingPathComponent("a/t1/1.dcm"))
        for (args, message) in [
            (["--combined", "a/t1/1.dcm"], "--combined a/t1/1.dcm is inside a, which is being read"),
            (["--report", "t.json"], "--report t.json is the template file"),
            (["--report", "x.json", "--combined", "./x.json"], "--report and --combined name the same file (./x.json)"),
            (["--combined", "a/modal_data.csv"], "--combined a/modal_data.csv is the table of a"),
            (["--output-dir", "o", "--report", "o/a/modal_data.csv"], "--report o/a/modal_data.csv is the table of a"),
        ] {
            let r = try runTool(["--templates", "t.json"] + args + ["a"], cwd: t.path)
            XCTAssertEqual(r.status, 2, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(message), "\(args): \(r.stderr)")
        }
        XCTAssertEqual(try Data(contentsOf: t.root.appendingPathComponent("a/t1/1.dcm")), dicom)
        XCTAssertEqual(try t.read("t.json"), #"{"T1": ["t1"]}"#)
        XCTAssertFalse(t.exists("a/modal_data.csv"), "refused before anything was crawled")
    }

    func testNamesCannotFakeLinesAndRerunsKeepTheCombinedTable() throws {
        let t = try FixtureTree()
        try t.write("t.json", text: #"{"T1": ["t1"]}"#)
        try t.write("a/t1/1.dcm", dicomFile())
        try t.write("a/new\nline \u{1B}[31mred/1.dcm", dicomFile())
        let r = try runTool(["-q", "--strict", "--templates", "t.json", "--output-dir", "o", "--combined", "all.csv", "a", "./a/"], cwd: t.path)
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("a: no label: new\\x0Aline \\x1B[31mred"), r.stderr)
        XCTAssertFalse(r.stderr.contains("\u{1B}"), r.stderr)
        let again = try runTool(["--templates", "t.json", "--output-dir", "o", "--combined", "all.csv", "a", "./a/"], cwd: t.path)
        XCTAssertTrue(again.stderr.contains("./a/: the same folder as a, given before: crawled once -> o/a/modal_data.csv"), again.stderr)
        let inode = { (try FileManager.default.attributesOfItem(atPath: t.path + "/all.csv")[.systemFileNumber] as! NSNumber).uint64Value }
        let before = try inode()
        _ = try runTool(["-q", "--templates", "t.json", "--output-dir", "o", "--combined", "all.csv", "a"], cwd: t.path)
        XCTAssertEqual(try inode(), before, "the same combined table is kept")
    }
}

/// A run killed before its rename leaves `.NAME.HOST.PID.tmp`; the next run removes those of this
/// machine's processes that are gone, and leaves running ones' and other machines' alone.
final class StaleTemporaryTests: XCTestCase {
    func testKilledRunsTemporariesAreRemovedLater() throws {
        let t = try FixtureTree()
        try t.write("t.json", text: #"{"T1": ["t1"]}"#)
        try t.write("d/t1/1.dcm", dicomFile())
        var buf = [CChar](repeating: 0, count: 256)
        gethostname(&buf, 255)
        let me = String(cString: buf)
        XCTAssertFalse(me.isEmpty)
        let gone = Process()
        gone.executableURL = URL(fileURLWithPath: "/bin/true")
        try gone.run()
        gone.waitUntilExit()
        let stale = ".modal_data.csv.\(me).\(gone.processIdentifier).tmp"
        let running = ".modal_data.csv.\(me).\(getpid()).tmp"
        let elsewhere = ".modal_data.csv.other-node.\(gone.processIdentifier).tmp"
        let ours = ".series.tsv.\(me).\(gone.processIdentifier).tmp"
        for name in [stale, running, elsewhere, ours] { try t.write("d/" + name, text: "half a table") }
        let r = try runTool(["-q", "--templates", "t.json", "d"], cwd: t.path)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertFalse(t.exists("d/" + stale), "a dead process's temporary file goes")
        XCTAssertTrue(t.exists("d/" + running), "a running process's stays")
        XCTAssertTrue(t.exists("d/" + elsewhere), "another machine's stays")
        XCTAssertTrue(t.exists("d/" + ours), "another table's stays")
    }
}
