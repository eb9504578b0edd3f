/// Where one frame's stored bytes are: the byte ranges (in the file, or in the inflated data set)
/// that, concatenated, make the frame.
public struct FrameExtent: Sendable, Equatable {
    /// One range for native data; the frame's fragments for encapsulated data.
    public let ranges: [Range<Int>]
    /// For 1-bit native data, the bit of the first byte at which the frame starts (frames are not
    /// byte-aligned); otherwise 0.
    public let bitOffset: Int

    public var byteCount: Int { ranges.reduce(0) { $0 + $1.count } }
}

/// The frames of a file's pixel data: how many, and where each one is. Made from a `DicomFile`
/// read with default `ReadOptions` (pixel data not loaded), checked against the bytes the source
/// holds; locating reads at most the offset tables (and fragment ends when frames must be found
/// by their JPEG end markers), never the pixel data.
///
/// Native data: frame i starts at i × frame size (in bits for 1-bit data), and the value must hold
/// all frames (one trailing pad byte may be missing, as pydicom accepts). Encapsulated data, as
/// pydicom's `generate_frames` finds frames: the Extended Offset Table if present (with as many
/// lengths as offsets), else the Basic Offset Table, else one fragment per frame when the counts
/// match, all fragments for a single frame, or fragments up to a JPEG EOI marker (FFD9 in a
/// fragment's last 10 bytes) when there are more fragments than frames.
public struct FrameTable: Sendable {
    public let format: PixelFormat
    public let transferSyntax: TransferSyntax
    /// Frames found: Number of Frames, or more when the data hold whole frames beyond it (pydicom
    /// returns those too, with a warning).
    public let count: Int

    enum Layout: Sendable {
        /// `offset`: the value's first byte; `length`: its length; `frameBits`: bits per frame.
        case native(offset: Int, length: Int, frameBits: Int)
        case encapsulated([[Range<Int>]])
    }
    let layout: Layout
    /// The VR of the pixel data element as written (OB or OW; 8-bit OW big endian data is swapped
    /// in pairs).
    let elementVR: VR

    /// Locates the frames of `file`'s pixel data in `source` (which must hold the bytes the file's
    /// offsets point into: the file, or for the deflated transfer syntax the inflated data set).
    public init(file: DicomFile, source: PixelSource) throws(PixelError) {
        guard let ts = file.transferSyntax else {
            throw PixelError(.unreadableFile, "no transfer syntax: \(file.error?.description ?? "not read")")
        }
        let format = try PixelFormat(dataSet: file.dataSet)
        let tag = format.element.tag
        if let error = file.error, !file.hasAllElements(of: [tag]) {
            throw PixelError(.unreadableFile, offset: error.offset, "the file could not be read through its pixel data: \(error)")
        }
        guard let element = file.dataSet[tag] else { throw PixelError(.noPixelData, "no \(tag)") }
        self.format = format
        self.transferSyntax = ts
        self.elementVR = element.fileVR ?? element.vr

        switch element.value {
        case .notLoaded(let offset, let length), .truncated(_, let offset, let length):
            guard !ts.isEncapsulated || element.tag != .pixelData else {
                throw PixelError(.badEncapsulation, offset: element.offset, "\(tag) has a defined length (\(length) bytes) in the encapsulated transfer syntax \(ts.name)")
            }
            (layout, count) = try FrameTable.native(format: format, offset: offset, length: length, sourceSize: source.size)
        case .fragments(let items):
            guard ts.isEncapsulated else {
                throw PixelError(.badEncapsulation, offset: element.offset, "\(tag) is encapsulated (undefined length) in the native transfer syntax \(ts.name)")
            }
            let frames = try FrameTable.encapsulated(format: format, dataSet: file.dataSet, element: element, items: items, source: source)
            guard frames.count >= format.numberOfFrames else {
                throw PixelError(.badEncapsulation, offset: element.offset, "\(frames.count) frame\(frames.count == 1 ? "" : "s") found in the encapsulated pixel data, fewer than Number of Frames (\(format.numberOfFrames))")
            }
            layout = .encapsulated(frames)
            count = frames.count
        case .bytes, .sequence:
            throw PixelError(.unsupported, offset: element.offset, "\(tag) was loaded into memory or read as a sequence; read the file with default ReadOptions")
        }
    }

    /// Where frame `index` is (0-based, below `count`).
    public func extent(ofFrame index: Int) -> FrameExtent {
        precondition(index >= 0 && index < count, "frame index \(index) out of 0..<\(count)")
        switch layout {
        case .native(let offset, _, let frameBits):
            let startBit = index * frameBits
            let first = offset + startBit / 8
            let end = offset + (startBit + frameBits + 7) / 8
            return FrameExtent(ranges: [first..<end], bitOffset: startBit % 8)
        case .encapsulated(let frames):
            return FrameExtent(ranges: frames[index], bitOffset: 0)
        }
    }

