// Template patterns: what a label's path and value strings mean. Plain text is a substring (the
// seed tool's meaning), text with `*`, `?` or `[...]` is a glob over the whole subject, `re:...` a
// regular expression searched anywhere in it.
#if canImport(Glibc)
import Glibc
#endif

/// One pattern of a template file, compiled once.
public struct TemplatePattern: Equatable, Sendable {
    public enum Kind: Equatable, Sendable {
        /// Found anywhere in the subject.
        case substring
        /// `fnmatch` over the whole subject: `*` any bytes (`/` too), `?` one byte, `[abc]`,
        /// `[a-z]`, `[!a]` one of a set; `\` makes the next character plain.
        case glob
        /// A regular expression (Swift's syntax, close to Python's `re`), searched anywhere in the
        /// subject: anchor it with `^` and `$` to match the whole.
        case regex
    }

    /// As written in the template file.
    public let text: String
    public let kind: Kind
    public let ignoreCase: Bool
    /// substring: the text's bytes (ASCII-folded when ignoring case); glob: the text with a NUL.
    private let bytes: [UInt8]
    private let regex: CompiledRegex?

    /// Why a pattern cannot be used, and where in its text (0-based offset of the character).
    public struct Problem: Error, Equatable, Sendable {
        public let message: String
        public let offset: Int
    }

    public init(_ text: String, ignoreCase: Bool) throws(Problem) {
        self.text = text
        self.ignoreCase = ignoreCase
        if text.hasPrefix("re:") {
            let source = String(text.dropFirst(3))
            if source.isEmpty { throw Problem(message: "an empty regular expression matches everything", offset: 3) }
            do {
                var r = try Regex(source)
                if ignoreCase { r = r.ignoresCase() }
                regex = CompiledRegex(r)
            } catch {
                throw Problem(message: "not a regular expression: \(error)", offset: 3)
            }
            // Searched anywhere, an expression that matches empty text matches everything (an empty
            // alternative, `t1|t2|`, is the usual slip).
            if regex!.search("") {
                throw Problem(message: "this expression matches empty text, so it would match everything (an empty alternative such as \"t1|t2|\"?)", offset: 3)
            }
            kind = .regex
            bytes = []
            return
        }
        let utf8 = Array(text.utf8)
        if utf8.contains(where: { $0 == UInt8(ascii: "*") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "[") }) {
            if let problem = Self.globProblem(utf8) { throw problem }
            if utf8.allSatisfy({ $0 == UInt8(ascii: "*") }) {
                throw Problem(message: "\"*\" alone matches everything (use --all for a row for every folder holding DICOM files)", offset: 0)
            }
            kind = .glob
            bytes = utf8 + [0]
        } else {
            kind = .substring
            // Plain text: every character is itself, a backslash too (as in ORIGINAL\PRIMARY).
            bytes = ignoreCase ? utf8.map(asciiLower) : utf8
        }
        regex = nil
    }

    public static func == (a: TemplatePattern, b: TemplatePattern) -> Bool {
        a.text == b.text && a.kind == b.kind && a.ignoreCase == b.ignoreCase
    }

    /// Whether the subject (a path's bytes, or a value's UTF-8) matches. ASCII text is compared
    /// byte by byte; other text by characters (canonically equivalent spellings, é as one code point
    /// or as e and an accent, are equal; case folds beyond ASCII), as a regular expression does.
    public func matches(_ subject: [UInt8]) -> Bool {
        if kind != .regex && !(subject.allSatisfy { $0 < 0x80 } && text.utf8.allSatisfy { $0 < 0x80 }) {
            return matchesCharacters(String(decoding: subject, as: UTF8.self))
        }
        switch kind {
        case .substring:
            return ignoreCase ? containsBytes(subject.map(asciiLower), bytes) : containsBytes(subject, bytes)
        case .glob:
            let flags: Int32 = ignoreCase ? fnmCaseFold : 0
            return (subject + [0]).withUnsafeBufferPointer { s in
                bytes.withUnsafeBufferPointer { p in
                    s.withMemoryRebound(to: CChar.self) { sc in
                        p.withMemoryRebound(to: CChar.self) { pc in fnmatch(pc.baseAddress!, sc.baseAddress!, flags) == 0 }
                    }
                }
            }
        case .regex:
            return regex!.search(String(decoding: subject, as: UTF8.self))
        }
    }

    /// The same for a rendered value.
    public func matches(_ value: String) -> Bool {
        kind == .regex ? regex!.search(value) : matches(Array(value.utf8))
    }

    /// Substring and glob by characters (for text that is not all ASCII).
    private func matchesCharacters(_ subject: String) -> Bool {
        let s = ignoreCase ? subject.lowercased() : subject
        switch kind {
        case .substring: return s.contains(ignoreCase ? text.lowercased() : text)
        case .glob: return Glob(text, ignoreCase: ignoreCase).matches(Array(s))
        case .regex: return regex!.search(subject)
        }
    }

    /// A glob's mistakes: a `[` without its `]`, a `\` at the end.
    private static func globProblem(_ p: [UInt8]) -> Problem? {
        var i = 0
        while i < p.count {
            switch p[i] {
            case UInt8(ascii: "\\"):
                if i + 1 == p.count { return Problem(message: "a pattern cannot end with a backslash (it makes the next character plain)", offset: i) }
                i += 2
                continue
            case UInt8(ascii: "["):
                // A set: `]` right after `[` or `[!` is a member; the set ends at the next `]`.
                var j = i + 1
                if j < p.count && (p[j] == UInt8(ascii: "!") || p[j] == UInt8(ascii: "^")) { j += 1 }
                if j < p.count && p[j] == UInt8(ascii: "]") { j += 1 }
                while j < p.count && p[j] != UInt8(ascii: "]") { j += 1 }
                if j == p.count {
                    // The pattern as a plain bracket found anywhere: a glob matches the whole subject.
                    let plain = String(decoding: Array(p[..<i]) + Array("\\[".utf8) + Array(p[(i + 1)...]), as: UTF8.self)
                    return Problem(message: "\"[\" opens a set of characters that no \"]\" closes (for a plain bracket anywhere in the path, write \"*\(plain)*\": \\[ is a plain bracket, and a glob matches the whole path)", offset: i)
                }
                i = j + 1
                continue
            default:
                i += 1
            }
        }
        return nil
    }
}

