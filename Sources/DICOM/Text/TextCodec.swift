#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A text codec: the fast paths are done in Swift, everything else through the C library's iconv,
/// which (unlike Foundation on Linux) knows every character set DICOM uses.
public enum TextCodec: Hashable, Sendable {
    case latin1
    case utf8
    case system(String)

    public func decode(_ bytes: UnsafeRawBufferPointer) -> String {
        if bytes.isEmpty { return "" }
        // Pure ASCII is the same in every codec DICOM allows except when escape sequences are in play,
        // and ESC is ASCII too, so the caller decides before coming here.
        switch self {
        case .utf8:
            return String(decoding: bytes, as: UTF8.self)
        case .latin1:
            return TextCodec.decodeLatin1(bytes)
        case .system(let name):
            if TextCodec.isASCII(bytes) { return String(decoding: bytes, as: UTF8.self) }
            return TextCodec.iconvDecode(bytes, from: name) ?? TextCodec.decodeLatin1(bytes)
        }
    }

    public func decode(_ bytes: [UInt8]) -> String {
        bytes.withUnsafeBytes { decode($0) }
    }

    static func isASCII(_ bytes: UnsafeRawBufferPointer) -> Bool {
        for b in bytes where b >= 0x80 { return false }
        return true
    }

    static func decodeLatin1(_ bytes: UnsafeRawBufferPointer) -> String {
        if isASCII(bytes) { return String(decoding: bytes, as: UTF8.self) }
        return String(decoding: latin1UTF8(bytes), as: UTF8.self)
    }

    /// Whether iconv knows this encoding name.
    static func iconvKnows(_ name: String) -> Bool {
        let cd = iconv_open("UTF-8", name)
        if cd == iconv_t(bitPattern: -1) { return false }
        iconv_close(cd)
        return true
    }

    /// Decodes with iconv; invalid or incomplete sequences become U+FFFD (like Python's
    /// `errors="replace"`, which pydicom falls back to). Nil if iconv does not know the encoding.
    static func iconvDecode(_ bytes: UnsafeRawBufferPointer, from name: String) -> String? {
        let cd = iconv_open("UTF-8", name)
        if cd == iconv_t(bitPattern: -1) { return nil }
        defer { iconv_close(cd) }
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 3 + 16)
        var chunk = [UInt8](repeating: 0, count: 4096)
        var inPtr = UnsafeMutablePointer<CChar>(mutating: bytes.baseAddress!.assumingMemoryBound(to: CChar.self))
        var inLeft = bytes.count
        let replacement: [UInt8] = [0xEF, 0xBF, 0xBD]
        while inLeft > 0 {
            let produced: Int
            let result: Int
            (result, produced) = chunk.withUnsafeMutableBytes { cb -> (Int, Int) in
                var outPtr: UnsafeMutablePointer<CChar>? = cb.baseAddress!.assumingMemoryBound(to: CChar.self)
                var outLeft = cb.count
                var inP: UnsafeMutablePointer<CChar>? = inPtr
                let r = iconv(cd, &inP, &inLeft, &outPtr, &outLeft)
                inPtr = inP!
                return (r, cb.count - outLeft)
            }
            out.append(contentsOf: chunk[0..<produced])
            if result == -1 {
                switch errno {
                case E2BIG: continue
                case EILSEQ, EINVAL:
                    out.append(contentsOf: replacement)
                    inPtr += 1
                    inLeft -= 1
                    // Reset shift state after an error.
                    iconv(cd, nil, nil, nil, nil)
                default:
                    return String(decoding: out, as: UTF8.self)
                }
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// ISO 8859-1 bytes as UTF-8 bytes (the default repertoire, as pydicom decodes it). The one Latin-1
/// decoder: `TextCodec.latin1` and the rendering of non-text VRs both use it.
@inline(__always) func latin1UTF8<C: Collection>(_ b: C) -> [UInt8] where C.Element == UInt8 {
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
