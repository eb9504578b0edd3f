import DICOM
import DICOMTestSupport
import Foundation
import XCTest

/// A temporary folder to build fixture trees in.
final class FixtureTree {
    let root: URL
    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("crawl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }
    deinit {
        _ = try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: root.path)
        try? FileManager.default.removeItem(at: root)
    }
    var path: String { root.path }

    func write(_ rel: String, _ bytes: [UInt8]) throws {
        let url = root.appendingPathComponent(rel)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: url)
    }
    func write(_ rel: String, text: String) throws { try write(rel, Array(text.utf8)) }
    func mkdir(_ rel: String) throws {
        try FileManager.default.createDirectory(at: root.appendingPathComponent(rel), withIntermediateDirectories: true)
    }
    func read(_ rel: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent(rel), encoding: .utf8)
    }
    func exists(_ rel: String) -> Bool { FileManager.default.fileExists(atPath: root.appendingPathComponent(rel).path) }

    /// Names as raw bytes (they need not be UTF-8), relative to the tree.
    func withRawPath<R>(_ rel: [UInt8], _ body: (UnsafePointer<CChar>) -> R) -> R {
        (Array(path.utf8) + [0x2F] + rel + [0]).withUnsafeBufferPointer { b in
            b.baseAddress!.withMemoryRebound(to: CChar.self, capacity: b.count) { body($0) }
        }
    }
    func writeRaw(_ rel: [UInt8], _ bytes: [UInt8]) {
        let fd = withRawPath(rel) { open($0, O_WRONLY | O_CREAT, 0o644) }
        XCTAssertGreaterThanOrEqual(fd, 0)
        _ = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        close(fd)
    }
    func mkdirRaw(_ rel: [UInt8]) { XCTAssertEqual(withRawPath(rel) { Glibc.mkdir($0, 0o755) }, 0) }
    func symlinkRaw(_ rel: [UInt8], to target: [UInt8]) {
        XCTAssertEqual((target + [0]).withUnsafeBufferPointer { t in
            withRawPath(rel) { symlink(UnsafeRawPointer(t.baseAddress!).assumingMemoryBound(to: CChar.self), $0) }
        }, 0)
    }
}

/// A DICOM file with the crawl's fields; nil leaves a field out.
func dicomFile(date: String? = "20240101", time: String? = "101530", id: String? = "P1", sex: String? = "M",
               age: String? = "045Y", modality: String = "MR", description: String = "series",
               charset: String? = nil, raw: [Element] = [], writer: DICOMWriter = DICOMWriter()) -> [UInt8] {
    var e: [Element] = [.string(.modality, modality), .string(.seriesDescription, description),
                        .string(.sopInstanceUID, "1.2.3.\(UInt32.random(in: 1...999999))")]
    if let date { e.append(.string(.studyDate, date)) }
    if let time { e.append(.string(.acquisitionTime, time)) }
    if let id { e.append(.string(.patientID, id)) }
    if let sex { e.append(.string(.patientSex, sex)) }
    if let age { e.append(.string(.patientAge, age)) }
    if let charset { e.append(.string(.specificCharacterSet, charset)) }
    let replaced = Set(raw.map(\.tag))
    e.removeAll { replaced.contains($0.tag) }
    e += raw
    e.append(.bytes(.pixelData, .OW, [UInt8](repeating: 7, count: 64)))
    return writer.write(DataSet(e))
}

final class CrawlCommandTests: XCTestCase {
    let templates = #"{"T1": ["T1"], "T2": ["flair"], "CT": {"path": ["CT"], "Modality": ["CT"]}}"#

