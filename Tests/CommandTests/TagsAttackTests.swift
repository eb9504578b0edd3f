import DICOM
import DICOMTestSupport
import Foundation
import XCTest

/// Findings of an attack on the "Trust" fixes: each test states what the README promises and fails
/// while the product breaks that promise. Ordered by severity (data loss first).


/// Runs a shell command line (for redirections) with `$TOOL` set to the binary.
func runShell(_ script: String, cwd: String) throws -> Int32 {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/sh")
    p.arguments = ["-c", script]
    p.currentDirectoryURL = URL(fileURLWithPath: cwd)
    p.environment = ["TOOL": toolPath(), "PATH": "/usr/bin:/bin"]
    p.standardError = FileHandle.nullDevice
    try p.run()
    p.waitUntilExit()
    return p.terminationStatus
}

/// Starts `tags` (optionally as nobody), commits after every batch of 4 (each commit slowed by the
/// test hook), and kills it with SIGKILL once its state says at least `files` files are done.
func killTagsRun(_ args: [String], cwd: String, state: String, files: Int, asNobody: Bool = false) throws {
    let p = Process()
    if asNobody && getuid() == 0 {
        p.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        p.arguments = ["--reuid=65534", "--regid=65534", "--clear-groups", toolPath()] + args
    } else {
        p.executableURL = URL(fileURLWithPath: toolPath())
        p.arguments = args
    }
    p.currentDirectoryURL = URL(fileURLWithPath: cwd)
    p.environment = ["DICOMCRAWLER_TEST_PAUSE_IN_WRITE_MS": "30"]
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    try p.run()
    var done = 0
    for _ in 0..<1000 where done < files {
        usleep(10_000)
        let text = (try? String(contentsOfFile: cwd + "/" + state, encoding: .utf8)) ?? ""
        done = text.split(separator: "\n").first { $0.hasPrefix("files ") }.flatMap { Int($0.dropFirst(6)) } ?? 0
    }
    kill(p.processIdentifier, SIGKILL)
    p.waitUntilExit()
    XCTAssertEqual(p.terminationReason, .uncaughtSignal, "the run was killed, not finished")
}

final class TagsAttackTests: XCTestCase {
    /// README (tags, Where the table goes / Scale and safety): `OUTPUT.progress/` holds the spill and the
    /// state; "a refused start leaves nothing behind". A folder of the user's that happens to be named
    /// `OUTPUT.progress` is used as the progress folder and every file in it is deleted at the end
    /// (exit 0).
    func testAFolderNamedLikeTheProgressFolderIsNotEmptied() throws {
        let t = try FixtureTree()
        try t.write("d/IM1.dcm", dicomFile())
        try t.write("out.csv.progress/IM_precious.dcm", dicomFile(id: "PRECIOUS"))
        let r = try runTool(["tags", "-q", "d", "-o", "out.csv"], cwd: t.path)
        XCTAssertTrue(t.exists("out.csv.progress/IM_precious.dcm"), "exit \(r.status): the user's file in out.csv.progress/ was deleted")
    }

    /// The same through a symbolic link: `OUTPUT.progress` → a folder of DICOM files. The run writes
    /// its spill into that folder, does not read it (it is excluded as the progress folder) and at the
    /// end deletes every file in the link's target.
    func testAProgressPathThatIsASymlinkDoesNotDeleteItsTarget() throws {
        let t = try FixtureTree()
        try t.write("d/IM1.dcm", dicomFile())
        try t.write("keep/IM1.dcm", dicomFile(id: "KEEP1"))
        try t.write("keep/IM2.dcm", dicomFile(id: "KEEP2"))
        try FileManager.default.createSymbolicLink(atPath: t.path + "/out.csv.progress", withDestinationPath: "keep")
        let r = try runTool(["tags", "-q", "d", "-o", "out.csv"], cwd: t.path)
        XCTAssertTrue(t.exists("keep/IM1.dcm") && t.exists("keep/IM2.dcm"),
                      "exit \(r.status): the files of keep/ (target of out.csv.progress) were deleted")
    }

    /// README (tags): "an existing file inside one of the DIRs being read is replaced only if it is a
    /// table this command writes ... any other file there is an input and is refused (exit 2)". With
    /// --follow-symlinks, a file reached through a symlinked folder is an input too, but the check
    /// compares canonical paths and lets `-o` replace it (exit 0).
    func testAnInputReachedThroughAFollowedSymlinkIsNotReplaced() throws {
        let t = try FixtureTree()
        try t.write("other/IM1.dcm", dicomFile(id: "INPUT1"))
        try t.write("other/IM2.dcm", dicomFile(id: "INPUT2"))
        try t.mkdir("tree")
        try FileManager.default.createSymbolicLink(atPath: t.path + "/tree/linked", withDestinationPath: "../other")
        let before1 = try Data(contentsOf: t.root.appendingPathComponent("other/IM1.dcm"))
        let before2 = try Data(contentsOf: t.root.appendingPathComponent("other/IM2.dcm"))
        let r1 = try runTool(["tags", "-q", "--follow-symlinks", "tree", "-o", "other/IM1.dcm"], cwd: t.path)
        let r2 = try runTool(["tags", "-q", "--follow-symlinks", "tree", "-o", "tree/linked/IM2.dcm"], cwd: t.path)
        XCTAssertEqual(r1.status, 2, "other/IM1.dcm is an input (tree/linked/IM1.dcm)")
        XCTAssertEqual(r2.status, 2, "tree/linked/IM2.dcm is an input")
        XCTAssertEqual(try Data(contentsOf: t.root.appendingPathComponent("other/IM1.dcm")), before1, "input replaced by a table")
        XCTAssertEqual(try Data(contentsOf: t.root.appendingPathComponent("other/IM2.dcm")), before2, "input replaced by a table")
    }

