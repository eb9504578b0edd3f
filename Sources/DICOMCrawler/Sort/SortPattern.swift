import DICOM

/// The folder pattern of `dicomcrawler sort`: literal text with `{Keyword}` or `{Keyword:modifiers}`
/// fields; `/` separates folders; `{{` and `}}` are literal braces.
///
/// Modifiers (comma-separated): `upper`, `lower`, `nospace` (spaces become `_`), `0N` (an integer
/// value zero-padded to N digits: `{SeriesNumber:04}` is `0003`), `N` (cut to at most N characters).
/// N is 1...255; binary and sequence fields (VR OB, OW, OF, OD, OL, OV, UN, SQ) are refused.
/// A missing or empty value is `UNKNOWN`. Every value is made safe for a file name: `/`, `\`, NUL,
/// control characters and `< > : " | ? *` become `_`; `.` and `..` become `_` and `__` and a leading
/// `.` becomes `_`; a folder name over 255 bytes has its longest values cut and a hash of the full
/// name appended (`finishComponent`).
public struct SortPattern: Sendable, Equatable {
    public enum Piece: Sendable, Equatable {
        case literal(String)
        case field(keyword: String, tag: Tag, modifiers: [Modifier])
        case separator
    }
    public enum Modifier: Sendable, Equatable {
        case upper, lower, noSpace
        case zeroPad(Int)
        case maxLength(Int)
    }

    public let pieces: [Piece]
    public let text: String

    /// The old tool's layout: `DOE^JOHN_123/T1_MPRAGE_0003`.
    public static let defaultText = "{PatientName:upper,nospace}_{PatientID}/{SeriesDescription:upper,nospace}_{SeriesNumber:04}"

    public struct ParseError: Error, CustomStringConvertible, Equatable {
        public let message: String
        public var description: String { message }
    }

    public init(_ text: String) throws(ParseError) {
        self.text = text
        var pieces: [Piece] = []
        var literal = ""
        var chars = Array(text)[...]
        func flush() {
            if !literal.isEmpty { pieces.append(.literal(literal)); literal = "" }
        }
        while let c = chars.popFirst() {
            switch c {
            case "{":
                if chars.first == "{" { chars.removeFirst(); literal.append("{"); continue }
                guard let close = chars.firstIndex(of: "}") else { throw ParseError(message: "pattern '\(text)': '{' without '}'") }
                let inside = String(chars[..<close])
                chars = chars[chars.index(after: close)...]
                let parts = inside.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
                let keyword = String(parts[0])
                guard let tag = DataDictionary.tag(forKeyword: keyword) else {
                    throw ParseError(message: "pattern '\(text)': '\(keyword)' is not a DICOM keyword (keywords are like PatientID, SeriesNumber)")
                }
                if let vr = DataDictionary.vr(for: tag)?.vr, vr.isBulk || vr == .SQ || vr == .none {
                    throw ParseError(message: "pattern '\(text)': {\(keyword)} is binary data or a sequence (VR \(vr == .none ? "none" : vr.description)), not a value a folder can be named by")
                }
                var modifiers: [Modifier] = []
                if parts.count == 2 {
                    for m in parts[1].split(separator: ",", omittingEmptySubsequences: false) {
                        switch m {
                        case "upper": modifiers.append(.upper)
                        case "lower": modifiers.append(.lower)
                        case "nospace": modifiers.append(.noSpace)
                        default:
                            guard !m.isEmpty, m.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                                throw ParseError(message: "pattern '\(text)': unknown modifier '\(m)' in {\(inside)} (use upper, lower, nospace, 0N to zero-pad, N to cut)")
                            }
                            // A folder name is at most 255 bytes: wider pads or cuts cannot be honoured.
                            guard let n = Int(m), (1...255).contains(n) else {
                                throw ParseError(message: "pattern '\(text)': width '\(m)' in {\(inside)} must be 1 to 255 (a folder name is at most 255 bytes)")
                            }
                            modifiers.append(m.count >= 2 && m.first == "0" ? .zeroPad(n) : .maxLength(n))
                        }
                    }
                }
                flush()
                pieces.append(.field(keyword: keyword, tag: tag, modifiers: modifiers))
            case "}":
                if chars.first == "}" { chars.removeFirst(); literal.append("}"); continue }
                throw ParseError(message: "pattern '\(text)': '}' without '{' (write '}}' for a literal brace)")
            case "/":
                flush()
                pieces.append(.separator)
            default:
                literal.append(c)
            }
        }
        flush()
        if pieces.isEmpty { throw ParseError(message: "the pattern is empty") }
        self.pieces = pieces
    }

    /// The tags the pattern needs.
    public var tags: Set<Tag> {
        Set(pieces.compactMap { if case .field(_, let tag, _) = $0 { return tag }; return nil })
    }

    /// The folder names (one per `/`-separated part) for a file, given how to get a value.
    public func folders(_ value: (Tag) -> String?) -> [String] {
        var folders: [String] = []
        var parts: [(text: String, isField: Bool)] = []
        for piece in pieces {
            switch piece {
            case .literal(let s): parts.append((safeName(s), false))
            case .separator:
                folders.append(finishComponent(parts))
                parts = []
            case .field(_, let tag, let modifiers):
                parts.append((render(value(tag), modifiers), true))
            }
        }
        folders.append(finishComponent(parts))
        return folders.filter { !$0.isEmpty }
    }

    func render(_ raw: String?, _ modifiers: [Modifier]) -> String {
        var v = DICOMText.trimmed(raw ?? "")
        if v.isEmpty { return "UNKNOWN" }
        for m in modifiers {
            switch m {
            case .upper: v = v.uppercased()
            case .lower: v = v.lowercased()
            case .noSpace: v = String(v.map { $0 == " " ? "_" : $0 })
            case .zeroPad(let n):
                if let i = Int(v), i >= 0 {
                    let digits = String(i)
                    v = String(repeating: "0", count: max(0, n - digits.count)) + digits
                }
            case .maxLength(let n): v = String(v.prefix(n))
            }
        }
        return safeName(v)
    }
}

