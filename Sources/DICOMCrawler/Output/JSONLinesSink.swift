import DICOM

/// One JSON object per line: for rows of cells, `{"column": "value", ...}` with the empty cells left
/// out; for documents, the DICOM JSON object with the path first: `{"DicomPath": "...", "00100010": ...}`.
struct JSONLinesSink: TableSink {
    static var holdsDocuments: Bool { true }
    private(set) var bytes: [UInt8] = []
    private var keys: [[UInt8]] = []

    mutating func removeAll() { bytes.removeAll(keepingCapacity: true) }

    mutating func begin(columns: [String]) {
        keys = columns.map { Array(JSONText.quote($0).utf8) + [UInt8(ascii: ":")] }
    }

    mutating func row(_ cells: [ArraySlice<UInt8>]) {
        bytes.append(UInt8(ascii: "{"))
        var first = true
        for (key, cell) in zip(keys, cells) where !cell.isEmpty {
            if !first { bytes.append(UInt8(ascii: ",")) }
            first = false
            bytes += key
            bytes += JSONText.quote(String(decoding: cell, as: UTF8.self)).utf8
        }
        bytes += [UInt8(ascii: "}"), 0x0A]
    }

    mutating func row(path: String, document: ArraySlice<UInt8>) {
        bytes.append(UInt8(ascii: "{"))
        bytes += keys.first ?? Array(#""DicomPath":"#.utf8)
        bytes += JSONText.quote(path).utf8
        if document.count > 2 { bytes.append(UInt8(ascii: ",")) }
        bytes += document.dropFirst()
        bytes.append(0x0A)
    }
}