    /// README (tags): "`-o -`, a character device or a FIFO (also through a symlink, like
    /// `/dev/stdout`) is written through, with no temporary file, no side files". When standard output
    /// is a file opened for appending (`>> log`), `/dev/stdout` resolves to that regular file, which is
    /// then replaced by rename: the log's earlier content is lost, and the side file is created as
    /// `/dev/stdout.unreadable.csv` in /dev.
    func testDevStdoutAppendedToAFileKeepsWhatWasThere() throws {
        let t = try FixtureTree()
        try t.write("d/IM1.dcm", dicomFile())
        try t.write("log.txt", text: "EARLIER LINE\n")
        let stray = "/dev/stdout.unreadable.csv"
        let existed = FileManager.default.fileExists(atPath: stray)
        let status = try runShell("\"$TOOL\" tags -q d -o /dev/stdout >> log.txt", cwd: t.path)
        let leftInDev = !existed && FileManager.default.fileExists(atPath: stray)
        if leftInDev { try? FileManager.default.removeItem(atPath: stray) }
        let log = try t.read("log.txt")
        XCTAssertEqual(status, 0)
        XCTAssertTrue(log.hasPrefix("EARLIER LINE\n"), "the appended-to file was replaced: \(log.prefix(60))")
        XCTAssertTrue(log.contains("d/IM1.dcm"))
        XCTAssertFalse(leftInDev, "a side file was written to \(stray)")
    }


    /// README (tags --resume): "if any file the killed run had done was since ... rewritten, --resume
    /// refuses (exit 2)". The stamp is size, mtime and inode, not ctime: a same-size rewrite in place
    /// whose mtime is put back (`cp -p`, `touch -r`, rsync --inplace -t) is resumed with the old
    /// values, exit 0.
    func testResumeNoticesASameSizeRewriteWithItsTimeRestored() throws {
        let t = try FixtureTree()
        for i in 0..<200 { try t.write(String(format: "big/IM%03d.dcm", i), dicomFile(id: String(format: "PAT%04d", i))) }
        let args = ["tags", "-q", "--jobs", "1", "--batch-size", "4", "--commit-interval", "0", "big", "-o", "all.csv"]
        try killTagsRun(args, cwd: t.path, state: "all.csv.progress/state", files: 12)
        // Rewrite IM000.dcm in place, same size, then restore its modification time to the nanosecond.
        let path = t.path + "/big/IM000.dcm"
        var st = stat()
        XCTAssertEqual(stat(path, &st), 0)
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let needle = Array("PAT0000".utf8)
        let at = (0...(bytes.count - needle.count)).first { Array(bytes[$0..<($0 + needle.count)]) == needle }!
        bytes.replaceSubrange(at..<(at + needle.count), with: Array("EVIL000".utf8))
        let fd = open(path, O_WRONLY)
        XCTAssertEqual(pwrite(fd, bytes, bytes.count, 0), bytes.count)
        close(fd)
        var times = [st.st_atim, st.st_mtim]
        XCTAssertEqual(utimensat(AT_FDCWD, path, &times, 0), 0)
        let r = try runTool(args + ["--resume"], cwd: t.path)
        if r.status == 0 {
            XCTAssertTrue(try t.read("all.csv").contains("EVIL000"), "resumed with exit 0, but the table holds IM000.dcm's old Patient ID")
        } else {
            XCTAssertEqual(r.status, 2, r.stderr)
        }
    }