/// A compiled regular expression shared by the crawl's threads. Matching creates its own state per
/// call and the compiled program is made once, before any thread uses it (`init` runs a match);
/// Swift's `Regex` is not declared Sendable because of its generic output, which is not used here.
final class CompiledRegex: @unchecked Sendable {
    private let regex: Regex<AnyRegexOutput>

    init(_ regex: Regex<AnyRegexOutput>) {
        self.regex = regex
        _ = "".contains(regex)
    }

    func search(_ subject: String) -> Bool { subject.contains(regex) }
}

@inline(__always) func asciiLower(_ b: UInt8) -> UInt8 { b >= 0x41 && b <= 0x5A ? b + 32 : b }

func containsBytes(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
    if needle.isEmpty { return true }
    if needle.count > haystack.count { return false }
    let first = needle[0]
    var i = 0
    let last = haystack.count - needle.count
    while i <= last {
        if haystack[i] == first {
            var j = 1
            while j < needle.count && haystack[i + j] == needle[j] { j += 1 }
            if j == needle.count { return true }
        }
        i += 1
    }
    return false
}

/// glibc's FNM_CASEFOLD (a GNU extension, 1 << 4 in <fnmatch.h>, which Swift's Glibc module leaves
/// out): letters compared without regard to case.
let fnmCaseFold: Int32 = 1 << 4

/// A glob over characters: `*` any run, `?` one character, `[...]` one of a set (ranges by code
/// point; `!` or `^` first negates), `\` makes the next character plain. Matches the whole subject.
struct Glob {
    enum Token {
        case literal(Character)
        case one
        case any
        case set(negated: Bool, members: [Character], ranges: [ClosedRange<UInt32>])
    }
    let tokens: [Token]

    /// `pattern` has been checked (`globProblem`); `ignoreCase`: the subject comes lowercased.
    init(_ pattern: String, ignoreCase: Bool) {
        let p = Array(ignoreCase ? pattern.lowercased() : pattern)
        var tokens: [Token] = []
        var i = 0
        while i < p.count {
            switch p[i] {
            case "*":
                if case .any? = tokens.last {} else { tokens.append(.any) }
            case "?":
                tokens.append(.one)
            case "\\" where i + 1 < p.count:
                i += 1
                tokens.append(.literal(p[i]))
            case "[":
                var j = i + 1
                var negated = false
                if j < p.count && (p[j] == "!" || p[j] == "^") { negated = true; j += 1 }
                var members: [Character] = [], ranges: [ClosedRange<UInt32>] = []
                var first = true
                while j < p.count && (p[j] != "]" || first) {
                    first = false
                    var c = p[j]
                    if c == "\\" && j + 1 < p.count { j += 1; c = p[j] }
                    if j + 2 < p.count && p[j + 1] == "-" && p[j + 2] != "]",
                       let lo = c.unicodeScalars.first?.value, let hi = p[j + 2].unicodeScalars.first?.value, lo <= hi {
                        ranges.append(lo...hi)
                        j += 3
                        continue
                    }
                    members.append(c)
                    j += 1
                }
                tokens.append(.set(negated: negated, members: members, ranges: ranges))
                i = j
            default:
                tokens.append(.literal(p[i]))
            }
            i += 1
        }
        self.tokens = tokens
    }

    /// Whole-subject match; `*` backtracks to the last star only (linear in practice, no blow-up).
    func matches(_ s: [Character]) -> Bool {
        var t = 0, c = 0
        var star = -1, starC = 0
        while c < s.count {
            if t < tokens.count, fits(tokens[t], s[c]) {
                t += 1; c += 1
            } else if t < tokens.count, case .any = tokens[t] {
                star = t; starC = c; t += 1
            } else if star >= 0 {
                t = star + 1; starC += 1; c = starC
            } else {
                return false
            }
        }
        while t < tokens.count, case .any = tokens[t] { t += 1 }
        return t == tokens.count
    }

    private func fits(_ token: Token, _ ch: Character) -> Bool {
        switch token {
        case .literal(let l): return l == ch
        case .one: return true
        case .any: return false
        case .set(let negated, let members, let ranges):
            let v = ch.unicodeScalars.count == 1 ? ch.unicodeScalars.first!.value : nil
            let inside = members.contains(ch) || (v.map { v in ranges.contains { $0.contains(v) } } ?? false)
            return inside != negated
        }
    }
}
