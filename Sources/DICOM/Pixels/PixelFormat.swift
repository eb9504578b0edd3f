/// The type of one decoded sample, as pydicom's `pixel_array` gives it: from Bits Allocated and
/// Pixel Representation (1-bit data unpacked to `uint8`), or float/double for the float elements.
public enum PixelSampleType: String, Sendable, CaseIterable {
    case uint8, int8, uint16, int16, uint32, int32, float32, float64

    /// Bytes per sample.
    public var byteWidth: Int {
        switch self {
        case .uint8, .int8: return 1
        case .uint16, .int16: return 2
        case .uint32, .int32, .float32: return 4
        case .float64: return 8
        }
    }

    public var isSigned: Bool {
        switch self {
        case .int8, .int16, .int32, .float32, .float64: return true
        default: return false
        }
    }

    public var isFloat: Bool { self == .float32 || self == .float64 }
}

/// How the pixel data of an image is encoded: the Image Pixel module's values, checked.
public struct PixelFormat: Sendable, Equatable {
    /// The element that holds the pixel data.
    public enum DataElement: Sendable, Equatable {
        /// (7FE0,0010) Pixel Data: integers (or encapsulated frames).
        case pixelData
        /// (7FE0,0008) Float Pixel Data: 32-bit IEEE floats.
        case floatPixelData
        /// (7FE0,0009) Double Float Pixel Data: 64-bit IEEE floats.
        case doubleFloatPixelData

        public var tag: Tag {
            switch self {
            case .pixelData: return .pixelData
            case .floatPixelData: return .floatPixelData
            case .doubleFloatPixelData: return .doubleFloatPixelData
            }
        }
    }

    public let rows: Int
    public let columns: Int
    public let samplesPerPixel: Int
    public let bitsAllocated: Int
    public let bitsStored: Int
    public let highBit: Int
    /// Pixel Representation 1 (two's complement).
    public let isSigned: Bool
    /// Photometric Interpretation, without padding (`MONOCHROME2`, `RGB`, `YBR_FULL_422`, ...).
    public let photometric: String
    /// 0: samples interleaved (R G B R G B ...), 1: one plane per sample (R R ... G G ... B B ...).
    public let planarConfiguration: Int
    /// Number of Frames; 1 when absent, empty or 0 (as pydicom takes it).
    public let numberOfFrames: Int
    public let element: DataElement

    /// The values of the Image Pixel module, checked as pydicom checks them before decoding:
    /// rows and columns 1...65535, samples 1 or 3, Bits Allocated 1 or a multiple of 8 up to 64,
    /// Bits Stored 1...Bits Allocated, a known photometric interpretation, and sizes that fit.
    public init(rows: Int, columns: Int, samplesPerPixel: Int = 1, bitsAllocated: Int, bitsStored: Int,
                highBit: Int? = nil, isSigned: Bool = false, photometric: String = "MONOCHROME2",
                planarConfiguration: Int = 0, numberOfFrames: Int = 1, element: DataElement = .pixelData) throws(PixelError) {
        func invalid(_ tag: String, _ why: String) -> PixelError {
            PixelError(.invalidElement, "\(tag) \(why)")
        }
        guard (1...65535).contains(rows) else { throw invalid("(0028,0010) Rows", "is \(rows), not 1...65535") }
        guard (1...65535).contains(columns) else { throw invalid("(0028,0011) Columns", "is \(columns), not 1...65535") }
        guard samplesPerPixel == 1 || samplesPerPixel == 3 else {
            throw invalid("(0028,0002) Samples per Pixel", "is \(samplesPerPixel), not 1 or 3")
        }
        guard bitsAllocated == 1 || (bitsAllocated % 8 == 0 && (8...64).contains(bitsAllocated)) else {
            throw invalid("(0028,0100) Bits Allocated", "is \(bitsAllocated), not 1 or a multiple of 8 up to 64")
        }
        switch element {
        case .pixelData:
            guard (1...bitsAllocated).contains(bitsStored) else {
                throw invalid("(0028,0101) Bits Stored", "is \(bitsStored), not 1...\(bitsAllocated) (Bits Allocated)")
            }
            guard bitsAllocated <= 32 else {
                throw PixelError(.unsupported, "\(bitsAllocated)-bit integer samples ((0028,0100) Bits Allocated \(bitsAllocated))")
            }
        case .floatPixelData:
            guard bitsAllocated == 32 else { throw invalid("(0028,0100) Bits Allocated", "is \(bitsAllocated) for Float Pixel Data, not 32") }
        case .doubleFloatPixelData:
            guard bitsAllocated == 64 else { throw invalid("(0028,0100) Bits Allocated", "is \(bitsAllocated) for Double Float Pixel Data, not 64") }
        }
        guard PixelFormat.knownPhotometrics.contains(photometric) else {
            throw invalid("(0028,0004) Photometric Interpretation", "is '\(photometric)', not a known value")
        }
        guard planarConfiguration == 0 || planarConfiguration == 1 else {
            throw invalid("(0028,0006) Planar Configuration", "is \(planarConfiguration), not 0 or 1")
        }
        guard numberOfFrames >= 1 else { throw invalid("(0028,0008) Number of Frames", "is \(numberOfFrames)") }
        // Per frame at most 65535 * 65535 * 3 * 64 bits (< 2^40): no overflow below; whole images
        // are checked against the data where frames are located.
        self.rows = rows
        self.columns = columns
        self.samplesPerPixel = samplesPerPixel
        self.bitsAllocated = bitsAllocated
        self.bitsStored = element == .pixelData ? bitsStored : bitsAllocated
        self.highBit = highBit ?? (self.bitsStored - 1)
        self.isSigned = isSigned
        self.photometric = photometric
        self.planarConfiguration = samplesPerPixel == 1 ? 0 : planarConfiguration
        self.numberOfFrames = numberOfFrames
        self.element = element
    }

