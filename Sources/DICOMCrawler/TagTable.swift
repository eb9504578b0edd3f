import DICOM

/// How one file's elements become cells of the all-tags table, and how columns are named and ordered.
///
/// Column keys (internal): `GGGGEEEE` for a top-level element, `GGGGEEEE[creator]` for a private
/// element whose creator is known, `SEQ/i/CHILD` for an element of item i (1-based) of a sequence,
/// `SEQ/#` for a sequence's number of items. Names (the CSV header) are derived from keys alone.
public struct TagTableOptions: Sendable, Equatable {
    /// Items of a sequence expanded into columns (later items only counted; --format jsonl has all).
    public var maxItems = 3
    public var maxValueBytes = 64
    public var includePrivate = true
    /// Only these top-level elements (nil: all).
    public var keywords: [Tag]? = nil

    public init(maxItems: Int = 3, maxValueBytes: Int = 64, includePrivate: Bool = true, keywords: [Tag]? = nil) {
        self.maxItems = maxItems
        self.maxValueBytes = maxValueBytes
        self.includePrivate = includePrivate
        self.keywords = keywords
    }

    /// What the reader needs to read: everything (bulk values only to `maxValueBytes`), or only
    /// the given keywords.
    public var readOptions: ReadOptions {
        var r = ReadOptions(tags: keywords.map(Set.init), bulkThreshold: max(maxValueBytes, 0))
        r.bulkPrefix = max(maxValueBytes, 0)
        return r
    }
}

/// Elements that never become columns: the file meta group (top level), pixel, overlay, curve and
/// waveform data, trailing padding, and items/delimiters.
func isExcludedFromTable(_ tag: Tag) -> Bool {
    switch tag.rawValue {
    case 0x7FE0_0008, 0x7FE0_0009, 0x7FE0_0010, 0x5400_1010, 0xFFFC_FFFC: return true
    default: break
    }
    if tag.group == 0xFFFE { return true }
    let g = tag.group
    if (g & 0xFF00 == 0x6000 || g & 0xFF00 == 0x5000) && g & 1 == 0 && tag.element == 0x3000 { return true }
    return false
}

/// Cells of one file: (column key, rendered value), in the order met.
func tableCells(_ file: DicomFile, _ options: TagTableOptions) -> [(key: String, value: String)] {
    var cells: [(key: String, value: String)] = []
    cells.reserveCapacity(file.dataSet.count + 8)
    appendCells(file.dataSet, prefix: "", options, &cells)
    return cells
}

/// With `keywords`, the reader still reads what decoding needs (Specific Character Set): only the
/// asked-for elements become columns.
func isWantedTopLevel(_ tag: Tag, _ options: TagTableOptions) -> Bool {
    guard let keywords = options.keywords else { return true }
    return keywords.contains(tag)
}

private func appendCells(_ ds: DataSet, prefix: String, _ options: TagTableOptions, _ cells: inout [(key: String, value: String)]) {
    for e in ds.elements {
        let tag = e.tag
        if isExcludedFromTable(tag) { continue }
        if tag.isPrivate && !options.includePrivate { continue }
        if prefix.isEmpty && !isWantedTopLevel(tag, options) { continue }
        var key = prefix + tag.hexString
        if tag.isPrivate && !tag.isPrivateCreator, let creator = ds.privateCreator(of: tag) {
            key += "[" + escapeKeyPart(creator) + "]"
        }
        if case .sequence(let items) = e.value {
            cells.append((key + "/#", String(items.count)))
            for (i, item) in items.prefix(options.maxItems).enumerated() {
                appendCells(item, prefix: key + "/\(i + 1)/", options, &cells)
            }
        } else {
            cells.append((key, ds.render(e, maxBinaryBytes: options.maxValueBytes)))
        }
    }
}

private func escapeKeyPart(_ s: String) -> String {
    if !s.contains(where: { $0 == "%" || $0 == "/" || $0 == "]" }) { return s }
    return s.replacingAll([("%", "%25"), ("/", "%2F"), ("]", "%5D")])
}

