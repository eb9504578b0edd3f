// Text: decoding text values — Specific Character Set terms and lookup (here), the codecs and iconv
// (TextCodec.swift), ISO 2022 escape sequences (ISO2022.swift), and small shared text helpers.

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
        let terms = rawTerms.map(DICOMText.trimmed)
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
        if let known = SpecificCharacterSet.common(value) {
            self = known
            return
        }
        let text = String(decoding: value, as: UTF8.self)
        var parts = text.split(separator: "\\", omittingEmptySubsequences: false).map(String.init)
        while parts.count > 1, parts.last.map(DICOMText.trimmed)?.isEmpty == true { parts.removeLast() }
        self.init(terms: parts)
    }

    /// The values most files hold, parsed once: a value that is one of these terms, followed only
    /// by space or NUL padding, parses to exactly what `init(terms: [term])` gives (no backslash, no
    /// leading space, so the split and the trimming above leave that one term).
    private static let commonTerms = ["ISO_IR 100", "ISO_IR 192", "ISO_IR 6", "ISO 2022 IR 6", "ISO 2022 IR 100"]
    private static let commonBytes: [[UInt8]] = commonTerms.map { Array($0.utf8) }
    private static let commonSets: [SpecificCharacterSet] = commonTerms.map { SpecificCharacterSet(terms: [$0]) }

    private static func common(_ value: [UInt8]) -> SpecificCharacterSet? {
        var n = value.count
        while n > 0, value[n - 1] == 0x20 || value[n - 1] == 0x00 { n -= 1 }
        let candidates = commonBytes
        for k in candidates.indices where candidates[k].count == n && candidates[k].elementsEqual(value[..<n]) {
            return commonSets[k]
        }
        return nil
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
}
