/// Rendering element values as text, the way pydicom's `str()` shows them (with multiple values
/// joined by a backslash), and typed accessors.
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

    // MARK: typed accessors

    /// The values of a string element, split at backslashes and stripped as `render` does.
    public func strings(_ tag: Tag) -> [String]? {
        guard let e = self[tag] else { return nil }
        if case .bytes(let b) = e.value, let width = e.vr.binaryWidth, width > 0, e.vr != .OW, e.vr != .OF, e.vr != .OL {
            return numbers(b, vr: e.vr)
        }
        let text = render(e)
        if e.vr.isSingleValuedText { return [text] }
        return text.split(separator: "\\", omittingEmptySubsequences: false).map(String.init)
    }

    /// The first value as an integer (IS, or a binary integer VR).
    public func int(_ tag: Tag) -> Int? {
        guard let first = strings(tag)?.first else { return nil }
        return Int(first.trimmingCharacters(" "))
    }

    /// The first value as a floating-point number (DS, FL, FD, or an integer VR).
    public func double(_ tag: Tag) -> Double? {
        guard let first = strings(tag)?.first else { return nil }
        return Double(first.trimmingCharacters(" "))
    }

    public func date(_ tag: Tag) -> DICOMDate? { string(tag).flatMap(DICOMDate.init) }
    public func time(_ tag: Tag) -> DICOMTime? { string(tag).flatMap(DICOMTime.init) }
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

/// ISO 8859-1 bytes as UTF-8 bytes (the default repertoire, as pydicom decodes it).
@inline(__always) func latin1UTF8(_ b: ArraySlice<UInt8>) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(b.count)
    for c in b {
        if c < 0x80 { out.append(c) } else {
            out.append(0xC0 | c >> 6)
            out.append(0x80 | c & 0x3F)
        }
    }
    return out
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

extension Substring {
    func trimmingCharacters(_ c: Character) -> String {
        var s = self
        while s.first == c { s.removeFirst() }
        while s.last == c { s.removeLast() }
        return String(s)
    }
}

extension String {
    func trimmingCharacters(_ c: Character) -> String { Substring(self).trimmingCharacters(c) }
}

/// Lowercase hex of the first `max` bytes; when cut (or when the value is longer than `b`, as
/// `fullLength` says), followed by `...(N bytes)`.
public func hex(_ b: [UInt8], max: Int, fullLength: Int? = nil) -> String {
    let digits: StaticString = "0123456789abcdef"
    let n = Swift.min(b.count, Swift.max(max, 0))
    var s = String(unsafeUninitializedCapacity: n * 2) { buf in
        for i in 0..<n {
            buf[2 * i] = digits.utf8Start[Int(b[i] >> 4)]
            buf[2 * i + 1] = digits.utf8Start[Int(b[i] & 0xF)]
        }
        return n * 2
    }
    let total = fullLength ?? b.count
    if n < total { s += "...(\(total) bytes)" }
    return s
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

/// A DA value: `YYYYMMDD` (also the pre-1993 `YYYY.MM.DD`).
public struct DICOMDate: Hashable, Comparable, Sendable {
    public let year: Int, month: Int, day: Int

    public init?(_ text: String) {
        let digits = text.trimmingCharacters(" ").filter { $0 != "." }
        guard digits.count == 8, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
              let y = Int(digits.prefix(4)), let m = Int(digits.dropFirst(4).prefix(2)), let d = Int(digits.suffix(2)),
              (1...12).contains(m), (1...31).contains(d) else { return nil }
        year = y; month = m; day = d
    }

    public static func < (a: DICOMDate, b: DICOMDate) -> Bool {
        (a.year, a.month, a.day) < (b.year, b.month, b.day)
    }
}

/// A TM value: `HH`, `HHMM`, `HHMMSS` or `HHMMSS.F` to `HHMMSS.FFFFFF` (also the old `HH:MM:SS`).
public struct DICOMTime: Hashable, Comparable, Sendable {
    public let hour: Int, minute: Int, second: Int
    /// Microseconds.
    public let microsecond: Int

    public init?(_ text: String) {
        var t = text.trimmingCharacters(" ")
        t.removeAll { $0 == ":" }
        let parts = t.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let main = parts[0]
        guard [2, 4, 6].contains(main.count), main.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        let h = Int(main.prefix(2))!
        let m = main.count >= 4 ? Int(main.dropFirst(2).prefix(2))! : 0
        let s = main.count >= 6 ? Int(main.dropFirst(4).prefix(2))! : 0
        var us = 0
        if parts.count == 2 {
            let f = parts[1]
            guard main.count == 6, f.count <= 6, f.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            us = f.isEmpty ? 0 : Int(f + String(repeating: "0", count: 6 - f.count))!
        }
        guard h < 24, m < 60, s < 61 else { return nil }
        hour = h; minute = m; second = s; microsecond = us
    }

    public static func < (a: DICOMTime, b: DICOMTime) -> Bool {
        (a.hour, a.minute, a.second, a.microsecond) < (b.hour, b.minute, b.second, b.microsecond)
    }
}
