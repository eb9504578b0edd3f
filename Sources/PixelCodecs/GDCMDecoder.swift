// PixelCodecs: compressed pixel data through C libraries (GDCM for JPEG, JPEG-LS, JPEG 2000).
// Plain values in and out; no DICOM parsing here: the caller passes one frame and its attributes.
import CGDCM

/// The image attributes a frame is decoded with, as the data set declares them.
public struct FrameAttributes: Sendable, Equatable {
    public var rows: Int
    public var columns: Int
    public var samplesPerPixel: Int
    public var bitsAllocated: Int
    public var bitsStored: Int
    /// Pixel Representation (0028,0103): 0 unsigned, 1 two's complement.
    public var pixelRepresentation: Int
    /// Photometric Interpretation (0028,0004), e.g. "MONOCHROME2", "YBR_FULL_422".
    public var photometricInterpretation: String
    public var planarConfiguration: Int

    public init(rows: Int, columns: Int, samplesPerPixel: Int = 1, bitsAllocated: Int, bitsStored: Int,
                pixelRepresentation: Int = 0, photometricInterpretation: String = "MONOCHROME2",
                planarConfiguration: Int = 0) {
        self.rows = rows
        self.columns = columns
        self.samplesPerPixel = samplesPerPixel
        self.bitsAllocated = bitsAllocated
        self.bitsStored = bitsStored
        self.pixelRepresentation = pixelRepresentation
        self.photometricInterpretation = photometricInterpretation
        self.planarConfiguration = planarConfiguration
    }

    /// Bytes of one decoded frame (rows * columns * samples * bitsAllocated / 8), computed in 64
    /// bits; nil when an attribute is out of range.
    public var frameLength: Int? {
        guard rows > 0, columns > 0, samplesPerPixel > 0, bitsAllocated > 0, bitsAllocated % 8 == 0 else { return nil }
        let (a, o1) = Int64(rows).multipliedReportingOverflow(by: Int64(columns))
        let (b, o2) = a.multipliedReportingOverflow(by: Int64(samplesPerPixel) * Int64(bitsAllocated / 8))
        return o1 || o2 ? nil : Int(b)
    }
}

/// A decoded frame: little-endian samples of bitsAllocated / 8 bytes, row by row, colour
/// interleaved (R G B R G B ...), chroma at full resolution.
public struct DecodedFrame: Sendable, Equatable {
    public let bytes: [UInt8]
    /// The colour space of `bytes`, which may differ from the declared one: "YBR_FULL" for lossy
    /// JPEG stored as YCbCr (GDCM does not convert it; pydicom returns RGB), "RGB" for JPEG 2000
    /// with the multiple component transform. See `cgdcm.h`.
    public let photometricInterpretation: String
    /// What the codec warned about while decoding, e.g. libjpeg's "Corrupt JPEG data: premature
    /// end of data segment" (the frame decoded but may be damaged); nil when it said nothing.
    public let warnings: String?
}

/// Why a frame was not decoded.
public struct CodecError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// Not a transfer syntax this decoder handles.
        case unsupportedTransferSyntax = "unsupported transfer syntax"
        /// Attributes out of range or inconsistent (e.g. 3 samples with MONOCHROME2).
        case badAttributes = "bad attributes"
        /// The decoded frame would be larger than the limit the caller set.
        case tooLarge = "too large"
        /// The codestream header is malformed, truncated, or disagrees with the attributes.
        case badStream = "bad stream"
        /// The codec failed on the data.
        case decodeFailed = "decode failed"
        /// An exception or allocation failure inside GDCM.
        case `internal`
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { "\(kind.rawValue): \(message)" }
}

/// One frame of JPEG (.50, .51, .57, .70), JPEG-LS (.80, .81) or JPEG 2000 (.90, .91) through
/// GDCM's codecs, from memory (GDCM never sees a file). Safe to call from many threads at once.
public enum GDCMDecoder {
    /// The transfer syntaxes `decode` handles.
    public static let transferSyntaxes: [String] = [
        "1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.57", "1.2.840.10008.1.2.4.70",
        "1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81", "1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91",
    ]

    /// The version of the GDCM library loaded, e.g. "3.0.21".
    public static var libraryVersion: String { String(cString: cgdcm_version()) }

    /// Whether `decode` handles this transfer syntax UID (trailing NUL or space padding ignored, as
    /// in the strings of `FrameAttributes`).
    public static func canDecode(transferSyntax: String) -> Bool {
        cgdcm_can_decode(trimmed(transferSyntax)) != 0
    }

