// Output: tables as bytes. A `TableSink` turns a header and rows into one format's bytes (CSV after
// RFC 4180, TSV, JSON lines); a new output format is one new file with one new sink and a `TableFormat` case.
import DICOM

/// One output format of a table. It is given the column names once, then rows; the job takes the
/// bytes produced so far (`bytes`, then `removeAll`) and writes them to a file as they come, so
/// memory does not grow with the number of rows.
protocol TableSink {
    /// Whether rows may be whole DICOM JSON documents (every item of every sequence) rather than
    /// flat cells.
    static var holdsDocuments: Bool { get }
    /// The bytes produced and not yet taken.
    var bytes: [UInt8] { get }
    mutating func removeAll()
    /// The column names, once, before any row (the first is the path column).
    mutating func begin(columns: [String])
    /// A row of cells, one per column (empty: no value), as UTF-8 bytes.
    mutating func row(_ cells: [ArraySlice<UInt8>])
    /// A row that is one file's DICOM JSON object (`{"00100010": ...}`), with its path.
    mutating func row(path: String, document: ArraySlice<UInt8>)
}

extension TableSink {
    static var holdsDocuments: Bool { false }
    /// A row of text cells.
    mutating func row(_ cells: [String]) { row(cells.map { ArraySlice($0.utf8) }) }
}

/// The formats a table can be written in.
public enum TableFormat: String, CaseIterable, Sendable {
    /// RFC 4180 CSV, UTF-8, LF line endings, with a header.
    case csv
    /// One JSON object per line.
    case jsonl

    /// A sink for this format; `excelSafe` applies to spreadsheet formats (CSV).
    func makeSink(excelSafe: Bool = false) -> any TableSink {
        switch self {
        case .csv: CSVSink(excelSafe: excelSafe)
        case .jsonl: JSONLinesSink()
        }
    }
}
