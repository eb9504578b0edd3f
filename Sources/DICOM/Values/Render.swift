// Values: what element values mean — rendering as text (here), typed accessors, DA and TM values,
// and hex for binary values.

/// Rendering element values as text, the way pydicom's `str()` shows them (with multiple values
/// joined by a backslash).
extension DataSet {
    /// Renders an element of this data set.
    ///
    /// - Text VRs with the Specific Character Set (SH, LO, UC, ST, LT, UT, PN) are decoded with it;
    ///   all others as the default repertoire (ISO 8859-1, like pydicom).
    /// - Padding is removed as pydicom does: trailing spaces and NULs (per value for SH/LO/UC,
    ///   of the whole value otherwise), spaces on both sides of AE, IS and DS values.
    /// - Binary numbers become decimal text (FL via Double, like Python's `repr`); AT as `(gggg,eeee)`.
    /// - Other binary values become lowercase hex, cut after `maxBinaryBytes` bytes with the full
    ///   length noted.
    public func render(_ e: Element, maxBinaryBytes: Int = 64) -> String {
        switch e.value {
        case .notLoaded(_, let length):
            return "(\(length) bytes not loaded)"
        case .truncated(let prefix, _, let length):
            return hex(prefix, max: maxBinaryBytes, fullLength: length)
        case .sequence(let items):
            return "(Sequence with \(items.count) item\(items.count == 1 ? "" : "s"))"
        case .fragments(let f):
            return "(PixelSequence with \(f.count) item\(f.count == 1 ? "" : "s"))"
        case .bytes(let b):
            return renderBytes(b, vr: e.vr, maxBinaryBytes: maxBinaryBytes)
        }
    }

    public func renderBytes(_ b: [UInt8], vr: VR, maxBinaryBytes: Int = 64) -> String {
        // Padding is removed on bytes: a space or NUL byte is never part of a multi-byte character in
        // the character sets DICOM allows. Values are split at backslashes after decoding (in UTF-8 a
        // 0x5C byte is always a backslash; in the source character set it may not be).
        switch vr {
        case .SH, .LO, .UC:
            return perValue(Array(characterSet.decode(b).utf8), leading: false)
        case .PN:
            return characterSet.decode(Array(b[..<paddedEnd(b)]), personName: true)
        case .ST, .LT, .UT:
            return characterSet.decode(Array(b[..<paddedEnd(b)]))
        case .AE, .IS, .DS:
            return perValue(latin1UTF8(b[..<paddedEnd(b)]), leading: true)
        case .UI, .CS, .AS, .DA, .DT, .TM, .UR:
            return String(decoding: latin1UTF8(b[..<paddedEnd(b)]), as: UTF8.self)
        case .US, .SS, .UL, .SL, .FL, .FD, .SV, .UV, .AT:
            return numbers(b, vr: vr).joined(separator: "\\")
        default:
            return hex(b, max: maxBinaryBytes)
        }
    }

    /// The values of a binary-number element as text, one string per value.
    func numbers(_ b: [UInt8], vr: VR) -> [String] {
        guard let width = vr.binaryWidth else { return [] }
        let be = isBigEndian
        var out: [String] = []
        out.reserveCapacity(b.count / width)
        var i = 0
        func u(_ n: Int) -> UInt64 {
            var v: UInt64 = 0
            for k in 0..<n { v |= UInt64(b[i + (be ? n - 1 - k : k)]) << (8 * UInt64(k)) }
            return v
        }
        while i + width <= b.count {
            switch vr {
            case .US: out.append(String(UInt16(u(2))))
            case .SS: out.append(String(Int16(bitPattern: UInt16(u(2)))))
            case .UL: out.append(String(UInt32(u(4))))
            case .SL: out.append(String(Int32(bitPattern: UInt32(u(4)))))
            case .FL: out.append(pythonRepr(Double(Float(bitPattern: UInt32(u(4))))))
            case .FD: out.append(pythonRepr(Double(bitPattern: u(8))))
            case .SV: out.append(String(Int64(bitPattern: u(8))))
            case .UV: out.append(String(u(8)))
            case .AT:
                let g = UInt16(u(2))
                i += 2
                let el = UInt16(u(2))
                i -= 2
                out.append(Tag(group: g, element: el).description)
            default: break
            }
            i += width
        }
        return out
    }
}

/// The end of a value without its trailing space and NUL padding.
@inline(__always) func paddedEnd<C: RandomAccessCollection>(_ b: C) -> C.Index where C.Element == UInt8 {
    var end = b.endIndex
    while end > b.startIndex {
        let c = b[b.index(before: end)]
        if c != 0x20 && c != 0x00 { break }
        end = b.index(before: end)
    }
    return end
}

/// Splits UTF-8 text at backslashes, removes each value's trailing padding (and leading spaces if
/// `leading`), and joins the values again with backslashes.
func perValue(_ u: [UInt8], leading: Bool) -> String {
    var out: [UInt8] = []
    out.reserveCapacity(u.count)
    var start = 0
    var i = 0
    while i <= u.count {
        if i == u.count || u[i] == 0x5C {
            var s = start, e = i
            while e > s, u[e - 1] == 0x20 || u[e - 1] == 0x00 { e -= 1 }
            if leading { while s < e, u[s] == 0x20 { s += 1 } }
            if start > 0 { out.append(0x5C) }
            out.append(contentsOf: u[s..<e])
            start = i + 1
        }
        i += 1
    }
    return String(decoding: out, as: UTF8.self)
}

/// Python's `repr(float)`: shortest round-trip digits, exponent form below 1e-4 and from 1e16.
func pythonRepr(_ d: Double) -> String {
    if d.isNaN { return "nan" }
    if d.isInfinite { return d < 0 ? "-inf" : "inf" }
    // Swift's description is also the shortest round-trip form and switches to exponent
    // notation at the same thresholds; only the exponent spelling differs (e-05 vs e-05 is the same,
    // Swift writes "1e-05" too), so use it as is.
    return d.description
}