    /// Decodes one frame: `frame` is the frame's fragments concatenated (no basic offset table).
    /// `maxFrameBytes` bounds the output allocated; `threads` lets JPEG 2000 use more than the
    /// calling thread.
    public static func decode(frame: UnsafeRawBufferPointer, transferSyntax: String, attributes: FrameAttributes,
                              maxFrameBytes: Int = 1 << 30, threads: Int = 1) -> Result<DecodedFrame, CodecError> {
        let uid = trimmed(transferSyntax)
        guard cgdcm_can_decode(uid) != 0 else {
            return .failure(CodecError(.unsupportedTransferSyntax, "transfer syntax '\(uid)' is not one GDCM decodes here"))
        }
        guard let length = attributes.frameLength, attributes.rows <= 65535, attributes.columns <= 65535,
              (0...65535).contains(attributes.samplesPerPixel), (0...65535).contains(attributes.bitsAllocated),
              (0...65535).contains(attributes.bitsStored), (0...65535).contains(attributes.pixelRepresentation),
              (0...65535).contains(attributes.planarConfiguration) else {
            return .failure(CodecError(.badAttributes, "rows \(attributes.rows), columns \(attributes.columns), samples \(attributes.samplesPerPixel), bits allocated \(attributes.bitsAllocated): out of range"))
        }
        guard length <= maxFrameBytes else {
            return .failure(CodecError(.tooLarge, "a frame of \(length) bytes is over the limit of \(maxFrameBytes)"))
        }
        return uid.withCString { uidC in
            trimmed(attributes.photometricInterpretation).withCString { piC in
                var info = cgdcm_frame_info(
                    transfer_syntax: uidC, photometric: piC, rows: UInt32(attributes.rows),
                    columns: UInt32(attributes.columns), samples_per_pixel: UInt16(attributes.samplesPerPixel),
                    bits_allocated: UInt16(attributes.bitsAllocated), bits_stored: UInt16(attributes.bitsStored),
                    pixel_representation: UInt16(attributes.pixelRepresentation),
                    planar_configuration: UInt16(attributes.planarConfiguration),
                    threads: UInt16(clamping: max(threads, 0)))
                let input = frame.baseAddress?.assumingMemoryBound(to: UInt8.self)
                var message = [CChar](repeating: 0, count: 512)
                // The header check first, so a hostile header costs no allocation.
                let checked = cgdcm_check_frame(&info, input, frame.count, &message, message.count)
                guard checked == CGDCM_OK else { return .failure(error(checked, message)) }
                var photometric = [CChar](repeating: 0, count: 32)
                var status = CGDCM_OK
                let bytes = [UInt8](unsafeUninitializedCapacity: length) { buffer, count in
                    status = cgdcm_decode_frame(&info, input, frame.count, buffer.baseAddress, length,
                                                &photometric, photometric.count, &message, message.count)
                    if status == CGDCM_OK {
                        count = length
                    } else {
                        count = 0
                    }
                }
                guard status == CGDCM_OK else { return .failure(error(status, message)) }
                let warnings = string(message)
                return .success(DecodedFrame(bytes: bytes, photometricInterpretation: string(photometric),
                                             warnings: warnings.isEmpty ? nil : warnings))
            }
        }
    }

    /// `decode(frame:...)` for an array.
    public static func decode(frame: [UInt8], transferSyntax: String, attributes: FrameAttributes,
                              maxFrameBytes: Int = 1 << 30, threads: Int = 1) -> Result<DecodedFrame, CodecError> {
        frame.withUnsafeBytes {
            decode(frame: $0, transferSyntax: transferSyntax, attributes: attributes, maxFrameBytes: maxFrameBytes,
                   threads: threads)
        }
    }

    /// A value without its trailing NUL or space padding.
    private static func trimmed(_ value: String) -> String {
        var s = Substring(value)
        while let last = s.last, last == "\0" || last == " " { s = s.dropLast() }
        return String(s)
    }

    private static func string(_ chars: [CChar]) -> String {
        let bytes = chars.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func error(_ status: cgdcm_status, _ message: [CChar]) -> CodecError {
        let kind: CodecError.Kind
        switch status {
        case CGDCM_UNSUPPORTED_SYNTAX: kind = .unsupportedTransferSyntax
        case CGDCM_BAD_ATTRIBUTES: kind = .badAttributes
        case CGDCM_BAD_STREAM: kind = .badStream
        case CGDCM_DECODE_FAILED: kind = .decodeFailed
        default: kind = .internal
        }
        return CodecError(kind, string(message))
    }
}
