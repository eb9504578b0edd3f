import DICOM

/// What planning needs of one image slice: a single-frame file, or one frame of a multi-frame file.
/// Every value is as read, nil when absent or unreadable (a non-numeric position is no position).
public struct SliceHeader: Sendable, Equatable {
    /// Which DIR of the command line the file was found in, and its path relative to that DIR.
    public var dirIndex: Int
    public var path: String
    /// 1-based frame number in a multi-frame file (a file with Number of Frames); nil otherwise.
    public var frame: Int?
    /// Number of Frames as the file claims it (the frames made may be fewer: see `headers(of:)`).
    public var numberOfFrames: Int?

    public var sopInstanceUID: String?
    public var seriesInstanceUID: String?
    public var studyInstanceUID: String?
    public var patientID: String?

    public var rows: Int?
    public var columns: Int?
    public var samplesPerPixel: Int?
    public var bitsAllocated: Int?
    public var pixelRepresentation: Int?
    public var photometricInterpretation: String?
    /// Float Pixel Data (7FE0,0008) or Double Float Pixel Data (7FE0,0009) instead of Pixel Data.
    public var floatPixels = false

    /// Image Position (Patient): per frame from Plane Position Sequence for multi-frame files.
    public var imagePosition: SIMD3<Double>?
    public var imageOrientation: ImageOrientation?
    public var instanceNumber: Int?
    /// Temporal Position Identifier (0020,0100), or a frame's Temporal Position Index (0020,9128).
    public var temporalPosition: Int?
    /// Acquisition Number (0020,0012), or a frame's Frame Acquisition Number (0020,9156).
    public var acquisitionNumber: Int?
    /// The first of Echo Numbers (0018,0086).
    public var echoNumber: Int?
    /// Seconds since midnight: Acquisition Time (0008,0032), or the time of a frame's Frame
    /// Acquisition DateTime (0018,9074).
    public var acquisitionTime: Double?
    /// From a frame's Frame Content Sequence.
    public var stackID: String?
    public var inStackPosition: Int?
    public var dimensionIndex: [Int]?

    public var rescaleSlope: Double?
    public var rescaleIntercept: Double?
    /// Row spacing, column spacing (mm), as Pixel Spacing stores them.
    public var pixelSpacing: [Double]?
    public var sliceThickness: Double?
    public var windowCenter: [Double]?
    public var windowWidth: [Double]?

    public init(dirIndex: Int = 0, path: String) {
        self.dirIndex = dirIndex
        self.path = path
    }

    /// All files of one series (or one file without a Series Instance UID) share this key:
    /// the scan's `key`, which `ScanKey` hashes to pick a shard.
    public var shardKey: String { seriesInstanceUID ?? path }
}

/// Image Orientation (Patient): the direction cosines of the first row and the first column.
public struct ImageOrientation: Sendable, Equatable {
    public let row: SIMD3<Double>
    public let column: SIMD3<Double>
    /// `row × column`, of unit length: the direction in which slices are stacked.
    public let normal: SIMD3<Double>

    /// Nil when the two directions are (nearly) parallel or zero.
    public init?(row: SIMD3<Double>, column: SIMD3<Double>) {
        let c = SIMD3(row.y * column.z - row.z * column.y, row.z * column.x - row.x * column.z, row.x * column.y - row.y * column.x)
        let length = (c * c).sum().squareRoot()
        guard length.isFinite, length > 1e-3 else { return nil }
        self.row = row
        self.column = column
        normal = c / length
    }

    /// The six values as stored: row x, y, z, column x, y, z.
    public var values: [Double] { [row.x, row.y, row.z, column.x, column.y, column.z] }

    /// Every cosine within `tolerance` of the other's.
    public func isClose(to other: ImageOrientation, tolerance: Double) -> Bool {
        let a = row - other.row, b = column - other.column
        return max(abs(a.x), abs(a.y), abs(a.z), abs(b.x), abs(b.y), abs(b.z)) <= tolerance
    }
}

