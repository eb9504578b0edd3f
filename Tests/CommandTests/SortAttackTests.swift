import DICOM
import DICOMTestSupport
import Foundation
import XCTest

/// Findings of an attack on the "Trust" fixes: each test states what the README promises and fails
/// while the product breaks that promise. Ordered by severity (data loss first).

final class SortAttackTests: XCTestCase {


    /// README (sort, Safety): a destination that exists "with identical content (or the same file)" is
    /// skipped and "with --move the duplicate source is removed"; "a kill at any moment leaves every
    /// file complete at its source or its destination". A symbolic link in DEST (from an earlier
    /// `--symlink` run, the natural preview before `--move`) is taken for "the same file": the source
    /// is removed and DEST keeps only a dangling link. Every byte of the study is gone, exit 0.
    func testMoveAfterASymlinkSortKeepsEveryFile() throws {
        let t = try FixtureTree()
        try t.write("src/IM1.dcm", dicomFile(id: "A"))
        try t.write("src/IM2.dcm", dicomFile(id: "B"))
        let original = try Data(contentsOf: t.root.appendingPathComponent("src/IM1.dcm"))
        let preview = try runTool(["sort", "-q", "--symlink", "src", "--into", "dest"], cwd: t.path)
        XCTAssertEqual(preview.status, 0, preview.stderr)
        let move = try runTool(["sort", "-q", "--move", "src", "--into", "dest"], cwd: t.path)
        // Wherever the file is now, its bytes must still exist somewhere.
        let sources = (try? FileManager.default.contentsOfDirectory(atPath: t.path + "/src")) ?? []
        var found = sources.contains("IM1.dcm")
        if let e = FileManager.default.enumerator(atPath: t.path + "/dest") {
            for case let rel as String in e where rel.hasSuffix(".dcm") {  // IM1.dcm, or IM1_1.dcm beside the link (README: a taken name gets a suffix)
                if let d = FileManager.default.contents(atPath: t.path + "/dest/" + rel), d == original { found = true }
            }
        }
        XCTAssertTrue(found, "after --symlink then --move (exit \(move.status)) IM1.dcm exists nowhere: the source was removed, DEST holds a dangling link")
    }

    /// README (sort): "--dry-run: print ... for what would be done"; the dry run must predict the real
    /// run. `--link` into a DEST on another file system: the dry run says `link` (exit 0), the real
    /// run fails every file with EXDEV (exit 1).
    func testDryRunPredictsLinkAcrossFileSystems() throws {
        let t = try FixtureTree()
        try t.write("src/IM1.dcm", dicomFile())
        var a = stat(), b = stat()
        guard stat(t.path, &a) == 0, stat("/dev/shm", &b) == 0, a.st_dev != b.st_dev else {
            throw XCTSkip("needs /dev/shm on another file system than the temporary folder")
        }
        let dest = "/dev/shm/attack-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dest) }
        let dry = try runTool(["sort", "--link", "--dry-run", "src", "--into", dest], cwd: t.path)
        let real = try runTool(["sort", "--link", "src", "--into", dest], cwd: t.path)
        XCTAssertEqual(dry.status, real.status, "dry run: \(dry.stdout) / real: \(real.stderr)")
        XCTAssertFalse(dry.stdout.hasPrefix("link ") && real.stderr.contains("not sorted"), "the dry run said link, the real run failed: \(real.stderr)")
    }

    /// README (sort): "The same source given twice (`s s`, `s ./s`, a symlink to `s`) ... is sorted
    /// once." A symlink to a file given beside that file (or its folder) is sorted again: with --move
    /// the second pass finds the link dangling and reports a failure (exit 1).
    func testASymlinkToASourceFileGivenBesideItIsSortedOnce() throws {
        let t = try FixtureTree()
        try t.write("src/IM1.dcm", dicomFile())
        try FileManager.default.createSymbolicLink(atPath: t.path + "/l1", withDestinationPath: "src/IM1.dcm")
        let r = try runTool(["sort", "--move", "src", "l1", "--into", "dest"], cwd: t.path)
        XCTAssertEqual(r.status, 0, r.stderr)
    }

    /// README (exit status, hostile inputs): bounded time, a clear error, no hang. A FIFO named
    /// `DEST/sort_manifest.csv` (left by a tool, or planted) makes `sort` block forever opening it.
    func testAManifestThatIsAFIFODoesNotHang() throws {
        let t = try FixtureTree()
        try t.write("src/IM1.dcm", dicomFile())
        try t.mkdir("dest")
        XCTAssertEqual(mkfifo(t.path + "/dest/sort_manifest.csv", 0o644), 0)
        let r = try runTool(["sort", "src", "--into", "dest"], cwd: t.path, timeout: 20)
        XCTAssertFalse(r.timedOut, "sort blocked on a FIFO manifest")
        XCTAssertNotEqual(r.status, 0)
    }

    /// A manifest that is a symbolic link to an input: the manifest lines are appended to the DICOM
    /// file being sorted (exit 0). `tags` refuses to write into inputs; `sort` does not check.
    func testAManifestSymlinkToAnInputDoesNotChangeTheInput() throws {
        let t = try FixtureTree()
        try t.write("src/IM1.dcm", dicomFile(id: "A"))
        try t.write("src/IM2.dcm", dicomFile(id: "B"))
        try t.mkdir("dest")
        try FileManager.default.createSymbolicLink(atPath: t.path + "/dest/sort_manifest.csv", withDestinationPath: "../src/IM2.dcm")
        let before = try Data(contentsOf: t.root.appendingPathComponent("src/IM2.dcm"))
        let r = try runTool(["sort", "-q", "src", "--into", "dest"], cwd: t.path)
        XCTAssertEqual(try Data(contentsOf: t.root.appendingPathComponent("src/IM2.dcm")), before, "exit \(r.status): manifest lines were appended to the input src/IM2.dcm")
    }
}
