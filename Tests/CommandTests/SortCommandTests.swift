import DICOM
import DICOMTestSupport
import Foundation
import XCTest

/// Every regular file under a folder (relative path -> content), to compare trees before and after.
func snapshot(_ root: String) -> [String: Data] {
    var out: [String: Data] = [:]
    guard let e = FileManager.default.enumerator(atPath: root) else { return out }
    for case let rel as String in e {
        var isDir: ObjCBool = false
        let p = root + "/" + rel
        if FileManager.default.fileExists(atPath: p, isDirectory: &isDir), !isDir.boolValue, let d = FileManager.default.contents(atPath: p) {
            out[rel] = d
        }
    }
    return out
}

final class SortCommandTests: XCTestCase {
    func makeSource(_ t: FixtureTree) throws {
        func file(_ name: String, _ id: String, _ desc: String, _ number: String, _ uid: String, extra: [Element] = []) -> [UInt8] {
            DICOMWriter().write(DataSet([.string(.patientName, "Doe^John Q"), .string(.patientID, id), .string(.seriesDescription, desc),
                                         .string(.seriesNumber, number), .string(.sopInstanceUID, uid)] + extra))
        }
        try t.write("src/a/IM1.dcm", file("IM1", "123", "T1 <mprage>", "3", "1.1"))
        try t.write("src/a/IM2.dcm", file("IM2", "123", "T1 <mprage>", "3", "1.2"))
        try t.write("src/b/IM1.dcm", file("IM1", "123", "T1 <mprage>", "3", "1.3"))       // same name, other content
        try t.write("src/c/IM1.dcm", file("IM1", "123", "T1 <mprage>", "3", "1.1"))       // same name and content as a/IM1
        try t.write("src/d/x.dcm", DICOMWriter().write(DataSet([.string(.sopInstanceUID, "9.9")])))  // no patient or series tags
        try t.write("src/d/notes.txt", text: "not DICOM")
        try t.write("src/d/cut.dcm", Array(file("cut", "1", "s", "1", "2.2").prefix(150)))
        try t.write("src/e/evil.dcm", file("evil", "../../x", "a/b\u{1}", "", "3.3"))
    }

    func testSortLayoutCollisionsAndSecondRun() throws {
        let t = try FixtureTree()
        try makeSource(t)
        let before = snapshot(t.path + "/src")
        let r = try runTool(["sort", "src", "--into", "dest", "--jobs", "2"], cwd: t.path)
        XCTAssertEqual(r.status, 1, "an unreadable file makes the status 1: \(r.stderr)")
        XCTAssertTrue(r.stderr.contains("copy 5 files into dest, 1 already there, 1 renamed (a different file had the name), 1 not DICOM (left in place), 1 not sorted (left in place)"), r.stderr)
        XCTAssertTrue(r.stderr.contains("not sorted: src/d/cut.dcm: truncated"), r.stderr)
        XCTAssertTrue(r.stderr.contains("not DICOM: src/d/notes.txt"), r.stderr)
        let dest = snapshot(t.path + "/dest")
        let files = Set(dest.keys.filter { $0 != "sort_manifest.csv" })
        XCTAssertEqual(files, [
            "DOE^JOHN_Q_123/T1__MPRAGE__0003/IM1.dcm", "DOE^JOHN_Q_123/T1__MPRAGE__0003/IM2.dcm",
            "DOE^JOHN_Q_123/T1__MPRAGE__0003/IM1_1.dcm", "UNKNOWN_UNKNOWN/UNKNOWN_UNKNOWN/x.dcm",
            "DOE^JOHN_Q_.._.._x/A_B__UNKNOWN/evil.dcm",
        ])
        // Every DICOM source is in DEST exactly once by content; the sources are untouched.
        XCTAssertEqual(snapshot(t.path + "/src"), before)
        let destContents = files.map { dest[$0]! }
        for (rel, data) in before where rel.hasSuffix(".dcm") && rel != "d/cut.dcm" {
            XCTAssertEqual(destContents.filter { $0 == data }.count, 1, rel)
        }
        let manifest = try t.read("dest/sort_manifest.csv").split(separator: "\n")
        XCTAssertEqual(manifest.first, "time,source,destination,action,sop_instance_uid")
        XCTAssertEqual(manifest.count, 1 + 8)
        // The first in walk order keeps the name; a different file gets a suffix; an identical one is there.
        XCTAssertTrue(manifest.contains { $0.hasSuffix(",src/a/IM1.dcm,dest/DOE^JOHN_Q_123/T1__MPRAGE__0003/IM1.dcm,copied,1.1") }, "\(manifest)")
        XCTAssertTrue(manifest.contains { $0.hasSuffix(",src/b/IM1.dcm,dest/DOE^JOHN_Q_123/T1__MPRAGE__0003/IM1_1.dcm,copied (renamed),1.3") }, "\(manifest)")
        XCTAssertTrue(manifest.contains { $0.hasSuffix(",src/c/IM1.dcm,dest/DOE^JOHN_Q_123/T1__MPRAGE__0003/IM1.dcm,exists,1.1") }, "\(manifest)")

        // A second run changes nothing in DEST but the manifest.
        let again = try runTool(["sort", "src", "--into", "dest"], cwd: t.path)
        XCTAssertEqual(again.status, 1)
        XCTAssertTrue(again.stderr.contains("copy 0 files into dest, 6 already there"), again.stderr)
        var destAgain = snapshot(t.path + "/dest")
        XCTAssertEqual(try t.read("dest/sort_manifest.csv").split(separator: "\n").count, 1 + 16, "appended per run")
        destAgain["sort_manifest.csv"] = nil
        var destFirst = dest
        destFirst["sort_manifest.csv"] = nil
        XCTAssertEqual(destAgain, destFirst)
    }

