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

    public init(stopBefore: Tag? = nil, tags: Set<Tag>? = nil, bulkThreshold: Int = 65536,
                maxValueLength: Int = 64 << 20, maxDepth: Int = 1024, firstReadSize: Int = 4096) {
        self.stopBefore = stopBefore
        self.tags = tags
        self.bulkThreshold = bulkThreshold
        self.maxValueLength = maxValueLength
        self.maxDepth = maxDepth
        self.firstReadSize = firstReadSize
        computeWanted()
    }

    private mutating func computeWanted() {
        guard var t = tags else {
            wanted = nil
            lastWanted = nil
            return
        }
        lastWanted = t.max()
        t.insert(.specificCharacterSet)
        t.insert(.pixelRepresentation)
        wanted = t.sorted()
    }

    /// Everything before the pixel data.
    public static let header = ReadOptions(stopBefore: .pixelData)
}