    func makeStudy(_ t: FixtureTree) throws {
        try t.write("templates.json", text: templates)
        // DIR's own name contains "CT" and "T1": only paths relative to it may match.
        try t.write("study_CT_T1/sub/T1_mprage/IM2.dcm", dicomFile(date: "20240101", time: "101530.123000", id: "P1"))
        try t.write("study_CT_T1/sub/T1_mprage/IM1.dcm", dicomFile(date: "20240101", time: "101530.123000", id: "P1"))
        try t.write("study_CT_T1/sub/T1_mprage/notes.txt", text: "scanner notes, not DICOM\n")
        try t.write("study_CT_T1/sub/T1_mprage/modal_data.csv", text: "Modality,Path\nold,run\n")  // an old output never vetoes
        try t.write("study_CT_T1/sub/T1_mprage/nested_T1_extra/IM1.dcm", dicomFile(date: "20240101", time: "1015", id: "P1"))
        try t.write("study_CT_T1/sub/T2_flair_T1c/IM1.dcm", dicomFile(date: "20240101", time: "0930", id: "P1", sex: "F"))
        try t.mkdir("study_CT_T1/sub/empty_T1")
        try t.write("study_CT_T1/sub/T1_notime/IM1.dcm", dicomFile(date: "20230101", time: nil, id: "P1", sex: nil))
        try t.write("study_CT_T1/other/CT_real/IM1.dcm", dicomFile(date: "20231231", time: "235959", id: "P1", modality: "CT"))
        try t.write("study_CT_T1/other/CT_wrong/IM1.dcm", dicomFile(date: "20231231", time: "235959", id: "P1", modality: "MR"))
        try t.write("study_CT_T1/other/unrelated/IM1.dcm", dicomFile())
        try t.write("study_CT_T1/.hidden_T1/IM1.dcm", dicomFile())
    }

    func testFixtureTreeGivesTheExpectedCSVByteForByte() throws {
        let t = try FixtureTree()
        try makeStudy(t)
        let r = try runTool(["--templates", "templates.json", "study_CT_T1"], cwd: t.path)
        XCTAssertEqual(r.status, 0, r.stderr)
        let expected = """
            Modality,Path,DCM_Count,Study Date,Acquisition Time,Subject_ID,Subject_Sex,Subject_Age
            CT,study_CT_T1/other/CT_real,1,20231231,235959,P1,M,045Y
            T1,study_CT_T1/sub/T2_flair_T1c,1,20240101,0930,P1,F,045Y
            T2,study_CT_T1/sub/T2_flair_T1c,1,20240101,0930,P1,F,045Y
            T1,study_CT_T1/sub/T1_mprage/nested_T1_extra,1,20240101,1015,P1,M,045Y
            T1,study_CT_T1/sub/T1_mprage,2,20240101,101530.123000,P1,M,045Y
            T1,study_CT_T1/sub/T1_notime,1,20230101,,P1,,045Y
            T1,study_CT_T1/sub/empty_T1,0,,,,,

            """
        XCTAssertEqual(try t.read("study_CT_T1/modal_data.csv"), expected)
        XCTAssertTrue(r.stderr.contains("skipped by type: text/plain 2"), r.stderr)
        // other/CT_wrong matches the CT label's path but not its Modality: counted on its own line.
        XCTAssertTrue(r.stderr.contains("6 folders matched, 7 rows"), r.stderr)
        XCTAssertTrue(r.stderr.contains("1 folder matched a label's path but not its DICOM values: no row"), r.stderr)

        // The same with a trailing slash on DIR, with the `crawl` subcommand named, and quietly.
        let again = try runTool(["crawl", "--quiet", "--templates", "templates.json", "study_CT_T1/"], cwd: t.path)
        XCTAssertEqual(again.status, 0)
        XCTAssertEqual(again.stderr, "")
        XCTAssertEqual(try t.read("study_CT_T1/modal_data.csv"), expected)

        // --hidden includes the dot-folder.
        _ = try runTool(["--hidden", "--quiet", "--templates", "templates.json", "study_CT_T1"], cwd: t.path)
        XCTAssertTrue(try t.read("study_CT_T1/modal_data.csv").contains("T1,study_CT_T1/.hidden_T1,1,"))
    }

