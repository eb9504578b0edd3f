#if canImport(Glibc)
import Glibc
#endif
import DICOM

/// The columns, cells and row order of the series table.
enum SeriesTable {
    /// Values of the series' first file shown before the counts (Slices, Frames, Volumes) ...
    static let tagsBeforeCounts: [Tag] = [
        .studyDate, SeriesTag.seriesDate, SeriesTag.seriesTime, .patientID, .patientSex, .patientAge, .modality,
        .seriesNumber, .seriesDescription, SeriesTag.protocolName, SeriesTag.sequenceName, SeriesTag.imageType,
        HeaderTag.rows, HeaderTag.columns,
    ]
    /// ... and after them.
    static let tagsAfterCounts: [Tag] = [
        SeriesTag.repetitionTime, SeriesTag.echoTime, SeriesTag.inversionTime, SeriesTag.flipAngle, HeaderTag.sliceThickness,
        HeaderTag.pixelSpacing, SeriesTag.manufacturer, SeriesTag.manufacturerModelName, .studyInstanceUID, .seriesInstanceUID,
    ]
    /// Every tag behind a standard column.
    static let valueTags = tagsBeforeCounts + tagsAfterCounts

    /// The header: `DIR`, `Folders`, `Files`, `Labels` (with templates), the values, `Slices`,
    /// `Frames`, `Volumes`, more values, then one column per extra tag; tags named by the standard
    /// (an extra column whose name is taken gets its tag: `Modality (0008,0060)`).
    static func columns(labels: Bool, extraTags: [Tag]) -> [String] {
        let fixed = ["DIR", "Folders", "Files"] + (labels ? ["Labels"] : []) + tagsBeforeCounts.map(name) + ["Slices", "Frames", "Volumes"]
            + tagsAfterCounts.map(name)
        // Named as the crawl names them: a name already taken (`--tags Modality`) gets its tag.
        return fixed + CrawlTable.extraColumnNames(extraTags, after: fixed)
    }

    static func name(_ tag: Tag) -> String { DataDictionary.entry(for: tag)?.name ?? tag.description }

    /// The table's bytes: TSV or CSV, header first, rows as given.
    static func bytes(_ rows: [SeriesRow], columns: [String], format: SeriesFormat) -> [UInt8] {
        var sink: any TableSink = format == .csv ? CSVSink() : TSVSink()
        sink.begin(columns: columns)
        for r in rows { sink.row(r.cells) }
        return sink.bytes
    }

    /// What rows are ordered by, parsed once per row: Study Date, then Series Date and Series Time
    /// (compared as a date and a time, as the crawl's `CrawlTable.SortKey` does: rows with the
    /// value before rows without), then Series Number as a number (rows without one last).
    struct SortKey: Equatable {
        let studyDate: UInt64
        let seriesDateTime: UInt64
        let seriesNumber: Int64

        init(studyDate: String, seriesDate: String, seriesTime: String, seriesNumber: String) {
            self.studyDate = CrawlTable.SortKey(date: studyDate, time: "").order
            seriesDateTime = CrawlTable.SortKey(date: seriesDate, time: seriesTime).order
            let first = seriesNumber.split(separator: "\\", omittingEmptySubsequences: false).first.map { $0.filter { $0 != " " } } ?? ""
            self.seriesNumber = Int64(first) ?? Int64.max
        }

        func precedes(_ other: SortKey) -> Bool {
            if studyDate != other.studyDate { return studyDate < other.studyDate }
            if seriesDateTime != other.seriesDateTime { return seriesDateTime < other.seriesDateTime }
            return seriesNumber < other.seriesNumber
        }

        static func == (a: SortKey, b: SortKey) -> Bool {
            a.studyDate == b.studyDate && a.seriesDateTime == b.seriesDateTime && a.seriesNumber == b.seriesNumber
        }
    }

    /// Sorts rows chronologically (`SortKey`), ties by Study Instance UID, Series Instance UID (as
    /// bytes), then the DIR's place on the command line and the first folder's place in the walk.
    /// Indices are sorted, not rows.
    static func sort(_ rows: inout [SeriesRow]) {
        let order = rows.indices.sorted { i, j in
            let a = rows[i], b = rows[j]
            if a.key != b.key { return a.key.precedes(b.key) }
            if a.studyUID != b.studyUID { return bytesPrecede(Array(a.studyUID.utf8), Array(b.studyUID.utf8)) }
            if a.seriesUID != b.seriesUID { return bytesPrecede(Array(a.seriesUID.utf8), Array(b.seriesUID.utf8)) }
            return a.firstFolder < b.firstFolder
        }
        let unsorted = rows
        rows = order.map { unsorted[$0] }
    }

    /// A folder relative to its DIR as the `Folders` cell shows it: `.` for DIR itself, else written
    /// as the crawl writes paths (`\xHH` for bytes that are not UTF-8, `\\` for a backslash), with
    /// `;` (the separator between folders) written `\x3B`.
    static func folderCell(_ rel: PathBytes) -> String {
        if rel.isEmpty { return "." }
        let text = rel.escapedPath
        guard text.utf8.contains(UInt8(ascii: ";")) else { return text }
        var out = ""
        for c in text.unicodeScalars { if c == ";" { out += "\\x3B" } else { out.unicodeScalars.append(c) } }
        return out
    }
}

/// Tags of the columns that neither `Tag` nor `HeaderTag` (the image and geometry tags slices are
/// read with) has a name for.
enum SeriesTag {
    static let imageType = Tag(0x0008_0008)
    static let seriesDate = Tag(0x0008_0021)
    static let seriesTime = Tag(0x0008_0031)
    static let manufacturer = Tag(0x0008_0070)
    static let manufacturerModelName = Tag(0x0008_1090)
    static let sequenceName = Tag(0x0018_0024)
    static let repetitionTime = Tag(0x0018_0080)
    static let echoTime = Tag(0x0018_0081)
    static let inversionTime = Tag(0x0018_0082)
    static let protocolName = Tag(0x0018_1030)
    static let flipAngle = Tag(0x0018_1314)
}