    // MARK: native

    private static func native(format: PixelFormat, offset: Int, length: Int, sourceSize: Int) throws(PixelError) -> (Layout, Int) {
        let frameBits = format.nativeFrameBits
        guard frameBits > 0 else { throw PixelError(.invalidElement, "a frame of 0 bytes") }
        let (allBits, overflow) = frameBits.multipliedReportingOverflow(by: format.numberOfFrames)
        guard !overflow, allBits <= Int.max - 7 else {
            throw PixelError(.tooLarge, offset: offset, "\(format.numberOfFrames) frames of \(format.rows) x \(format.columns) x \(format.samplesPerPixel) samples of \(format.bitsAllocated) bits cannot be held")
        }
        guard offset >= 0, length >= 0, offset <= sourceSize, length <= sourceSize - offset else {
            throw PixelError(.tooShort, offset: offset, "the pixel data (\(length) bytes from byte \(offset)) runs past the end of the data (\(sourceSize) bytes)")
        }
        let expected = (allBits + 7) / 8
        let padded = expected + expected % 2
        if length < padded && length != expected {
            throw PixelError(.tooShort, offset: offset, "the pixel data holds \(length) bytes, fewer than the \(expected) that \(format.numberOfFrames) frame\(format.numberOfFrames == 1 ? "" : "s") of \(format.rows) x \(format.columns) x \(format.samplesPerPixel) samples of \(format.bitsAllocated) bits\(format.photometric == "YBR_FULL_422" ? " (YBR_FULL_422)" : "") need")
        }
        var frames = format.numberOfFrames
        // Whole frames beyond Number of Frames are returned, as pydicom does (not for YBR_FULL_422).
        if length > padded && format.photometric != "YBR_FULL_422" {
            frames = max(frames, length * 8 / frameBits)
        }
        return (.native(offset: offset, length: length, frameBits: frameBits), frames)
    }

    // MARK: encapsulated

    private static func encapsulated(format: PixelFormat, dataSet: DataSet, element: Element, items: [Element.Fragment],
                                     source: PixelSource) throws(PixelError) -> [[Range<Int>]] {
        guard let bot = items.first else {
            throw PixelError(.badEncapsulation, offset: element.offset, "encapsulated pixel data without a Basic Offset Table item")
        }
        for (k, item) in items.enumerated() {
            guard item.offset >= 8, item.length >= 0, item.offset <= source.size, item.length <= source.size - item.offset else {
                throw PixelError(.badEncapsulation, offset: item.offset - 8, "\(k == 0 ? "the Basic Offset Table item" : "fragment \(k)") (\(item.length) bytes from byte \(item.offset)) runs past the end of the data (\(source.size) bytes)")
            }
        }
        let fragments = items.dropFirst().map { $0.offset..<($0.offset + $0.length) }
        // Offsets in the tables count from the first byte of the first item after the table.
        let base = bot.offset + bot.length
        let end = fragments.last?.upperBound ?? base

        if let table = try extendedOffsets(dataSet, source: source) {
            var frames: [[Range<Int>]] = []
            frames.reserveCapacity(table.offsets.count)
            for (k, (off, len)) in zip(table.offsets, table.lengths).enumerated() {
                guard let o = Int(exactly: off), let l = Int(exactly: len), o <= end - base - 8, l <= end - (base + o + 8) else {
                    throw PixelError(.badEncapsulation, offset: base, "Extended Offset Table entry \(k) (offset \(off), length \(len)) points outside the fragments (which end \(end - base) bytes after byte \(base))")
                }
                frames.append([(base + o + 8)..<(base + o + 8 + l)])
            }
            return frames
        }
        guard !fragments.isEmpty else {
            throw PixelError(.badEncapsulation, offset: element.offset, "encapsulated pixel data without fragments")
        }
        guard bot.length % 4 == 0 else {
            throw PixelError(.badEncapsulation, offset: bot.offset - 8, "the Basic Offset Table is \(bot.length) bytes long, not a multiple of 4")
        }
        if bot.length > 0 {
            let raw = try source.bytes(offset: bot.offset, count: bot.length)
            return try framesFromBasicOffsets(raw, fragments: fragments, base: base, botOffset: bot.offset, numberOfFrames: format.numberOfFrames)
        }
        // No offset table.
        let frameCount = format.numberOfFrames
        if fragments.count == 1 { return [fragments] }
        if fragments.count == frameCount { return fragments.map { [$0] } }
        if frameCount == 1 { return [fragments] }
        guard fragments.count > frameCount else {
            throw PixelError(.badEncapsulation, offset: element.offset, "\(fragments.count) fragments without an offset table cannot hold \(frameCount) frames")
        }
        // More fragments than frames: a frame ends with the fragment whose last 10 bytes hold a
        // JPEG EOI (or JPEG 2000 EOC) marker FFD9; fragments left after the last marker make one more.
        var frames: [[Range<Int>]] = []
        var current: [Range<Int>] = []
        var tail = [UInt8](repeating: 0, count: 10)
        for f in fragments {
            current.append(f)
            let n = min(10, f.count)
            try tail.withMutablePixelBytes { (raw: UnsafeMutableRawBufferPointer) throws(PixelError) in
                if n > 0, let p = raw.baseAddress { try source.read(offset: f.upperBound - n, count: n, into: p) }
            }
            var marker = false
            var i = 0
            while i + 1 < n {
                if tail[i] == 0xFF && tail[i + 1] == 0xD9 { marker = true; break }
                i += 1
            }
            if marker {
                frames.append(current)
                current = []
            }
        }
        if !current.isEmpty { frames.append(current) }
        return frames
    }

