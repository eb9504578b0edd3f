/// The dump-style JSON of a data set: keywords as keys, values rendered as text.
extension DataSet {
    /// The key of an element in JSON output: its keyword, or `GGGGEEEE` (as in the DICOM JSON
    /// model) when it has none or shares it with other tags (repeating groups, private tags).
    public func jsonKey(_ tag: Tag) -> String {
        if !tag.isPrivate, let kw = DataDictionary.keyword(for: tag), DataDictionary.tag(forKeyword: kw) == tag { return kw }
        return tag.hexString
    }

    /// `{"Keyword": "value", ...}` with sequences as arrays of such objects.
    public func jsonObject(maxBinaryBytes: Int = 64) -> String {
        "{" + jsonMembers(maxBinaryBytes: maxBinaryBytes) + "}"
    }

    /// The members of `jsonObject` without the braces (to merge two data sets into one object).
    public func jsonMembers(maxBinaryBytes: Int = 64) -> String {
        var out = ""
        var first = true
        for e in elements {
            if !first { out += ", " }
            first = false
            out += JSONText.quote(jsonKey(e.tag)) + ": "
            if case .sequence(let items) = e.value {
                out += "[" + items.map { $0.jsonObject(maxBinaryBytes: maxBinaryBytes) }.joined(separator: ", ") + "]"
            } else {
                out += JSONText.quote(render(e, maxBinaryBytes: maxBinaryBytes))
            }
        }
        return out
    }
}
