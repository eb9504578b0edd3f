import DICOM
#if canImport(Glibc)
import Glibc
#endif

/// One label of a template file: which folders it names, and (extended form) what their first
/// DICOM file must hold, and what it leaves out.
public struct ModalityTemplate: Equatable, Sendable {
    public struct Condition: Equatable, Sendable {
        public let keyword: String
        public let tag: Tag
        /// Any of these (as written), compared without regard to case: substrings, globs or
        /// regular expressions (`TemplatePattern`). Empty for a range.
        public let values: [String]
        let patterns: [TemplatePattern]
        /// A range (`{"min": 2, "max": 5}`): the value's first number must lie within it.
        public let minimum: Double?
        public let maximum: Double?

        /// Whether a rendered value meets the condition. Values are matched on their first
        /// `maxMatchedBytes` bytes, so that a pattern's cost does not grow with a value a file makes
        /// huge (real values are at most a few kilobytes). A regular expression that backtracks
        /// exponentially (`(a+)+$`) is the template's to avoid: the engine has no step limit.
        func matches(_ fullValue: String) -> Bool {
            let value = fullValue.utf8.count > ModalityTemplate.maxMatchedBytes
                ? String(decoding: fullValue.utf8.prefix(ModalityTemplate.maxMatchedBytes), as: UTF8.self) : fullValue
            if minimum != nil || maximum != nil {
                let first = value.split(separator: "\\", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
                guard let x = Double(first.trimmingSpaces), x.isFinite else { return false }
                return (minimum.map { x >= $0 } ?? true) && (maximum.map { x <= $0 } ?? true)
            }
            return patterns.contains { $0.matches(value) }
        }
    }

    /// What a label leaves out (`"exclude": {...}`, the shape of a label): a folder whose path
    /// matches one of its path patterns (or any path when it has none) and whose values meet all
    /// its conditions is not the label's.
    public struct Exclusion: Equatable, Sendable {
        public let pathPatterns: [TemplatePattern]
        public let conditions: [Condition]

        func matches(path: [UInt8], value: (Tag) -> String?) -> Bool {
            (pathPatterns.isEmpty || pathPatterns.contains { $0.matches(path) })
                && conditions.allSatisfy { c in value(c.tag).map(c.matches) ?? false }
        }
    }

    /// The most bytes of a value that conditions look at.
    public static let maxMatchedBytes = 8192

    public let label: String
    /// Patterns for a folder's path relative to the crawled directory (case-sensitive unless
    /// `ignoreCase`, as the old tool). Empty in the extended form without `path`: then every folder
    /// is a candidate.
    public let pathPatterns: [String]
    public let conditions: [Condition]
    public let exclude: Exclusion?
    /// Path patterns compared without regard to case (`"ignoreCase": true`, or `--ignore-case`).
    public let ignoreCase: Bool
    private let paths: [TemplatePattern]

    init(label: String, paths: [TemplatePattern], conditions: [Condition], exclude: Exclusion? = nil, ignoreCase: Bool = false) {
        self.label = label
        self.paths = paths
        pathPatterns = paths.map(\.text)
        self.conditions = conditions
        self.exclude = exclude
        self.ignoreCase = ignoreCase
    }

    /// Whether a folder is a candidate, from its path relative to the crawled directory (bytes,
    /// `/`-separated): one of the path patterns matches, and no exclusion that needs only the path
    /// leaves it out.
    public func matchesPath(_ relativePath: [UInt8]) -> Bool {
        if !paths.isEmpty && !paths.contains(where: { $0.matches(relativePath) }) { return false }
        if let exclude, exclude.conditions.isEmpty, exclude.matches(path: relativePath, value: { _ in nil }) { return false }
        return true
    }

    /// Whether the label needs the folder's values to decide (conditions, or an exclusion with
    /// conditions).
    public var needsValues: Bool { !conditions.isEmpty || !(exclude?.conditions.isEmpty ?? true) }

    /// Whether a candidate folder (`matchesPath`) is the label's, from its first DICOM file's values
    /// (`value(tag)` renders one, nil when absent): every condition holds (a missing value never
    /// matches) and the exclusion does not leave it out.
    public func matchesValues(_ value: (Tag) -> String?, path relativePath: [UInt8]) -> Bool {
        for c in conditions {
            guard let v = value(c.tag), c.matches(v) else { return false }
        }
        if let exclude, !exclude.conditions.isEmpty, exclude.matches(path: relativePath, value: value) { return false }
        return true
    }
}

extension Substring {
    var trimmingSpaces: Substring {
        var s = self
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return s
    }
}

/// A template file that cannot be used: says which file, where, and what is wrong.
public struct TemplateError: Error, Equatable, CustomStringConvertible, Sendable {
    public let path: String
    public let line: Int?
    public let column: Int?
    public let message: String

