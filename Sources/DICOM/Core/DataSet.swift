// Core: the data model — Tag, VR, Element, DataSet, DicomFile, TransferSyntax, DICOMError. Lookups by
// tag live here; decoding and rendering values is in Text/ and Values/.

/// An ordered list of elements with the context needed to render them: character set and byte order.
public struct DataSet: Sendable, Equatable {
    /// Changing the elements in place is allowed; lookups by tag then fall back to a linear search
    /// when a binary search misses, until the data set is made again with `init(elements:...)`.
    public var elements: [Element] {
        didSet { knownSorted = false }
    }
    public var characterSet: SpecificCharacterSet
    public var isBigEndian: Bool
    /// The elements are known to be in strictly ascending tag order (checked once, at `init`), so
    /// a binary search that misses is final: lookups are O(log n) even for absent tags.
    private var knownSorted: Bool

    public init(elements: [Element] = [], characterSet: SpecificCharacterSet = .default, bigEndian: Bool = false) {
        self.elements = elements
        self.characterSet = characterSet
        self.isBigEndian = bigEndian
        var sorted = true
        var i = 1
        while i < elements.count {
            if !(elements[i - 1].tag < elements[i].tag) { sorted = false; break }
            i += 1
        }
        knownSorted = sorted
    }

    public static func == (a: DataSet, b: DataSet) -> Bool {
        a.elements == b.elements && a.characterSet == b.characterSet && a.isBigEndian == b.isBigEndian
    }

    public var isEmpty: Bool { elements.isEmpty }
    public var count: Int { elements.count }

    public subscript(tag: Tag) -> Element? {
        // Elements are in ascending order in conforming files: binary search, then (only when the
        // order is not known to be strictly ascending) a linear look.
        var lo = 0, hi = elements.count
        while lo < hi {
            let mid = (lo + hi) / 2
            let t = elements[mid].tag
            if t == tag { return elements[mid] }
            if t < tag { lo = mid + 1 } else { hi = mid }
        }
        return knownSorted ? nil : elements.first { $0.tag == tag }
    }

    public subscript(keyword: String) -> Element? {
        guard let tag = DataDictionary.tag(forKeyword: keyword) else { return nil }
        return self[tag]
    }

    public func contains(_ tag: Tag) -> Bool { self[tag] != nil }

    /// The value rendered as text, as pydicom's `str()` of the value gives it (multiple values joined
    /// with a backslash); nil if the element is absent. See `render(_:)`.
    public func string(_ tag: Tag) -> String? {
        guard let e = self[tag] else { return nil }
        return render(e)
    }

    public func string(_ keyword: String) -> String? {
        guard let tag = DataDictionary.tag(forKeyword: keyword) else { return nil }
        return string(tag)
    }

    /// The creator string of a private element's block, e.g. `SIEMENS CSA HEADER` for (0029,1010).
    public func privateCreator(of tag: Tag) -> String? {
        guard let creatorTag = tag.privateCreatorTag, let e = self[creatorTag], let b = e.bytes else { return nil }
        return render(Element(tag: creatorTag, vr: .LO, fileVR: nil, length: e.length, offset: e.offset, value: .bytes(b)))
    }
}
