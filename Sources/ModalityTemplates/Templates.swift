import DICOM
#if canImport(Glibc)
import Glibc
#endif

/// One label of a template file: which folders it names, and (extended form) what their first
/// DICOM file must hold.
public struct ModalityTemplate: Equatable, Sendable {
    public struct Condition: Equatable, Sendable {
        public let keyword: String
        public let tag: Tag
        /// Any of these, compared case-insensitively as substrings of the value.
        public let values: [String]
    }

    public let label: String
    /// Substrings of a folder's path relative to the crawled directory (case-sensitive, as the old
    /// tool). Empty in the extended form without `path`: then every folder is a candidate.
    public let pathPatterns: [String]
    public let conditions: [Condition]
    /// `pathPatterns` as bytes, made once (matching runs for every folder of a walk).
    private let patternBytes: [[UInt8]]

    public init(label: String, pathPatterns: [String], conditions: [Condition]) {
        self.label = label
        self.pathPatterns = pathPatterns
        self.conditions = conditions
        patternBytes = pathPatterns.map { Array($0.utf8) }
    }

    /// Whether the relative path (UTF-8 bytes, `/`-separated) contains one of the patterns.
    public func matchesPath(_ relativePath: [UInt8]) -> Bool {
        if pathPatterns.isEmpty { return true }
        return patternBytes.contains { containsBytes(relativePath, $0) }
    }

    /// Whether the folder's first DICOM file satisfies every condition (`value(tag)` renders a value).
    public func matchesValues(_ value: (Tag) -> String?) -> Bool {
        conditions.allSatisfy { c in
            guard let v = value(c.tag)?.lowercased() else { return false }
            return c.values.contains { v.contains($0.lowercased()) }
        }
    }
}

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

    /// Tags whose values the conditions need.
    public var conditionTags: Set<Tag> { Set(templates.flatMap { $0.conditions.map(\.tag) }) }

    /// Loads and checks a template file. The seed form maps labels to lists of path substrings,
    /// `{"CT": ["CT", "ComputedTomography"]}`; the extended form maps a label to an object with an
    /// optional `path` list and DICOM keywords, `{"MRI": {"path": ["mri"], "Modality": ["MR"]}}`.
    public static func load(path: String) throws -> TemplateSet {
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
        return try parse(data, path: path)
    }

    public static func parse(_ data: [UInt8], path: String) throws -> TemplateSet {
        let root: JSONNode
        do {
            root = try JSONParser.parse(data)
        } catch let e as JSONSyntaxError {
            throw TemplateError(path: path, line: e.line, column: e.column, message: "invalid JSON: \(e.message)")
        }
        func fail(_ node: JSONNode, _ message: String) -> TemplateError {
            TemplateError(path: path, line: node.line, column: node.column, message: message)
        }
        guard case .object(let members) = root.value else {
            throw fail(root, "the templates must be a JSON object mapping labels to lists of folder-name substrings, found \(root.value.typeName)")
        }
        if members.isEmpty { throw fail(root, "the template file names no labels") }
        var seen = Set<String>()
        var templates: [ModalityTemplate] = []
        for (label, node) in members {
            if label.isEmpty { throw fail(node, "a label is the empty string") }
            if !seen.insert(label).inserted { throw fail(node, "label \"\(label)\" appears twice") }
            switch node.value {
            case .array:
                templates.append(ModalityTemplate(label: label, pathPatterns: try strings(node, "label \"\(label)\"", fail), conditions: []))
            case .object(let fields):
                var patterns: [String] = []
                var conditions: [ModalityTemplate.Condition] = []
                if fields.isEmpty { throw fail(node, "label \"\(label)\" has an empty object: give \"path\" and/or DICOM keywords") }
                var keys = Set<String>()
                for (key, value) in fields {
                    if !keys.insert(key).inserted { throw fail(value, "label \"\(label)\" has \"\(key)\" twice") }
                    if key == "path" {
                        patterns = try strings(value, "\"path\" of label \"\(label)\"", fail)
                        continue
                    }
                    guard let tag = DataDictionary.tag(forKeyword: key) else {
                        throw fail(value, "label \"\(label)\": \"\(key)\" is not a DICOM keyword (keywords are like \"Modality\", \"SeriesDescription\")")
                    }
                    var values: [String]
                    if case .string(let single) = value.value { values = [single] } else {
                        values = try strings(value, "\"\(key)\" of label \"\(label)\"", fail)
                    }
                    if values.contains(where: \.isEmpty) { throw fail(value, "\"\(key)\" of label \"\(label)\" contains an empty string") }
                    conditions.append(.init(keyword: key, tag: tag, values: values))
                }
                templates.append(ModalityTemplate(label: label, pathPatterns: patterns, conditions: conditions))
            default:
                throw fail(node, "label \"\(label)\" must map to a list of folder-name substrings or to an object, found \(node.value.typeName)")
            }
        }
        return TemplateSet(templates: templates)
    }

    private static func strings(_ node: JSONNode, _ what: String, _ fail: (JSONNode, String) -> TemplateError) throws -> [String] {
        guard case .array(let items) = node.value else { throw fail(node, "\(what) must be a list of strings, found \(node.value.typeName)") }
        if items.isEmpty { throw fail(node, "\(what) is an empty list") }
        return try items.map { item in
            guard case .string(let s) = item.value else { throw fail(item, "\(what) must contain only strings, found \(item.value.typeName)") }
            if s.isEmpty { throw fail(item, "\(what) contains an empty string, which would match every folder") }
            return s
        }
    }
}
