// Dictionary: the PS3.6 data dictionary and UID registry (lookups here, generated tables in Generated/),
// and the names of elements as pydicom and dcmdump print them.

/// The DICOM PS3.6 data dictionary and UID registry.
///
/// Backed by the generated tables in `Dictionary/Generated/DictionaryTables.swift` (see
/// `Scripts/generate-dictionary.py`): hexadecimal text in `StaticString`s with precomputed hash
/// slots, so lookups are O(1) and nothing is built at start-up.
public enum DataDictionary {
    public struct Entry: Sendable, Equatable {
        public let tag: Tag
        /// The VR as written in the standard: `"US"`, `"US or SS"`, `"OB or OW"`, `"NONE"`.
        public let vrSpelling: String
        public let vm: String
        public let name: String
        public let keyword: String
        public let isRetired: Bool
        /// For repeating groups such as (60xx,3000): the bits of the tag that are fixed.
        public let mask: UInt32

        /// The VR to use when the file does not state one (the first of the alternatives).
        public var vr: VR {
            let u = Array(vrSpelling.utf8)
            guard u.count >= 2 else { return .UN }
            let v = VR(u[0], u[1])
            return v.isKnown ? v : (vrSpelling == "NONE" ? .none : .UN)
        }
        public var isAmbiguousVR: Bool { vrSpelling.count > 2 }
    }

    public struct UIDEntry: Sendable, Equatable {
        public let uid: String
        public let name: String
        public let keyword: String
        public let type: String
    }

    // MARK: lookups

    /// The entry for a tag, including repeating-group entries such as (6002,3000).
    public static func entry(for tag: Tag) -> Entry? {
        guard let index = recordIndex(for: tag) else { return nil }
        return entry(at: index)
    }

    /// The VR of a tag's dictionary entry, without building its strings (the hot path of implicit VR).
    public static func vr(for tag: Tag) -> (vr: VR, ambiguous: Bool)? {
        guard let index = recordIndex(for: tag) else { return nil }
        let spelling = DictionaryTables.vrSpellings[Int(hexField(DictionaryTables.records, index * width + 8, 2))]
        let u = spelling.utf8
        let a = u[u.startIndex], b = u[u.index(after: u.startIndex)]
        let v = VR(a, b)
        if spelling == "NONE" { return (.none, false) }
        return (v.isKnown ? v : .UN, u.count > 2)
    }

    public static func entry(forKeyword keyword: String) -> Entry? {
        guard !keyword.isEmpty else { return nil }
        let slots = DictionaryTables.keywordSlots
        let size = 1 << DictionaryTables.keywordBits
        var h = Int(fnv1a(keyword) & UInt32(size - 1))
        while true {
            let slot = Int(hexField(slots, h * 4, 4))
            if slot == 0 { return nil }
            if keywordMatches(index: slot - 1, keyword) { return entry(at: slot - 1) }
            h = (h + 1) & (size - 1)
        }
    }

    public static func tag(forKeyword keyword: String) -> Tag? { entry(forKeyword: keyword)?.tag }

    public static func keyword(for tag: Tag) -> String? {
        guard let e = entry(for: tag), !e.keyword.isEmpty else { return nil }
        return e.keyword
    }

    public static func uid(_ uid: String) -> UIDEntry? {
        let size = 1 << DictionaryTables.uidBits
        let slots = DictionaryTables.uidSlots
        var h = Int(fnv1a(uid) & UInt32(size - 1))
        while true {
            let slot = Int(hexField(slots, h * 4, 4))
            if slot == 0 { return nil }
            let e = uidEntry(at: slot - 1)
            if e.uid == uid { return e }
            h = (h + 1) & (size - 1)
        }
    }

    /// All entries, in tag order (repeating-group entries last).
    public static var allEntries: [Entry] { (0..<DictionaryTables.elementCount).map(entry(at:)) }
    public static var allUIDs: [UIDEntry] { (0..<DictionaryTables.uidCount).map(uidEntry(at:)) }