/// Tags read here (the series table reads its image columns by them too), kept apart from `Tag`'s
/// statics so that other code can name them too.
enum HeaderTag {
    static let acquisitionNumber = Tag(0x0020_0012)
    static let temporalPositionIdentifier = Tag(0x0020_0100)
    static let echoNumbers = Tag(0x0018_0086)
    static let sliceThickness = Tag(0x0018_0050)
    static let imagePosition = Tag(0x0020_0032)
    static let imageOrientation = Tag(0x0020_0037)
    static let samplesPerPixel = Tag(0x0028_0002)
    static let photometricInterpretation = Tag(0x0028_0004)
    static let numberOfFrames = Tag(0x0028_0008)
    static let rows = Tag(0x0028_0010)
    static let columns = Tag(0x0028_0011)
    static let pixelSpacing = Tag(0x0028_0030)
    static let bitsAllocated = Tag(0x0028_0100)
    static let windowCenter = Tag(0x0028_1050)
    static let windowWidth = Tag(0x0028_1051)
    static let rescaleIntercept = Tag(0x0028_1052)
    static let rescaleSlope = Tag(0x0028_1053)
    static let sharedFunctionalGroups = Tag(0x5200_9229)
    static let perFrameFunctionalGroups = Tag(0x5200_9230)
    // Functional group macros and what is read from them.
    static let frameContent = Tag(0x0020_9111)
    static let planePosition = Tag(0x0020_9113)
    static let planeOrientation = Tag(0x0020_9116)
    static let pixelMeasures = Tag(0x0028_9110)
    static let frameVOILUT = Tag(0x0028_9132)
    static let pixelValueTransformation = Tag(0x0028_9145)
    static let stackID = Tag(0x0020_9056)
    static let inStackPositionNumber = Tag(0x0020_9057)
    static let temporalPositionIndex = Tag(0x0020_9128)
    static let frameAcquisitionNumber = Tag(0x0020_9156)
    static let dimensionIndexValues = Tag(0x0020_9157)
    static let frameAcquisitionDateTime = Tag(0x0018_9074)
}

extension SliceHeader {
    /// The top-level elements `headers(of:)` looks at: `ReadOptions(tags: SliceHeader.tags)` reads
    /// no more than this (the pixel data element only as its offset and length).
    public static let tags: Set<Tag> = [
        .sopInstanceUID, .acquisitionTime, .patientID, .studyInstanceUID, .seriesInstanceUID, .instanceNumber,
        .pixelRepresentation, .pixelData, .floatPixelData, .doubleFloatPixelData,
        HeaderTag.acquisitionNumber, HeaderTag.temporalPositionIdentifier, HeaderTag.echoNumbers, HeaderTag.sliceThickness,
        HeaderTag.imagePosition, HeaderTag.imageOrientation, HeaderTag.samplesPerPixel, HeaderTag.photometricInterpretation,
        HeaderTag.numberOfFrames, HeaderTag.rows, HeaderTag.columns, HeaderTag.pixelSpacing, HeaderTag.bitsAllocated,
        HeaderTag.windowCenter, HeaderTag.windowWidth, HeaderTag.rescaleIntercept, HeaderTag.rescaleSlope,
        HeaderTag.sharedFunctionalGroups, HeaderTag.perFrameFunctionalGroups,
    ]

