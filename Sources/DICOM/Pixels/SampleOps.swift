/// The steps every decoding path shares, in place or from one buffer to another, over whole frames
/// (no allocation per sample). Buffers are array storage: aligned for any sample width.
enum SampleOps {
    /// Reverses the bytes of each `width`-byte sample (big endian to little endian).
    static func byteSwap(_ buf: UnsafeMutableRawBufferPointer, width: Int) {
        switch width {
        case 2: swapAll(buf, UInt16.self)
        case 4: swapAll(buf, UInt32.self)
        case 8: swapAll(buf, UInt64.self)
        default: break
        }
    }

    private static func swapAll<T: FixedWidthInteger>(_ buf: UnsafeMutableRawBufferPointer, _: T.Type) {
        let n = buf.count / MemoryLayout<T>.size
        guard n > 0, let base = buf.baseAddress else { return }
        let p = base.bindMemory(to: T.self, capacity: n)
        for i in 0..<n { p[i] = p[i].byteSwapped }
    }

    /// Unpacks `count` 1-bit samples, least significant bit first (PS3.5 8.1.1), starting at bit
    /// `bitOffset` of `src`, into one byte (0 or 1) each.
    static func unpackBits(_ src: UnsafeRawBufferPointer, bitOffset: Int, count: Int, into dst: UnsafeMutablePointer<UInt8>) {
        guard let s = src.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        var bit = bitOffset
        for i in 0..<count {
            dst[i] = (s[bit >> 3] >> UInt8(bit & 7)) & 1
            bit += 1
        }
    }

    /// YBR_FULL_422 as stored natively (Y1 Y2 Cb Cr per two pixels, PS3.3 C.7.6.3.1.2) to full
    /// YBR (Y1 Cb Cr Y2 Cb Cr). `src` holds `pairs` × 4 samples, `dst` `pairs` × 6.
    static func expandYBR422(_ src: UnsafeRawBufferPointer, pairs: Int, width: Int, into dst: UnsafeMutableRawBufferPointer) {
        switch width {
        case 1: expand(src, pairs, dst, UInt8.self)
        case 2: expand(src, pairs, dst, UInt16.self)
        default: expand(src, pairs, dst, UInt32.self)
        }
    }

    private static func expand<T>(_ src: UnsafeRawBufferPointer, _ pairs: Int, _ dst: UnsafeMutableRawBufferPointer, _: T.Type) {
        guard pairs > 0, let sb = src.baseAddress, let db = dst.baseAddress else { return }
        let s = sb.bindMemory(to: T.self, capacity: pairs * 4)
        let d = db.bindMemory(to: T.self, capacity: pairs * 6)
        for k in 0..<pairs {
            let y1 = s[4 * k], y2 = s[4 * k + 1], cb = s[4 * k + 2], cr = s[4 * k + 3]
            d[6 * k] = y1; d[6 * k + 1] = cb; d[6 * k + 2] = cr
            d[6 * k + 3] = y2; d[6 * k + 4] = cb; d[6 * k + 5] = cr
        }
    }

    /// One plane per sample (planar configuration 1) to interleaved samples.
    static func interleave(_ src: UnsafeRawBufferPointer, pixels: Int, samples: Int, width: Int, into dst: UnsafeMutableRawBufferPointer) {
        switch width {
        case 1: interleave(src, pixels, samples, dst, UInt8.self)
        case 2: interleave(src, pixels, samples, dst, UInt16.self)
        case 4: interleave(src, pixels, samples, dst, UInt32.self)
        default: interleave(src, pixels, samples, dst, UInt64.self)
        }
    }

    private static func interleave<T>(_ src: UnsafeRawBufferPointer, _ pixels: Int, _ samples: Int, _ dst: UnsafeMutableRawBufferPointer, _: T.Type) {
        guard pixels > 0, let sb = src.baseAddress, let db = dst.baseAddress else { return }
        let s = sb.bindMemory(to: T.self, capacity: pixels * samples)
        let d = db.bindMemory(to: T.self, capacity: pixels * samples)
        for c in 0..<samples {
            let plane = s + c * pixels
            for p in 0..<pixels { d[p * samples + c] = plane[p] }
        }
    }

    /// pydicom's correction of unused bits: shift left by `shift` and back, so that signed values
    /// are sign-extended from Bits Stored and unsigned values lose the bits above it.
    static func correctUnusedBits(_ buf: UnsafeMutableRawBufferPointer, type: PixelSampleType, shift: Int) {
        guard shift > 0 else { return }
        switch type {
        case .uint8: shiftAll(buf, UInt8.self, shift)
        case .int8: shiftAll(buf, Int8.self, shift)
        case .uint16: shiftAll(buf, UInt16.self, shift)
        case .int16: shiftAll(buf, Int16.self, shift)
        case .uint32: shiftAll(buf, UInt32.self, shift)
        case .int32: shiftAll(buf, Int32.self, shift)
        case .float32, .float64: break
        }
    }

