/// One data element as read.
public struct Element: Sendable, Equatable {
    public enum Value: Sendable, Equatable {
        /// The value bytes as stored (byte order of the data set).
        case bytes([UInt8])
        /// A value the reader skipped (bulk data, pixel data, or not asked for): where it is.
        case notLoaded(offset: Int, length: Int)
        /// A bulk value of which only the first bytes were loaded (`ReadOptions.bulkPrefix`).
        case truncated(prefix: [UInt8], offset: Int, length: Int)
        /// A sequence's items.
        case sequence([DataSet])
        /// Encapsulated pixel data: the offset and length of each item (basic offset table first).
        case fragments([Fragment])
    }

    public struct Fragment: Sendable, Equatable {
        public let offset: Int
        public let length: Int
    }

    public let tag: Tag
    /// The VR used to interpret the value: the file's, or the dictionary's for implicit VR and for
    /// `UN` elements whose tag the dictionary knows (as pydicom does).
    public let vr: VR
    /// The VR written in the file (nil in implicit VR).
    public let fileVR: VR?
    /// The length field as stored (0xFFFFFFFF for undefined length).
    public let length: UInt32
    /// Byte offset of the element's tag in the stream.
    public let offset: Int
    public var value: Value

    package init(tag: Tag, vr: VR, fileVR: VR?, length: UInt32, offset: Int, value: Value) {
        self.tag = tag
        self.vr = vr
        self.fileVR = fileVR
        self.length = length
        self.offset = offset
        self.value = value
    }

    public var hasUndefinedLength: Bool { length == 0xFFFF_FFFF }

    public var bytes: [UInt8]? {
        if case .bytes(let b) = value { return b }
        return nil
    }

    public var items: [DataSet]? {
        if case .sequence(let s) = value { return s }
        return nil
    }
}