    /// The slices of one file: one header, or one per frame for a file with Number of Frames. A
    /// frame's values come from its Per-frame Functional Groups item, else the Shared Functional
    /// Groups, else the top level. At most `maxFrames` frames, and no more than the pixel data can
    /// hold when its length is known, else no more than there are per-frame items (if any): a
    /// header that claims 2^31 frames makes no 2^31 headers.
    public static func headers(of dataSet: DataSet, dirIndex: Int, path: String, maxFrames: Int = 100_000) -> [SliceHeader] {
        let ds = dataSet
        var base = SliceHeader(dirIndex: dirIndex, path: path)
        base.sopInstanceUID = nonEmpty(ds.string(.sopInstanceUID))
        base.seriesInstanceUID = nonEmpty(ds.string(.seriesInstanceUID))
        base.studyInstanceUID = nonEmpty(ds.string(.studyInstanceUID))
        base.patientID = nonEmpty(ds.string(.patientID))
        base.rows = ds.int(HeaderTag.rows)
        base.columns = ds.int(HeaderTag.columns)
        base.samplesPerPixel = ds.int(HeaderTag.samplesPerPixel)
        base.bitsAllocated = ds.int(HeaderTag.bitsAllocated)
        base.pixelRepresentation = ds.int(.pixelRepresentation)
        base.photometricInterpretation = nonEmpty(ds.string(HeaderTag.photometricInterpretation))
        base.floatPixels = ds[.pixelData] == nil && (ds.contains(.floatPixelData) || ds.contains(.doubleFloatPixelData))
        base.instanceNumber = ds.int(.instanceNumber)
        base.echoNumber = ds.int(HeaderTag.echoNumbers)

        let claimed = ds.int(HeaderTag.numberOfFrames).flatMap { $0 >= 1 ? $0 : nil }
        guard let claimed else {
            fill(&base, top: ds, frameItem: nil, shared: nil)
            return [base]
        }
        base.numberOfFrames = claimed
        let perFrame = ds[HeaderTag.perFrameFunctionalGroups]?.items ?? []
        let shared = ds[HeaderTag.sharedFunctionalGroups]?.items?.first
        var count = min(claimed, max(1, maxFrames))
        if let bound = framesHeld(ds, base) {
            count = min(count, bound)
        } else if !perFrame.isEmpty {
            count = min(count, perFrame.count)
        }
        var out: [SliceHeader] = []
        out.reserveCapacity(count)
        for f in 0..<count {
            var h = base
            h.frame = f + 1
            fill(&h, top: ds, frameItem: f < perFrame.count ? perFrame[f] : nil, shared: shared)
            out.append(h)
        }
        return out
    }

    /// The values that may differ per frame: from the frame's functional groups item, the shared
    /// one, then the top level.
    private static func fill(_ h: inout SliceHeader, top: DataSet, frameItem: DataSet?, shared: DataSet?) {
        func group<T>(_ macro: Tag, _ read: (DataSet) -> T?) -> T? {
            if let item = frameItem?[macro]?.items?.first, let v = read(item) { return v }
            if let item = shared?[macro]?.items?.first, let v = read(item) { return v }
            return nil
        }
        h.imagePosition = group(HeaderTag.planePosition, position) ?? position(top)
        h.imageOrientation = group(HeaderTag.planeOrientation, orientation) ?? orientation(top)
        h.rescaleSlope = group(HeaderTag.pixelValueTransformation) { number($0, HeaderTag.rescaleSlope) } ?? number(top, HeaderTag.rescaleSlope)
        h.rescaleIntercept = group(HeaderTag.pixelValueTransformation) { number($0, HeaderTag.rescaleIntercept) }
            ?? number(top, HeaderTag.rescaleIntercept)
        h.pixelSpacing = group(HeaderTag.pixelMeasures) { numbers($0, HeaderTag.pixelSpacing, count: 2) } ?? numbers(top, HeaderTag.pixelSpacing, count: 2)
        h.sliceThickness = group(HeaderTag.pixelMeasures) { number($0, HeaderTag.sliceThickness) } ?? number(top, HeaderTag.sliceThickness)
        h.windowCenter = group(HeaderTag.frameVOILUT) { numbers($0, HeaderTag.windowCenter) } ?? numbers(top, HeaderTag.windowCenter)
        h.windowWidth = group(HeaderTag.frameVOILUT) { numbers($0, HeaderTag.windowWidth) } ?? numbers(top, HeaderTag.windowWidth)
        h.temporalPosition = group(HeaderTag.frameContent) { $0.int(HeaderTag.temporalPositionIndex) } ?? top.int(HeaderTag.temporalPositionIdentifier)
        h.acquisitionNumber = group(HeaderTag.frameContent) { $0.int(HeaderTag.frameAcquisitionNumber) } ?? top.int(HeaderTag.acquisitionNumber)
        h.acquisitionTime = group(HeaderTag.frameContent) { timeOfDateTime($0.string(HeaderTag.frameAcquisitionDateTime)) }
            ?? top.string(.acquisitionTime).flatMap(DICOMTime.init).map(seconds)
        h.stackID = group(HeaderTag.frameContent) { nonEmpty($0.string(HeaderTag.stackID)) }
        h.inStackPosition = group(HeaderTag.frameContent) { $0.int(HeaderTag.inStackPositionNumber) }
        h.dimensionIndex = group(HeaderTag.frameContent) { integers($0, HeaderTag.dimensionIndexValues) }
    }

