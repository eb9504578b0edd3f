/// Small text helpers shared by the layers (character sets, values, the crawler through `DICOMText`).
public enum DICOMText {
    /// A value without its padding, by DICOM's rules for text: leading spaces, and trailing spaces
    /// and NULs, removed. (Values from `DataSet.string` are already stripped; this is for text
    /// that was split or assembled afterwards, and for Specific Character Set terms.)
    public static func trimmed(_ s: String) -> String {
        var t = Substring(s)
        while t.first == " " { t.removeFirst() }
        while t.last == " " || t.last == "\0" { t.removeLast() }
        return String(t)
    }
}

/// The text without leading and trailing spaces, as a view (no copy): how numbers, dates and
/// times are read.
func trimmedSpaces(_ text: String) -> Substring {
    var s = Substring(text)
    while s.utf8.first == 0x20 { s = s.dropFirst() }
    while s.utf8.last == 0x20 { s = s.dropLast() }
    return s
}