/// Replaces what a file name cannot or should not hold with `_`.
func safeName(_ s: String) -> String {
    var out = String.UnicodeScalarView()
    for u in s.unicodeScalars {
        switch u {
        case "/", "\\", "<", ">", ":", "\"", "|", "?", "*": out.append("_")
        default:
            if u.value < 0x20 || u.value == 0x7F || (0x80...0x9F).contains(u.value) { out.append("_") } else { out.append(u) }
        }
    }
    return String(out)
}

/// A folder name from its parts (literal text and field values): `.` and `..` become `_` and `__`,
/// and a leading `.` becomes `_` (so no value makes a hidden folder that later runs would skip).
/// A name longer than 255 bytes is shortened where it is long: the longest field values are cut
/// (on a character boundary) to a common length, so literals and short values such as an ID stay
/// whole, and `~` and 12 hexadecimal digits of a hash (64-bit FNV-1a) of the full uncut name are
/// appended, so two names that differ only in what was cut stay two names.
func finishComponent(_ parts: [(text: String, isField: Bool)]) -> String {
    var s = parts.map(\.text).joined()
    if s == "." { return "_" }
    if s == ".." { return "__" }
    if s.utf8.count > 255 {
        let marker = "~" + hashHex(s)
        let budget = 255 - marker.utf8.count
        let fixed = parts.reduce(0) { $0 + ($1.isField ? 0 : $1.text.utf8.count) }
        if fixed >= budget {
            s = prefix(s, bytes: budget) + marker
        } else {
            // The largest per-value length at which the name fits.
            func total(_ cap: Int) -> Int { parts.reduce(fixed) { $0 + ($1.isField ? prefix($1.text, bytes: cap).utf8.count : 0) } }
            var low = 0, high = parts.map { $0.text.utf8.count }.max() ?? 0
            while low < high {
                let mid = (low + high + 1) / 2
                if total(mid) <= budget { low = mid } else { high = mid - 1 }
            }
            s = parts.map { $0.isField ? prefix($0.text, bytes: low) : $0.text }.joined() + marker
        }
    }
    if s.utf8.first == UInt8(ascii: ".") { s = "_" + s.dropFirst() }
    return s
}

/// The longest prefix of `s` of at most `bytes` UTF-8 bytes that ends on a character boundary.
private func prefix(_ s: String, bytes: Int) -> String {
    if s.utf8.count <= bytes { return s }
    var cut = ""
    var n = 0
    for c in s {
        let k = c.utf8.count
        if n + k > bytes { break }
        cut.append(c)
        n += k
    }
    return cut
}

/// 12 hexadecimal digits of the 64-bit FNV-1a hash of a name's UTF-8 bytes (stable across runs and machines).
private func hashHex(_ s: String) -> String {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in s.utf8 {
        h ^= UInt64(b)
        h = h &* 0x0000_0100_0000_01B3
    }
    let hex = String(h >> 16, radix: 16)
    return String(repeating: "0", count: 12 - hex.count) + hex
}
