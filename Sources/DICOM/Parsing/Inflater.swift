import CZlib

/// Raw-deflate decompression of the rest of a `ByteInput`.
final class Inflater {
    private(set) var input: ByteInput
    private let stream: UnsafeMutablePointer<z_stream>
    private var finished = false
    let startOffset: Int

    init(_ input: consuming ByteInput) throws {
        self.input = input
        startOffset = input.offset
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        // A zlib header (CMF 0x78, FCHECK) means a zlib stream; the standard says raw deflate.
        var windowBits: Int32 = -15
        if try self.input.ensure(2) {
            let input = self.input
            let cmf = UInt16(input.u8(at: 0)), flg = UInt16(input.u8(at: 1))
            if cmf & 0x0F == 8, cmf >> 4 <= 7, (cmf << 8 | flg) % 31 == 0 { windowBits = 15 }
        }
        let rc = inflateInit2_(stream, windowBits, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        if rc != Z_OK {
            stream.deinitialize(count: 1)
            stream.deallocate()
            throw DICOMError(.deflate, offset: startOffset, "inflateInit failed (\(rc))")
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// Appends up to `max` inflated bytes; false when the stream has ended and nothing was added.
    func inflateMore(into buffer: inout [UInt8], max: Int) throws -> Bool {
        if finished { return false }
        let old = buffer.count
        buffer.append(contentsOf: [UInt8](repeating: 0, count: max))
        var produced = 0
        defer { buffer.removeLast(max - produced) }
        while produced == 0 {
            if input.available == 0 {
                _ = try input.ensure(16384)
                if input.available == 0 {
                    // Compressed data ended without the end-of-stream marker.
                    finished = true
                    throw DICOMError(.deflate, offset: input.offset, "deflated data ends before the end of the compressed stream")
                }
            }
            let consumedIn: Int
            let rc: Int32
            (rc, consumedIn, produced) = input.buffer.withUnsafeBytes { inRaw in
                buffer.withUnsafeMutableBytes { outRaw in
                    stream.pointee.next_in = UnsafeMutablePointer(mutating: inRaw.baseAddress!.assumingMemoryBound(to: Bytef.self) + input.pos)
                    stream.pointee.avail_in = UInt32(input.available)
                    stream.pointee.next_out = outRaw.baseAddress!.assumingMemoryBound(to: Bytef.self) + old
                    stream.pointee.avail_out = UInt32(max)
                    let rc = inflate(stream, Z_NO_FLUSH)
                    return (rc, input.available - Int(stream.pointee.avail_in), max - Int(stream.pointee.avail_out))
                }
            }
            input.pos += consumedIn
            if rc == Z_STREAM_END {
                finished = true
                return produced > 0
            }
            if rc != Z_OK && rc != Z_BUF_ERROR {
                finished = true
                let msg = stream.pointee.msg.map { String(cString: $0) } ?? "error \(rc)"
                throw DICOMError(.deflate, offset: input.offset, "inflate failed: \(msg)")
            }
        }
        return true
    }
}
