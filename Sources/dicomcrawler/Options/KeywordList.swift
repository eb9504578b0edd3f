import ArgumentParser
import DICOM

/// A comma-separated list of DICOM keywords (`SeriesDescription, Modality`), parsed once, while the
/// command line is: spaces are ignored, and an empty entry or a word that is not a keyword is a usage
/// error that names it.
struct KeywordList {
    let tags: [Tag]

    struct Problem: Error, CustomStringConvertible {
        let keyword: String
        var description: String { "'\(keyword)' is not a DICOM keyword (keywords are like PatientID, SeriesDescription)" }
    }

    /// For `@Option(transform:)`.
    @Sendable static func parse(_ text: String) throws -> KeywordList {
        var tags: [Tag] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let keyword = part.filter { $0 != " " }
            guard let tag = DataDictionary.tag(forKeyword: keyword) else { throw Problem(keyword: keyword) }
            tags.append(tag)
        }
        return KeywordList(tags: tags)
    }
}