    public var description: String {
        if let line, let column { return "\(path):\(line):\(column): \(message)" }
        return "\(path): \(message)"
    }
}

/// The labels of a template file, in file order.
public struct TemplateSet: Equatable, Sendable {
    public let templates: [ModalityTemplate]

    public init(templates: [ModalityTemplate]) { self.templates = templates }

    /// Tags whose values the conditions (and exclusions) need.
    public var conditionTags: Set<Tag> {
        Set(templates.flatMap { t in t.conditions.map(\.tag) + (t.exclude?.conditions.map(\.tag) ?? []) })
    }

    /// Loads and checks a template file. The seed form maps labels to lists of path patterns,
    /// `{"CT": ["CT", "ComputedTomography"]}`; the extended form maps a label to an object with an
    /// optional `path` list, DICOM keywords, `ignoreCase` and `exclude`,
    /// `{"MRI": {"path": ["mri"], "Modality": ["MR"], "EchoTime": {"max": 5}}}`. Patterns are plain
    /// substrings, globs (`*`, `?`, `[...]`) or `re:` regular expressions (`TemplatePattern`).
    /// `ignoreCase`: every label's path patterns compared without regard to case.
    public static func load(path: String, ignoreCase: Bool = false) throws -> TemplateSet {
        // O_NONBLOCK: opening a FIFO must not wait for a writer; only a regular file is read.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        if fd < 0 { throw TemplateError(path: path, line: nil, column: nil, message: "cannot open the template file: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var st = stat()
        if fstat(fd, &st) != 0 || st.st_mode & S_IFMT != S_IFREG {
            throw TemplateError(path: path, line: nil, column: nil, message: "the template file is not a regular file")
        }
        var data: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw TemplateError(path: path, line: nil, column: nil, message: "cannot read the template file: \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            data += chunk[0..<n]
            if data.count > 16 << 20 { throw TemplateError(path: path, line: nil, column: nil, message: "the template file is larger than 16 MiB") }
        }
        return try parse(data, path: path, ignoreCase: ignoreCase)
    }