    /// README (tags --resume): the resumed run "finishes with a file byte-identical to an
    /// uninterrupted run on the tree as it is when the resumed run starts". A file that could not be
    /// opened (permissions) in the killed run and was made readable since keeps its
    /// "Permission denied" entry and gets no row (chmod changes no size, mtime or inode).
    func testResumeAfterAPermissionFixMatchesAFreshRun() throws {
        guard getuid() == 0 else { throw XCTSkip("needs root to run as another user") }
        let t = try FixtureTree()
        for i in 0..<200 { try t.write(String(format: "big/IM%03d.dcm", i), dicomFile(id: String(format: "PAT%04d", i))) }
        _ = try runShell("chmod -R a+rwX . && chmod 000 big/IM001.dcm", cwd: t.path)
        let args = ["tags", "-q", "--jobs", "1", "--batch-size", "4", "--commit-interval", "0", "big", "-o", "all.csv"]
        try killTagsRun(args, cwd: t.path, state: "all.csv.progress/state", files: 12, asNobody: true)
        XCTAssertEqual(chmod(t.path + "/big/IM001.dcm", 0o644), 0)
        let resumed = try runToolAsNobody(args + ["--resume"], cwd: t.path)
        let fresh = try runToolAsNobody(["tags", "-q", "big", "-o", "fresh.csv"], cwd: t.path)
        XCTAssertEqual(fresh.status, 0, fresh.stderr)
        // Either the table a fresh run makes, or a refusal that says the tree changed (the README's
        // two outcomes); never a table that lacks big/IM001.dcm.
        if resumed.status == 2 {
            XCTAssertTrue(resumed.stderr.contains("big/IM001.dcm was modified"), resumed.stderr)
        } else {
            XCTAssertEqual(resumed.status, fresh.status, "resumed: \(resumed.stderr)")
            XCTAssertEqual(try t.read("all.csv"), try t.read("fresh.csv"), "the resumed table lacks big/IM001.dcm")
        }
    }


    /// README (tags): "A run killed at any moment (even kill -9) and started again with --resume and
    /// the same arguments ... finishes". With the table inside the tree (`tags d -o d/all.csv`, run
    /// again over the same tree), a kill after the table was renamed into place and before the list
    /// of unreadable files was makes the resume refuse forever: the run's own table counts as an input
    /// "modified" since; the temporary list `.all.csv.unreadable.csv.PID.tmp` stays in the tree.
    func testResumeAfterAKillDuringTheAssemblyFinishes() throws {
        let t = try FixtureTree()
        for i in 0..<10 { try t.write(String(format: "d/IM%03d.dcm", i), dicomFile(id: "P\(i)")) }
        XCTAssertEqual(try runTool(["tags", "-q", "d", "-o", "d/all.csv"], cwd: t.path).status, 0)
        var before = stat()
        XCTAssertEqual(stat(t.path + "/d/all.csv", &before), 0)
        let p = try startTool(["tags", "-q", "d", "-o", "d/all.csv"], cwd: t.path, environment: ["DICOMCRAWLER_TEST_PAUSE_IN_WRITE_MS": "1500"])
        // Wait for the new table to be renamed into place (then the hook pauses before the list's rename).
        var now = stat()
        for _ in 0..<1000 {
            if stat(t.path + "/d/all.csv", &now) == 0, now.st_ino != before.st_ino { break }
            usleep(5_000)
        }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        XCTAssertNotEqual(now.st_ino, before.st_ino, "the table was not renamed in time")
        let r = try runTool(["tags", "-q", "--resume", "d", "-o", "d/all.csv"], cwd: t.path)
        XCTAssertEqual(r.status, 0, r.stderr)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: t.path + "/d").filter { $0.hasSuffix(".tmp") }
        XCTAssertEqual(leftovers, [], "temporary files of the killed run stay in the tree")
    }

    /// README (tags): "What `-o` names is checked before anything is created, and a refused start leaves
    /// nothing behind". `-o ''` is accepted, the whole tree is read, the run fails at the end (exit 1)
    /// and leaves a hidden `.progress/` folder in the working directory.
    func testAnEmptyOutputNameIsRefusedAtOnce() throws {
        let t = try FixtureTree()
        try t.write("d/IM1.dcm", dicomFile())
        let r = try runTool(["tags", "-q", "d", "-o", ""], cwd: t.path)
        XCTAssertEqual(r.status, 2, r.stderr)
        XCTAssertFalse(t.exists(".progress"), "a refused start leaves nothing behind")
    }

    /// The crawl's `Path` column writes folder names that are not UTF-8 with U+FFFD: two different
    /// folders get the same Path, so their rows cannot be told apart (the tables of `tags` and the
    /// sort manifest escape such names reversibly; the crawl does not).
    func testCrawlPathsOfFoldersThatAreNotUTF8StayDistinct() throws {
        let t = try FixtureTree()
        try t.write("t.json", text: #"{"T1": ["t1"]}"#)
        try t.mkdir("d")
        for (byte, id) in [(UInt8(0xFF), "A"), (UInt8(0xFE), "B")] {
            t.mkdirRaw(Array("d/t1_".utf8) + [byte])
            t.writeRaw(Array("d/t1_".utf8) + [byte] + Array("/1.dcm".utf8), dicomFile(id: id))
        }
        let r = try runTool(["-q", "--templates", "t.json", "d"], cwd: t.path)
        XCTAssertEqual(r.status, 0, r.stderr)
        let rows = try parseCSV(try String(decoding: Data(contentsOf: t.root.appendingPathComponent("d/modal_data.csv")), as: UTF8.self)).rows
        XCTAssertEqual(rows.count, 2)
        XCTAssertEqual(Set(rows.map { $0[1] }).count, 2, "two folders, one Path: \(rows.map { $0[1] })")
    }
}
