/// Typed accessors: values as strings, numbers, dates and times.
extension DataSet {
    /// The values of a string element, split at backslashes and stripped as `render` does.
    public func strings(_ tag: Tag) -> [String]? {
        guard let e = self[tag] else { return nil }
        if case .bytes(let b) = e.value, let width = e.vr.binaryWidth, width > 0, e.vr != .OW, e.vr != .OF, e.vr != .OL {
            return numbers(b, vr: e.vr)
        }
        let text = render(e)
        if e.vr.isSingleValuedText { return [text] }
        return text.split(separator: "\\", omittingEmptySubsequences: false).map(String.init)
    }

    /// The first value as an integer (IS, or a binary integer VR).
    public func int(_ tag: Tag) -> Int? {
        guard let first = strings(tag)?.first else { return nil }
        return Int(trimmedSpaces(first))
    }

    /// The first value as a floating-point number (DS, FL, FD, or an integer VR).
    public func double(_ tag: Tag) -> Double? {
        guard let first = strings(tag)?.first else { return nil }
        return Double(trimmedSpaces(first))
    }

    public func date(_ tag: Tag) -> DICOMDate? { string(tag).flatMap(DICOMDate.init) }
    public func time(_ tag: Tag) -> DICOMTime? { string(tag).flatMap(DICOMTime.init) }
}
