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
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            if b < 0x80 { out.append(b) } else {
                out.append(0xC0 | b >> 6)
                out.append(0x80 | b & 0x3F)
            }
        }
        return String(decoding: out, as: UTF8.self)
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

/// The character sets named by Specific Character Set (0008,0005), and how to decode text with them,
/// including ISO 2022 code extensions (PS3.5 6.1.2.5, Annexes H–K).
public struct SpecificCharacterSet: Hashable, Sendable {
    /// The defined terms as found in the file (one per value).
    public let terms: [String]
    /// Warnings about unknown or misspelled terms (the fallback is the default repertoire, as pydicom).
    public let warnings: [String]
    /// The codec for values without escape sequences (the first term's).
    let firstCodec: TextCodec
    /// Whether escape sequences are interpreted (the first term is not a stand-alone encoding).
    let allowsExtensions: Bool
    let initialG1: G1

    public static let `default` = SpecificCharacterSet(terms: [])

    enum G0: Hashable, Sendable { case ascii, jisX0208, jisX0212 }
    enum G1: Hashable, Sendable {
        case none, katakana, ksx1001, gb2312
        case singleByte(String)
    }

    public init(terms rawTerms: [String]) {
        var warnings: [String] = []
        let terms = rawTerms.map { $0.trimmingSpaces() }
        self.terms = terms
        var codecs: [(codec: TextCodec, g1: G1, standAlone: Bool)] = []
        for (i, term) in terms.enumerated() {
            if i == 0 && term.isEmpty { codecs.append((.latin1, .none, false)); continue }
            if let known = SpecificCharacterSet.lookup(term) {
                codecs.append(known)
                continue
            }
            if let patched = SpecificCharacterSet.patch(term), let known = SpecificCharacterSet.lookup(patched) {
                warnings.append("Incorrect value for Specific Character Set '\(term)' - assuming '\(patched)'")
                codecs.append(known)
                continue
            }
            if !term.isEmpty, TextCodec.iconvKnows(term) {
                codecs.append((.system(term), .none, true))
                continue
            }
            warnings.append("Unknown encoding '\(term)' - using default encoding instead")
            codecs.append((.latin1, .none, false))
        }
        if codecs.isEmpty { codecs = [(.latin1, .none, false)] }
        if codecs.count > 1 && codecs[0].standAlone {
            warnings.append("Value '\(terms[0])' for Specific Character Set does not allow code extensions, ignoring: \(terms.dropFirst().joined(separator: ", "))")
        }
        firstCodec = codecs[0].codec
        allowsExtensions = !codecs[0].standAlone
        initialG1 = codecs[0].g1
        self.warnings = warnings
    }

    /// Parses the raw bytes of (0008,0005).
    public init(value: [UInt8]) {
        let text = String(decoding: value, as: UTF8.self)
        var parts = text.split(separator: "\\", omittingEmptySubsequences: false).map(String.init)
        while parts.count > 1, parts.last?.trimmingSpaces().isEmpty == true { parts.removeLast() }
        self.init(terms: parts)
    }

    public var isDefault: Bool { terms.allSatisfy { $0.isEmpty || $0 == "ISO_IR 6" || $0 == "ISO 2022 IR 6" } }

