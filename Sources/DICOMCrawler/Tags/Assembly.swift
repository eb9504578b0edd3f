#if canImport(Glibc)
import Glibc
#endif

extension TagsJob {
    /// Writes the table from the spill in two passes (which columns ever hold a value; then the
    /// rows), into a temporary file renamed into place; then the list of unreadable files beside it
    /// (header only when every file could be read).
    func assemble(spillLength: Int) throws(TagsError) {
        do throws(Errno) {
            let (columnKeys, unreadable) = try survey(spillLength: spillLength)
            report.columns = columnKeys.count
            var position = [Int](repeating: -1, count: (columnKeys.map(\.id).max() ?? -1) + 1)
            for (i, column) in columnKeys.enumerated() { position[column.id] = i + 1 }  // column 0 is DicomPath

            let tmp = temporaryName(for: outputPath)
            let out = try AppendFile(tmp, keep: 0)
            var ok = false
            defer { if !ok { removeFile(tmp) } }
            var sink = options.format.makeSink()
            sink.begin(columns: ["DicomPath"] + columnKeys.map(\.key.name))
            var r = try SpillReader(inProgress("spill"), length: spillLength)
            var cells = [ArraySlice<UInt8>](repeating: [], count: columnKeys.count + 1)
            while let record = try r.next() {
                switch record {
                case .row(let path, let rowCells):
                    // The table is UTF-8: a path that is not is shown with U+FFFD.
                    cells[0] = String(validating: path, as: UTF8.self) != nil ? path : ArraySlice(String(decoding: path, as: UTF8.self).utf8)
                    for i in 1..<cells.count { cells[i] = [] }
                    for cell in rowCells where cell.id < position.count && position[cell.id] > 0 {
                        cells[position[cell.id]] = cell.value
                    }
                    sink.row(cells)
                case .document(let path, let json):
                    sink.row(path: Array(path).pathString, document: json)
                case .file, .column, .unreadable:
                    break
                }
                if sink.bytes.count > 1 << 16 {
                    out.append(sink.bytes)
                    sink.removeAll()
                }
                try out.flushIfLarger(than: 1 << 20)
            }
            out.append(sink.bytes)
            try out.flush(sync: true)
            try nothingOrErrno { tmp.withCPath { t in outputPath.withCPath { rename(t, $0) } } }
            ok = true

            var u = CSVSink()
            u.begin(columns: ["DicomPath", "Reason"])
            for (p, reason) in unreadable { u.row([p.pathString, reason]) }
            let unreadablePath = siblingPath(of: outputPath, named: "unreadable_files.csv")
            report.unreadablePath = unreadablePath.pathString
            try writeFileAtomically(unreadablePath, u.bytes, pauseHalfwayMS: options.testPauseInWriteMS)
        } catch {
            throw TagsError(kind: .io, message: "cannot write \(options.output): \(error.text)")
        }
    }

    /// Pass 1: the columns that hold a value in some row, in column order, and the unreadable files.
    private func survey(spillLength: Int) throws(Errno) -> (columns: [(id: Int, key: ColumnKey)], unreadable: [(PathBytes, String)]) {
        var keys: [Int: String] = [:]
        var nonEmpty = Set<Int>()
        var unreadable: [(PathBytes, String)] = []
        var r = try SpillReader(inProgress("spill"), length: spillLength)
        while let record = try r.next() {
            switch record {
            case .column(let id, let key): keys[id] = key
            case .row(_, let cells): for cell in cells where !cell.value.isEmpty { nonEmpty.insert(cell.id) }
            case .unreadable(let path, let reason): unreadable.append((Array(path), reason))
            case .file, .document: break
            }
        }
        let columns = nonEmpty.compactMap { id in keys[id].flatMap { ColumnKey($0) }.map { (id: id, key: $0) } }
        return (columns.sorted { $0.key < $1.key }, unreadable)
    }
}
