/// What to read, and where to stop.
public struct ReadOptions: Sendable {
    /// Stop before the first top-level element whose tag is at or after this one (e.g. `.pixelData`).
    public var stopBefore: Tag?
    /// Keep only these top-level elements (plus Specific Character Set and Pixel Representation,
    /// which decoding needs), skip the rest by seeking, and stop after the highest one.
    public var tags: Set<Tag>? {
        didSet { computeWanted() }
    }
    /// `tags` plus what decoding needs, and the highest of `tags` (computed once, not per file).
    private(set) var wanted: [Tag]?
    private(set) var lastWanted: Tag?
    /// Binary values (OB, OW, OF, OD, OL, OV, UN) longer than this are skipped, not loaded.
    public var bulkThreshold: Int
    /// Of a bulk value that is not loaded (longer than `bulkThreshold`), load this many first
    /// bytes anyway (`Element.Value.truncated`), to show its beginning. 0: none.
    public var bulkPrefix: Int = 0
    /// No value longer than this is loaded, whatever its VR.
    public var maxValueLength: Int
    /// Deepest sequence nesting accepted; deeper is an error (a hostile file cannot exhaust memory
    /// or the stack of code that walks the result recursively).
    public var maxDepth: Int
    /// Size of the first read from a file; later reads grow as needed.
    public var firstReadSize: Int
    /// Most elements and items read from one file (at every depth, kept or skipped); more is an
    /// error of kind `.tooLarge` at the element that exceeds it, with what was read before kept.
    /// Bounds memory and time whatever the file claims: real files have up to ~10^5 elements
    /// (enhanced multi-frame images with per-frame functional groups), each costs ~100 bytes held.
    public var maxElements: Int
    /// Most bytes of values loaded from one file, all elements together; more is `.tooLarge`.
    public var maxValueBytesTotal: Int
    /// Whether the values of the top-level data set and of the file meta information are loaded
    /// (copied, one array per element). False: each is left where it is, as
    /// `.notLoaded(offset:length:)`, for a caller that holds the bytes it gave `read(bytes:)` and
    /// reads the values there (no allocation per value; with the deflated transfer syntax the data
    /// set's offsets are in the inflated stream). Transfer Syntax UID, Specific Character Set and
    /// Pixel Representation are loaded still (decoding needs them), as are the values inside sequences.
    public var loadsValues = true

    public init(stopBefore: Tag? = nil, tags: Set<Tag>? = nil, bulkThreshold: Int = 65536,
                maxValueLength: Int = 64 << 20, maxDepth: Int = 1024, firstReadSize: Int = 4096,
                maxElements: Int = 1_000_000, maxValueBytesTotal: Int = 256 << 20) {
        self.maxElements = maxElements
        self.maxValueBytesTotal = maxValueBytesTotal
        self.stopBefore = stopBefore
        self.tags = tags
        self.bulkThreshold = bulkThreshold
        self.maxValueLength = maxValueLength
        self.maxDepth = maxDepth
        self.firstReadSize = firstReadSize
        computeWanted()
    }

    private mutating func computeWanted() {
        guard let t = tags else {
            wanted = nil
            lastWanted = nil
            return
        }
        lastWanted = t.max()
        // An array, not a copy of the set grown by two (callers often build options per file).
        var w = Array(t)
        w.reserveCapacity(t.count + 2)
        if !t.contains(.specificCharacterSet) { w.append(.specificCharacterSet) }
        if !t.contains(.pixelRepresentation) { w.append(.pixelRepresentation) }
        w.sort()
        wanted = w
    }

    /// Everything before the pixel data.
    public static let header = ReadOptions(stopBefore: .pixelData)
}