    // MARK: table decoding

    private static let width = DictionaryTables.recordWidth

    private static func recordIndex(for tag: Tag) -> Int? {
        let slots = DictionaryTables.tagSlots
        let bits = DictionaryTables.tagBits
        let size = 1 << bits
        var h = Int((tag.rawValue &* 0x9E37_79B1) >> UInt32(32 - bits))
        while true {
            let slot = Int(hexField(slots, h * 4, 4))
            if slot == 0 { break }
            if hexField(DictionaryTables.records, (slot - 1) * width, 8) == tag.rawValue { return slot - 1 }
            h = (h + 1) & (size - 1)
        }
        // Repeating groups (50xx, 60xx, (0020,31xx), (1000,xxxy), ...): never private.
        if tag.isPrivate { return nil }
        for (mask, value, index) in maskedEntries where tag.rawValue & mask == value { return index }
        return nil
    }

    private static let maskedEntries: [(UInt32, UInt32, Int)] = {
        (DictionaryTables.plainCount..<DictionaryTables.elementCount).map { i in
            (hexField(DictionaryTables.records, i * width + 23, 8), hexField(DictionaryTables.records, i * width, 8), i)
        }
    }()

    private static func entry(at index: Int) -> Entry {
        let r = DictionaryTables.records, o = index * width
        let textOffset = Int(hexField(r, o + 12, 6))
        let nameLength = Int(hexField(r, o + 18, 2)), keywordLength = Int(hexField(r, o + 20, 2))
        let text = DictionaryTables.text
        return Entry(
            tag: Tag(hexField(r, o, 8)),
            vrSpelling: DictionaryTables.vrSpellings[Int(hexField(r, o + 8, 2))],
            vm: DictionaryTables.vmSpellings[Int(hexField(r, o + 10, 2))],
            name: substring(text, textOffset, nameLength),
            keyword: substring(text, textOffset + nameLength, keywordLength),
            isRetired: r.utf8Start[o + 22] == UInt8(ascii: "1"),
            mask: hexField(r, o + 23, 8))
    }

    private static func keywordMatches(index: Int, _ keyword: String) -> Bool {
        let r = DictionaryTables.records, o = index * width
        let textOffset = Int(hexField(r, o + 12, 6)) + Int(hexField(r, o + 18, 2))
        let length = Int(hexField(r, o + 20, 2))
        var k = keyword
        return k.withUTF8 { kb in
            kb.count == length && memcmp(kb.baseAddress!, DictionaryTables.text.utf8Start + textOffset, length) == 0
        }
    }

    private static func uidEntry(at index: Int) -> UIDEntry {
        let r = DictionaryTables.uidRecords, o = index * 14
        let offset = Int(hexField(r, o, 6))
        let l1 = Int(hexField(r, o + 6, 2)), l2 = Int(hexField(r, o + 8, 2)), l3 = Int(hexField(r, o + 10, 2))
        let text = DictionaryTables.uidText
        return UIDEntry(uid: substring(text, offset, l1), name: substring(text, offset + l1, l2),
                        keyword: substring(text, offset + l1 + l2, l3),
                        type: DictionaryTables.uidTypes[Int(hexField(r, o + 12, 2))])
    }

    @inline(__always) private static func hexField(_ s: StaticString, _ offset: Int, _ count: Int) -> UInt32 {
        let p = s.utf8Start + offset
        var v: UInt32 = 0
        for i in 0..<count {
            let c = p[i]
            v = v << 4 | UInt32(c <= 57 ? c &- 48 : c &- 87)
        }
        return v
    }

    private static func substring(_ s: StaticString, _ offset: Int, _ count: Int) -> String {
        String(decoding: UnsafeBufferPointer(start: s.utf8Start + offset, count: count), as: UTF8.self)
    }

    static func fnv1a(_ text: String) -> UInt32 {
        var h: UInt32 = 0x811C_9DC5
        for b in text.utf8 {
            h ^= UInt32(b)
            h = h &* 0x0100_0193
        }
        return h
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
