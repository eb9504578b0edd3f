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

/// A folder listed with getdents64: every entry once (many buffers' worth), sorted by bytes, with
/// its kind, never `.` or `..`; names of any bytes but `/` and NUL.
final class OpenDirectoryTests: XCTestCase {
    func testEveryEntryOnceSortedWithItsKind() throws {
        let root = NSTemporaryDirectory() + "odir-\(UUID().uuidString)"
        let fm = FileManager.default
        try fm.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? fm.removeItem(atPath: root) }
        var expected: [(name: [UInt8], kind: DirectoryEntry.Kind)] = []
        // 3,000 files with long names: about 290 KB of records, nine 32 KB buffers.
        for i in 0..<3000 {
            let name = String(format: "file-%05d-", (i * 7919) % 3000) + String(repeating: "x", count: 60 + i % 40)
            XCTAssertTrue(fm.createFile(atPath: root + "/" + name, contents: nil))
            expected.append((Array(name.utf8), .file))
        }
        for name in ["dir", ".hidden-dir", "..x", "."  + "a"] {
            try fm.createDirectory(atPath: root + "/" + name, withIntermediateDirectories: false)
            expected.append((Array(name.utf8), .directory))
        }
        try fm.createSymbolicLink(atPath: root + "/link", withDestinationPath: "dangling")
        expected.append((Array("link".utf8), .symlink))
        XCTAssertEqual(mkfifo(root + "/fifo", 0o644), 0)
        expected.append((Array("fifo".utf8), .other))
        let raw: [UInt8] = [0x66, 0xFF, 0x0A, 0x20]  // not UTF-8, with a newline
        let rawPath = Array(root.utf8) + [0x2F] + raw + [0]
        let fd = rawPath.withUnsafeBufferPointer { b in b.withMemoryRebound(to: CChar.self) { open($0.baseAddress!, O_CREAT | O_WRONLY, 0o644) } }
        XCTAssertGreaterThanOrEqual(fd, 0)
        close(fd)
        expected.append((raw, .file))
        expected.sort { $0.name.lexicographicallyPrecedes($1.name) }

        let dir = try OpenDirectory(Array(root.utf8))
        XCTAssertEqual(dir.entries.count, expected.count)
        XCTAssertEqual(dir.entries.map(\.name), expected.map(\.name))
        XCTAssertEqual(dir.entries.map(\.kind), expected.map(\.kind))
        XCTAssertTrue(dir.entries.allSatisfy { $0.cName.last == 0 && !$0.cName.dropLast().contains(0) })
        // The entries open through the folder's descriptor.
        let f = try dir.openEntry(dir.entries.first { $0.kind == .file }!)
        close(f)

        XCTAssertThrowsError(try OpenDirectory(Array((root + "/missing").utf8)))
        XCTAssertThrowsError(try OpenDirectory(Array((root + "/link").utf8)))
        XCTAssertThrowsError(try OpenDirectory(Array((root + "/" + expected.first { $0.kind == .file }!.name.pathString).utf8)))
    }
}
