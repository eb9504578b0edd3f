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

    // MARK: Trust

    func dcm(_ uid: String, name: String = "A", id: String = "1", desc: String = "S", number: String = "1", size: Int = 0) -> [UInt8] {
        var e: [Element] = [.string(.patientName, name), .string(.patientID, id), .string(.seriesDescription, desc), .string(.seriesNumber, number),
                            .string(.sopInstanceUID, uid)]
        if !name.allSatisfy(\.isASCII) { e.append(.string(.specificCharacterSet, "ISO_IR 192")) }
        if size > 0 { e.append(.bytes(.pixelData, .OW, [UInt8](repeating: UInt8(uid.utf8.count & 0xFF), count: size))) }
        return DICOMWriter().write(DataSet(e))
    }

    /// Runs a system tool; fails the test (and throws) with its message when it fails.
    @discardableResult
    func system(_ args: [String], cwd: String? = nil, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = args
        if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        let err = Pipe(), out = Pipe()
        p.standardError = err
        p.standardOutput = out
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        if p.terminationStatus != 0 {
            let message = "\(args.joined(separator: " ")) failed: \(String(decoding: e, as: UTF8.self))"
            XCTFail(message, file: file, line: line)
            throw NSError(domain: "system", code: Int(p.terminationStatus), userInfo: [NSLocalizedDescriptionKey: message])
        }
        return String(decoding: o, as: UTF8.self)
    }

    func mountTmpfs(_ path: String, size: String) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try system(["mount", "-t", "tmpfs", "-o", "size=\(size)", "tmpfs", path])
    }

    /// The manifest's rows (source, destination, action, uid), checked to be whole lines.
    func manifestRows(_ path: String, file: StaticString = #filePath, line: UInt = #line) throws -> [[String]] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertTrue(text.hasSuffix("\n"), "the manifest ends with a whole line", file: file, line: line)
        let csv = try parseCSV(text)
        XCTAssertEqual(csv.header, ["time", "source", "destination", "action", "sop_instance_uid"], file: file, line: line)
        for r in csv.rows { XCTAssertEqual(r.count, 5, "\(r)", file: file, line: line) }
        return csv.rows.map { Array($0.dropFirst()) }
    }

    func isSymlink(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0 && st.st_mode & S_IFMT == S_IFLNK
    }

    func inode(_ path: String) -> UInt64 {
        var st = stat()
        return stat(path, &st) == 0 ? UInt64(st.st_ino) : 0
    }

    /// Item 1: a source that is a symlink is sorted by what it points to, never as the link.
    func testSymlinkedSourcesAreSortedByTheirTarget() throws {
        for mode in ["--copy", "--move", "--link", "--symlink"] {
            let t = try FixtureTree()
            let rel = dcm("1.1", size: 100), abs = dcm("1.2", size: 200)
            try t.write("data/r.dcm", rel)
            try t.write("data/a.dcm", abs)
            try t.mkdir("src/sub")
            try FileManager.default.createSymbolicLink(atPath: t.path + "/src/sub/rel.dcm", withDestinationPath: "../../data/r.dcm")
            try FileManager.default.createSymbolicLink(atPath: t.path + "/src/abs.dcm", withDestinationPath: t.path + "/data/a.dcm")
            try FileManager.default.createSymbolicLink(atPath: t.path + "/src/gone.dcm", withDestinationPath: "../data/nothing.dcm")
            let r = try runTool(["sort", mode, "src", "--into", "dest"], cwd: t.path)
            XCTAssertEqual(r.status, 1, "\(mode): a dangling link is not sorted: \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("not sorted: src/gone.dcm: dangling symbolic link"), "\(mode): \(r.stderr)")
            let d = t.path + "/dest/A_1/S_0001/"
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: d + "rel.dcm")), Data(rel), mode)
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: d + "abs.dcm")), Data(abs), mode)
            let rows = try manifestRows(t.path + "/dest/sort_manifest.csv")
            XCTAssertTrue(rows.contains { $0[0] == "src/gone.dcm" && $0[2] == "failed" }, "\(rows)")
            switch mode {
            case "--symlink":
                // Absolute links to the targets themselves, not to the source links.
                XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: d + "rel.dcm"), URL(fileURLWithPath: t.path + "/data/r.dcm").resolvingSymlinksInPath().path)
                XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: d + "abs.dcm"), URL(fileURLWithPath: t.path + "/data/a.dcm").resolvingSymlinksInPath().path)
            case "--link":
                XCTAssertFalse(isSymlink(d + "rel.dcm"))
                XCTAssertEqual(inode(d + "rel.dcm"), inode(t.path + "/data/r.dcm"))
                XCTAssertEqual(inode(d + "abs.dcm"), inode(t.path + "/data/a.dcm"))
            case "--move":
                XCTAssertFalse(isSymlink(d + "rel.dcm"))
                XCTAssertFalse(isSymlink(d + "abs.dcm"))
                XCTAssertNotEqual(inode(d + "abs.dcm"), inode(t.path + "/data/a.dcm"), "a copy, not the target")
                XCTAssertFalse(isSymlink(t.path + "/src/sub/rel.dcm") || t.exists("src/sub/rel.dcm"), "the link is removed")
                XCTAssertFalse(isSymlink(t.path + "/src/abs.dcm"))
                XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: t.path + "/data/r.dcm")), Data(rel), "the target stays")
                XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: t.path + "/data/a.dcm")), Data(abs))
                XCTAssertTrue(isSymlink(t.path + "/src/gone.dcm"), "a dangling link stays")
                XCTAssertTrue(rows.contains { $0[0] == "src/abs.dcm" && $0[2] == "copied (symlink removed)" }, "\(rows)")
                XCTAssertFalse(rows.contains { $0[2].hasPrefix("moved") }, "\(rows)")
            default:
                XCTAssertFalse(isSymlink(d + "rel.dcm"))
                XCTAssertTrue(isSymlink(t.path + "/src/abs.dcm"))
            }
            // Run again: everything is there already.
            let again = try runTool(["sort", mode, "src", "--into", "dest"], cwd: t.path)
            XCTAssertEqual(again.status, 1)
            XCTAssertFalse(FileManager.default.fileExists(atPath: d + "rel_1.dcm"), "\(mode): \(again.stderr)")
        }
    }

    /// Item 2: --move from a source that cannot be removed copies, says so, and exits 1.
    func testMoveFromAReadOnlySourceKeepsItAndSaysSo() throws {
        let t = try FixtureTree()
        let ro = t.path + "/ro"
        try mountTmpfs(ro, size: "4m")
        defer { _ = try? system(["umount", ro]); _ = t }
        try t.write("ro/src/a.dcm", dcm("1.1"))
        try t.write("ro/src/b.dcm", dcm("1.2"))
        try system(["mount", "-o", "remount,ro", ro])
        let dry = try runTool(["sort", "--dry-run", "--move", "ro/src", "--into", "dest"], cwd: t.path)
        XCTAssertTrue(dry.stdout.contains("copy (source kept) ro/src/a.dcm -> dest/A_1/S_0001/a.dcm"), dry.stdout)
        let r = try runTool(["sort", "--move", "ro/src", "--into", "dest"], cwd: t.path)
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("move 0 files into dest, 0 already there, 2 sources could not be removed (2 copied, 0 already there; left in place)"), r.stderr)
        XCTAssertTrue(r.stderr.contains("source kept: ro/src/a.dcm: cannot remove the source: Read-only file system"), r.stderr)
        XCTAssertTrue(t.exists("ro/src/a.dcm") && t.exists("ro/src/b.dcm"))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: t.path + "/dest/A_1/S_0001/a.dcm")), Data(dcm("1.1")))
        let rows = try manifestRows(t.path + "/dest/sort_manifest.csv")
        XCTAssertEqual(rows.map { $0[2] }, ["copied (source kept)", "copied (source kept)"])
        let again = try runTool(["sort", "--move", "ro/src", "--into", "dest"], cwd: t.path)
        XCTAssertEqual(again.status, 1)
        XCTAssertEqual(try manifestRows(t.path + "/dest/sort_manifest.csv").suffix(2).map { $0[2] }, ["exists (source kept)", "exists (source kept)"])
    }

    /// Item 2, the other way a removal fails: the folder is writable (a sticky /tmp-like folder) but
    /// the file belongs to someone else: seen before placing (the sticky-folder rule), `copied (source kept)`.
    func testMoveWhoseRemovalFailsAfterPlacingSaysSourceKept() throws {
        let t = try FixtureTree()
        try t.write("src/a.dcm", dcm("1.1"))
        try t.mkdir("dest")
        try system(["chmod", "1777", t.path + "/src"])
        try system(["chmod", "0777", t.path + "/dest"])
        let bin = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("dicomcrawler")
        let tool = FileManager.default.fileExists(atPath: bin.path) ? bin.path : repoRoot() + "/.build/debug/dicomcrawler"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        p.arguments = ["--reuid=65534", "--regid=65534", "--clear-groups", tool, "sort", "--move", "src", "--into", "dest"]
        p.currentDirectoryURL = t.root
        let err = Pipe()
        p.standardError = err
        try p.run()
        let e = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 1, e)
        XCTAssertTrue(e.contains("source kept: src/a.dcm: cannot remove the source: Operation not permitted"), e)
        XCTAssertTrue(t.exists("src/a.dcm"))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: t.path + "/dest/A_1/S_0001/a.dcm")), Data(dcm("1.1")))
        XCTAssertEqual(try manifestRows(t.path + "/dest/sort_manifest.csv").map { $0[2] }, ["copied (source kept)"], "the sticky-folder rule is checked before placing")
    }

    /// Fills a tmpfs: a file as big as the free space, then frees `free` bytes of it.
    func fill(_ dir: String, leaving free: Int) {
        let path = dir + "/filler"
        let fd = open(path, O_WRONLY | O_CREAT, 0o644)
        let chunk = [UInt8](repeating: 1, count: 4096)
        var size = 0
        while true {
            let n = write(fd, chunk, chunk.count)
            if n <= 0 { break }
            size += n
        }
        XCTAssertEqual(ftruncate(fd, off_t(max(0, size - free))), 0)
        close(fd)
    }

    /// Item 3: a manifest that cannot be written stops the run; every file placed has its whole line.
    func testFullDiskManifestStopsTheRun() throws {
        let t = try FixtureTree()
        let m = t.path + "/m"
        try mountTmpfs(m, size: "2m")
        defer { _ = try? system(["umount", m]); _ = t }
        var contents: [String: Data] = [:]
        for i in 0..<150 {
            let name = String(format: "f%03d_with_a_rather_long_file_name.dcm", i)
            let data = dcm("1.2.826.0.1.3680043.\(i)")
            try t.write("m/src/" + name, data)
            contents[name] = Data(data)
        }
        // Nothing free: the manifest cannot even be started; nothing moves.
        fill(m, leaving: 0)
        let none = try runTool(["sort", "--move", "m/src", "--into", "m/dest"], cwd: t.path)
        XCTAssertEqual(none.status, 1, none.stderr)
        XCTAssertTrue(none.stderr.contains("cannot write m/dest/sort_manifest.csv: No space left on device"), none.stderr)
        XCTAssertEqual(snapshot(m + "/src").count, 150)
        try? FileManager.default.removeItem(atPath: m + "/dest")
        // One page free: moves within the file system need no space, the manifest does.
        try FileManager.default.removeItem(atPath: m + "/filler")
        fill(m, leaving: 4096)
        let r = try runTool(["sort", "--move", "--jobs", "2", "m/src", "--into", "m/dest"], cwd: t.path)
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("cannot write m/dest/sort_manifest.csv: No space left on device; stopped"), r.stderr)
        let rows = try manifestRows(m + "/dest/sort_manifest.csv")
        let placed = snapshot(m + "/dest").filter { $0.key.hasSuffix(".dcm") }
        XCTAssertGreaterThan(placed.count, 10)
        XCTAssertLessThan(placed.count, 150, "the run stopped")
        XCTAssertEqual(rows.count, placed.count, "one line per file placed, no more")
        for (rel, data) in placed {
            XCTAssertTrue(rows.contains { $0[1] == "m/dest/" + rel && $0[2] == "moved" }, rel)
            XCTAssertEqual(data, contents[String(rel.split(separator: "/").last!)])
        }
        let left = snapshot(m + "/src")
        XCTAssertEqual(left.count + placed.count, 150, "every file is at its source or its destination")
        for row in rows { XCTAssertNil(left[String(row[0].dropFirst("m/src/".count))], "a file recorded as moved is gone from the source") }
    }

    /// Item 4: the dry run prints what the real run then does, line for line.
    func testDryRunPredictsTheRealRun() throws {
        func dryLines(_ stdout: String) -> [String] {
            stdout.split(separator: "\n").map { line in
                var l = String(line)
                for (verb, past) in [("copy", "copied"), ("move", "moved"), ("link", "linked"), ("symlink", "symlinked")] where l.hasPrefix(verb + " ") || l.hasPrefix(verb + " (") {
                    l = past + l.dropFirst(verb.count)
                }
                return l
            }.sorted()
        }
        func realLines(_ rows: [[String]]) -> [String] {
            rows.filter { $0[2] != "failed" && $0[2] != "not-dicom" }.map { "\($0[2]) \($0[0]) -> \($0[1])" }.sorted()
        }
        for mode in ["--copy", "--link", "--move", "--symlink"] {
            for layout in 0..<4 {
                let t = try FixtureTree()
                try makeSource(t)
                var sources = ["src"]
                switch layout {
                case 1:
                    // The same files reached through hard links, and a source named twice.
                    try t.mkdir("src/h")
                    for i in 1...6 { try FileManager.default.linkItem(atPath: t.path + "/src/a/IM1.dcm", toPath: t.path + "/src/h/IM1_\(i).dcm") }
                    try FileManager.default.linkItem(atPath: t.path + "/src/a/IM2.dcm", toPath: t.path + "/src/h/IM1.dcm")
                    sources = ["src", "./src", "src/a"]
                case 2:
                    // An existing DEST holding some of the files and other files with their names.
                    _ = try runTool(["sort", "-q", "src/a", "--into", "dest"], cwd: t.path)
                    try t.write("dest/DOE^JOHN_Q_123/T1__MPRAGE__0003/IM1_1.dcm", text: "someone else's")
                    try FileManager.default.createSymbolicLink(atPath: t.path + "/dest/DOE^JOHN_Q_123/T1__MPRAGE__0003/IM1_2.dcm", withDestinationPath: "nowhere")
                case 3:
                    // Same names, different contents, identical copies.
                    for i in 0..<5 { try t.write("src/m\(i)/IM1.dcm", dcm("1.9.\(i % 2)", name: "Doe^John Q", id: "123", desc: "T1 <mprage>", number: "3")) }
                default: break
                }
                let dry = try runTool(["sort", "--dry-run", mode, "--jobs", "2"] + sources + ["--into", "dest"], cwd: t.path)
                let manifestBefore = (try? manifestRows(t.path + "/dest/sort_manifest.csv"))?.count ?? 0
                let real = try runTool(["sort", mode, "--jobs", "2"] + sources + ["--into", "dest"], cwd: t.path)
                XCTAssertEqual(dry.status, real.status, "\(mode) layout \(layout)")
                let rows = Array(try manifestRows(t.path + "/dest/sort_manifest.csv").dropFirst(manifestBefore))
                XCTAssertEqual(dryLines(dry.stdout), realLines(rows), "\(mode) layout \(layout)")
                XCTAssertFalse(real.stderr.contains("not sorted: src/a"), "\(mode) layout \(layout): \(real.stderr)")
            }
        }
    }

    /// Item 5: a killed run's temporary files are removed by the next run, whatever it sorts; a
    /// user's file named like one is sorted and never removed.
    func testTemporariesOfAKilledRunAreRemovedAndUserFilesNamedLikeThemAreNot() throws {
        let t = try FixtureTree()
        for i in 0..<3 { try t.write("src/IM\(i).dcm", dcm("1.\(i)", size: 100_000)) }
        let p = try startTool(["sort", "-q", "src", "--into", "dest"], cwd: t.path, environment: ["DICOMCRAWLER_TEST_PAUSE_IN_COPY_MS": "5000"])
        var temps: [String] = []
        for _ in 0..<400 where temps.isEmpty {
            usleep(25_000)
            temps = ((try? FileManager.default.contentsOfDirectory(atPath: t.path + "/dest/.dicomcrawler-tmp")) ?? []).filter { $0.hasSuffix(".tmp") }
        }
        XCTAssertFalse(temps.isEmpty, "the temporary file never appeared")
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        for temp in temps { XCTAssertTrue(temp.hasPrefix(".dicomcrawler-\(p.processIdentifier)-"), temp) }
        // A user's DICOM file with the name of a dead run's temporary file, sorted with --hidden.
        let user = ".dicomcrawler-\(p.processIdentifier)-0-abc.tmp"
        try t.write("user/" + user, dcm("7.7"))
        try t.mkdir("empty")
        let r = try runTool(["sort", "--hidden", "--move", "user", "--into", "dest"], cwd: t.path)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertFalse(t.exists("dest/.dicomcrawler-tmp"), "the killed run's temporary file and folder are gone")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: t.path + "/dest/A_1/S_0001/" + user)), Data(dcm("7.7")))
        // Later runs (with nothing new, and a new kill) leave the user's file alone.
        for _ in 0..<2 { XCTAssertEqual(try runTool(["sort", "-q", "--hidden", "empty", "--into", "dest"], cwd: t.path).status, 0) }
        XCTAssertEqual(try runTool(["sort", "-q", "--hidden", "--move", "dest", "--into", "dest"], cwd: t.path).status, 0)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: t.path + "/dest/A_1/S_0001/" + user)), Data(dcm("7.7")))
        // The killed run's files are complete after a re-run.
        XCTAssertEqual(try runTool(["sort", "-q", "src", "--into", "dest"], cwd: t.path).status, 0)
        XCTAssertEqual(snapshot(t.path + "/dest").filter { $0.key.hasSuffix(".tmp") }.keys.sorted(), ["A_1/S_0001/" + user])
    }

    /// Item 6: two patients whose names are cut stay two folders.
    func testLongNamesOfTwoPatientsStayTwoFolders() throws {
        let t = try FixtureTree()
        let name = String(repeating: "é", count: 140)  // 280 bytes
        try t.write("src/1.dcm", dcm("1.1", name: name, id: "PAT-1"))
        try t.write("src/2.dcm", dcm("1.2", name: name, id: "PAT-2"))
        XCTAssertEqual(try runTool(["sort", "-q", "src", "--into", "dest"], cwd: t.path).status, 0)
        let folders = try FileManager.default.contentsOfDirectory(atPath: t.path + "/dest").filter { $0 != "sort_manifest.csv" }.sorted()
        XCTAssertEqual(folders.count, 2, "\(folders)")
        for f in folders {
            XCTAssertLessThanOrEqual(f.utf8.count, 255)
            XCTAssertTrue(f.hasPrefix(String(repeating: "É", count: 100)), f)
        }
        XCTAssertTrue(folders[0].contains("_PAT-1~") && folders[1].contains("_PAT-2~"), "\(folders)")
        let again = try runTool(["sort", "src", "--into", "dest"], cwd: t.path)
        XCTAssertTrue(again.stderr.contains("copy 0 files into dest, 2 already there"), "deterministic: \(again.stderr)")
    }

    /// Item 7: the k-th file with one name does not cost k attempts.
    func testManyFilesWithOneNameCostOneAttemptEach() throws {
        let t = try FixtureTree()
        for i in 0..<800 { try t.write(String(format: "src/cd%03d/IM1.dcm", i), dcm("1.2.\(i)")) }
        let env = ["DICOMCRAWLER_TEST_SHOW_NAME_ATTEMPTS": "1"]
        func run(_ args: [String]) throws -> String {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("dicomcrawler")
            if !FileManager.default.fileExists(atPath: p.executableURL!.path) { p.executableURL = URL(fileURLWithPath: repoRoot() + "/.build/debug/dicomcrawler") }
            p.arguments = args
            p.currentDirectoryURL = t.root
            p.environment = env
            let err = Pipe()
            p.standardError = err
            try p.run()
            let e = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            XCTAssertEqual(p.terminationStatus, 0, e)
            return e
        }
        let first = try run(["sort", "--jobs", "2", "src", "--into", "dest"])
        // One attempt each, and one more for the second file (the first name is not remembered
        // until a second file wants it).
        XCTAssertTrue(first.contains("name attempts: 801\n"), first)
        let dest = snapshot(t.path + "/dest")
        let src = snapshot(t.path + "/src")
        XCTAssertEqual(dest.count, 801)
        for i in 0..<800 {
            XCTAssertEqual(dest["A_1/S_0001/" + (i == 0 ? "IM1.dcm" : "IM1_\(i).dcm")], src[String(format: "cd%03d/IM1.dcm", i)], "walk order")
        }
        // Run again: each file finds itself at the first name it looks at.
        let second = try run(["sort", "src", "--into", "dest"])
        XCTAssertTrue(second.contains("name attempts: 801\n") && second.contains("800 already there"), second)
    }

    /// Item 8: a value with a leading dot makes no hidden folder (later runs without --hidden see it).
    func testLeadingDotValuesMakeNoHiddenFolders() throws {
        let t = try FixtureTree()
        try t.write("src/1.dcm", dcm("1.1", name: ".hidden", id: "..", desc: ".", number: "1"))
        XCTAssertEqual(try runTool(["sort", "-q", "src", "--into", "dest"], cwd: t.path).status, 0)
        XCTAssertEqual(Set(try FileManager.default.contentsOfDirectory(atPath: t.path + "/dest")), ["_HIDDEN_..", "sort_manifest.csv"])
        XCTAssertTrue(t.exists("dest/_HIDDEN_../__0001/1.dcm"))
        let r = try runTool(["sort", "dest", "--into", "again"], cwd: t.path)
        XCTAssertTrue(r.stderr.contains("copy 1 file into again"), r.stderr)
    }

    /// Item 9: a source given twice, or inside another, is sorted once.
    func testTheSameSourceGivenTwiceIsSortedOnce() throws {
        for sources in [["s", "s"], ["s", "./s/"], ["s/a", "s"], ["s", "link"], ["s", "s/a/1.dcm"]] {
            let t = try FixtureTree()
            try t.write("s/a/1.dcm", dcm("1.1"))
            try t.write("s/b/2.dcm", dcm("1.2"))
            try FileManager.default.createSymbolicLink(atPath: t.path + "/link", withDestinationPath: "s")
            let r = try runTool(["sort", "--move"] + sources + ["--into", "dest"], cwd: t.path)
            XCTAssertEqual(r.status, 0, "\(sources): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("move 2 files into dest, 0 already there"), "\(sources): \(r.stderr)")
            XCTAssertEqual(try manifestRows(t.path + "/dest/sort_manifest.csv").count, 2, "\(sources)")
        }
        // A hidden folder inside a source given as a source of its own is not skipped.
        let t = try FixtureTree()
        try t.write("s/a/1.dcm", dcm("1.1"))
        try t.write("s/.h/2.dcm", dcm("1.2"))
        XCTAssertTrue(try runTool(["sort", "s", "s/.h", "--into", "dest"], cwd: t.path).stderr.contains("copy 2 files"))
    }

    /// A link given beside the file it names: the file is sorted once; --move removes the link
    /// afterwards (`exists (symlink removed)`), in either order. --copy after a --symlink preview
    /// copies the file beside the preview's link (a link in DEST is never the file).
    func testALinkBesideItsTargetAndALinkInDest() throws {
        for sources in [["src", "l1"], ["l1", "src/1.dcm"]] {
            let t = try FixtureTree()
            try t.write("src/1.dcm", dcm("1.1"))
            try FileManager.default.createSymbolicLink(atPath: t.path + "/l1", withDestinationPath: "src/1.dcm")
            let dry = try runTool(["sort", "--dry-run", "--move"] + sources + ["--into", "dest"], cwd: t.path)
            XCTAssertTrue(dry.stdout.contains("exists (symlink removed) l1 -> dest/A_1/S_0001/1.dcm"), "\(sources): \(dry.stdout)")
            let r = try runTool(["sort", "--move"] + sources + ["--into", "dest"], cwd: t.path)
            XCTAssertEqual(r.status, 0, "\(sources): \(r.stderr)")
            XCTAssertFalse(isSymlink(t.path + "/l1"), "\(sources)")
            XCTAssertFalse(t.exists("src/1.dcm"))
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: t.path + "/dest/A_1/S_0001/1.dcm")), Data(dcm("1.1")))
            XCTAssertEqual(try manifestRows(t.path + "/dest/sort_manifest.csv").map { $0[2] }.sorted(), ["exists (symlink removed)", "moved"], "\(sources)")
        }
        let t = try FixtureTree()
        try t.write("src/1.dcm", dcm("1.1"))
        XCTAssertEqual(try runTool(["sort", "-q", "--symlink", "src", "--into", "dest"], cwd: t.path).status, 0)
        XCTAssertEqual(try runTool(["sort", "-q", "src", "--into", "dest"], cwd: t.path).status, 0)
        XCTAssertTrue(isSymlink(t.path + "/dest/A_1/S_0001/1.dcm"))
        XCTAssertFalse(isSymlink(t.path + "/dest/A_1/S_0001/1_1.dcm"))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: t.path + "/dest/A_1/S_0001/1_1.dcm")), Data(dcm("1.1")))
    }

    /// Item 10: paths that are not UTF-8 are written escaped in the manifest, so they can be told apart.
    func testNonUTF8NamesAreEscapedInTheManifest() throws {
        let t = try FixtureTree()
        try t.mkdir("src")
        for (byte, uid) in [(UInt8(0xFF), "1.1"), (UInt8(0xFE), "1.2")] {
            let path = Array((t.path + "/src/").utf8) + [byte] + Array(".dcm".utf8) + [0]
            let data = dcm(uid)
            let fd = path.withUnsafeBufferPointer { $0.withMemoryRebound(to: CChar.self) { open($0.baseAddress!, O_WRONLY | O_CREAT, 0o644) } }
            XCTAssertEqual(write(fd, data, data.count), data.count)
            close(fd)
        }
        try t.write("src/back\\slash.dcm", dcm("1.3"))
        let r = try runTool(["sort", "src", "--into", "dest"], cwd: t.path)
        XCTAssertEqual(r.status, 0, r.stderr)
        let rows = try manifestRows(t.path + "/dest/sort_manifest.csv")
        XCTAssertEqual(Set(rows.map { "\($0[0]) \($0[1])" }), [
            "src/\\xFF.dcm dest/A_1/S_0001/\\xFF.dcm", "src/\\xFE.dcm dest/A_1/S_0001/\\xFE.dcm",
            "src/back\\\\slash.dcm dest/A_1/S_0001/back\\\\slash.dcm",
        ])
    }

    /// Item 11: binary fields and widths a name cannot hold are rejected before anything is done.
    func testPatternsWithBinaryFieldsOrHugeWidthsExitTwo() throws {
        let t = try FixtureTree()
        try t.write("src/1.dcm", dcm("1.1"))
        for (pattern, message) in [("{PixelData}", "{PixelData} is binary data or a sequence"), ("{SeriesNumber:0999999999}", "must be 1 to 255")] {
            let r = try runTool(["sort", "--pattern", pattern, "src", "--into", "dest"], cwd: t.path)
            XCTAssertEqual(r.status, 2, pattern)
            XCTAssertTrue(r.stderr.contains(message), r.stderr)
            XCTAssertFalse(t.exists("dest"))
        }
    }
}
