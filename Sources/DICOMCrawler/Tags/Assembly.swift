#if canImport(Glibc)
import Glibc
#endif

extension TagsJob {
    /// Writes the table from the spill in two passes (which columns ever hold a value, and the list
    /// of unreadable files; then the rows), into a temporary file renamed into place (or straight
    /// into a stream); then the list of unreadable files beside it (header only when every file
    /// could be read; for a stream, handed to `onUnreadable` instead). Memory holds the columns,
    /// never a list of rows or files.
    func assemble(spillLength: Int, to destination: TableOutput, onUnreadable: ((String, String) -> Void)?) throws(TagsError) {
        do throws(Errno) {
            // The list of unreadable files goes to its own temporary file during pass 1.
            let listTmp = temporaryName(for: unreadablePath)
            let list = destination.isStream ? nil : try AppendFile(listTmp, keep: 0)
            var listOK = false
            defer { if !listOK && list != nil { removeFile(listTmp) } }
            var listSink = CSVSink()
            listSink.begin(columns: ["DicomPath", "Reason"])
            let columnKeys = try survey(spillLength: spillLength) { (path, reason) throws(Errno) in
                guard let list else { onUnreadable?(path.escapedPath, reason); return }
                listSink.row([path.escapedPath, reason])
                list.append(listSink.bytes)
                listSink.removeAll()
                try list.flushIfLarger(than: 1 << 20)
            }
            report.columns = columnKeys.count
            var position: [Int: Int] = [:]  // column id → position (0 is DicomPath); ids come from the file
            for (i, column) in columnKeys.enumerated() { position[column.id] = i + 1 }

            let target: PathBytes
            switch destination {
            case .file(let path): target = path
            case .stream, .descriptor: target = []
            }
            let tmp = temporaryName(for: target)
            let out = destination.isStream ? nil : try AppendFile(tmp, keep: 0)
            let stream = try destination.openStream()
            defer { if destination.ownsStream { close(stream) } }
            var ok = false
            defer { if !ok && out != nil { removeFile(tmp) } }
            func write(_ bytes: [UInt8]) throws(Errno) {
                if let out {
                    out.append(bytes)
                    try out.flushIfLarger(than: 1 << 20)
                } else {
                    try writeAll(stream, bytes)
                }
            }
            var sink = options.format.makeSink(excelSafe: options.excelSafe)
            sink.begin(columns: ["DicomPath"] + ColumnKey.headers(columnKeys.map(\.key), options.table.columnNaming))
            var r = try SpillReader(inProgress("spill"), length: spillLength)
            var cells = [ArraySlice<UInt8>](repeating: [], count: columnKeys.count + 1)
            while let record = try r.next() {
                switch record {
                case .row(let path, let rowCells):
                    // The table is UTF-8: a path that is not (or has a backslash) is escaped reversibly.
                    cells[0] = String(validating: path, as: UTF8.self) != nil && !path.contains(UInt8(ascii: "\\")) ? path : ArraySlice(Array(path).escapedPath.utf8)
                    for i in 1..<cells.count { cells[i] = [] }
                    for cell in rowCells { if let at = position[cell.id] { cells[at] = cell.value } }
                    sink.row(cells)
                case .document(let path, let json):
                    sink.row(path: Array(path).escapedPath, document: json)
                case .file, .column, .unreadable:
                    break
                }
                if sink.bytes.count > 1 << 16 {
                    try write(sink.bytes)
                    sink.removeAll()
                }
            }
            try write(sink.bytes)
            if let out {
                try out.flush(sync: true)
                try nothingOrErrno { tmp.withCPath { t in target.withCPath { rename(t, $0) } } }
            }
            ok = true

            if let list {
                list.append(listSink.bytes)
                try list.flush(sync: true)
                if let ms = options.testPauseInWriteMS { usleep(UInt32(ms) * 1000) }  // as in every atomic write
                try nothingOrErrno { listTmp.withCPath { t in unreadablePath.withCPath { rename(t, $0) } } }
                listOK = true
                report.unreadablePath = unreadablePath.pathString
            }
        } catch {
            throw TagsError(kind: .io, message: "cannot write \(options.output): \(error.text)")
        }
    }

    /// Pass 1: the columns that hold a value in some row, in column order; each unreadable file is
    /// handed to `unreadable` as it is met.
    private func survey(spillLength: Int, unreadable: (PathBytes, String) throws(Errno) -> Void) throws(Errno) -> [(id: Int, key: ColumnKey)] {
        var keys: [Int: String] = [:]
        var nonEmpty = Set<Int>()
        var r = try SpillReader(inProgress("spill"), length: spillLength)
        while let record = try r.next() {
            switch record {
            case .column(let id, let key): keys[id] = key
            case .row(_, let cells): for cell in cells where !cell.value.isEmpty { nonEmpty.insert(cell.id) }
            case .unreadable(let path, let reason): try unreadable(Array(path), reason)
            case .file, .document: break
            }
        }
        let columns = nonEmpty.compactMap { id in keys[id].flatMap { ColumnKey($0) }.map { (id: id, key: $0) } }
        return columns.sorted { $0.key < $1.key }
    }
}