    func testJobsDoNotChangeTheOutput() throws {
        let t = try FixtureTree()
        try makeStudy(t)
        for i in 0..<40 {
            try t.write("study_CT_T1/many/T1_\(i % 7)_\(i)/IM\(i).dcm", dicomFile(date: "2024010\(i % 9 + 1)", time: String(format: "%02d%02d", i % 24, i % 60)))
        }
        _ = try runTool(["--quiet", "--jobs", "1", "--templates", "templates.json", "study_CT_T1"], cwd: t.path)
        let one = try t.read("study_CT_T1/modal_data.csv")
        _ = try runTool(["--quiet", "--jobs", "8", "--templates", "templates.json", "study_CT_T1"], cwd: t.path)
        XCTAssertEqual(try t.read("study_CT_T1/modal_data.csv"), one)
        XCTAssertEqual(one.split(separator: "\n").count, 1 + 7 + 40)
    }

    func testTemplateErrorsExitTwoBeforeTouchingAnyDirectory() throws {
        let t = try FixtureTree()
        try t.write("dir/T1/IM1.dcm", dicomFile())
        let cases: [(String, String?, String)] = [
            ("missing.json", nil, "missing.json: cannot open the template file"),
            ("bad.json", "{\n  \"T1\": [\"T1\",]\n}", "bad.json:2:15: invalid JSON: unexpected character ']'"),
            ("list.json", "[\"T1\"]", "list.json:1:1: the templates must be a JSON object"),
            ("empty.json", "{}", "empty.json:1:1: the template file names no labels"),
            ("emptylist.json", "{\"T1\": []}", "emptylist.json:1:8: label \"T1\" is an empty list"),
            ("number.json", "{\"T1\": [\"T1\", 7]}", "number.json:1:15: label \"T1\" must contain only strings, found a number"),
            ("keyword.json", "{\"MRI\": {\"path\": [\"mri\"], \"Modalty\": [\"MR\"]}}", "keyword.json:1:38: label \"MRI\": \"Modalty\" is not a DICOM keyword"),
            ("string.json", "{\"T1\": \"T1\"}", "string.json:1:8: label \"T1\" must map to a list"),
            ("dup.json", "{\"T1\": [\"a\"], \"T1\": [\"b\"]}", "dup.json:1:21: label \"T1\" appears twice"),
        ]
        for (name, content, message) in cases {
            if let content { try t.write(name, text: content) }
            let r = try runTool(["--templates", name, "dir"], cwd: t.path)
            XCTAssertEqual(r.status, 2, name)
            XCTAssertTrue(r.stderr.contains(message), "\(name): \(r.stderr)")
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, "\(name): one message: \(r.stderr)")
            XCTAssertFalse(t.exists("dir/modal_data.csv"), name)
        }
        let badTag = try runTool(["--templates", "missing.json", "--tags", "SeriesDescription,NoSuchKeyword", "dir"], cwd: t.path)
        XCTAssertEqual(badTag.status, 2)
        XCTAssertTrue(badTag.stderr.contains("NoSuchKeyword"))
    }

    func testExtraTagColumnsAndFileKinds() throws {
        let t = try FixtureTree()
        try t.write("t.json", text: #"{"T1": ["t1"]}"#)
        var noPreamble = DICOMWriter()
        noPreamble.preamble = false
        var tiff = DICOMWriter()
        tiff.preambleBytes = [0x49, 0x49, 0x2A, 0x00, 0x08, 0x00, 0x00, 0x00]
        try t.write("d/t1_tiff/a.dcm", dicomFile(description: "TIFF, \"dual\"", writer: tiff))
        try t.write("d/t1_tiff/b.dcm", dicomFile(writer: tiff))
        try t.write("d/t1_bare/a", dicomFile(date: "20240102", writer: { var w = DICOMWriter(); w.preamble = false; w.meta = false; return w }()))
        try t.write("d/t1_bare/b", dicomFile(date: "20240102", writer: noPreamble))
        try t.write("d/t1_bare/c.json", text: "{\"not\": \"dicom\"}")
        try t.write("d/t1_bare/d.pdf", text: "%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n")
        let r = try runTool(["--templates", "t.json", "--tags", "SeriesDescription, Modality", "d"], cwd: t.path)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try t.read("d/modal_data.csv"), #"""
            Modality,Path,DCM_Count,Study Date,Acquisition Time,Subject_ID,Subject_Sex,Subject_Age,Series Description,"Modality (0008,0060)"
            T1,d/t1_tiff,2,20240101,101530,P1,M,045Y,"TIFF, ""dual""",MR
            T1,d/t1_bare,2,20240102,101530,P1,M,045Y,series,MR

            """#)
        XCTAssertTrue(r.stderr.contains("skipped by type: application/json 1, application/pdf 1"), r.stderr)
    }

    /// A quiet run shows no types, so it never loads libmagic (a distinct file costs it 0.1-0.4 ms);
    /// its table is the one a run that identifies them writes. `MAGIC` pointing nowhere makes a run
    /// that loads libmagic say so.
    func testQuietRunsNeverLoadLibmagicAndWriteTheSameTables() throws {
        let t = try FixtureTree()
        try t.write("t.json", text: #"{"T1": ["t1"]}"#)
        try t.write("d/t1/a.dcm", dicomFile())
        try t.write("d/t1/notes.txt", text: "scanned on the second day\n")
        try t.write("d/t1/raw.bin", [0x1F, 0x8B, 0x08, 0x00] + (0..<200).map { UInt8($0 % 251) })
        let noMagic = ["MAGIC": t.path + "/no-such-magic.mgc"]
        let shown = try runTool(["--templates", "t.json", "d"], cwd: t.path)
        XCTAssertEqual(shown.status, 0, shown.stderr)
        XCTAssertTrue(shown.stderr.contains("skipped by type: application/gzip 1, text/plain 1"), shown.stderr)
        let table = try t.read("d/modal_data.csv")
        let broken = try runTool(["--templates", "t.json", "d"], cwd: t.path, env: noMagic)
        XCTAssertTrue(broken.stderr.contains("libmagic could not be loaded"), broken.stderr)
        try FileManager.default.removeItem(atPath: t.path + "/d/modal_data.csv")
        let quiet = try runTool(["--quiet", "--templates", "t.json", "d"], cwd: t.path, env: noMagic)
        XCTAssertEqual(quiet.status, 0, quiet.stderr)
        XCTAssertEqual(quiet.stderr, "")
        XCTAssertEqual(try t.read("d/modal_data.csv"), table)
        // series: the same.
        let series = try runTool(["series", "d", "-o", "s.tsv"], cwd: t.path, env: noMagic)
        XCTAssertTrue(series.stderr.contains("libmagic could not be loaded"), series.stderr)
        let seriesTable = try t.read("s.tsv")
        try FileManager.default.removeItem(atPath: t.path + "/s.tsv")
        let quietSeries = try runTool(["series", "--quiet", "d", "-o", "s.tsv"], cwd: t.path, env: noMagic)
        XCTAssertEqual(quietSeries.status, 0, quietSeries.stderr)
        XCTAssertEqual(quietSeries.stderr, "")
        XCTAssertEqual(try t.read("s.tsv"), seriesTable)
    }

    func testNonASCIIValuesAndNonUTF8FileNames() throws {
        let t = try FixtureTree()
        try t.write("t.json", text: #"{"A": ["latin"], "B": ["utf8"], "C": ["jis"]}"#)
        try t.write("d/latin/1.dcm", dicomFile(time: "01", id: nil, charset: "ISO_IR 100",
                                                raw: [.bytes(.patientID, .LO, [0x4D, 0xFC, 0x6C, 0x6C, 0x65, 0x72], pad: true)]))
        try t.write("d/utf8/1.dcm", dicomFile(time: "02", id: "患者-02", charset: "ISO_IR 192"))
        try t.write("d/jis/1.dcm", dicomFile(time: "03", id: nil, charset: "\\ISO 2022 IR 87",
                                              raw: [.bytes(.patientID, .LO, [0x1B, 0x24, 0x42, 0x3B, 0x33, 0x45, 0x44, 0x1B, 0x28, 0x42], pad: true)]))
        // A file whose name is not valid UTF-8, first in byte order.
        let dir = t.root.appendingPathComponent("d/latin").path
        let badName = Array(dir.utf8) + [0x2F, 0x30, 0xFF, 0xFE, 0x2E, 0x64, 0x63, 0x6D, 0]
        let fd = badName.withUnsafeBufferPointer { b in b.baseAddress!.withMemoryRebound(to: CChar.self, capacity: b.count) { open($0, O_WRONLY | O_CREAT, 0o644) } }
        XCTAssertGreaterThanOrEqual(fd, 0)
        let content = dicomFile(time: "01", id: "from-bad-name")
        _ = content.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        let r = try runTool(["--templates", "t.json", "d"], cwd: t.path)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try t.read("d/modal_data.csv"), """
            Modality,Path,DCM_Count,Study Date,Acquisition Time,Subject_ID,Subject_Sex,Subject_Age
            A,d/latin,2,20240101,01,from-bad-name,M,045Y
            B,d/utf8,1,20240101,02,患者-02,M,045Y
            C,d/jis,1,20240101,03,山田,M,045Y

            """)
    }

    func testSymlinkLoopIsDetected() throws {
        let t = try FixtureTree()
        try t.write("t.json", text: #"{"T1": ["t1"]}"#)
        try t.write("d/a/t1/1.dcm", dicomFile())
        try FileManager.default.createSymbolicLink(atPath: t.root.appendingPathComponent("d/a/t1/loop").path, withDestinationPath: "..")
        let plain = try runTool(["--templates", "t.json", "d"], cwd: t.path)
        XCTAssertEqual(plain.status, 0, plain.stderr)
        XCTAssertTrue(plain.stderr.contains("1 symlinked folder(s) not followed"), plain.stderr)
        let follow = try runTool(["--follow-symlinks", "--templates", "t.json", "d"], cwd: t.path)
        XCTAssertEqual(follow.status, 0, follow.stderr)
        XCTAssertTrue(follow.stderr.contains("loop"), follow.stderr)
        XCTAssertEqual(try t.read("d/modal_data.csv").split(separator: "\n").count, 2)
    }

    func testMissingAndUnwritableDirectoriesDoNotStopTheOthers() throws {
        let t = try FixtureTree()
        try t.write("t.json", text: #"{"T1": ["t1"]}"#)
        try t.write("good/t1/1.dcm", dicomFile())
        try t.write("unwritable/t1/1.dcm", dicomFile())
        try t.write("afile", text: "x")
        if getuid() == 0 {
            // root writes anywhere: make the output's name a folder instead, so it cannot be replaced.
            try t.mkdir("unwritable/modal_data.csv")
        } else {
            try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: t.root.appendingPathComponent("unwritable").path)
        }
        let r = try runTool(["--templates", "t.json", "missing", "unwritable", "afile", "good"], cwd: t.path)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("dicomcrawler: error: missing: no such directory"), r.stderr)
        XCTAssertTrue(r.stderr.contains("dicomcrawler: error: unwritable: cannot write unwritable/modal_data.csv"), r.stderr)
        XCTAssertTrue(r.stderr.contains("dicomcrawler: error: afile: not a directory"), r.stderr)
        XCTAssertTrue(try t.read("good/modal_data.csv").contains("T1,good/t1,1,"))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: t.root.appendingPathComponent("unwritable").path)
        XCTAssertFalse(leftovers.contains { $0.hasSuffix(".tmp") }, "\(leftovers)")
    }

    func testUnreadableFilesAreReportedAndTheRestIsWritten() throws {
        let t = try FixtureTree()
        try t.write("t.json", text: #"{"T1": ["t1"]}"#)
        let whole = dicomFile(date: "20240105")
        // The first file (by name) is cut inside its header: reported, counted, and the next one used.
        try t.write("d/t1/1.dcm", Array(whole.prefix(200)))
        try t.write("d/t1/2.dcm", whole)
        let r = try runTool(["--templates", "t.json", "d"], cwd: t.path)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("unreadable: d/t1/1.dcm: truncated at byte"), r.stderr)
        XCTAssertEqual(try t.read("d/modal_data.csv"), """
            Modality,Path,DCM_Count,Study Date,Acquisition Time,Subject_ID,Subject_Sex,Subject_Age
            T1,d/t1,2,20240105,101530,P1,M,045Y

            """)
    }

    func testEmptyDirectoryGetsAHeaderOnly() throws {
        let t = try FixtureTree()
        try t.write("t.json", text: #"{"T1": ["t1"]}"#)
        try t.mkdir("empty")
        let r = try runTool(["--quiet", "--templates", "t.json", "empty"], cwd: t.path)
        XCTAssertEqual(r.status, 0)
        XCTAssertEqual(try t.read("empty/modal_data.csv"), "Modality,Path,DCM_Count,Study Date,Acquisition Time,Subject_ID,Subject_Sex,Subject_Age\n")
    }

    /// Killed in the middle of writing the CSV: the old CSV stays whole; a new run writes the new one.
    func testKillDuringTheWriteLeavesTheOldCSV() throws {
        let t = try FixtureTree()
        try t.write("t.json", text: #"{"T1": ["t1"]}"#)
        for i in 0..<30 { try t.write("d/t1_\(i)/1.dcm", dicomFile()) }
        let old = "Modality,Path\nold,content\n"
        try t.write("d/modal_data.csv", text: old)
        let bin = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("dicomcrawler")
        let p = Process()
        p.executableURL = FileManager.default.fileExists(atPath: bin.path) ? bin : URL(fileURLWithPath: repoRoot() + "/.build/debug/dicomcrawler")
        p.arguments = ["--quiet", "--templates", "t.json", "d"]
        p.currentDirectoryURL = t.root
        p.environment = ["DICOMCRAWLER_TEST_PAUSE_IN_WRITE_MS": "5000"]
        try p.run()
        // Wait until the temporary file holds half of the new CSV, then kill -9.
        let dir = t.root.appendingPathComponent("d")
        var tmp: String?
        for _ in 0..<400 where tmp == nil {
            usleep(25_000)
            tmp = try FileManager.default.contentsOfDirectory(atPath: dir.path).first { $0.hasPrefix(".modal_data.csv.") && $0.hasSuffix(".tmp") }
            if let name = tmp, (try? Data(contentsOf: dir.appendingPathComponent(name)))?.isEmpty != false { tmp = nil }
        }
        XCTAssertNotNil(tmp, "the temporary file never appeared")
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationReason, .uncaughtSignal)
        XCTAssertEqual(try t.read("d/modal_data.csv"), old)
        let r = try runTool(["--quiet", "--templates", "t.json", "d"], cwd: t.path)
        XCTAssertEqual(r.status, 0)
        XCTAssertEqual(try t.read("d/modal_data.csv").split(separator: "\n").count, 31)
    }
}

final class ExampleCrawlTests: XCTestCase {
    /// The shipped templates match the shipped example tree (crawled in a copy, not in the repo).
    func testShippedTemplatesMatchTheExamples() throws {
        let t = try FixtureTree()
        try FileManager.default.copyItem(atPath: repoRoot() + "/examples", toPath: t.path + "/examples")
        try FileManager.default.copyItem(atPath: repoRoot() + "/templates", toPath: t.path + "/templates")
        let r = try runTool(["--templates", "templates/modal-templates.json", "examples/subj-01", "examples/subj-02", "examples/subj-03"], cwd: t.path)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try t.read("examples/subj-02/modal_data.csv"), """
            Modality,Path,DCM_Count,Study Date,Acquisition Time,Subject_ID,Subject_Sex,Subject_Age
            T1,examples/subj-02/t1_mprage_sag_p2_iso,3,20240116,141500,SUBJ-02,M,061Y
            T2F,examples/subj-02/t2_FLAIR_3D_sag,3,20240116,1420,SUBJ-02,M,061Y
            CT,examples/subj-02/CT_head,3,20240116,150000.000000,SUBJ-02,M,061Y

            """)
        XCTAssertTrue(try t.read("examples/subj-03/modal_data.csv").contains("T1,examples/subj-03/scans/t1_mprage_sag_p2_iso,3,20231231,235959.999999,SUBJ-03,M,045Y"))
        XCTAssertTrue(r.stderr.contains("examples/subj-02: 3 folders matched, 3 rows, 9 DICOM files, 1 other file skipped"), r.stderr)
    }
}
