/// CSV with RFC 4180 quoting (a field with a comma, double quote, CR or LF is quoted, and its double
/// quotes doubled), UTF-8, LF line endings; the header is the first row.
struct CSVSink: TableSink {
    private(set) var bytes: [UInt8] = []
    /// Cells that a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, TAB or CR)
    /// get a leading `'`. Off by default: the table holds the data as it is.
    var excelSafe = false

    mutating func removeAll() { bytes.removeAll(keepingCapacity: true) }

    mutating func begin(columns: [String]) {
        let safe = excelSafe
        excelSafe = false  // the header is ours
        row(columns)
        excelSafe = safe
    }

    mutating func row(_ cells: [ArraySlice<UInt8>]) {
        for (i, f) in cells.enumerated() { appendCell(f, first: i == 0) }
        bytes.append(0x0A)
    }

    /// CSV holds no documents (`holdsDocuments` is false, so no job sends one): given one anyway, the
    /// path and the JSON text are two cells.
    mutating func row(path: String, document: ArraySlice<UInt8>) {
        row([ArraySlice(path.utf8), document])
    }

    /// A row of text cells, appended without a copy of each cell.
    mutating func row(_ cells: [String]) {
        for (i, cell) in cells.enumerated() {
            var text = cell
            text.withUTF8 { appendCell($0, first: i == 0) }
        }
        bytes.append(0x0A)
    }

    private static let formulaStarts: Set<UInt8> = [UInt8(ascii: "="), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "@"), 0x09, 0x0D]

    /// A cell with its separator; with `excelSafe`, a formula-like one gets its leading `'`.
    private mutating func appendCell<C: Collection>(_ cell: C, first: Bool) where C.Element == UInt8 {
        if !first { bytes.append(UInt8(ascii: ",")) }
        if excelSafe, let b = cell.first, Self.formulaStarts.contains(b) {
            appendField([UInt8(ascii: "'")] + cell)
        } else {
            appendField(cell)
        }
    }

    private mutating func appendField<C: Collection>(_ u: C) where C.Element == UInt8 {
        appendQuotedField(u, separator: UInt8(ascii: ","), to: &bytes)
    }
}

/// A field as RFC 4180 writes it, with `separator` between fields (`,`, or a tab for TSV): as it is,
/// or, when it holds the separator, a quote or a line break, in quotes with its quotes doubled.
func appendQuotedField<C: Collection>(_ u: C, separator: UInt8, to bytes: inout [UInt8]) where C.Element == UInt8 {
    var needsQuotes = false
    for b in u where b == separator || b == 0x22 || b == 0x0A || b == 0x0D {
        needsQuotes = true
        break
    }
    if !needsQuotes {
        bytes.append(contentsOf: u)
        return
    }
    bytes.append(0x22)
    for b in u {
        if b == 0x22 { bytes.append(0x22) }
        bytes.append(b)
    }
    bytes.append(0x22)
}
