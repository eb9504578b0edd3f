import ArgumentParser
import DICOMCrawler

/// How elements become table columns: shared by `tags` (its table) and `export` (its metadata
/// table, the scans' first files), which name and flatten elements the same way.
struct ColumnOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Only these top-level elements (DICOM keywords or tag numbers such as 0019,100C, comma-separated); faster.", valueName: "keywords"),
            transform: KeywordList.parse)
    var keywords: KeywordList?

    @Option(name: .long, help: ArgumentHelp("Column names: name (Study Date (0008,0020), the default), keyword (StudyDate) or tag (00080020; nested 00081140/2/00081155).", valueName: "style"))
    var columns: String = "name"

    @Flag(name: .long, help: "Leave out private elements.")
    var noPrivate = false

    @Option(name: .long, help: "Binary values: show at most this many bytes (as hex), with the full length noted.")
    var maxValueBytes = 64

    @Option(name: .long, help: "Items of each sequence that get columns (the others are counted).")
    var maxItems = 3

    var table: TagTableOptions {
        var t = TagTableOptions(maxItems: maxItems, maxValueBytes: maxValueBytes, includePrivate: !noPrivate, keywords: keywords?.tags)
        t.columnNaming = ColumnNaming(rawValue: columns) ?? .name
        return t
    }

    func validate() throws {
        if maxValueBytes < 0 { throw ValidationError("--max-value-bytes must be 0 or more") }
        if maxItems < 0 { throw ValidationError("--max-items must be 0 or more") }
        if ColumnNaming(rawValue: columns) == nil { throw ValidationError("--columns must be name, keyword or tag") }
    }
}
