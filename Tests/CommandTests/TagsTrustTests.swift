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
}
