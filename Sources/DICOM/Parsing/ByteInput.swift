#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A forward-only byte stream over memory, a file (read lazily with `pread`, skipped by seeking),
/// or a raw-deflate stream on top of either. Offsets are positions in the logical stream.
struct ByteInput {
    private(set) var buffer: [UInt8]
    /// Index of the next unread byte in `buffer`.
    var pos: Int
    /// Logical offset of `buffer[0]`.
    private(set) var base: Int
    private let source: Source
    /// Bytes fetched from the underlying file or memory (for "reads only what it needs").
    private(set) var bytesFetched: Int = 0
    private var nextChunk: Int
    /// Total size of the stream if known (memory, file); nil for inflated streams.
    let knownSize: Int?

    enum Source {
        case memory(count: Int)
        case file(fd: Int32, size: Int)
        case inflate(Inflater)
    }

    /// The whole stream is `bytes`; nothing is copied.
    init(bytes: [UInt8]) {
        buffer = bytes
        pos = 0
        base = 0
        source = .memory(count: bytes.count)
        knownSize = bytes.count
        nextChunk = 0
        bytesFetched = bytes.count
    }

    /// Reads lazily from an open file descriptor, starting at offset 0.
    init(fd: Int32, size: Int, firstChunk: Int) {
        buffer = []
        pos = 0
        base = 0
        source = .file(fd: fd, size: size)
        knownSize = size
        nextChunk = max(firstChunk, 256)
    }

    /// Inflates `underlying` from its current position (raw deflate, or zlib-wrapped if the data
    /// starts with a zlib header, which some writers wrongly add).
    init(inflating underlying: consuming ByteInput) throws {
        buffer = []
        pos = 0
        base = 0
        source = .inflate(try Inflater(underlying))
        knownSize = nil
        nextChunk = 16384
    }

    @inline(__always) var offset: Int { base + pos }
    @inline(__always) var available: Int { buffer.count - pos }

    /// Bytes fetched from the file or memory underneath (through the inflater, if any).
    var sourceBytesFetched: Int {
        if case .inflate(let inf) = source { return inf.input.bytesFetched }
        return bytesFetched
    }

    var isInflated: Bool {
        if case .inflate = source { return true }
        return false
    }

    /// Makes at least `n` bytes available at `pos`. False if the stream ends first (then
    /// `available` bytes remain).
    @inline(__always) mutating func ensure(_ n: Int) throws -> Bool {
        if available >= n { return true }
        return try fill(n)
    }

    private mutating func fill(_ n: Int) throws -> Bool {
        switch source {
        case .memory:
            return false
        case .file(let fd, let size):
            // Drop consumed bytes, then read at least what is missing, in growing chunks.
            if pos > 0 {
                buffer.removeSubrange(0..<pos)
                base += pos
                pos = 0
            }
            let fileOffset = base + buffer.count
            let remaining = size - fileOffset
            if remaining <= 0 { return false }
            let want = min(max(n - buffer.count, nextChunk), remaining)
            nextChunk = min(nextChunk * 2, 1 << 20)
            let old = buffer.count
            buffer.reserveCapacity(old + want)
            var got = 0
            var failure: Int32 = 0
            buffer.append(contentsOf: [UInt8](repeating: 0, count: want))
            buffer.withUnsafeMutableBytes { raw in
                while got < want {
                    let r = pread(fd, raw.baseAddress! + old + got, want - got, off_t(fileOffset + got))
                    if r < 0 {
                        if errno == EINTR { continue }
                        failure = errno
                        break
                    }
                    got += r
                    // A short read of a regular file is its end: no second call to learn that.
                    if r == 0 || got < want { break }
                }
            }
            if got < want { buffer.removeLast(want - got) }
            bytesFetched += got
            if failure != 0 {
                throw DICOMError(.io, offset: fileOffset + got, "read failed: \(String(cString: strerror(failure)))")
            }
            return available >= n
        case .inflate(let inflater):
            if pos > 0 {
                buffer.removeSubrange(0..<pos)
                base += pos
                pos = 0
            }
            while buffer.count < n {
                if try !inflater.inflateMore(into: &buffer, max: max(n - buffer.count, nextChunk)) { break }
            }
            return available >= n
        }
    }

    /// Skips `n` bytes; false if the stream ends first (then it is positioned at the end).
    @inline(__always) mutating func skip(_ n: Int) throws -> Bool {
        if n <= available {
            pos += n
            return true
        }
        return try skipPastBuffer(n)
    }

    private mutating func skipPastBuffer(_ n: Int) throws -> Bool {
        switch source {
        case .memory:
            pos = buffer.count
            return false
        case .file(_, let size):
            let target = offset + n
            buffer.removeAll(keepingCapacity: true)
            pos = 0
            if target > size {
                base = size
                return false
            }
            base = target
            return true
        case .inflate:
            var left = n
            while left > 0 {
                if available == 0, try !fill(min(left, 1 << 16)) , available == 0 { return false }
                let step = min(left, available)
                pos += step
                left -= step
            }
            return true
        }
    }

    @inline(__always) func u8(at i: Int) -> UInt8 { buffer[pos + i] }

    @inline(__always) func u16(at i: Int, bigEndian: Bool) -> UInt16 {
        let a = UInt16(buffer[pos + i]), b = UInt16(buffer[pos + i + 1])
        return bigEndian ? a << 8 | b : b << 8 | a
    }

    @inline(__always) func u32(at i: Int, bigEndian: Bool) -> UInt32 {
        let b0 = UInt32(buffer[pos + i]), b1 = UInt32(buffer[pos + i + 1])
        let b2 = UInt32(buffer[pos + i + 2]), b3 = UInt32(buffer[pos + i + 3])
        return bigEndian ? b0 << 24 | b1 << 16 | b2 << 8 | b3 : b3 << 24 | b2 << 16 | b1 << 8 | b0
    }

    /// `DICM` at `i` bytes from the current position: the Part 10 prefix (at 128 after the
    /// preamble, or at 0 without it). False if the stream ends first.
    mutating func hasDICMPrefix(at i: Int) throws -> Bool {
        guard try ensure(i + 4) else { return false }
        return u8(at: i) == 0x44 && u8(at: i + 1) == 0x49 && u8(at: i + 2) == 0x43 && u8(at: i + 3) == 0x4D
    }

    /// Skips 8-byte groups of zero bytes from the current position while there are any; returns
    /// how many bytes it skipped (a multiple of 8). Memory stays at one read chunk however long the
    /// run is.
    private static let zeroBlock = [UInt8](repeating: 0, count: 4096)

    mutating func skipZeroGroups() throws -> Int {
        var skipped = 0
        while try ensure(8) {
            let start = pos, count = buffer.count
            let n = buffer.withUnsafeBytes { raw -> Int in
                let base = raw.baseAddress!
                var i = start
                // Whole blocks through memcmp (fast in debug builds too), then 8 bytes at a time.
                while i + ByteInput.zeroBlock.count <= count,
                      ByteInput.zeroBlock.withUnsafeBytes({ memcmp(base + i, $0.baseAddress!, $0.count) }) == 0 {
                    i += ByteInput.zeroBlock.count
                }
                while i + 8 <= count, raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) == 0 { i += 8 }
                return i - start
            }
            pos += n
            skipped += n
            if available >= 8 { break }   // stopped at a group that is not all zeros
        }
        return skipped
    }

    /// Reads `n` bytes (the caller has checked they exist with `ensure`).
    mutating func take(_ n: Int) -> [UInt8] {
        let out = Array(buffer[pos..<(pos + n)])
        pos += n
        return out
    }
}
