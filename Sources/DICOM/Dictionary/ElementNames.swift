/// The name of an element as two tools print it. Both take the creator of a private element's
/// block (`DataSet.privateCreator(of:)`), nil when it has none.
public enum ElementName {
    /// pydicom's name (the crawler's column headers): `Private Creator`, `Private Group Length`,
    /// `[creator]` or `Private tag` for private elements; else the dictionary's name, `Group Length`
    /// for an unknown group length, or `Unknown`.
    public static func pydicom(_ tag: Tag, creator: String?) -> String {
        if tag.isPrivate {
            if tag.isPrivateCreator { return "Private Creator" }
            if tag.element == 0 { return "Private Group Length" }
            if let creator { return "[\(creator)]" }
            return "Private tag"
        }
        if let e = DataDictionary.entry(for: tag), !e.name.isEmpty { return e.name }
        if tag.element == 0 { return "Group Length" }
        return "Unknown"
    }

    /// dcmdump's name (the `dump` command): `PrivateCreator`, `Private [creator]` or
    /// `Unknown Tag & Data` for private elements; else the dictionary's keyword (its name if it has
    /// no keyword), `GenericGroupLength` for an unknown group length, or `Unknown Tag & Data`.
    public static func dcmdump(_ tag: Tag, creator: String?) -> String {
        if tag.isPrivateCreator { return "PrivateCreator" }
        if tag.isPrivate { return creator.map { "Private [\($0)]" } ?? "Unknown Tag & Data" }
        if tag.isGroupLength && DataDictionary.entry(for: tag) == nil { return "GenericGroupLength" }
        return DataDictionary.entry(for: tag).map { $0.keyword.isEmpty ? $0.name : $0.keyword } ?? "Unknown Tag & Data"
    }
}
