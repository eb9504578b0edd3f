import DICOM
import DICOMTestSupport
import Foundation
import XCTest

/// Runs the built binary as the unprivileged user `nobody` (root reads every folder, so a folder
/// that cannot be listed needs another user).
func runToolAsNobody(_ args: [String], cwd: String) throws -> (status: Int32, stdout: String, stderr: String) {
    if getuid() != 0 { return try runTool(args, cwd: cwd) }
    return try runProcess("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", toolPath()] + args, cwd: cwd)
}

final class CrawlTrustTests: XCTestCase {
    func testTheSameDirectoryGivenTwiceIsCrawledOnce() throws {
        let t = try FixtureTree()
        try t.write("t.json", text: #"{"T1": ["t1"]}"#)
        try t.write("d/t1/1.dcm", dicomFile())
        let once = try runTool(["--templates", "t.json", "d"], cwd: t.path)
        XCTAssertEqual(once.status, 0, once.stderr)
        let expected = try t.read("d/modal_data.csv")
        for args in [["d", "d"], ["d", "./d/"], ["./d", "d", "d"]] {
            let r = try runTool(["--templates", "t.json"] + args, cwd: t.path)
            XCTAssertEqual(r.status, 0, "\(args): \(r.stderr)")
            XCTAssertFalse(r.stderr.contains("error"), r.stderr)
            XCTAssertTrue(r.stderr.contains("the same folder as \(args[0]), given before: crawled once"), r.stderr)
            XCTAssertEqual(try t.read("d/modal_data.csv"), expected.replacingOccurrences(of: "d/t1", with: trimmed(args[0]) + "/t1"), "\(args)")
        }
    }

    /// Two folders whose names differ only in bytes that are not UTF-8, given through symlinks, are
    /// two folders (their real paths are compared as bytes).
    func testFoldersWhoseNamesAreNotUTF8AreNotTakenForOne() throws {
        let t = try FixtureTree()
        try t.write("t.json", text: #"{"T1": ["t1"]}"#)
        for (byte, id) in [(UInt8(0xFC), "FC"), (UInt8(0xFD), "FD")] {
            t.mkdirRaw([byte])
            t.mkdirRaw([byte] + Array("/t1".utf8))
            t.writeRaw([byte] + Array("/t1/1.dcm".utf8), dicomFile(id: id))
            t.symlinkRaw(Array("link-\(id)".utf8), to: [byte])
        }
        let r = try runTool(["--templates", "t.json", "link-FC", "link-FD"], cwd: t.path)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertFalse(r.stderr.contains("the same folder"), r.stderr)
        XCTAssertTrue(try t.read("link-FC/modal_data.csv").contains(",FC,"))
        XCTAssertTrue(try t.read("link-FD/modal_data.csv").contains(",FD,"))
        let tags = try runTool(["tags", "-q", "link-FC", "link-FD", "-o", "t.csv"], cwd: t.path)
        XCTAssertEqual(tags.status, 0, tags.stderr)
        XCTAssertEqual(try parseCSV(try t.read("t.csv")).rows.map { $0[0] }, ["link-FC/t1/1.dcm", "link-FD/t1/1.dcm"])
    }

    func trimmed(_ dir: String) -> String { dir.hasSuffix("/") ? String(dir.dropLast()) : dir }

    /// A re-run that finds exactly the table it would write keeps the file (same inode, same
    /// modification time, "(unchanged)" in the summary); any difference, a hand-edited copy of the
    /// same length, a symlink or a FIFO planted at the table's name, gets the table written anew.
    func testAnUnchangedTableIsKeptAndAnyOtherFileReplaced() throws {
        let t = try FixtureTree()
        try t.write("t.json", text: #"{"T1": ["t1"]}"#)
        try t.write("d/t1_a/1.dcm", dicomFile(id: "A"))
        try t.write("d/t1_b/1.dcm", dicomFile(id: "B"))
        let fm = FileManager.default
        func inode() throws -> UInt64 { (try fm.attributesOfItem(atPath: t.path + "/d/modal_data.csv")[.systemFileNumber] as! NSNumber).uint64Value }
        let first = try runTool(["--templates", "t.json", "d"], cwd: t.path)
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertFalse(first.stderr.contains("(unchanged)"), first.stderr)
        let table = try t.read("d/modal_data.csv")
        let firstInode = try inode()
        try fm.setAttributes([.modificationDate: Date(timeIntervalSince1970: 1_000_000)], ofItemAtPath: t.path + "/d/modal_data.csv")

        let again = try runTool(["--templates", "t.json", "d"], cwd: t.path)
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stderr.contains("-> d/modal_data.csv (unchanged)"), again.stderr)
        XCTAssertEqual(try inode(), firstInode)
        XCTAssertEqual((try fm.attributesOfItem(atPath: t.path + "/d/modal_data.csv")[.modificationDate] as! Date).timeIntervalSince1970, 1_000_000)
        XCTAssertEqual(try t.read("d/modal_data.csv"), table)

        // The same length, one byte changed: written anew.
        try t.write("d/modal_data.csv", text: table.replacingOccurrences(of: ",A,", with: ",X,"))
        let edited = try runTool(["--templates", "t.json", "d"], cwd: t.path)
        XCTAssertEqual(edited.status, 0, edited.stderr)
        XCTAssertFalse(edited.stderr.contains("(unchanged)"), edited.stderr)
        XCTAssertEqual(try t.read("d/modal_data.csv"), table)

        // A new folder: a different table.
        try t.write("d/t1_c/1.dcm", dicomFile(id: "C"))
        let grown = try runTool(["--templates", "t.json", "d"], cwd: t.path)
        XCTAssertFalse(grown.stderr.contains("(unchanged)"), grown.stderr)
        XCTAssertTrue(try t.read("d/modal_data.csv").contains(",C,"))
        let grownTable = try t.read("d/modal_data.csv")

        // A symlink to a file holding the very same bytes is not kept: the table replaces the link
        // and the file it pointed to is left alone.
        try t.write("elsewhere.csv", text: grownTable)
        try fm.removeItem(atPath: t.path + "/d/modal_data.csv")
        try fm.createSymbolicLink(atPath: t.path + "/d/modal_data.csv", withDestinationPath: "../elsewhere.csv")
        let linked = try runTool(["--templates", "t.json", "d"], cwd: t.path)
        XCTAssertEqual(linked.status, 0, linked.stderr)
        XCTAssertFalse(linked.stderr.contains("(unchanged)"), linked.stderr)
        XCTAssertEqual((try fm.attributesOfItem(atPath: t.path + "/d/modal_data.csv")[.type] as! FileAttributeType), .typeRegular)
        XCTAssertEqual(try t.read("d/modal_data.csv"), grownTable)

        // A FIFO at the table's name: neither read (it would block) nor kept.
        try fm.removeItem(atPath: t.path + "/d/modal_data.csv")
        XCTAssertEqual(mkfifo(t.path + "/d/modal_data.csv", 0o644), 0)
        let fifo = try runTool(["--templates", "t.json", "d"], cwd: t.path, timeout: 60)
        XCTAssertFalse(fifo.timedOut)
        XCTAssertEqual(fifo.status, 0, fifo.stderr)
        XCTAssertEqual(try t.read("d/modal_data.csv"), grownTable)
    }

    func testAFolderThatCannotBeListedIsReportedOnce() throws {
        let t = try FixtureTree()
        try t.write("t.json", text: #"{"T1": ["t1"]}"#)
        try t.write("d/t1_ok/1.dcm", dicomFile())
        try t.write("d/t1_closed/1.dcm", dicomFile())
        for dir in ["", "d"] { try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: t.path + "/" + dir) }
        try FileManager.default.setAttributes([.posixPermissions: 0o000], ofItemAtPath: t.path + "/d/t1_closed")
        defer { try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: t.path + "/d/t1_closed") }
        let r = try runToolAsNobody(["--templates", "t.json", "d"], cwd: t.path)
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertEqual(r.stderr.components(separatedBy: "cannot list the folder").count - 1, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("problem: d/t1_closed: cannot list the folder: Permission denied"), r.stderr)
        XCTAssertTrue(try t.read("d/modal_data.csv").contains("T1,d/t1_ok,1,"))
    }

    func testFoldersThatMatchAPathButNotTheValuesAreCountedSo() throws {
        let t = try FixtureTree()
        try t.write("t.json", text: #"{"CT": {"path": ["series"], "Modality": ["CT"]}}"#)
        for s in ["series1", "series2", "series3"] { try t.write("d/\(s)/1.dcm", dicomFile(modality: "MR")) }
        try t.write("d/series4/1.dcm", dicomFile(modality: "CT"))
        let r = try runTool(["--templates", "t.json", "d"], cwd: t.path)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("d: 1 folder matched, 1 row,"), r.stderr)
        XCTAssertTrue(r.stderr.contains("3 folders matched a label's path but not its DICOM values: no row"), r.stderr)
    }

    func testAFolderWithOnlyDamagedFilesTakesTheValuesReadBeforeTheDamage() throws {
        let t = try FixtureTree()
        try t.write("t.json", text: #"{"T1": ["t1"]}"#)
        let whole = dicomFile(date: "20240107", id: "DAMAGED-1", age: "071Y")
        // Both cut inside the value of Patient's Age (0010,1010): what comes before it is read.
        let age = Array("071Y".utf8)
        let at = (0...(whole.count - age.count)).first { Array(whole[$0..<($0 + age.count)]) == age }!
        try t.write("d/t1/1.dcm", Array(whole.prefix(at + 2)))
        try t.write("d/t1/2.dcm", Array(whole.prefix(at + 1)))
        let r = try runTool(["--templates", "t.json", "d"], cwd: t.path)
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertEqual(try t.read("d/modal_data.csv"), """
            Modality,Path,DCM_Count,Study Date,Acquisition Time,Subject_ID,Subject_Sex,Subject_Age
            T1,d/t1,2,20240107,101530,DAMAGED-1,M,

            """)
        XCTAssertTrue(r.stderr.contains("values from a damaged file: d/t1/1.dcm (no DICOM file of d/t1 could be read whole)"), r.stderr)
        XCTAssertTrue(r.stderr.contains("unreadable: d/t1/2.dcm: truncated"), r.stderr)
    }

    func testATemplateFileThatIsAFIFOIsRefusedAtOnce() throws {
        let t = try FixtureTree()
        try t.mkdir("d")
        XCTAssertEqual(mkfifo(t.path + "/t.json", 0o644), 0)
        let r = try runTool(["--templates", "t.json", "d"], cwd: t.path, timeout: 5)
        XCTAssertFalse(r.timedOut, "it must not wait for a writer")
        XCTAssertEqual(r.status, 2)
        XCTAssertFalse(t.exists("d/modal_data.csv"))
    }
}

final class ExcelSafeTests: XCTestCase {
    /// Values that a spreadsheet would run as formulas are data and stay as they are; --excel-safe
    /// prefixes them with ' in the crawl's and the tags' CSV.
    func testFormulaLikeValuesAreKeptOrPrefixed() throws {
        let t = try FixtureTree()
        try t.write("t.json", text: #"{"T1": ["t1"]}"#)
        try t.write("d/t1/1.dcm", dicomFile(id: "=HYPERLINK(\"x\")", description: "@SUM(A1)",
                                            raw: [.string(Tag(0x0018_0050), "-1.5"), .string(Tag(0x0010_2000), "+risk")]))
        let raw = try runTool(["-q", "--templates", "t.json", "--tags", "SeriesDescription,SliceThickness", "d"], cwd: t.path)
        XCTAssertEqual(raw.status, 0, raw.stderr)
        XCTAssertEqual(try t.read("d/modal_data.csv"), """
            Modality,Path,DCM_Count,Study Date,Acquisition Time,Subject_ID,Subject_Sex,Subject_Age,Series Description,Slice Thickness
            T1,d/t1,1,20240101,101530,"=HYPERLINK(""x"")",M,045Y,@SUM(A1),-1.5

            """)
        let safe = try runTool(["-q", "--excel-safe", "--templates", "t.json", "--tags", "SeriesDescription,SliceThickness", "d"], cwd: t.path)
        XCTAssertEqual(safe.status, 0, safe.stderr)
        XCTAssertEqual(try t.read("d/modal_data.csv"), """
            Modality,Path,DCM_Count,Study Date,Acquisition Time,Subject_ID,Subject_Sex,Subject_Age,Series Description,Slice Thickness
            T1,d/t1,1,20240101,101530,"'=HYPERLINK(""x"")",M,045Y,'@SUM(A1),'-1.5

            """)
        XCTAssertEqual(try runTool(["tags", "-q", "d", "-o", "raw.csv"], cwd: t.path).status, 0)
        XCTAssertEqual(try runTool(["tags", "-q", "--excel-safe", "d", "-o", "safe.csv"], cwd: t.path).status, 0)
        let rawTable = try parseCSV(try t.read("raw.csv")), safeTable = try parseCSV(try t.read("safe.csv"))
        XCTAssertEqual(rawTable.header, safeTable.header)
        for (name, value) in [("Patient ID (0010,0020)", "=HYPERLINK(\"x\")"), ("Medical Alerts (0010,2000)", "+risk"),
                              ("Slice Thickness (0018,0050)", "-1.5"), ("Series Description (0008,103E)", "@SUM(A1)"),
                              ("Modality (0008,0060)", "MR")] {
            let i = rawTable.header.firstIndex(of: name)!
            XCTAssertEqual(rawTable.rows[0][i], value, name)
            XCTAssertEqual(safeTable.rows[0][i], value.first.map { "=+-@".contains($0) } == true ? "'" + value : value, name)
        }
    }
}
