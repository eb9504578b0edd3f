import Foundation
import XCTest
@testable import DICOMCrawler

/// The parallel folder walk gives what the sequential walk gives, in the same order, whatever the
/// number of threads.
final class ParallelWalkTests: XCTestCase {
    func testSameFoldersAndOrderAsFileWalk() throws {
        let root = NSTemporaryDirectory() + "pwalk-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let folders = ["a", "a/b", "a/b/c", "a-c", "a-c/x", "a.b", "a0", "b", ".hidden", ".hidden/in", "b/\u{e9}", "b/z", "deep/1/2/3/4/5"]
        for f in folders { try FileManager.default.createDirectory(atPath: root + "/" + f, withIntermediateDirectories: true) }
        for i in 0..<200 { try FileManager.default.createDirectory(atPath: root + "/many/\(i)", withIntermediateDirectories: true) }
        try FileManager.default.createSymbolicLink(atPath: root + "/link-to-a", withDestinationPath: "a")
        try "x".write(toFile: root + "/a/file", atomically: false, encoding: .utf8)
        let rootBytes = Array(root.utf8)
        for hidden in [false, true] {
            let options = WalkOptions(followSymlinks: false, includeHidden: hidden)
            guard case .success(let (expected, walk)) = FileWalk.folders(under: rootBytes, options: options, keep: { _ in true }) else {
                return XCTFail("cannot walk")
            }
            for threads in [1, 3, 16] {
                let got = ParallelFolderWalk<PathBytes>(options: options, threads: threads).walk([rootBytes, Array((root + "/a").utf8)]) { _, rel, _ in rel }
                XCTAssertNil(got[0].error)
                XCTAssertEqual(got[0].results.map(\.rel).map(\.pathString), expected.map(\.pathString), "threads \(threads), hidden \(hidden)")
                XCTAssertEqual(got[0].results.map(\.result), got[0].results.map(\.rel))
                XCTAssertEqual(got[0].symlinksNotFollowed, walk.symlinksNotFollowed)
                XCTAssertEqual(got[0].symlinksNotFollowed, 1)
                XCTAssertEqual(got[1].results.map(\.rel.pathString), ["b", "b/c"])
            }
        }
        let missing = ParallelFolderWalk<Int>(options: WalkOptions(), threads: 4).walk([Array((root + "/nope").utf8)]) { _, _, _ in 1 }
        XCTAssertEqual(missing[0].error, Errno(ENOENT))
    }

    func testWalkOrderIsComponentWise() {
        let paths = ["a-c", "a/b", "a", "a/b/c", "a.b", "ab", "a/a"].map { Array($0.utf8) }
        XCTAssertEqual(paths.sorted(by: ParallelFolderWalk<Int>.walkOrder).map(\.pathString), ["a", "a/a", "a/b", "a/b/c", "a-c", "a.b", "ab"])
    }
}
