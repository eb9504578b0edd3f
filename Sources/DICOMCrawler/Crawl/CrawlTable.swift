#if canImport(Glibc)
import Glibc
#endif
import DICOM

/// The columns, rows and row order of modal_data.csv (its default output never changes: users'
/// scripts read it by column name).
enum CrawlTable {
    /// The tags behind columns 4–8.
    static let valueTags: [Tag] = [.studyDate, .acquisitionTime, .patientID, .patientSex, .patientAge]
    static let header = ["Modality", "Path", "DCM_Count", "Study Date", "Acquisition Time", "Subject_ID", "Subject_Sex", "Subject_Age"]

    /// The CSV text for rows (header included; the rows' lines were rendered when the rows were
    /// made); extra tags are named by the standard's name.
    static func csv(_ rows: [CrawlRow], extraTags: [Tag]) -> [UInt8] {
        var csv = CSVSink()
        csv.begin(columns: columns(extraTags: extraTags))
        var bytes = csv.bytes
        bytes.reserveCapacity(bytes.count + rows.reduce(0) { $0 + $1.line.count })
        for r in rows { bytes += r.line }
        return bytes
    }

    /// The header: the fixed columns, then each extra tag by the standard's name; a name already
    /// taken (`--tags Modality` beside the label column `Modality`) gets its tag: `Modality (0008,0060)`.
    static func columns(extraTags: [Tag]) -> [String] {
        header + extraColumnNames(extraTags, after: header)
    }

    /// The names of extra tag columns that follow the columns `fixed`, as `columns(extraTags:)`
    /// names them (the series table names its extra columns the same way).
    static func extraColumnNames(_ extraTags: [Tag], after fixed: [String]) -> [String] {
        var names: [String] = []
        var used = Set(fixed)
        for tag in extraTags {
            var name = DataDictionary.entry(for: tag)?.name ?? tag.description
            if used.contains(name) && !name.hasSuffix(tag.description) { name += " \(tag.description)" }
            // The same tag asked for twice: numbered.
            let base = name
            var n = 1
            while used.contains(name) { n += 1; name = "\(base) [\(n)]" }
            used.insert(name)
            names.append(name)
        }
        return names
    }

    /// One table for several DIRs: a `Subject` column (each DIR's name) before the table's columns,
    /// then each DIR's rows in its table's order, DIRs in the order given.
    static func combinedCSV(_ tables: [(subject: String, rows: [CrawlRow])], extraTags: [Tag], excelSafe: Bool) -> [UInt8] {
        var csv = CSVSink()
        csv.begin(columns: ["Subject"] + columns(extraTags: extraTags))
        var bytes = csv.bytes
        for (subject, rows) in tables {
            var cell = CSVSink(excelSafe: excelSafe)
            cell.row([subject])
            let prefix = cell.bytes.dropLast() + [UInt8(ascii: ",")]  // the cell without its line end
            for r in rows { bytes += prefix + r.line }
        }
        return bytes
    }

    /// Sorts rows by `rowOrder`, moving indices rather than rows while sorting.
    static func sort(_ rows: inout [CrawlRow]) {
        // Keys are plain numbers (the date and time packed in one); the paths, for ties, are copied
        // into one buffer so that the comparisons touch no reference counts.
        struct Key { let order: UInt64, label: Int, start: Int, count: Int, index: Int }
        var paths: [UInt8] = []
        paths.reserveCapacity(rows.reduce(0) { $0 + $1.pathBytes.count })
        var keys: [Key] = []
        keys.reserveCapacity(rows.count)
        for (i, r) in rows.enumerated() {
            keys.append(Key(order: r.sortKey.order, label: r.labelIndex, start: paths.count, count: r.pathBytes.count, index: i))
            paths += r.pathBytes
        }
        paths.withUnsafeBufferPointer { p in
            keys.sort { a, b in
                if a.order != b.order { return a.order < b.order }
                if a.label != b.label { return a.label < b.label }
                let n = min(a.count, b.count)
                let c = n == 0 ? 0 : memcmp(p.baseAddress! + a.start, p.baseAddress! + b.start, n)
                return c != 0 ? c < 0 : a.count < b.count
            }
        }
        let unsorted = rows
        rows = keys.map { unsorted[$0.index] }
    }

    /// A row's date and time as one number, parsed once: from the top bits down, the group (0 both,
    /// 1 a date only, 2 a time only, 3 neither; 2 bits), the date ((year × 12 + month − 1) × 31 +
    /// day − 1: 22 bits for years up to 9999), the time (((hour × 60 + minute) × 61 + second) ×
    /// 10^6 + microseconds: 37 bits). Comparing the numbers compares group, date, time in turn.
    struct SortKey: Equatable {
        let order: UInt64

        init(date text: String, time timeText: String) {
            let d = DICOMDate(text), t = DICOMTime(timeText)
            let group: UInt64 = d != nil && t != nil ? 0 : (d != nil ? 1 : (t != nil ? 2 : 3))
            let date = d.map { UInt64(($0.year * 12 + $0.month - 1) * 31 + $0.day - 1) } ?? 0
            let time = t.map { UInt64((($0.hour * 60 + $0.minute) * 61 + $0.second) * 1_000_000 + $0.microsecond) } ?? 0
            order = group << 59 | date << 37 | time
        }
    }

    /// Chronological by (Study Date, Acquisition Time) compared as dates and times: rows with both
    /// first, then rows with a date but no time, then rows with a time but no date, then rows with
    /// neither; ties by the label's order in the template file, then by path (bytes).
    static func rowOrder(_ a: CrawlRow, _ b: CrawlRow) -> Bool {
        if a.sortKey.order != b.sortKey.order { return a.sortKey.order < b.sortKey.order }
        if a.labelIndex != b.labelIndex { return a.labelIndex < b.labelIndex }
        return bytesPrecede(a.pathBytes, b.pathBytes)
    }
}