    /// Which file keeps a name and which gets a suffix follows the walk order, whatever --jobs.
    func testCollisionsAreDeterministic() throws {
        let t = try FixtureTree()
        for i in 0..<24 {
            try t.write(String(format: "src/f%02d/IM1.dcm", i), DICOMWriter().write(DataSet([
                .string(.patientName, "A"), .string(.patientID, "1"), .string(.seriesDescription, "S"), .string(.seriesNumber, "1"),
                .string(.sopInstanceUID, "1.2.\(i)")])))
        }
        XCTAssertEqual(try runTool(["sort", "-q", "--jobs", "1", "src", "--into", "one"], cwd: t.path).status, 0)
        XCTAssertEqual(try runTool(["sort", "-q", "--jobs", "8", "src", "--into", "eight"], cwd: t.path).status, 0)
        var one = snapshot(t.path + "/one"), eight = snapshot(t.path + "/eight")
        one["sort_manifest.csv"] = nil
        eight["sort_manifest.csv"] = nil
        XCTAssertEqual(one.count, 24)
        XCTAssertEqual(one, eight)
        XCTAssertEqual(one["A_1/S_0001/IM1.dcm"], snapshot(t.path + "/src")["f00/IM1.dcm"])
        XCTAssertEqual(one["A_1/S_0001/IM1_23.dcm"], snapshot(t.path + "/src")["f23/IM1.dcm"])
    }

