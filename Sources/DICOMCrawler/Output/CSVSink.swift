/// CSV with RFC 4180 quoting (a field with a comma, double quote, CR or LF is quoted, and its double
/// quotes doubled), UTF-8, LF line endings; the header is the first row.
struct CSVSink: TableSink {
    private(set) var bytes: [UInt8] = []

    mutating func removeAll() { bytes.removeAll(keepingCapacity: true) }

    mutating func begin(columns: [String]) { row(columns) }

    mutating func row(_ cells: [ArraySlice<UInt8>]) {
        for (i, f) in cells.enumerated() {
            if i > 0 { bytes.append(UInt8(ascii: ",")) }
            appendField(f)
        }
        bytes.append(0x0A)
    }

    private mutating func appendField(_ u: ArraySlice<UInt8>) {
        var needsQuotes = false
        for b in u where b == 0x2C || b == 0x22 || b == 0x0A || b == 0x0D {
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
}
