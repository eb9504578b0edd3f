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

    /// The top-level element of the data set in which reading failed (a sequence, for damage inside
    /// its items); nil without error, or when the damage lies before the data set (preamble, meta).
    public var errorTag: Tag?

    /// Read without error: everything asked for (the whole file, or up to `stopBefore` or the last
    /// wanted tag) was read.
    public var isComplete: Bool { error == nil }

    /// Whether every element with one of these tags that the file holds at the top level was read
    /// whole: no error, or an error in a top-level element after all of them (the elements before
    /// the damage are whole). Group 0002 tags count as read when the damage is in the data set.
    public func hasAllElements(of tags: some Sequence<Tag>) -> Bool {
        guard error != nil else { return true }
        guard let damaged = errorTag else { return false }
        return tags.allSatisfy { $0.group == 0x0002 || $0 < damaged }
    }

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