private func unescapeKeyPart(_ s: Substring) -> String {
    if !s.contains("%") { return String(s) }
    return String(s).replacingAll([("%2F", "/"), ("%5D", "]"), ("%25", "%")])
}

extension String {
    func replacingAll(_ pairs: [(String, String)]) -> String {
        var out = self
        for (a, b) in pairs {
            var result = ""
            var rest = Substring(out)
            while let r = rest.range(of: a) {
                result += rest[..<r.lowerBound] + b
                rest = rest[r.upperBound...]
            }
            out = result + rest
        }
        return out
    }
}

extension Substring {
    func range(of needle: String) -> Range<Substring.Index>? {
        guard !needle.isEmpty else { return nil }
        var i = startIndex
        while i < endIndex {
            if self[i...].hasPrefix(needle) { return i..<index(i, offsetBy: needle.count) }
            i = index(after: i)
        }
        return nil
    }
}

/// A parsed column key: per level, the tag, the private creator if any, and then either the item
/// number (1-based) of the next level, or 0 for the item-count column.
struct ColumnKey: Comparable {
    struct Level: Equatable {
        var tag: UInt32
        var creator: String?
        var item: Int?  // nil: this is the element itself; 0: the count column; i: item i
    }
    var levels: [Level]

    init?(_ key: String) {
        levels = []
        var rest = Substring(key)
        while !rest.isEmpty {
            guard rest.count >= 8, let tag = UInt32(rest.prefix(8), radix: 16) else { return nil }
            rest = rest.dropFirst(8)
            var creator: String? = nil
            if rest.first == "[" {
                guard let close = rest.firstIndex(of: "]") else { return nil }
                creator = unescapeKeyPart(rest[rest.index(after: rest.startIndex)..<close])
                rest = rest[rest.index(after: close)...]
            }
            if rest.isEmpty {
                levels.append(Level(tag: tag, creator: creator, item: nil))
                break
            }
            guard rest.first == "/" else { return nil }
            rest = rest.dropFirst()
            if rest == "#" {
                levels.append(Level(tag: tag, creator: creator, item: 0))
                break
            }
            guard let slash = rest.firstIndex(of: "/"), let item = Int(rest[..<slash]) else { return nil }
            levels.append(Level(tag: tag, creator: creator, item: item))
            rest = rest[rest.index(after: slash)...]
        }
        if levels.isEmpty { return nil }
    }

    /// By tag path: tag, then creator, then count column before item 1 before item 2, and an
    /// element's own column before anything nested under it.
    static func < (a: ColumnKey, b: ColumnKey) -> Bool {
        for (x, y) in zip(a.levels, b.levels) {
            if x.tag != y.tag { return x.tag < y.tag }
            if x.creator != y.creator { return (x.creator ?? "") < (y.creator ?? "") }
            let xi = x.item ?? -1, yi = y.item ?? -1
            if xi != yi { return xi < yi }
        }
        return a.levels.count < b.levels.count
    }

    /// `Study Date (0008,0020)`, `Referenced Image Sequence (0008,1140) - Referenced SOP Instance UID (0008,1155)`,
    /// `[SIEMENS CSA HEADER] (0029,1010)`, `Private tag (0029,1010)`.
    var name: String {
        var parts: [String] = []
        for level in levels {
            let tag = Tag(level.tag)
            var part = elementName(tag, creator: level.creator) + " " + tag.description
            switch level.item {
            case .some(0): part += " - Number of Items"
            case .some(let i) where i > 1: part += " [\(i)]"
            default: break
            }
            parts.append(part)
        }
        return parts.joined(separator: " - ")
    }
}

/// The name of an element in column headers, as pydicom names elements.
public func elementName(_ tag: Tag, creator: String?) -> String {
    if tag.isPrivate {
        if tag.isPrivateCreator { return "Private Creator" }
        if tag.element == 0 { return "Private Group Length" }
        if let creator { return "[\(creator)]" }
        return "Private tag"
    }
    if let e = DataDictionary.entry(for: tag), !e.name.isEmpty { return e.name }
    if tag.element == 0 { return "Group Length" }
    return "Unknown"
}
