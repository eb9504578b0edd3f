/// A decoder for encapsulated transfer syntaxes the library does not decode itself (JPEG, JPEG-LS,
/// JPEG 2000, ...), e.g. one built on GDCM. It turns one encoded frame into samples; `PixelReader`
/// then does what every path shares (widening to the sample type, planar to interleaved, the bit
/// corrections pydicom makes, YBR to RGB).
public protocol FrameDecoder: Sendable {
    /// Whether this decoder decodes frames of this transfer syntax.
    func canDecode(transferSyntaxUID: String) -> Bool

    /// Decodes one encoded frame (the frame's fragments concatenated) described by `format`.
    /// Throw `PixelError(.decoderFailed, ...)` with what the codec said.
    func decode(_ frame: UnsafeRawBufferPointer, format: PixelFormat, transferSyntaxUID: String) throws(PixelError) -> DecoderOutput
}

/// What a `FrameDecoder` produced for one frame.
public struct DecoderOutput: Sendable {
    /// rows × columns × samples per pixel samples, little endian, `bytesPerSample` bytes each.
    public var bytes: [UInt8]
    /// 1, 2 or 4; may be narrower than the format's sample type (8-bit JPEG in 16 bits allocated):
    /// samples are then widened, keeping their value.
    public var bytesPerSample: Int
    /// One plane per sample (R...G...B...) rather than interleaved.
    public var isPlanar: Bool
    /// The colour space of the samples; the codec may have converted it (YBR_FULL_422 JPEG to RGB).
    public var photometric: String
    /// The codestream's sample precision (JPEG-LS, JPEG 2000), if known: pydicom corrects the sign
    /// of JPEG-LS and JPEG 2000 samples with it (Bits Stored when nil).
    public var precision: Int?
    /// JPEG 2000: whether the codestream's samples are signed (Pixel Representation when nil).
    public var isSigned: Bool?

    public init(bytes: [UInt8], bytesPerSample: Int, isPlanar: Bool = false, photometric: String,
                precision: Int? = nil, isSigned: Bool? = nil) {
        self.bytes = bytes
        self.bytesPerSample = bytesPerSample
        self.isPlanar = isPlanar
        self.photometric = photometric
        self.precision = precision
        self.isSigned = isSigned
    }
}

/// The encapsulated transfer syntaxes that need a codec library (a `FrameDecoder`): JPEG baseline,
/// extended and lossless (.50, .51, .57, .70), JPEG-LS (.80, .81) and JPEG 2000 (.90, .91). Kept
/// here so that a program can route frames to a decoder process without linking the codecs.
public enum CodecTransferSyntaxes {
    public static let all: [String] = [
        "1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.57", "1.2.840.10008.1.2.4.70",
        "1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81", "1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91",
    ]
}
