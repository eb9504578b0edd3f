/// How a data set is encoded: VR explicit or implicit, byte order, deflate, encapsulated pixel data.
public struct TransferSyntax: Hashable, Sendable, CustomStringConvertible {
    /// The UID as found (trailing padding removed), or a description of how it was inferred.
    public let uid: String
    public let isExplicitVR: Bool
    public let isBigEndian: Bool
    public let isDeflated: Bool
    public let isEncapsulated: Bool

    public init(uid: String, explicitVR: Bool, bigEndian: Bool, deflated: Bool = false, encapsulated: Bool = false) {
        self.uid = uid
        self.isExplicitVR = explicitVR
        self.isBigEndian = bigEndian
        self.isDeflated = deflated
        self.isEncapsulated = encapsulated
    }

    public static let implicitVRLittleEndian = TransferSyntax(uid: "1.2.840.10008.1.2", explicitVR: false, bigEndian: false)
    public static let explicitVRLittleEndian = TransferSyntax(uid: "1.2.840.10008.1.2.1", explicitVR: true, bigEndian: false)
    public static let explicitVRBigEndian = TransferSyntax(uid: "1.2.840.10008.1.2.2", explicitVR: true, bigEndian: true)
    public static let deflatedExplicitVRLittleEndian = TransferSyntax(uid: "1.2.840.10008.1.2.1.99", explicitVR: true, bigEndian: false, deflated: true)

    /// The transfer syntax a UID names. Returns nil for a UID that is not a known transfer syntax.
    ///
    /// Every transfer syntax of the standard other than the three native ones and the deflated ones
    /// encapsulates its pixel data and encodes the rest as explicit VR little endian (PS3.5 A.4).
    public init?(uid raw: String) {
        let uid = TransferSyntax.clean(raw)
        switch uid {
        case "1.2.840.10008.1.2": self = .implicitVRLittleEndian
        case "1.2.840.10008.1.2.1": self = .explicitVRLittleEndian
        case "1.2.840.10008.1.2.2": self = .explicitVRBigEndian
        case "1.2.840.10008.1.2.1.99": self = .deflatedExplicitVRLittleEndian
        case "1.2.840.10008.1.20": self.init(uid: uid, explicitVR: false, bigEndian: false) // Papyrus 3
        default:
            guard let entry = DataDictionary.uid(uid), entry.type == "Transfer Syntax" else { return nil }
            let deflate = entry.keyword.hasSuffix("Deflate") // JPIP Referenced Deflate: deflated data set
            let encapsulated = !deflate && !uid.hasPrefix("1.2.840.10008.1.2.6.") // MIME/XML are not images
            self.init(uid: uid, explicitVR: true, bigEndian: false, deflated: deflate, encapsulated: encapsulated)
        }
    }

    /// The native syntaxes most files use, found from the raw bytes of (0002,0010) without making
    /// a string: a value that is one of these UIDs followed only by NUL or space padding is what
    /// `init(uid:)` gives for it (`clean` removes just that padding, the UID starts with a digit).
    private static let nativeSyntaxes = [explicitVRLittleEndian, implicitVRLittleEndian, explicitVRBigEndian, deflatedExplicitVRLittleEndian]
    private static let nativeUIDBytes: [[UInt8]] = nativeSyntaxes.map { Array($0.uid.utf8) }

    static func native(rawUID value: [UInt8]) -> TransferSyntax? {
        var n = value.count
        while n > 0, value[n - 1] == 0x20 || value[n - 1] == 0x00 { n -= 1 }
        let candidates = nativeUIDBytes
        for k in candidates.indices where candidates[k].count == n && candidates[k].elementsEqual(value[..<n]) {
            return nativeSyntaxes[k]
        }
        return nil
    }

    /// Removes the trailing NUL or space padding and surrounding white space of a UI value.
    static func clean(_ raw: String) -> String {
        var s = Substring(raw)
        while let last = s.last, last == "\0" || last == " " || last == "\n" || last == "\r" || last == "\t" { s.removeLast() }
        while let first = s.first, first == " " || first == "\0" { s.removeFirst() }
        return String(s)
    }

    /// The standard's name (`Explicit VR Little Endian`), or the UID if it is not in the registry.
    public var name: String { DataDictionary.uid(uid)?.name ?? uid }
    public var description: String { name }
}