    static func lookup(_ term: String) -> (codec: TextCodec, g1: G1, standAlone: Bool)? {
        switch term {
        case "ISO_IR 6", "ISO 2022 IR 6": return (.latin1, .none, false)
        case "ISO_IR 100", "ISO 2022 IR 100": return (.latin1, .singleByte("ISO-8859-1"), false)
        case "ISO_IR 192": return (.utf8, .none, true)
        case "GB18030": return (.system("GB18030"), .none, true)
        case "GBK", "ISO 2022 GBK": return (.system("GBK"), .none, true)
        case "ISO_IR 13", "ISO 2022 IR 13": return (.system("SHIFT_JIS"), .katakana, false)
        case "ISO 2022 IR 87": return (.latin1, .none, false)
        case "ISO 2022 IR 159": return (.latin1, .none, false)
        case "ISO 2022 IR 149": return (.system("EUC-KR"), .ksx1001, false)
        case "ISO 2022 IR 58", "ISO 2022 58": return (.system("GB2312"), .gb2312, false)
        default: break
        }
        for prefix in ["ISO_IR ", "ISO 2022 IR "] where term.hasPrefix(prefix) {
            let name: String
            switch term.dropFirst(prefix.count) {
            case "101": name = "ISO-8859-2"
            case "109": name = "ISO-8859-3"
            case "110": name = "ISO-8859-4"
            case "144": name = "ISO-8859-5"
            case "127": name = "ISO-8859-6"
            case "126": name = "ISO-8859-7"
            case "138": name = "ISO-8859-8"
            case "148": name = "ISO-8859-9"
            case "203": name = "ISO-8859-15"
            case "166": name = "TIS-620"
            default: return nil
            }
            return (.system(name), .singleByte(name), false)
        }
        return nil
    }

    /// pydicom's corrections of common misspellings: `ISO-IR 100`, `ISO IR 100` → `ISO_IR 100`;
    /// `ISO-2022-IR 87` → `ISO 2022 IR 87`.
    static func patch(_ term: String) -> String? {
        let u = Array(term.utf8)
        if u.count > 6, term.hasPrefix("ISO"), u[3] != UInt8(ascii: "_"), term.dropFirst(4).hasPrefix("IR") {
            return "ISO_IR" + String(term.dropFirst(6))
        }
        if u.count > 12, term.hasPrefix("ISO"), term.dropFirst(4).hasPrefix("2022"), term.dropFirst(9).hasPrefix("IR"),
           !term.hasPrefix("ISO 2022 IR ") {
            return "ISO 2022 IR " + String(term.dropFirst(12))
        }
        return nil
    }

    // MARK: decoding

    /// Decodes a text value. `personName` makes `^` and `=` reset the code extensions too.
    public func decode(_ bytes: UnsafeRawBufferPointer, personName: Bool = false) -> String {
        if !allowsExtensions || !bytes.contains(0x1B) {
            return firstCodec.decode(bytes)
        }
        return decodeISO2022(bytes, personName: personName)
    }

    public func decode(_ bytes: [UInt8], personName: Bool = false) -> String {
        bytes.withUnsafeBytes { decode($0, personName: personName) }
    }

    private enum Run: Equatable { case ascii, codec(TextCodec), katakana }

