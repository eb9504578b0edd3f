import DICOM

/// The folder pattern of `dicomcrawler sort`: literal text with `{Keyword}` or `{Keyword:modifiers}`
/// fields; `/` separates folders; `{{` and `}}` are literal braces.
///
/// Modifiers (comma-separated): `upper`, `lower`, `nospace` (spaces become `_`), `0N` (an integer
/// value zero-padded to N digits: `{SeriesNumber:04}` is `0003`), `N` (cut to at most N characters).
/// A missing or empty value is `UNKNOWN`. Every value is made safe for a file name: `/`, `\`, NUL,
/// control characters and `< > : " | ? *` become `_`; every folder name is cut to 255 bytes (on a
/// character boundary), and `.` and `..` become `_` and `__`.
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
                var modifiers: [Modifier] = []
                if parts.count == 2 {
                    for m in parts[1].split(separator: ",", omittingEmptySubsequences: false) {
                        switch m {
                        case "upper": modifiers.append(.upper)
                        case "lower": modifiers.append(.lower)
                        case "nospace": modifiers.append(.noSpace)
                        default:
                            if m.count >= 2, m.first == "0", let n = Int(m), n > 0, n <= 64 {
                                modifiers.append(.zeroPad(n))
                            } else if let n = Int(m), n > 0 {
                                modifiers.append(.maxLength(n))
                            } else {
                                throw ParseError(message: "pattern '\(text)': unknown modifier '\(m)' in {\(inside)} (use upper, lower, nospace, 0N to zero-pad, N to cut)")
                            }
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
        var current = ""
        for piece in pieces {
            switch piece {
            case .literal(let s): current += safeName(s)
            case .separator:
                folders.append(finishComponent(current))
                current = ""
            case .field(_, let tag, let modifiers):
                current += render(value(tag), modifiers)
            }
        }
        folders.append(finishComponent(current))
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

/// `.` and `..` become `_` and `__`; at most 255 bytes, cut on a character boundary.
func finishComponent(_ s: String) -> String {
    var s = s
    if s == "." { s = "_" } else if s == ".." { s = "__" }
    if s.utf8.count > 255 {
        var cut = ""
        for c in s {
            if cut.utf8.count + String(c).utf8.count > 255 { break }
            cut.append(c)
        }
        s = cut
    }
    return s
}
