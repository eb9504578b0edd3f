/// RLE Lossless (PS3.5 Annex G): a 64-byte header (segment count, then up to 15 segment offsets,
/// 32-bit little endian) and one PackBits segment per byte plane, most significant byte of each
/// sample first, sample after sample. Decoded straight to interleaved little-endian samples.
enum RLEDecoder {
    /// The segments of one frame, checked before anything is allocated: as many as samples ×
    /// bytes per sample, each within the frame, and each long enough to be able to give rows ×
    /// columns bytes (PackBits gives at most 128 bytes for 2).
    static func segments(of frame: UnsafeRawBufferPointer, format: PixelFormat) throws(PixelError) -> [Range<Int>] {
        let width = format.bitsAllocated / 8
        guard format.bitsAllocated % 8 == 0, width >= 1 else {
            throw PixelError(.unsupported, "RLE with \(format.bitsAllocated) bits allocated")
        }
        guard frame.count >= 64 else {
            throw PixelError(.badRLE, offset: 0, "the frame is \(frame.count) bytes, shorter than the 64-byte RLE header")
        }
        func u32(_ i: Int) -> Int {
            Int(frame[i]) | Int(frame[i + 1]) << 8 | Int(frame[i + 2]) << 16 | Int(frame[i + 3]) << 24
        }
        let count = u32(0)
        let expected = format.samplesPerPixel * width
        guard count <= 15 else { throw PixelError(.badRLE, offset: 0, "the RLE header gives \(count) segments; at most 15 fit") }
        guard count == expected else {
            throw PixelError(.badRLE, offset: 0, "the RLE header gives \(count) segments; \(format.samplesPerPixel) sample\(format.samplesPerPixel == 1 ? "" : "s") of \(width) byte\(width == 1 ? "" : "s") need \(expected)")
        }
        let plane = format.rows * format.columns
        var out: [Range<Int>] = []
        out.reserveCapacity(count)
        for k in 0..<count {
            let start = u32(4 + 4 * k)
            let end = k + 1 < count ? u32(8 + 4 * k) : frame.count
            guard start <= frame.count else {
                throw PixelError(.badRLE, offset: 4 + 4 * k, "segment \(k + 1) starts at byte \(start), past the end of the \(frame.count)-byte frame")
            }
            guard end >= start, end <= frame.count else {
                throw PixelError(.badRLE, offset: 8 + 4 * k, "segment \(k + 2) starts at byte \(end), \(end < start ? "before segment \(k + 1) (byte \(start))" : "past the end of the \(frame.count)-byte frame")")
            }
            let (most, overflow) = (end - start).multipliedReportingOverflow(by: 64)
            guard overflow || most + 128 >= plane else {
                throw PixelError(.badRLE, offset: start, "segment \(k + 1) (\(end - start) bytes from byte \(start)) cannot hold the \(plane) bytes of a \(format.rows) x \(format.columns) plane")
            }
            out.append(start..<end)
        }
        return out
    }

    /// Decodes one frame into `dst` (rows × columns × samples samples of Bits Allocated / 8
    /// bytes, interleaved, little endian). A segment that decodes to fewer than rows × columns
    /// bytes is an error; bytes beyond are ignored, as pydicom does.
    static func decode(_ frame: UnsafeRawBufferPointer, format: PixelFormat, segments: [Range<Int>], into dst: UnsafeMutableRawBufferPointer) throws(PixelError) {
        let width = format.bitsAllocated / 8
        let samples = format.samplesPerPixel
        let plane = format.rows * format.columns
        let stride = samples * width
        guard dst.count >= plane * stride, let d = dst.baseAddress?.assumingMemoryBound(to: UInt8.self),
              let s = frame.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        for (k, seg) in segments.enumerated() {
            let sample = k / width, byteInSample = width - 1 - k % width
            let produced = unpack(s, seg, into: d + sample * width + byteInSample, count: plane, stride: stride)
            guard produced == plane else {
                throw PixelError(.badRLE, offset: seg.lowerBound, "segment \(k + 1) (\(seg.count) bytes from byte \(seg.lowerBound)) decodes to \(produced) byte\(produced == 1 ? "" : "s"), fewer than the \(plane) of a \(format.rows) x \(format.columns) plane")
            }
        }
    }

    /// PackBits: a header byte n then n + 1 literal bytes (n < 128), or one byte repeated 257 - n
    /// times (n > 128); 128 is a no-op. Writes at most `count` bytes `stride` apart and returns how
    /// many; a run cut by the end of the segment gives what is there.
    private static func unpack(_ s: UnsafePointer<UInt8>, _ seg: Range<Int>, into d: UnsafeMutablePointer<UInt8>, count: Int, stride: Int) -> Int {
        var i = seg.lowerBound
        let end = seg.upperBound
        var o = 0
        while o < count && i < end {
            let h = Int(s[i])
            i += 1
            if h < 128 {
                let n = min(h + 1, end - i, count - o)
                if stride == 1 {
                    (d + o).update(from: s + i, count: n)
                } else {
                    var q = d + o * stride
                    for j in 0..<n { q.pointee = s[i + j]; q += stride }
                }
                o += n
                i += h + 1
            } else if h > 128 {
                guard i < end else { break }
                let n = min(257 - h, count - o)
                let v = s[i]
                i += 1
                if stride == 1 {
                    (d + o).update(repeating: v, count: n)
                } else {
                    var q = d + o * stride
                    for _ in 0..<n { q.pointee = v; q += stride }
                }
                o += n
            }
        }
        return o
    }
}