    private func decodeISO2022(_ bytes: UnsafeRawBufferPointer, personName: Bool) -> String {
        var g0 = G0.ascii
        var g1 = initialG1
        var result = ""
        var pending: [UInt8] = []
        var pendingRun = Run.ascii
        func flush() {
            guard !pending.isEmpty else { return }
            switch pendingRun {
            case .ascii: result += String(decoding: pending, as: UTF8.self)
            case .katakana:
                for b in pending { result.unicodeScalars.append(Unicode.Scalar(0xFF61 + UInt32(b) - 0xA1)!) }
            case .codec(let c): result += pending.withUnsafeBytes { c.decode($0) }
            }
            pending.removeAll(keepingCapacity: true)
        }
        func emit(_ run: Run, _ b: [UInt8]) {
            if run != pendingRun { flush(); pendingRun = run }
            pending.append(contentsOf: b)
        }
        var i = 0
        let n = bytes.count
        while i < n {
            let b = bytes[i]
            if b == 0x1B {
                // ESC sequence: intermediate bytes 0x20–0x2F, then a final byte 0x30–0x7E.
                var j = i + 1
                while j < n, bytes[j] >= 0x20, bytes[j] <= 0x2F { j += 1 }
                let seq = j < n ? Array(bytes[(i + 1)...j]) : Array(bytes[(i + 1)..<n])
                if let (newG0, newG1) = SpecificCharacterSet.designation(seq) {
                    if let x = newG0 { g0 = x }
                    if let x = newG1 { g1 = x }
                } else {
                    emit(.codec(firstCodec), [0x1B] + seq) // unknown escape: keep the bytes
                }
                i = min(j + 1, n)
                continue
            }
            if b < 0x80 {
                if g0 != .ascii, b >= 0x21, b <= 0x7E {
                    if i + 1 < n, bytes[i + 1] >= 0x21, bytes[i + 1] <= 0x7E {
                        let pair: [UInt8] = g0 == .jisX0208 ? [b | 0x80, bytes[i + 1] | 0x80] : [0x8F, b | 0x80, bytes[i + 1] | 0x80]
                        emit(.codec(.system("EUC-JP")), pair)
                        i += 2
                    } else {
                        emit(.codec(.system("EUC-JP")), [0xFF]) // lone byte: replacement character
                        i += 1
                    }
                    continue
                }
                let isDelimiter = b == 0x0D || b == 0x0A || b == 0x09 || b == 0x0C || b == 0x5C
                    || (personName && (b == 0x5E || b == 0x3D))
                if isDelimiter && g0 == .ascii { g1 = initialG1 }
                emit(.ascii, [b])
                i += 1
                continue
            }
            switch g1 {
            case .katakana where b >= 0xA1 && b <= 0xDF:
                emit(.katakana, [b]); i += 1
            case .ksx1001, .gb2312:
                let codec = TextCodec.system(g1 == .ksx1001 ? "EUC-KR" : "GB2312")
                if i + 1 < n, bytes[i + 1] >= 0x80 {
                    emit(.codec(codec), [b, bytes[i + 1]]); i += 2
                } else {
                    emit(.codec(codec), [b]); i += 1
                }
            case .singleByte(let name):
                emit(.codec(name == "ISO-8859-1" ? .latin1 : .system(name)), [b]); i += 1
            default:
                emit(.codec(firstCodec), [b]); i += 1
            }
        }
        flush()
        return result
    }

    /// The designation an escape sequence (without ESC) makes: (new G0, new G1).
    static func designation(_ seq: [UInt8]) -> (G0?, G1?)? {
        switch seq {
        case [0x28, 0x42]: return (.ascii, nil)              // ESC ( B  ISO-IR 6
        case [0x28, 0x4A]: return (.ascii, nil)              // ESC ( J  ISO-IR 14 (JIS X 0201 Romaji)
        case [0x29, 0x49]: return (nil, .katakana)           // ESC ) I  ISO-IR 13
        case [0x24, 0x42], [0x24, 0x40]: return (.jisX0208, nil) // ESC $ B  ISO-IR 87
        case [0x24, 0x28, 0x44]: return (.jisX0212, nil)     // ESC $ ( D  ISO-IR 159
        case [0x24, 0x29, 0x43]: return (nil, .ksx1001)      // ESC $ ) C  ISO-IR 149
        case [0x24, 0x29, 0x41]: return (nil, .gb2312)       // ESC $ ) A  ISO-IR 58
        default: break
        }
        guard seq.count == 2, seq[0] == 0x2D else { return nil }  // ESC - F: 96-character G1 sets
        let name: String
        switch seq[1] {
        case 0x41: name = "ISO-8859-1"
        case 0x42: name = "ISO-8859-2"
        case 0x43: name = "ISO-8859-3"
        case 0x44: name = "ISO-8859-4"
        case 0x4C: name = "ISO-8859-5"
        case 0x47: name = "ISO-8859-6"
        case 0x46: name = "ISO-8859-7"
        case 0x48: name = "ISO-8859-8"
        case 0x4D: name = "ISO-8859-9"
        case 0x62: name = "ISO-8859-15"
        case 0x54: name = "TIS-620"
        default: return nil
        }
        return (nil, .singleByte(name))
    }
}

extension String {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while s.first == " " { s.removeFirst() }
        while s.last == " " || s.last == "\0" { s.removeLast() }
        return String(s)
    }
}