    /// Reads the Image Pixel module from a data set (top level). The error names the element that
    /// is missing or invalid.
    public init(dataSet ds: DataSet) throws(PixelError) {
        let present = [DataElement.pixelData, .floatPixelData, .doubleFloatPixelData].filter { ds.contains($0.tag) }
        guard let element = present.first else {
            throw PixelError(.noPixelData, "no (7FE0,0010) Pixel Data, (7FE0,0008) Float Pixel Data or (7FE0,0009) Double Float Pixel Data")
        }
        guard present.count == 1 else {
            throw PixelError(.noPixelData, "more than one of (7FE0,0010) Pixel Data, (7FE0,0008) Float Pixel Data and (7FE0,0009) Double Float Pixel Data")
        }
        func required(_ raw: UInt32, _ name: String) throws(PixelError) -> Int {
            let tag = Tag(raw)
            guard ds.contains(tag) else { throw PixelError(.missingElement, "\(tag) \(name) is absent") }
            guard let v = ds.int(tag) else {
                if ds.strings(tag)?.first.map({ trimmedSpaces($0).isEmpty }) ?? true {
                    throw PixelError(.missingElement, "\(tag) \(name) is empty")
                }
                throw PixelError(.invalidElement, "\(tag) \(name) is '\(ds.string(tag) ?? "")', not a number")
            }
            return v
        }
        let rows = try required(0x0028_0010, "Rows")
        let columns = try required(0x0028_0011, "Columns")
        let samples = try required(0x0028_0002, "Samples per Pixel")
        let bitsAllocated = try required(0x0028_0100, "Bits Allocated")
        let isInteger = element == .pixelData
        let bitsStored = isInteger ? try required(0x0028_0101, "Bits Stored") : bitsAllocated
        let representation = isInteger ? try required(0x0028_0103, "Pixel Representation") : 0
        guard representation == 0 || representation == 1 else {
            throw PixelError(.invalidElement, "(0028,0103) Pixel Representation is \(representation), not 0 or 1")
        }
        let planar = samples == 3 ? try required(0x0028_0006, "Planar Configuration") : 0
        guard let photometric = ds.string(Tag(0x0028_0004)).map({ trimmedSpaces($0) }).map(String.init), !photometric.isEmpty else {
            throw PixelError(.missingElement, "(0028,0004) Photometric Interpretation is absent or empty")
        }
        // Number of Frames (IS): absent, empty or 0 means one frame, as pydicom takes it.
        var frames = 1
        let framesTag = Tag(0x0028_0008)
        if let text = ds.strings(framesTag)?.first, !trimmedSpaces(text).isEmpty {
            guard let n = Int(trimmedSpaces(text)) else {
                throw PixelError(.invalidElement, "(0028,0008) Number of Frames is '\(text)', not an integer")
            }
            guard n >= 0 else { throw PixelError(.invalidElement, "(0028,0008) Number of Frames is \(n)") }
            frames = max(n, 1)
        }
        try self.init(rows: rows, columns: columns, samplesPerPixel: samples, bitsAllocated: bitsAllocated,
                      bitsStored: bitsStored, highBit: ds.int(Tag(0x0028_0102)), isSigned: representation == 1,
                      photometric: photometric, planarConfiguration: planar, numberOfFrames: frames, element: element)
    }

    /// The photometric interpretations of PS3.3 C.7.6.3.1.2, retired ones included (pydicom's list).
    static let knownPhotometrics: Set<String> = [
        "MONOCHROME1", "MONOCHROME2", "PALETTE COLOR", "RGB", "YBR_FULL", "YBR_FULL_422", "YBR_ICT",
        "YBR_RCT", "HSV", "ARGB", "CMYK", "YBR_PARTIAL_422", "YBR_PARTIAL_420",
    ]

    /// The type of the decoded samples.
    public var sampleType: PixelSampleType {
        switch element {
        case .floatPixelData: return .float32
        case .doubleFloatPixelData: return .float64
        case .pixelData:
            switch bitsAllocated {
            case 1, 8: return isSigned && bitsAllocated == 8 ? .int8 : .uint8
            case 16: return isSigned ? .int16 : .uint16
            default: return isSigned ? .int32 : .uint32  // 32: the initialiser refuses more
            }
        }
    }

    /// Samples in one decoded frame (rows × columns × samples per pixel).
    public var samplesPerFrame: Int { rows * columns * samplesPerPixel }

    /// Bits of one frame as stored natively (uncompressed): Bits Allocated per sample, two thirds
    /// of that for YBR_FULL_422 (two chroma samples per two pixels, PS3.3 C.7.6.3.1.2).
    public var nativeFrameBits: Int {
        let bits = samplesPerFrame * bitsAllocated
        if photometric == "YBR_FULL_422" && bitsAllocated != 1 { return bits / 8 / 3 * 2 * 8 }
        return bits
    }
}
