import DICOM

/// A column of the all-tags table, by its key: `GGGGEEEE` for a top-level element,
/// `GGGGEEEE[creator]` for a private element whose creator is known, `SEQ/i/CHILD` for an element of
/// item i (1-based) of a sequence, `SEQ/#` for a sequence's number of items (`%`, `/` and `]` in a
/// creator are escaped as `%25`, `%2F`, `%5D`). Names (the CSV header) and the column order are
/// derived from keys alone. Parsed: per level, the tag, the private creator if any, and then either
/// the item number (1-based) of the next level, or 0 for the item-count column.
/// How table columns are named (`tags --columns`).
public enum ColumnNaming: String, Sendable, Equatable, CaseIterable {
    /// `Study Date (0008,0020)`: pydicom's name and the tag (the default).
    case name
    /// `StudyDate`: the DICOM keyword.
    case keyword
    /// `00080020`: the tag number, as the key.
    case tag
}

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

    /// The header in a style: `name` as above; `keyword`, the dictionary's keywords
    /// (`StudyDate`, `ReferencedImageSequence[2].ReferencedSOPInstanceUID`,
    /// `ReferencedImageSequence.NumberOfItems`; a private or unknown element as its tag number,
    /// `00291010`, with `[creator]`); `tag`, the key itself (`00080020`, `00081140/2/00081155`,
    /// `00081140/#`): what pandas users and shell tools want.
    func header(_ style: ColumnNaming) -> String {
        switch style {
        case .name: return name
        case .tag: return key
        case .keyword:
            var parts: [String] = []
            for level in levels {
                let tag = Tag(level.tag)
                var part = (tag.isPrivate ? nil : DataDictionary.keyword(for: tag)).flatMap { $0.isEmpty ? nil : $0 } ?? tag.hexString
                if tag.isPrivate, let creator = level.creator { part += "[" + Self.escape(creator) + "]" }
                switch level.item {
                case .some(0): part += ".NumberOfItems"
                case .some(let i) where i > 1: part += "[\(i)]"
                default: break
                }
                parts.append(part)
            }
            return parts.joined(separator: ".")
        }
    }

    /// The key as text (`ColumnKey(key)` gives this back).
    var key: String {
        var out = ""
        for (i, level) in levels.enumerated() {
            if i > 0 { out += "/" }
            out += Tag(level.tag).hexString
            if let creator = level.creator { out += "[" + Self.escape(creator) + "]" }
            switch level.item {
            case .some(0): out += "/#"
            case .some(let n): out += "/\(n)"
            case .none: break
            }
        }
        return out
    }

    /// Headers for columns in a style; a header that two columns would share (the repeating groups
    /// of overlays have one keyword) falls back to the tag style for the later ones.
    static func headers(_ keys: [ColumnKey], _ style: ColumnNaming) -> [String] {
        var used = Set<String>()
        return keys.map { k in
            var h = k.header(style)
            if !used.insert(h).inserted { h = k.key; used.insert(h) }
            return h
        }
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
