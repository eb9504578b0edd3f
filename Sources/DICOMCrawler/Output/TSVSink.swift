/// Tab-separated values, UTF-8, LF line endings, the header first, with CSV's quoting for the
/// characters that would break a line apart: a field holding a TAB, LF, CR or double quote is put
/// in double quotes, its double quotes doubled. Every other field is written as it is, so a table of
/// plain values is plain TSV, and one with awkward values reads back the same in pandas
/// (`read_csv(sep="\t", dtype=str, keep_default_na=False)`), polars and Python's `csv` module.
struct TSVSink: TableSink {
    private(set) var bytes: [UInt8] = []

    mutating func removeAll() { bytes.removeAll(keepingCapacity: true) }

    mutating func begin(columns: [String]) { row(columns) }

    mutating func row(_ cells: [ArraySlice<UInt8>]) {
        for (i, cell) in cells.enumerated() {
            if i > 0 { bytes.append(0x09) }
            appendField(cell)
        }
        bytes.append(0x0A)
    }

    /// TSV holds no documents: given one anyway, the path and the JSON text are two cells.
    mutating func row(path: String, document: ArraySlice<UInt8>) {
        row([ArraySlice(path.utf8), document])
    }

    /// A row of text cells, appended without a copy of each cell.
    mutating func row(_ cells: [String]) {
        for (i, cell) in cells.enumerated() {
            if i > 0 { bytes.append(0x09) }
            var text = cell
            text.withUTF8 { appendField($0) }
        }
        bytes.append(0x0A)
    }

    private mutating func appendField<C: Collection>(_ u: C) where C.Element == UInt8 {
        appendQuotedField(u, separator: 0x09, to: &bytes)
    }
}