    /// Groups fragments into frames as the Basic Offset Table says, as pydicom does: a fragment
    /// whose item starts at or after the next frame's offset begins that frame; the last frame
    /// takes the fragments left. An offset that is not above the previous one would make an empty
    /// frame (an error); offsets past the last fragment leave fewer frames, an error when fewer
    /// than Number of Frames.
    private static func framesFromBasicOffsets(_ raw: [UInt8], fragments: [Range<Int>], base: Int, botOffset: Int,
                                               numberOfFrames: Int) throws(PixelError) -> [[Range<Int>]] {
        let n = raw.count / 4
        func entry(_ k: Int) -> Int {
            Int(UInt32(raw[4 * k]) | UInt32(raw[4 * k + 1]) << 8 | UInt32(raw[4 * k + 2]) << 16 | UInt32(raw[4 * k + 3]) << 24)
        }
        var frames: [[Range<Int>]] = []
        frames.reserveCapacity(min(n, fragments.count))
        var current: [Range<Int>] = []
        var k = 0  // the frame being filled
        for f in fragments {
            if k + 1 < n && f.lowerBound - 8 - base >= entry(k + 1) {
                guard !current.isEmpty else {
                    throw PixelError(.badEncapsulation, offset: botOffset + 4 * (k + 1), "Basic Offset Table entry \(k + 1) (\(entry(k + 1))) is not above entry \(k) (\(entry(k))): frame \(k) would be empty")
                }
                frames.append(current)
                current = []
                k += 1
            }
            current.append(f)
        }
        if !current.isEmpty { frames.append(current) }
        if frames.count < numberOfFrames {
            let span = fragments.last.map { $0.upperBound - base } ?? 0
            throw PixelError(.badEncapsulation, offset: botOffset + 4 * min(frames.count, n - 1), "the Basic Offset Table's \(n) entries give \(frames.count) frame\(frames.count == 1 ? "" : "s"), fewer than Number of Frames (\(numberOfFrames)): entry \(min(frames.count, n - 1)) (\(entry(min(frames.count, n - 1)))) points past the fragments, which span \(span) bytes")
        }
        return frames
    }

    /// The Extended Offset Table (7FE0,0001) and its lengths (7FE0,0002), 64-bit little endian,
    /// when both are present with the same number of entries (pydicom ignores them otherwise).
    private static func extendedOffsets(_ ds: DataSet, source: PixelSource) throws(PixelError) -> (offsets: [UInt64], lengths: [UInt64])? {
        guard let offsets = try uint64s(ds[Tag(0x7FE0_0001)], source: source),
              let lengths = try uint64s(ds[Tag(0x7FE0_0002)], source: source),
              !offsets.isEmpty, offsets.count == lengths.count else { return nil }
        return (offsets, lengths)
    }

    private static func uint64s(_ e: Element?, source: PixelSource) throws(PixelError) -> [UInt64]? {
        guard let e else { return nil }
        let raw: [UInt8]
        switch e.value {
        case .bytes(let b): raw = b
        case .notLoaded(let offset, let length), .truncated(_, let offset, let length):
            raw = try source.bytes(offset: offset, count: length)
        case .sequence, .fragments: return nil
        }
        var out: [UInt64] = []
        out.reserveCapacity(raw.count / 8)
        var i = 0
        while i + 8 <= raw.count {
            var v: UInt64 = 0
            for b in 0..<8 { v |= UInt64(raw[i + b]) << (8 * UInt64(b)) }
            out.append(v)
            i += 8
        }
        return out
    }
}
