import DICOM
import DICOMTestSupport
import Foundation
import XCTest

/// `tags` under attack: a tree that changes between a killed run and its resume, outputs that must
/// not overwrite what they should not, damaged files, inputs given twice.
final class TagsTrustTests: XCTestCase {
    func makeTree(_ t: FixtureTree) throws {
        for s in 0..<4 {
            for i in 0..<30 {
                try t.write(String(format: "big/s%02d/IM%03d.dcm", s, i),
                            dicomFile(date: "2024010\(s + 1)", time: String(format: "%06d", i), id: "P\(s)", raw: [.string(Tag(0x0020_0013), String(i))]))
            }
        }
    }

    let args = ["tags", "-q", "--jobs", "2", "--batch-size", "4", "--commit-interval", "0", "big", "-o", "all.csv"]

    /// Starts a run that commits after every batch (each commit paused by the test hook) and kills it
    /// once its state says at least `files` files are done.
    func killedRun(_ t: FixtureTree, files: Int = 8) throws {
        let p = try startTool(args, cwd: t.path, environment: ["DICOMCRAWLER_TEST_PAUSE_IN_WRITE_MS": "30"])
        var done = 0
        for _ in 0..<1000 where done < files {
            usleep(10_000)
            let state = (try? t.read("all.csv.progress/state")) ?? ""
            done = state.split(separator: "\n").first { $0.hasPrefix("files ") }.flatMap { Int($0.dropFirst(6)) } ?? 0
        }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationReason, .uncaughtSignal, "the run was killed, not finished")
        XCTAssertGreaterThanOrEqual(done, files)
    }

    func freshTable(_ t: FixtureTree) throws -> String {
        let r = try runTool(["tags", "-q", "big", "-o", "fresh.csv"], cwd: t.path)
        XCTAssertEqual(r.status, 0, r.stderr)
        return try t.read("fresh.csv")
    }

    func testResumeRefusesATreeChangedWhereTheKilledRunHadBeen() throws {
        let t = try FixtureTree()
        try makeTree(t)
        let changes: [(String, (FixtureTree) throws -> Void, String)] = [
            ("rewritten", { try $0.write("big/s00/IM000.dcm", dicomFile(id: "CHANGED")) }, "big/s00/IM000.dcm was modified"),
            ("removed", { try FileManager.default.removeItem(atPath: $0.path + "/big/s00/IM001.dcm") }, "files were added, removed or renamed"),
            ("added", { try $0.write("big/s00/IM000b.dcm", dicomFile(id: "NEW")) }, "big/s00/IM000b.dcm is where it did big/s00/IM00"),
            ("renamed", { try FileManager.default.moveItem(atPath: $0.path + "/big/s00/IM002.dcm", toPath: $0.path + "/big/s00/IM002x.dcm") }, "files were added, removed or renamed"),
            ("touched", { try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: 1e9)], ofItemAtPath: $0.path + "/big/s00/IM003.dcm") }, "big/s00/IM003.dcm was modified"),
        ]
        for (name, change, message) in changes {
            try killedRun(t)
            try change(t)
            let r = try runTool(args + ["--resume"], cwd: t.path)
            XCTAssertEqual(r.status, 2, "\(name): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("the tree changed since the interrupted run"), "\(name): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(message), "\(name): \(r.stderr)")
            XCTAssertFalse(t.exists("all.csv"), name)
            XCTAssertTrue(t.exists("all.csv.progress/state"), "\(name): a refused resume keeps the state")
            // Starting over gives what a fresh run on the changed tree gives.
            let over = try runTool(args, cwd: t.path)
            XCTAssertEqual(over.status, 0, over.stderr)
            XCTAssertEqual(try t.read("all.csv"), try freshTable(t), name)
            try FileManager.default.removeItem(atPath: t.path + "/all.csv")
        }
    }

    func testResumeAfterAChangeBeyondWhatWasDoneMatchesAFreshRun() throws {
        let t = try FixtureTree()
        try makeTree(t)
        try killedRun(t)
        // Later in walk order than anything done: changes the table exactly as for a fresh run.
        try t.write("big/s03/IM029.dcm", dicomFile(id: "LATE CHANGE"))
        try t.write("big/s09/IM000.dcm", dicomFile(id: "ADDED AT THE END"))
        let r = try runTool(args.filter { $0 != "-q" } + ["--resume"], cwd: t.path)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("resuming after"), r.stderr)
        let table = try t.read("all.csv")
        XCTAssertEqual(table, try freshTable(t))
        XCTAssertTrue(table.contains("LATE CHANGE") && table.contains("ADDED AT THE END"))
    }

    func testOutputsNeverReplaceWhatTheyShouldNot() throws {
        let t = try FixtureTree()
        try t.write("tree/a/IM1.dcm", dicomFile(id: "A"))
        try t.write("tree/a/notes.txt", text: "my notes\n")
        try t.write("tree/b/IM1.dcm", Array(dicomFile(id: "B").prefix(200)))  // damaged
        try t.mkdir("existing_dir")
        let original = try Data(contentsOf: t.root.appendingPathComponent("tree/a/IM1.dcm"))

        // An input file, DICOM or not, is never the output; a folder neither; nothing is left behind.
        for target in ["tree/a/IM1.dcm", "tree/a/notes.txt", "existing_dir"] {
            let r = try runTool(["tags", "-q", "tree", "-o", target], cwd: t.path)
            XCTAssertEqual(r.status, 2, "\(target): \(r.stderr)")
            XCTAssertFalse(t.exists(target + ".progress"), "\(target): a refused start leaves nothing behind")
            XCTAssertFalse(t.exists(target + ".unreadable.csv"), target)
        }
        XCTAssertTrue(try runTool(["tags", "-q", "tree", "-o", "tree/a/IM1.dcm"], cwd: t.path).stderr.contains("not replacing it"))
        XCTAssertEqual(try Data(contentsOf: t.root.appendingPathComponent("tree/a/IM1.dcm")), original)
        XCTAssertEqual(try t.read("tree/a/notes.txt"), "my notes\n")

        // A table this tool wrote inside the tree is replaced (running `tags .` twice), and the
        // progress folder inside the tree is never read.
        let inside1 = try runTool(["tags", "-q", ".", "-o", "dicom_data.csv"], cwd: t.path + "/tree")
        XCTAssertEqual(inside1.status, 1, inside1.stderr)
        let first = try t.read("tree/dicom_data.csv")
        let inside2 = try runTool(["tags", "-q", ".", "-o", "dicom_data.csv"], cwd: t.path + "/tree")
        XCTAssertEqual(inside2.status, 1, inside2.stderr)
        XCTAssertEqual(try t.read("tree/dicom_data.csv"), first)
        XCTAssertEqual(first.split(separator: "\n").count, 2, "the header and tree/a/IM1.dcm (tree/b/IM1.dcm is cut in its meta group): \(first)")

        // A symlink named by -o stays a symlink; its target gets the table.
        try FileManager.default.createSymbolicLink(atPath: t.path + "/link.csv", withDestinationPath: "real.csv")
        XCTAssertEqual(try runTool(["tags", "-q", "tree", "-o", "link.csv"], cwd: t.path).status, 1)
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: t.path + "/link.csv"), "real.csv")
        XCTAssertTrue(try t.read("real.csv").hasPrefix("DicomPath,"))

        // `-o -` and a link to standard output write through to stdout: no file named "-", no side files.
        let dash = try runTool(["tags", "-q", "tree", "-o", "-"], cwd: t.path)
        XCTAssertEqual(dash.status, 1, dash.stderr)
        XCTAssertEqual(dash.stdout, try t.read("real.csv"))
        XCTAssertTrue(dash.stderr.contains("unreadable: tree/b/IM1.dcm: truncated"), dash.stderr)
        XCTAssertFalse(t.exists("-") || t.exists("-.progress") || t.exists("-.unreadable.csv"))
        try FileManager.default.createSymbolicLink(atPath: t.path + "/out.csv", withDestinationPath: "/dev/stdout")
        let stdout = try runTool(["tags", "-q", "tree", "-o", "out.csv"], cwd: t.path)
        XCTAssertEqual(stdout.stdout, try t.read("real.csv"), stdout.stderr)
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: t.path + "/out.csv"), "/dev/stdout")
        XCTAssertEqual(try runTool(["tags", "-q", "--resume", "tree", "-o", "-"], cwd: t.path).status, 2)

        // Two tables in one folder have their own lists of unreadable files.
        XCTAssertEqual(try runTool(["tags", "-q", "tree/a", "-o", "a.csv"], cwd: t.path).status, 0)
        XCTAssertEqual(try runTool(["tags", "-q", "tree/b", "-o", "b.csv"], cwd: t.path).status, 1)
        XCTAssertEqual(try t.read("a.csv.unreadable.csv"), "DicomPath,Reason\n")
        XCTAssertTrue(try t.read("b.csv.unreadable.csv").contains("tree/b/IM1.dcm,"))
    }

    func testDamagedFilesKeepTheirRowAndAreListed() throws {
        let t = try FixtureTree()
        let whole = dicomFile(id: "P1", raw: [.string(Tag(0x0020_000D), "1.2.3.4.5"), .bytes(Tag(0x0029_1010), .OB, Array(repeating: 7, count: 400))])
        // Cut inside the last element: everything before it is read.
        try t.write("d/cut.dcm", Array(whole.prefix(whole.count - 100)))
        try t.write("d/whole.dcm", whole)
        let r = try runTool(["tags", "-q", "d", "-o", "t.csv"], cwd: t.path)
        XCTAssertEqual(r.status, 1, r.stderr)
        let table = try parseCSV(try t.read("t.csv"))
        XCTAssertEqual(table.rows.map { $0[0] }, ["d/cut.dcm", "d/whole.dcm"])
        let id = table.header.firstIndex(of: "Patient ID (0010,0020)")!
        let uid = table.header.firstIndex(of: "Study Instance UID (0020,000D)")!
        XCTAssertEqual(table.rows[0][id], "P1")
        XCTAssertEqual(table.rows[0][uid], "1.2.3.4.5")
        let listed = try t.read("t.csv.unreadable.csv")
        XCTAssertTrue(listed.hasPrefix("DicomPath,Reason\nd/cut.dcm,\"truncated at byte"), listed)
        XCTAssertFalse(listed.contains("whole.dcm"))
    }

    func testInputsGivenTwiceAreReadOnce() throws {
        let t = try FixtureTree()
        try t.write("d/a/IM1.dcm", dicomFile(id: "A"))
        try t.write("d/b/IM1.dcm", dicomFile(id: "B"))
        let once = try runTool(["tags", "-q", "d", "-o", "once.csv"], cwd: t.path)
        XCTAssertEqual(once.status, 0, once.stderr)
        for args in [["d", "d"], ["d", "./d/"], ["d", "d/a"]] {
            let r = try runTool(["tags"] + args + ["-o", "twice.csv"], cwd: t.path)
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertEqual(try t.read("twice.csv"), try t.read("once.csv"), "\(args)")
            XCTAssertTrue(r.stderr.contains("given before: its files are read once"), r.stderr)
        }
        // The inner one first: its files keep its name, the outer one does not read them again.
        let r = try runTool(["tags", "-q", "d/a", "d", "-o", "nested.csv"], cwd: t.path)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try parseCSV(try t.read("nested.csv")).rows.map { $0[0] }, ["d/a/IM1.dcm", "d/b/IM1.dcm"])
    }

    func testNamesThatAreNotUTF8StayDistinctAndReversible() throws {
        let t = try FixtureTree()
        try t.mkdir("d")
        t.writeRaw(Array("d/".utf8) + [0xFF] + Array(".dcm".utf8), dicomFile(id: "FF"))
        t.writeRaw(Array("d/".utf8) + [0xFE] + Array(".dcm".utf8), dicomFile(id: "FE"))
        t.writeRaw(Array("d/back\\slash.dcm".utf8), dicomFile(id: "BS"))
        let r = try runTool(["tags", "-q", "d", "-o", "t.csv"], cwd: t.path)
        XCTAssertEqual(r.status, 0, r.stderr)
        let rows = try parseCSV(try t.read("t.csv")).rows
        let id = 1 + (try parseCSV(try t.read("t.csv")).header.dropFirst().firstIndex(of: "Patient ID (0010,0020)")! - 1)
        XCTAssertEqual(rows.map { [$0[0], $0[id]] }, [["d/back\\\\slash.dcm", "BS"], ["d/\\xFE.dcm", "FE"], ["d/\\xFF.dcm", "FF"]])
        let json = try runTool(["tags", "-q", "--format", "jsonl", "d", "-o", "t.jsonl"], cwd: t.path)
        XCTAssertEqual(json.status, 0)
        XCTAssertTrue(try t.read("t.jsonl").contains(#"{"DicomPath":"d/\\xFF.dcm","#))
    }

    /// A header followed by 2 GB of zeros (a sparse file, nothing on disk): `dump` and `tags` finish
    /// it in about the time of reading it, with the header's values, instead of building millions
    /// of empty elements (which took gigabytes and aborted).
    func testAHeaderFollowedByGigabytesOfZerosIsReadInBoundedTime() throws {
        let t = try FixtureTree()
        try t.write("d/zeros.dcm", dicomFile(id: "BEFORE-THE-ZEROS"))
        let path = t.path + "/d/zeros.dcm"
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
        XCTAssertEqual(truncate(path, off_t(size + (2 << 30))), 0)
        for args in [["tags", "-q", "--jobs", "1", "d", "-o", "t.csv"], ["dump", "--header", "d/zeros.dcm"]] {
            // A guard against a hang or a crawl through 2 GB element by element, not a timing.
            let r = try runTool(args, cwd: t.path, timeout: 60)
            XCTAssertFalse(r.timedOut, "\(args) must finish")
            XCTAssertEqual(r.status, 0, "\(args): \(r.stderr)")
        }
        XCTAssertTrue(try t.read("t.csv").contains("BEFORE-THE-ZEROS"))
        let dump = try runTool(["dump", "d/zeros.dcm"], cwd: t.path)
        XCTAssertEqual(dump.status, 0, dump.stderr)
        XCTAssertTrue(dump.stdout.contains("[BEFORE-THE-ZEROS]"), dump.stdout)
        XCTAssertTrue(dump.stdout.contains("zero bytes from byte"), dump.stdout)
    }

    /// A damaged spill (a column numbered out of order, far out of range) is refused as damaged
    /// (exit 1), never trusted, never a crash.
    func testADamagedSpillIsRefusedNotTrusted() throws {
        let t = try FixtureTree()
        try makeTree(t)
        try killedRun(t)
        let state = try t.read("all.csv.progress/state")
        let spillPath = t.path + "/all.csv.progress/spill"
        let length = Int(state.split(separator: "\n").first { $0.hasPrefix("spill ") }!.dropFirst(6))!
        // A column record with the id Int.max, appended after what was committed, and committed.
        var record: [UInt8] = [UInt8(ascii: "C")]
        var v = UInt64(Int.max)
        while v >= 0x80 { record.append(UInt8(v & 0x7F) | 0x80); v >>= 7 }
        record += [UInt8(v), 8] + Array("00100020".utf8)
        let fd = open(spillPath, O_WRONLY)
        XCTAssertEqual(pwrite(fd, record, record.count, off_t(length)), record.count)
        close(fd)
        try state.replacingOccurrences(of: "spill \(length)", with: "spill \(length + record.count)")
            .write(toFile: t.path + "/all.csv.progress/state", atomically: true, encoding: .utf8)
        let r = try runTool(args + ["--resume"], cwd: t.path)
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("is damaged"), r.stderr)
        XCTAssertFalse(t.exists("all.csv"))
    }
}
