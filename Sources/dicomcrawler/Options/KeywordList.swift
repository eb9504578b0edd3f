import ArgumentParser
import DICOM

/// A comma-separated list of DICOM keywords or tag numbers (`SeriesDescription, Modality`,
/// `0019,100C`, `(0019,100C)`, `0019100C`: private elements have no keyword), parsed once, while the
/// command line is: spaces are ignored, and an empty entry or a word that is neither is a usage
/// error that names it.
struct KeywordList {
    let tags: [Tag]

    struct Problem: Error, CustomStringConvertible {
        let keyword: String
        var description: String { "'\(keyword)' is not a DICOM keyword or tag number (keywords are like PatientID, SeriesDescription; tag numbers like 0019,100C or (0019,100C))" }
    }

    /// For `@Option(transform:)`.
    @Sendable static func parse(_ text: String) throws -> KeywordList {
        var tags: [Tag] = []
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.filter { $0 != " " } }
        var i = 0
        while i < parts.count {
            let part = parts[i]
            // GGGG,EEEE (the comma that separates entries also separates group and element here:
            // four hex digits are never a keyword), optionally in parentheses.
            if i + 1 < parts.count, let group = hex4(part, opening: true), let element = hex4(parts[i + 1], closing: true),
               part.hasPrefix("(") == parts[i + 1].hasSuffix(")") {
                tags.append(Tag(group: group, element: element))
                i += 2
                continue
            }
            var bare = Substring(part)
            if bare.hasPrefix("("), bare.hasSuffix(")") { bare = bare.dropFirst().dropLast() }
            if bare.count == 8, bare.allSatisfy(\.isHexDigit), let value = UInt32(bare, radix: 16) {
                tags.append(Tag(value))
            } else if let tag = DataDictionary.tag(forKeyword: part) {
                tags.append(tag)
            } else {
                throw Problem(keyword: part)
            }
            i += 1
        }
        return KeywordList(tags: tags)
    }

    /// Four hex digits, after an optional `(` (`opening`) or before an optional `)` (`closing`).
    private static func hex4(_ s: String, opening: Bool = false, closing: Bool = false) -> UInt16? {
        var t = Substring(s)
        if opening && t.hasPrefix("(") { t = t.dropFirst() }
        if closing && t.hasSuffix(")") { t = t.dropLast() }
        guard t.count == 4, t.allSatisfy(\.isHexDigit) else { return nil }
        return UInt16(t, radix: 16)
    }
}
