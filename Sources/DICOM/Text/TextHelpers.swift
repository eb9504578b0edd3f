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

extension Substring {
    func trimmingCharacters(_ c: Character) -> String {
        var s = self
        while s.first == c { s.removeFirst() }
        while s.last == c { s.removeLast() }
        return String(s)
    }
}

extension String {
    func trimmingCharacters(_ c: Character) -> String { Substring(self).trimmingCharacters(c) }
}
