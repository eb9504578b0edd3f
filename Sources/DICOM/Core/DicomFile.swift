/// The result of reading a file: what it held up to where reading stopped, and the error that
/// stopped it, if any (elements read before an error stay available).
public struct DicomFile: Sendable {
    public var path: String?
    /// `DICM` at byte 128.
    public var hasPreamble = false
    /// The file meta information (group 0002), if present.
    public var meta = DataSet()
    public var dataSet = DataSet()
    /// The transfer syntax the data set was read with (from the meta, or detected).
    public var transferSyntax: TransferSyntax?
    public var error: DICOMError?
    /// Things that were wrong but could be read anyway (unknown character set, guessed syntax, ...).
    public var warnings: [String] = []
    /// Bytes fetched from the file (or memory) — the reader skips bulk values by seeking.
    public var bytesRead = 0
    /// Reading stopped at `stopBefore` or after the last wanted tag, not at the end of the file.
    public var stoppedEarly = false

    /// Recognised as DICOM (Part 10 or a bare data set), whether or not it was read to the end.
    public var isDICOM: Bool { error?.kind != .notDICOM && error?.kind != .io }

    /// A top-level element, looking in the meta group for group 0002.
    public subscript(tag: Tag) -> Element? {
        tag.group == 0x0002 ? meta[tag] : dataSet[tag]
    }

    public func string(_ tag: Tag) -> String? {
        tag.group == 0x0002 ? meta.string(tag) : dataSet.string(tag)
    }

    public func string(_ keyword: String) -> String? {
        guard let tag = DataDictionary.tag(forKeyword: keyword) else { return nil }
        return string(tag)
    }
}