    func testDryRunChangesNothing() throws {
        let t = try FixtureTree()
        try makeSource(t)
        let before = snapshot(t.path)
        let r = try runTool(["sort", "--dry-run", "src", "--into", "dest"], cwd: t.path)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stdout.contains("copy src/a/IM2.dcm -> dest/DOE^JOHN_Q_123/T1__MPRAGE__0003/IM2.dcm"), r.stdout)
        XCTAssertTrue(r.stdout.contains("(renamed)"), r.stdout)
        XCTAssertEqual(snapshot(t.path), before)
        XCTAssertFalse(t.exists("dest"))
    }

    func testMoveLinkAndSymlink() throws {
        let t = try FixtureTree()
        try makeSource(t)
        let before = snapshot(t.path + "/src")
        // --link: same inodes.
        XCTAssertEqual(try runTool(["sort", "-q", "--link", "src", "--into", "linked"], cwd: t.path).status, 1)
        let a = try FileManager.default.attributesOfItem(atPath: t.path + "/src/a/IM2.dcm")[.systemFileNumber] as! UInt64
        let b = try FileManager.default.attributesOfItem(atPath: t.path + "/linked/DOE^JOHN_Q_123/T1__MPRAGE__0003/IM2.dcm")[.systemFileNumber] as! UInt64
        XCTAssertEqual(a, b)
        // --symlink: absolute links to the sources.
        XCTAssertEqual(try runTool(["sort", "-q", "--symlink", "src", "--into", "sym"], cwd: t.path).status, 1)
        let target = try FileManager.default.destinationOfSymbolicLink(atPath: t.path + "/sym/DOE^JOHN_Q_123/T1__MPRAGE__0003/IM2.dcm")
        XCTAssertEqual(URL(fileURLWithPath: target).resolvingSymlinksInPath().path, URL(fileURLWithPath: t.path + "/src/a/IM2.dcm").resolvingSymlinksInPath().path)
        XCTAssertEqual(try runTool(["sort", "-q", "--symlink", "src", "--into", "sym"], cwd: t.path).status, 1)
        XCTAssertFalse(FileManager.default.fileExists(atPath: t.path + "/sym/DOE^JOHN_Q_123/T1__MPRAGE__0003/IM2_1.dcm"), "a second symlink run adds nothing")
        // --move within a file system: sources gone (but the unsortable ones), contents in DEST.
        let m = try runTool(["sort", "--move", "src", "--into", "moved"], cwd: t.path)
        XCTAssertEqual(m.status, 1)
        let left = Set(snapshot(t.path + "/src").keys)
        XCTAssertEqual(left, ["d/notes.txt", "d/cut.dcm"], "duplicates of files already in DEST are removed from the source too")
        let moved = snapshot(t.path + "/moved")
        for (rel, data) in before where rel.hasSuffix(".dcm") && rel != "d/cut.dcm" {
            XCTAssertTrue(moved.values.contains(data), rel)
        }
        XCTAssertEqual(moved.keys.filter { $0.hasSuffix(".dcm") }.count, 5)
        XCTAssertTrue(m.stderr.contains("move 5 files into moved, 1 already there"), m.stderr)
    }

    /// A move killed after linking the destination and before removing the source: the next run
    /// removes the source (the file is already in place), and never a file sorted onto itself.
    func testMoveKilledBetweenLinkAndUnlink() throws {
        let t = try FixtureTree()
        try makeSource(t)
        try t.mkdir("dest/DOE^JOHN_Q_123/T1__MPRAGE__0003")
        try FileManager.default.linkItem(atPath: t.path + "/src/a/IM2.dcm", toPath: t.path + "/dest/DOE^JOHN_Q_123/T1__MPRAGE__0003/IM2.dcm")
        let content = try Data(contentsOf: URL(fileURLWithPath: t.path + "/src/a/IM2.dcm"))
        _ = try runTool(["sort", "-q", "--move", "src", "--into", "dest"], cwd: t.path)
        XCTAssertFalse(t.exists("src/a/IM2.dcm"))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: t.path + "/dest/DOE^JOHN_Q_123/T1__MPRAGE__0003/IM2.dcm")), content)
        XCTAssertFalse(t.exists("dest/DOE^JOHN_Q_123/T1__MPRAGE__0003/IM2_1.dcm"))
        // Sorting DEST into itself moves nothing and removes nothing.
        let before = snapshot(t.path + "/dest").filter { !$0.key.hasSuffix(".csv") }
        _ = try runTool(["sort", "-q", "--move", "dest", "--into", "dest"], cwd: t.path)
        XCTAssertEqual(snapshot(t.path + "/dest").filter { !$0.key.hasSuffix(".csv") }, before)
    }

    func testDestinationInsideTheSourceIsNotSortedAgain() throws {
        let t = try FixtureTree()
        try makeSource(t)
        let r = try runTool(["sort", "-q", "src", "--into", "src/sorted"], cwd: t.path)
        XCTAssertEqual(r.status, 1)
        let again = try runTool(["sort", "src", "--into", "src/sorted"], cwd: t.path)
        XCTAssertTrue(again.stderr.contains("copy 0 files into src/sorted, 6 already there"), again.stderr)
    }

    /// Killed during a sort, then run again: no file lost or duplicated.
    func testKillDuringSortThenRerun() throws {
        let t = try FixtureTree()
        for s in 0..<4 {
            for i in 0..<60 {
                try t.write(String(format: "src/s%d/IM%03d.dcm", s, i), DICOMWriter().write(DataSet([
                    .string(.patientName, "P\(s)"), .string(.patientID, "ID\(s)"), .string(.seriesDescription, "S\(i % 3)"),
                    .string(.seriesNumber, String(i % 3)), .string(.sopInstanceUID, "1.2.\(s).\(i)"),
                    .bytes(.pixelData, .OW, [UInt8](repeating: UInt8(i), count: 20_000)),
                ])))
            }
        }
        let sources = snapshot(t.path + "/src")
        for (mode, delay) in [("--copy", 30_000), ("--copy", 120_000), ("--move", 30_000), ("--move", 60_000), ("--move", 120_000)] as [(String, UInt32)] {
            let work = t.path + "/work"
            try? FileManager.default.removeItem(atPath: work)
            try FileManager.default.copyItem(atPath: t.path + "/src", toPath: work)
            try? FileManager.default.removeItem(atPath: t.path + "/dest")
            let p = try startTool(["sort", "-q", "--jobs", "2", mode, "work", "--into", "dest"], cwd: t.path)
            usleep(delay)
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            // Every file is at its source or its destination, complete.
            let mid = snapshot(work).values.map { $0 } + snapshot(t.path + "/dest").filter { !$0.key.hasSuffix(".csv") && !$0.key.hasSuffix(".tmp") }.values
            for data in sources.values { XCTAssertTrue(mid.contains(data), "\(mode) after a kill at \(delay) µs: a file is missing") }
            let r = try runTool(["sort", "-q", "--jobs", "2", mode, "work", "--into", "dest"], cwd: t.path)
            XCTAssertEqual(r.status, 0, r.stderr)
            let dest = snapshot(t.path + "/dest").filter { $0.key.hasSuffix(".dcm") }
            XCTAssertEqual(dest.count, sources.count, "\(mode) \(delay): one copy of each file")
            XCTAssertEqual(Set(dest.values), Set(sources.values))
            XCTAssertFalse(snapshot(t.path + "/dest").keys.contains { $0.hasSuffix(".tmp") }, "temporary files of the killed run are cleaned up")
            if mode == "--move" { XCTAssertTrue(snapshot(work).isEmpty, "moved sources are gone") } else { XCTAssertEqual(snapshot(work), sources) }
        }
    }
}
