// Pixels: locating and decoding pixel data — the Image Pixel module checked (PixelFormat), frames
// located (FrameTable), native and RLE decoded here, other codecs through a FrameDecoder.

/// One decoded frame, as pydicom's `pixel_array` gives a frame: samples of `sampleType` in C order
/// (rows, columns[, samples]), interleaved, little endian; YBR_FULL and YBR_FULL_422 8-bit colour
/// converted to RGB (`photometric` says what the samples are).
public struct DecodedFrame: Sendable, Equatable {
    public var sampleType: PixelSampleType
    public var rows: Int
    public var columns: Int
    public var samplesPerPixel: Int
    /// The photometric interpretation of the decoded samples (`RGB` after a colour conversion).
    public var photometric: String
    /// rows × columns × samplesPerPixel samples, `sampleType.byteWidth` bytes each, little endian.
    public var bytes: [UInt8]

    public init(sampleType: PixelSampleType, rows: Int, columns: Int, samplesPerPixel: Int, photometric: String, bytes: [UInt8]) {
        self.sampleType = sampleType
        self.rows = rows
        self.columns = columns
        self.samplesPerPixel = samplesPerPixel
        self.photometric = photometric
        self.bytes = bytes
    }

    /// `[rows, columns]`, or `[rows, columns, samples]` for colour (pydicom's shape of one frame).
    public var shape: [Int] { samplesPerPixel == 1 ? [rows, columns] : [rows, columns, samplesPerPixel] }
}
