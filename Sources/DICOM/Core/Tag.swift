/// A DICOM data element tag: (group, element) packed as `group << 16 | element`.
public struct Tag: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: UInt32

    @inlinable public init(_ rawValue: UInt32) { self.rawValue = rawValue }
    @inlinable public init(group: UInt16, element: UInt16) {
        rawValue = UInt32(group) << 16 | UInt32(element)
    }

    @inlinable public var group: UInt16 { UInt16(truncatingIfNeeded: rawValue >> 16) }
    @inlinable public var element: UInt16 { UInt16(truncatingIfNeeded: rawValue) }

    /// Odd groups other than 0001, 0003, 0005, 0007 and FFFF hold private data elements.
    public var isPrivate: Bool { group & 1 == 1 && group > 0x0007 && group != 0xFFFF }
    /// (gggg,0010)–(gggg,00FF) in a private group: a Private Creator element.
    public var isPrivateCreator: Bool { isPrivate && element >= 0x0010 && element <= 0x00FF }
    /// For a private element (gggg,xxyy) with xx >= 0x10, its creator's tag (gggg,00xx).
    public var privateCreatorTag: Tag? {
        guard isPrivate, element >= 0x1000 else { return nil }
        return Tag(group: group, element: element >> 8)
    }
    public var isGroupLength: Bool { element == 0x0000 }

    public static func < (a: Tag, b: Tag) -> Bool { a.rawValue < b.rawValue }

    /// `(0010,0010)`, upper-case hex as in the standard and in pydicom's column names.
    public var description: String {
        "(" + hex4(group) + "," + hex4(element) + ")"
    }

    /// `00100010`, the DICOM JSON model's key for a tag.
    public var hexString: String { hex4(group) + hex4(element) }

    /// Parses `(0010,0010)`, `0010,0010` or `00100010`.
    public init?(parsing text: String) {
        var digits = [UInt8]()
        for c in text.utf8 where c != UInt8(ascii: "(") && c != UInt8(ascii: ")") && c != UInt8(ascii: ",") && c != UInt8(ascii: " ") {
            digits.append(c)
        }
        guard digits.count == 8 else { return nil }
        var value: UInt32 = 0
        for c in digits {
            guard let d = hexDigitValue(c) else { return nil }
            value = value << 4 | UInt32(d)
        }
        self.init(value)
    }
}

extension Tag {
    public static let fileMetaInformationGroupLength = Tag(0x0002_0000)
    public static let mediaStorageSOPClassUID = Tag(0x0002_0002)
    public static let mediaStorageSOPInstanceUID = Tag(0x0002_0003)
    public static let transferSyntaxUID = Tag(0x0002_0010)
    public static let specificCharacterSet = Tag(0x0008_0005)
    public static let sopInstanceUID = Tag(0x0008_0018)
    public static let studyDate = Tag(0x0008_0020)
    public static let acquisitionTime = Tag(0x0008_0032)
    public static let modality = Tag(0x0008_0060)
    public static let seriesDescription = Tag(0x0008_103E)
    public static let patientName = Tag(0x0010_0010)
    public static let patientID = Tag(0x0010_0020)
    public static let patientSex = Tag(0x0010_0040)
    public static let patientAge = Tag(0x0010_1010)
    public static let studyInstanceUID = Tag(0x0020_000D)
    public static let seriesInstanceUID = Tag(0x0020_000E)
    public static let seriesNumber = Tag(0x0020_0011)
    public static let instanceNumber = Tag(0x0020_0013)
    public static let pixelRepresentation = Tag(0x0028_0103)
    public static let pixelData = Tag(0x7FE0_0010)
    public static let floatPixelData = Tag(0x7FE0_0008)
    public static let doubleFloatPixelData = Tag(0x7FE0_0009)
    public static let item = Tag(0xFFFE_E000)
    public static let itemDelimitation = Tag(0xFFFE_E00D)
    public static let sequenceDelimitation = Tag(0xFFFE_E0DD)
}


@usableFromInline func hex4(_ v: UInt16) -> String {
    String(unsafeUninitializedCapacity: 4) { buf in
        let digits: StaticString = "0123456789ABCDEF"
        let p = digits.utf8Start
        buf[0] = p[Int(v >> 12 & 0xF)]
        buf[1] = p[Int(v >> 8 & 0xF)]
        buf[2] = p[Int(v >> 4 & 0xF)]
        buf[3] = p[Int(v & 0xF)]
        return 4
    }
}

@inline(__always) func hexDigitValue(_ c: UInt8) -> UInt8? {
    switch c {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
    default: return nil
    }
}