    /// How many frames the pixel data element can hold, when its length is known: native data by
    /// its length and the frame size, encapsulated data by its fragments (a frame has at least one).
    private static func framesHeld(_ ds: DataSet, _ h: SliceHeader) -> Int? {
        guard let e = ds[.pixelData] ?? ds[.floatPixelData] ?? ds[.doubleFloatPixelData] else { return nil }
        let length: Int
        switch e.value {
        case .fragments(let f): return max(1, f.count - 1)
        case .notLoaded(_, let l), .truncated(_, _, let l): length = l
        case .bytes(let b):
            guard !e.hasUndefinedLength else { return nil }
            length = b.count
        case .sequence: return nil
        }
        guard let rows = h.rows, let columns = h.columns, let bits = h.bitsAllocated, rows > 0, columns > 0, bits > 0 else { return nil }
        let samples = max(1, h.samplesPerPixel ?? 1)
        var bitsPerFrame = rows
        for factor in [columns, samples, bits] {
            let (p, overflow) = bitsPerFrame.multipliedReportingOverflow(by: factor)
            guard !overflow else { return 1 }
            bitsPerFrame = p
        }
        let (totalBits, overflow) = length.multipliedReportingOverflow(by: 8)
        guard !overflow else { return nil }
        return max(1, totalBits / bitsPerFrame)
    }
}

// MARK: - Values

private func nonEmpty(_ s: String?) -> String? {
    guard let s else { return nil }
    let t = trimSpaces(s)
    return t.isEmpty ? nil : t
}

private func trimSpaces(_ s: String) -> String {
    guard let first = s.utf8.firstIndex(where: { $0 != 0x20 }), let last = s.utf8.lastIndex(where: { $0 != 0x20 }) else { return "" }
    return String(s.utf8[first...last]) ?? s
}

/// The first value as a finite number.
private func number(_ ds: DataSet, _ tag: Tag) -> Double? {
    guard let d = ds.double(tag), d.isFinite else { return nil }
    return d
}

/// All values as finite numbers (exactly `count` of them, if given); nil if any is not one.
private func numbers(_ ds: DataSet, _ tag: Tag, count: Int? = nil) -> [Double]? {
    guard let values = ds.strings(tag), !values.isEmpty, count == nil || values.count == count else { return nil }
    var out: [Double] = []
    out.reserveCapacity(values.count)
    for v in values {
        guard let d = Double(trimSpaces(v)), d.isFinite else { return nil }
        out.append(d)
    }
    return out
}

private func integers(_ ds: DataSet, _ tag: Tag) -> [Int]? {
    guard let values = ds.strings(tag), !values.isEmpty else { return nil }
    var out: [Int] = []
    for v in values {
        guard let i = Int(trimSpaces(v)) else { return nil }
        out.append(i)
    }
    return out
}

private func position(_ ds: DataSet) -> SIMD3<Double>? {
    numbers(ds, HeaderTag.imagePosition, count: 3).map { SIMD3($0[0], $0[1], $0[2]) }
}

private func orientation(_ ds: DataSet) -> ImageOrientation? {
    numbers(ds, HeaderTag.imageOrientation, count: 6).flatMap {
        ImageOrientation(row: SIMD3($0[0], $0[1], $0[2]), column: SIMD3($0[3], $0[4], $0[5]))
    }
}

private func seconds(_ t: DICOMTime) -> Double {
    Double(t.hour * 3600 + t.minute * 60 + t.second) + Double(t.microsecond) / 1e6
}

/// The time of day of a DT value `YYYYMMDDHHMMSS.FFFFFF&ZZXX` (nil without one).
private func timeOfDateTime(_ s: String?) -> Double? {
    guard let s else { return nil }
    let bytes = Array(trimSpaces(s).utf8)
    guard bytes.count >= 10 else { return nil }
    var end = 8
    while end < bytes.count, bytes[end] != UInt8(ascii: "+"), bytes[end] != UInt8(ascii: "-") { end += 1 }
    return DICOMTime(String(decoding: bytes[8..<end], as: UTF8.self)).map(seconds)
}
