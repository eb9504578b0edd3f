import DICOM

/// A column of the all-tags table, by its key: `GGGGEEEE` for a top-level element,
/// `GGGGEEEE[creator]` for a private element whose creator is known, `SEQ/i/CHILD` for an element of
/// item i (1-based) of a sequence, `SEQ/#` for a sequence's number of items (`%`, `/` and `]` in a
/// creator are escaped as `%25`, `%2F`, `%5D`). Names (the CSV header) and the column order are
/// derived from keys alone. Parsed: per level, the tag, the private creator if any, and then either
/// the item number (1-based) of the next level, or 0 for the item-count column.
struct ColumnKey: Comparable {
    struct Level: Equatable {
        var tag: UInt32
        var creator: String?
        var item: Int?  // nil: this is the element itself; 0: the count column; i: item i
    }
    var levels: [Level]

    /// The key of an element under `prefix` (the parent's key and item, `SEQ/i/`, or "").
    static func key(prefix: String, tag: Tag, creator: String?) -> String {
        var key = prefix + tag.hexString
        if let creator { key += "[" + escape(creator) + "]" }
        return key
    }

    init?(_ key: String) {
        levels = []
        var rest = Substring(key)
        while !rest.isEmpty {
            guard rest.count >= 8, let tag = UInt32(rest.prefix(8), radix: 16) else { return nil }
            rest = rest.dropFirst(8)
            var creator: String? = nil
            if rest.first == "[" {
                guard let close = rest.firstIndex(of: "]") else { return nil }
                creator = Self.unescape(rest[rest.index(after: rest.startIndex)..<close])
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
            var part = ElementName.pydicom(tag, creator: level.creator) + " " + tag.description
            switch level.item {
            case .some(0): part += " - Number of Items"
            case .some(let i) where i > 1: part += " [\(i)]"
            default: break
            }
            parts.append(part)
        }
        return parts.joined(separator: " - ")
    }

    private static let escapes: [(String, String)] = [("%", "%25"), ("/", "%2F"), ("]", "%5D")]

    private static func escape(_ s: String) -> String {
        if !s.contains(where: { $0 == "%" || $0 == "/" || $0 == "]" }) { return s }
        return replacingAll(s, escapes)
    }

    private static func unescape(_ s: Substring) -> String {
        if !s.contains("%") { return String(s) }
        return replacingAll(String(s), escapes.reversed().map { ($0.1, $0.0) })
    }

    private static func replacingAll(_ s: String, _ pairs: [(String, String)]) -> String {
        var out = s
        for (a, b) in pairs { out = out.split(separator: a, omittingEmptySubsequences: false).joined(separator: b) }
        return out
    }
}
