/// Why pixel data could not be located or decoded: what was wrong, and where.
public struct PixelError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// A required Image Pixel element is absent or empty (`message` names it).
        case missingElement = "missing element"
        /// An Image Pixel element holds a value that cannot be right (`message` names it).
        case invalidElement = "invalid element"
        /// No Pixel Data, Float Pixel Data or Double Float Pixel Data element, or more than one.
        case noPixelData = "no pixel data"
        /// The file could not be read up to the end of its pixel data.
        case unreadableFile = "file not readable"
        /// The header describes more bytes than can be held (or than the options allow).
        case tooLarge = "too large"
        /// The pixel data holds fewer bytes than the header describes.
        case tooShort = "too short"
        /// Encapsulated pixel data whose items or offset tables cannot be right.
        case badEncapsulation = "bad encapsulation"
        /// An RLE frame whose header or segments cannot be right.
        case badRLE = "bad RLE data"
        /// A transfer syntax or pixel encoding this library (and the decoder given) cannot decode.
        case unsupported
        /// A frame decoder (e.g. one for JPEG) failed.
        case decoderFailed = "decoder failed"
        /// Reading the file failed.
        case io = "I/O error"
    }

    public let kind: Kind
    /// Byte offset of the problem: in the file (in the inflated data set for the deflated transfer
    /// syntax), or in the encoded frame for errors inside a frame; nil when no offset applies.
    public let offset: Int?
    /// The frame concerned, if any.
    public var frame: Int?
    public let message: String

    public init(_ kind: Kind, offset: Int? = nil, frame: Int? = nil, _ message: String) {
        self.kind = kind
        self.offset = offset
        self.frame = frame
        self.message = message
    }

    public var description: String {
        var s = kind.rawValue
        if let frame { s += " in frame \(frame)" }
        if let offset { s += " at byte \(offset)" }
        return s + ": " + message
    }
}
