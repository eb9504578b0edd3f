import CZlib
import Foundation
import XCTest
@testable import HDF5

final class ChunkCompressionTests: XCTestCase {
    /// Inflates a zlib stream of known decompressed size.
    func inflate(_ data: [UInt8], size: Int) -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: size)
        var length = uLong(size)
        let status = out.withUnsafeMutableBufferPointer { o in
            data.withUnsafeBufferPointer { uncompress(o.baseAddress, &length, $0.baseAddress, uLong(data.count)) }
        }
        return status == Z_OK && Int(length) == size ? out : nil
    }

    func testShuffleGroupsByteKOfEveryElementAndKeepsLeftovers() {
        let source: [UInt8] = Array(0..<11)
        for (size, expected) in [
            (1, Array(0..<11)),
            (2, [0, 2, 4, 6, 8, 1, 3, 5, 7, 9, 10] as [UInt8]),
            (4, [0, 4, 1, 5, 2, 6, 3, 7, 8, 9, 10] as [UInt8]),
            (3, [0, 3, 6, 1, 4, 7, 2, 5, 8, 9, 10] as [UInt8]),
            (8, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10] as [UInt8]),
            (16, Array(0..<11)),
        ] {
            var out = [UInt8](repeating: 0xEE, count: source.count)
            source.withUnsafeBytes { s in out.withUnsafeMutableBytes { ChunkCompression.shuffle(s, elementSize: size, into: $0) } }
            XCTAssertEqual(out, expected, "element size \(size)")
        }
    }

    /// Every length from 0 to 300 bytes and a 512 x 512 slice, for element sizes 2 and 4: the same
    /// bytes as HDF5's definition, element by element (the 2-byte case runs 16 elements at a time).
    func testShuffleOfEveryLengthMatchesTheDefinition() {
        var rng = SystemRandomNumberGenerator()
        for n in Array(0...300) + [512 * 512 * 2 + 6] {
            let source = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
            for size in [2, 4] {
                let count = n / size
                var expected = [UInt8](repeating: 0, count: n)
                for i in 0..<count { for k in 0..<size { expected[k * count + i] = source[i * size + k] } }
                for j in (count * size)..<n { expected[j] = source[j] }
                var out = [UInt8](repeating: 0xEE, count: n)
                source.withUnsafeBytes { s in out.withUnsafeMutableBytes { ChunkCompression.shuffle(s, elementSize: size, into: $0) } }
                XCTAssertEqual(out, expected, "\(n) bytes, element size \(size)")
            }
        }
    }

    func testShuffleDeflateInflatesAndUnshufflesToTheInput() throws {
        let values: [UInt32] = (0..<1000).map { UInt32($0 * 2_654_435_761 % 100_000) }
        let bytes = values.flatMap { v in (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * UInt32($0))) } }
        let compressed = try ChunkCompression.shuffleDeflate(bytes, elementSize: 4, level: 6)
        XCTAssertLessThan(compressed.count, bytes.count)
        let shuffled = try XCTUnwrap(inflate(compressed, size: bytes.count))
        var back = [UInt8](repeating: 0, count: bytes.count)
        for i in 0..<1000 { for k in 0..<4 { back[i * 4 + k] = shuffled[k * 1000 + i] } }
        XCTAssertEqual(back, bytes)
        XCTAssertThrowsError(try ChunkCompression.shuffleDeflate(bytes, elementSize: 4, level: 10))
        XCTAssertThrowsError(try ChunkCompression.shuffleDeflate(bytes, elementSize: 0, level: 1))
        XCTAssertEqual(try ChunkCompression.shuffleDeflate([], elementSize: 2, level: 1).isEmpty, false, "an empty zlib stream still has a header")
    }

    /// Many threads at once give the same bytes as one thread (no shared state, no HDF5 call).
    func testConcurrentCompressionMatchesSerial() throws {
        let chunks: [[UInt8]] = (0..<64).map { c in (0..<20_000).map { UInt8(truncatingIfNeeded: ($0 * (c + 3)) >> 3) } }
        let serial = try chunks.map { try ChunkCompression.shuffleDeflate($0, elementSize: 2, level: 4) }
        final class Box: @unchecked Sendable { var results = [[UInt8]?](repeating: nil, count: 64); let lock = NSLock() }
        let box = Box()
        DispatchQueue.concurrentPerform(iterations: 64) { i in
            let r = try? ChunkCompression.shuffleDeflate(chunks[i], elementSize: 2, level: 4)
            box.lock.lock(); box.results[i] = r; box.lock.unlock()
        }
        XCTAssertEqual(box.results.map { $0 ?? [] }, serial)
    }
}