    public static func parse(_ data: [UInt8], path: String, ignoreCase: Bool = false) throws -> TemplateSet {
        let root: JSONNode
        do {
            root = try JSONParser.parse(data)
        } catch let e as JSONSyntaxError {
            throw TemplateError(path: path, line: e.line, column: e.column, message: "invalid JSON: \(e.message)")
        }
        func fail(_ node: JSONNode, _ message: String) -> TemplateError {
            TemplateError(path: path, line: node.line, column: node.column, message: message)
        }
        /// A pattern, or an error at its place: the column of the character at fault when the
        /// string has no escapes before it (else the string's start).
        func pattern(_ node: JSONNode, _ text: String, _ what: String, ignoreCase: Bool) throws -> TemplatePattern {
            do {
                return try TemplatePattern(text, ignoreCase: ignoreCase)
            } catch {
                // Columns count characters, as the JSON reader's do.
                let before = text.utf8.prefix(error.offset)
                let column = node.column + 1 + (before.contains(UInt8(ascii: "\\")) ? 0 : String(decoding: before, as: UTF8.self).count)
                throw TemplateError(path: path, line: node.line, column: column, message: "\(what): \"\(text)\": \(error.message)")
            }
        }
        func patterns(_ node: JSONNode, _ what: String, ignoreCase: Bool) throws -> [TemplatePattern] {
            guard case .array(let items) = node.value else { throw fail(node, "\(what) must be a list of strings, found \(node.value.typeName)") }
            if items.isEmpty { throw fail(node, "\(what) is an empty list") }
            return try items.map { item in
                guard case .string(let s) = item.value else { throw fail(item, "\(what) must contain only strings, found \(item.value.typeName)") }
                if s.isEmpty { throw fail(item, "\(what) contains an empty string, which would match every folder (--all gives every folder holding DICOM files a row)") }
                return try pattern(item, s, what, ignoreCase: ignoreCase)
            }
        }
        /// A DICOM keyword's condition: a string, a list of strings, or a range object.
        func condition(_ key: String, _ value: JSONNode, _ what: String) throws -> ModalityTemplate.Condition {
            guard let tag = DataDictionary.tag(forKeyword: key) else {
                throw fail(value, "\(what): \"\(key)\" is not a DICOM keyword (keywords are like \"Modality\", \"SeriesDescription\"; also allowed: \"path\", \"ignoreCase\", \"exclude\")")
            }
            if case .object(let bounds) = value.value {
                var minimum: Double?, maximum: Double?
                for (k, v) in bounds {
                    guard k == "min" || k == "max" else { throw fail(v, "\"\(key)\" of \(what): a range has \"min\" and/or \"max\", not \"\(k)\"") }
                    guard case .number(let x) = v.value else { throw fail(v, "\"\(key)\" of \(what): \"\(k)\" must be a number, found \(v.value.typeName)") }
                    guard x.isFinite else { throw fail(v, "\"\(key)\" of \(what): \"\(k)\" must be a finite number") }
                    if (k == "min" ? minimum : maximum) != nil { throw fail(v, "\"\(key)\" of \(what) has \"\(k)\" twice") }
                    if k == "min" { minimum = x } else { maximum = x }
                }
                if minimum == nil && maximum == nil { throw fail(value, "\"\(key)\" of \(what): a range needs \"min\" and/or \"max\"") }
                if let lo = minimum, let hi = maximum, lo > hi { throw fail(value, "\"\(key)\" of \(what): \"min\" \(lo) is greater than \"max\" \(hi)") }
                return .init(keyword: key, tag: tag, values: [], patterns: [], minimum: minimum, maximum: maximum)
            }
            let list: [TemplatePattern]
            if case .string(let single) = value.value {
                if single.isEmpty { throw fail(value, "\"\(key)\" of \(what) contains an empty string") }
                list = [try pattern(value, single, "\"\(key)\" of \(what)", ignoreCase: true)]
            } else {
                if case .array(let items) = value.value, items.contains(where: { $0.value == .string("") }) {
                    throw fail(value, "\"\(key)\" of \(what) contains an empty string")
                }
                list = try patterns(value, "\"\(key)\" of \(what)", ignoreCase: true)
            }
            return .init(keyword: key, tag: tag, values: list.map(\.text), patterns: list, minimum: nil, maximum: nil)
        }
        guard case .object(let members) = root.value else {
            throw fail(root, "the templates must be a JSON object mapping labels to lists of folder-name patterns, found \(root.value.typeName)")
        }
        if members.isEmpty { throw fail(root, "the template file names no labels") }
        var seen = Set<String>()
        var templates: [ModalityTemplate] = []
        for (label, node) in members {
            if label.isEmpty { throw fail(node, "a label is the empty string") }
            if !seen.insert(label).inserted { throw fail(node, "label \"\(label)\" appears twice") }
            let what = "label \"\(label)\""
            switch node.value {
            case .array:
                templates.append(ModalityTemplate(label: label, paths: try patterns(node, what, ignoreCase: ignoreCase), conditions: [], ignoreCase: ignoreCase))
            case .object(let fields):
                if fields.isEmpty { throw fail(node, "\(what) has an empty object: give \"path\" and/or DICOM keywords") }
                var keys = Set<String>()
                for (key, value) in fields where !keys.insert(key).inserted { throw fail(value, "\(what) has \"\(key)\" twice") }
                // ignoreCase first: it applies to the path patterns, wherever it is written.
                var labelIgnoresCase = ignoreCase
                if let (_, value) = fields.first(where: { $0.key == "ignoreCase" }) {
                    guard case .bool(let b) = value.value else { throw fail(value, "\"ignoreCase\" of \(what) must be true or false, found \(value.value.typeName)") }
                    labelIgnoresCase = labelIgnoresCase || b
                }
                var paths: [TemplatePattern] = []
                var conditions: [ModalityTemplate.Condition] = []
                var exclude: ModalityTemplate.Exclusion?
                for (key, value) in fields {
                    switch key {
                    case "ignoreCase": continue
                    case "path": paths = try patterns(value, "\"path\" of \(what)", ignoreCase: labelIgnoresCase)
                    case "exclude":
                        guard case .object(let excluded) = value.value, !excluded.isEmpty else {
                            throw fail(value, "\"exclude\" of \(what) must be an object with \"path\" and/or DICOM keywords, as a label")
                        }
                        var excludedPaths: [TemplatePattern] = []
                        var excludedConditions: [ModalityTemplate.Condition] = []
                        var excludedKeys = Set<String>()
                        for (k, v) in excluded {
                            if !excludedKeys.insert(k).inserted { throw fail(v, "\"exclude\" of \(what) has \"\(k)\" twice") }
                            if k == "path" {
                                excludedPaths = try patterns(v, "\"path\" of the exclusion of \(what)", ignoreCase: labelIgnoresCase)
                            } else if k == "exclude" || k == "ignoreCase" {
                                throw fail(v, "\"exclude\" of \(what) cannot hold \"\(k)\"")
                            } else {
                                excludedConditions.append(try condition(k, v, "the exclusion of \(what)"))
                            }
                        }
                        exclude = .init(pathPatterns: excludedPaths, conditions: excludedConditions)
                    default:
                        conditions.append(try condition(key, value, what))
                    }
                }
                if paths.isEmpty && conditions.isEmpty {
                    throw fail(node, "\(what) needs \"path\" or a DICOM keyword besides \(exclude != nil ? "\"exclude\"" : "\"ignoreCase\"")")
                }
                templates.append(ModalityTemplate(label: label, paths: paths, conditions: conditions, exclude: exclude, ignoreCase: labelIgnoresCase))
            default:
                throw fail(node, "\(what) must map to a list of folder-name patterns or to an object, found \(node.value.typeName)")
            }
        }
        return TemplateSet(templates: templates)
    }
}
