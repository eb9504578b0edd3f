import CLibDeflate
import CZlib
import Synchronization

/// Chunk compression as HDF5's shuffle and deflate filters do it, without HDF5: call it from as
/// many threads as you like, then hand the result to `HDF5Dataset.writeChunk`.
public enum ChunkCompression {
    /// HDF5's shuffle: byte k of every element together, k = 0 ..< elementSize (elements are
    /// counted as bytes.count / elementSize; leftover bytes are copied at the end unchanged).
    public static func shuffle(_ source: UnsafeRawBufferPointer, elementSize: Int,
                               into destination: UnsafeMutableRawBufferPointer) {
        precondition(destination.count >= source.count, "shuffle: destination smaller than source")
        let n = source.count
        guard n > 0, let src = source.baseAddress, let dst = destination.baseAddress else { return }
        let s = src.assumingMemoryBound(to: UInt8.self)
        let d = dst.assumingMemoryBound(to: UInt8.self)
        guard elementSize > 1, n >= elementSize else {
            d.update(from: s, count: n)
            return
        }
        let count = n / elementSize
        switch elementSize {
        case 2:
            // 16 elements at a time: their even bytes and their odd bytes (vector shuffles).
            var i = 0
            let raw = UnsafeRawPointer(s), out = UnsafeMutableRawPointer(d)
            while i + 16 <= count {
                let v = raw.loadUnaligned(fromByteOffset: 2 * i, as: SIMD32<UInt8>.self)
                out.storeBytes(of: v.evenHalf, toByteOffset: i, as: SIMD16<UInt8>.self)
                out.storeBytes(of: v.oddHalf, toByteOffset: count + i, as: SIMD16<UInt8>.self)
                i += 16
            }
            while i < count {
                d[i] = s[2 * i]
                d[count + i] = s[2 * i + 1]
                i += 1
            }
        case 4:
            for i in 0..<count {
                d[i] = s[4 * i]
                d[count + i] = s[4 * i + 1]
                d[2 * count + i] = s[4 * i + 2]
                d[3 * count + i] = s[4 * i + 3]
            }
        default:
            for k in 0..<elementSize {
                let row = d + k * count
                for i in 0..<count { row[i] = s[i * elementSize + k] }
            }
        }
        let rest = n - count * elementSize
        if rest > 0 { (d + count * elementSize).update(from: s + count * elementSize, count: rest) }
    }

    /// Shuffles then deflates (zlib format, as HDF5's deflate filter) one chunk at `level` 0...9.
    public static func shuffleDeflate(_ chunk: UnsafeRawBufferPointer, elementSize: Int,
                                      level: Int) throws(HDF5Error) -> [UInt8] {
        guard (0...9).contains(level), elementSize > 0 else {
            throw HDF5Error("compress chunk", "level \(level) / element size \(elementSize) out of range")
        }
        guard chunk.count < Int(UInt32.max) else {
            throw HDF5Error("compress chunk", "a chunk of 4 GiB or more")
        }
        let shuffled = [UInt8](unsafeUninitializedCapacity: chunk.count) { buffer, count in
            shuffle(chunk, elementSize: elementSize, into: UnsafeMutableRawBufferPointer(buffer))
            count = chunk.count
        }
        return try deflate(shuffled, level: level)
    }

    /// `shuffleDeflate` for an array.
    public static func shuffleDeflate(_ chunk: [UInt8], elementSize: Int, level: Int) throws(HDF5Error) -> [UInt8] {
        let result = chunk.withUnsafeBytes { buffer in
            Result { () throws(HDF5Error) in try shuffleDeflate(buffer, elementSize: elementSize, level: level) }
        }
        return try result.get()
    }

    /// The zlib format HDF5's deflate filter reads, written by libdeflate (about 2.5 times faster
    /// than zlib's compress2 at level 4 on image chunks, output a little smaller). Level 0...9 as
    /// zlib's; each thread borrows a compressor for the level from a pool.
    static func deflate(_ data: [UInt8], level: Int) throws(HDF5Error) -> [UInt8] {
        guard let compressor = Compressors.take(level: level) else {
            throw HDF5Error("compress chunk", "libdeflate could not allocate a compressor for level \(level)")
        }
        defer { Compressors.giveBack(compressor, level: level) }
        let bound = libdeflate_zlib_compress_bound(compressor, data.count)
        var written = 0
        let out = [UInt8](unsafeUninitializedCapacity: bound) { buffer, count in
            written = data.withUnsafeBytes { src in
                libdeflate_zlib_compress(compressor, src.baseAddress, src.count, buffer.baseAddress, bound)
            }
            count = written
        }
        guard written > 0 || data.isEmpty else { throw HDF5Error("compress chunk", "libdeflate could not compress \(data.count) bytes") }
        return out
    }

    /// Compressors by level, reused across chunks (each is a few hundred KB of tables).
    private enum Compressors {
        static let idle = Mutex<[Int: [OpaquePointer]]>([:])
        static func take(level: Int) -> OpaquePointer? {
            idle.withLock { $0[level]?.popLast() } ?? libdeflate_alloc_compressor(Int32(level))
        }
        static func giveBack(_ c: OpaquePointer, level: Int) {
            idle.withLock { $0[level, default: []].append(c) }
        }
    }
}