    private static func shiftAll<T: FixedWidthInteger>(_ buf: UnsafeMutableRawBufferPointer, _: T.Type, _ shift: Int) {
        let n = buf.count / MemoryLayout<T>.size
        guard n > 0, shift < T.bitWidth, let base = buf.baseAddress else { return }
        let p = base.bindMemory(to: T.self, capacity: n)
        let s = T(shift)
        // Arithmetic right shift for signed types, logical for unsigned ones.
        for i in 0..<n { p[i] = (p[i] &<< s) &>> s }
    }

    /// Widens `count` samples of `fromWidth` bytes to `type`, keeping their value (sign-extending
    /// for signed types), as numpy does when pydicom stores a narrower decoded frame.
    static func widen(_ src: UnsafeRawBufferPointer, count: Int, fromWidth: Int, to type: PixelSampleType, into dst: UnsafeMutableRawBufferPointer) {
        guard count > 0, let sb = src.baseAddress, let db = dst.baseAddress else { return }
        func run<S: FixedWidthInteger, D: FixedWidthInteger>(_: S.Type, _: D.Type) {
            let s = sb.bindMemory(to: S.self, capacity: count)
            let d = db.bindMemory(to: D.self, capacity: count)
            for i in 0..<count { d[i] = D(truncatingIfNeeded: s[i]) }
        }
        switch (fromWidth, type) {
        case (1, .int16): run(Int8.self, Int16.self)
        case (1, .int32): run(Int8.self, Int32.self)
        case (2, .int32): run(Int16.self, Int32.self)
        case (1, .uint16): run(UInt8.self, UInt16.self)
        case (1, .uint32): run(UInt8.self, UInt32.self)
        case (2, .uint32): run(UInt16.self, UInt32.self)
        default: break
        }
    }

    /// YBR_FULL to RGB for 8-bit interleaved triples, in place, as pydicom's `convert_color_space`
    /// computes it: in 32-bit floats, R = Y + 1.402 (Cr - 128), G = Y - 0.114·1.772/0.587 (Cb - 128)
    /// - 0.299·1.402/0.587 (Cr - 128), B = Y + 1.772 (Cb - 128), each sum accumulated with fused
    /// multiply-adds in that order (as numpy's float32 matrix product does here: all 2^24 inputs
    /// give numpy's bytes), then floor(x + 0.5) clipped to 0...255 (PS3.3 C.7.6.3.1.2).
    static func ybrFullToRGB(_ buf: UnsafeMutableRawBufferPointer) {
        let n = buf.count / 3
        guard n > 0, let base = buf.baseAddress else { return }
        let p = base.assumingMemoryBound(to: UInt8.self)
        let crR = Float(1.402), cbB = Float(1.772)
        let cbG = Float(-0.114 * 1.772 / 0.587), crG = Float(-0.299 * 1.402 / 0.587)
        @inline(__always) func byte(_ x: Float) -> UInt8 {
            let r = (x + 0.5).rounded(.down)
            return r <= 0 ? 0 : r >= 255 ? 255 : UInt8(r)
        }
        for i in 0..<n {
            let y = Float(p[3 * i]), cb = Float(p[3 * i + 1]) - 128, cr = Float(p[3 * i + 2]) - 128
            // The matrix's zero terms add ±0 to y >= 0: left out.
            let r = y.addingProduct(cr, crR)
            let g = y.addingProduct(cb, cbG).addingProduct(cr, crG)
            let b = y.addingProduct(cb, cbB)
            p[3 * i] = byte(r)
            p[3 * i + 1] = byte(g)
            p[3 * i + 2] = byte(b)
        }
    }
}

extension Array where Element == UInt8 {
    /// `withUnsafeBytes` for a body that throws `PixelError` (the standard one erases the type).
    func withPixelBytes<R>(_ body: (UnsafeRawBufferPointer) throws(PixelError) -> R) throws(PixelError) -> R {
        let result = withUnsafeBytes { raw in Result { () throws(PixelError) -> R in try body(raw) } }
        return try result.get()
    }

    /// `withUnsafeMutableBytes` for a body that throws `PixelError`.
    mutating func withMutablePixelBytes<R>(_ body: (UnsafeMutableRawBufferPointer) throws(PixelError) -> R) throws(PixelError) -> R {
        let result = withUnsafeMutableBytes { raw in Result { () throws(PixelError) -> R in try body(raw) } }
        return try result.get()
    }
}
