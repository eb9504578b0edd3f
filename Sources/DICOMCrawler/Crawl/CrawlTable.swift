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

    /// Chronological by (Study Date, Acquisition Time) compared as dates and times: rows with both
    /// first, then rows with a date but no time, then rows with a time but no date, then rows with
    /// neither; ties by the label's order in the template file, then by path (bytes).
    static func rowOrder(_ a: CrawlRow, _ b: CrawlRow) -> Bool {
        func key(_ r: CrawlRow) -> (Int, DICOMDate?, DICOMTime?) {
            let d = DICOMDate(r.values[0]), t = DICOMTime(r.values[1])
            let group = d != nil && t != nil ? 0 : (d != nil ? 1 : (t != nil ? 2 : 3))
            return (group, d, t)
        }
        let ka = key(a), kb = key(b)
        if ka.0 != kb.0 { return ka.0 < kb.0 }
        if let da = ka.1, let db = kb.1, da != db { return da < db }
        if let ta = ka.2, let tb = kb.2, ta != tb { return ta < tb }
        if a.labelIndex != b.labelIndex { return a.labelIndex < b.labelIndex }
        return a.pathBytes.lexicographicallyPrecedes(b.pathBytes)
    }
}
