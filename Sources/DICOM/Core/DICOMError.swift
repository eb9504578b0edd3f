/// Why a file could not be read (completely). `offset` is the byte offset in the file, or in the
/// inflated data set for deflated transfer syntaxes (`inInflatedData`).
public struct DICOMError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// Neither `DICM` at byte 128 nor a recognisable data set at byte 0.
        case notDICOM = "not DICOM"
        /// The file ends inside an element header or value.
        case truncated
        /// An item or sequence delimiter where it cannot be, or a non-item inside a sequence.
        case badItem = "bad item"
        /// Sequences nested deeper than `ReadOptions.maxDepth`.
        case nestingTooDeep = "nesting too deep"
        /// The deflated data set could not be inflated.
        case deflate = "deflate failed"
        /// An element length that cannot be right (e.g. past the end of its item).
        case badLength = "bad length"
        /// The file could not be opened or read, or is not a regular file.
        case io = "I/O error"
        /// More elements or more loaded value bytes than `ReadOptions.maxElements` or
        /// `ReadOptions.maxValueBytesTotal` allow.
        case tooLarge = "too large"
    }

    public let kind: Kind
    public let offset: Int
    public let message: String
    public var inInflatedData = false

    public init(_ kind: Kind, offset: Int, _ message: String) {
        self.kind = kind
        self.offset = offset
        self.message = message
    }

    public var description: String {
        "\(kind.rawValue) at \(inInflatedData ? "inflated " : "")byte \(offset): \(message)"
    }
}
