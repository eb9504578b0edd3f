import DICOM

/// The columns, rows and row order of modal_data.csv (its default output never changes: users'
/// scripts read it by column name).
enum CrawlTable {
    /// The tags behind columns 4–8.
    static let valueTags: [Tag] = [.studyDate, .acquisitionTime, .patientID, .patientSex, .patientAge]
    static let header = ["Modality", "Path", "DCM_Count", "Study Date", "Acquisition Time", "Subject_ID", "Subject_Sex", "Subject_Age"]

    /// The CSV text for rows (header included); extra tags are named by the standard's name.
    static func csv(_ rows: [CrawlRow], extraTags: [Tag], excelSafe: Bool = false) -> [UInt8] {
        var csv = CSVSink(excelSafe: excelSafe)
        csv.begin(columns: header + extraTags.map { DataDictionary.entry(for: $0)?.name ?? $0.description })
        for r in rows { csv.row([r.label, r.path, String(r.dicomCount)] + r.values) }
        return csv.bytes
    }

    /// A row's date and time as numbers, parsed once: the group (0 both, 1 a date only, 2 a time
    /// only, 3 neither), the date as YYYYMMDD, the time as HHMMSSFFFFFF (each field in its own
    /// decimal places, so that comparing the numbers compares the fields in turn).
    struct SortKey: Equatable {
        let group: Int
        let date: Int
        let time: Int

        init(date text: String, time timeText: String) {
            let d = DICOMDate(text), t = DICOMTime(timeText)
            group = d != nil && t != nil ? 0 : (d != nil ? 1 : (t != nil ? 2 : 3))
            date = d.map { $0.year * 10_000 + $0.month * 100 + $0.day } ?? 0
            time = t.map { (($0.hour * 100 + $0.minute) * 100 + $0.second) * 1_000_000 + $0.microsecond } ?? 0
        }
    }

    /// Chronological by (Study Date, Acquisition Time) compared as dates and times: rows with both
    /// first, then rows with a date but no time, then rows with a time but no date, then rows with
    /// neither; ties by the label's order in the template file, then by path (bytes).
    static func rowOrder(_ a: CrawlRow, _ b: CrawlRow) -> Bool {
        let ka = a.sortKey, kb = b.sortKey
        if ka.group != kb.group { return ka.group < kb.group }
        if ka.date != kb.date { return ka.date < kb.date }
        if ka.time != kb.time { return ka.time < kb.time }
        if a.labelIndex != b.labelIndex { return a.labelIndex < b.labelIndex }
        return a.pathBytes.lexicographicallyPrecedes(b.pathBytes)
    }
}
