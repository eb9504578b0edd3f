#if canImport(Glibc)
import Glibc
#endif
import DICOM
import FoundationEssentials
import HDF5

/// One scan as a part's list records it: enough for the index, the metadata row and a re-run.
struct ScanRecord: Codable, Sendable {
    var id: String
    var key: String
    var part: String
    var shape: [Int]
    var dataType: String
    var files: Int
    var order: String
    /// The first file's cells, keyed as `tags` keys its columns.
    var cells: [[String]]
}

/// Writes scans into part files of at most `partBytes` compressed bytes each: a part is written
/// under a temporary name, then its list (`.json`) is written, then the part is renamed into
/// place; a part counts once both are there.
final class PartWriter: @unchecked Sendable {
    let folder: PathBytes
    let name: String
    let partBytes: Int
    private(set) var scansWritten = 0
    private(set) var bytesWritten = 0
    private(set) var error: String?
    private var sequence = 0
    private var current: (file: HDF5File, tmp: PathBytes, final: String, records: [ScanRecord], bytes: Int)?

    init(folder: PathBytes, name: String, partBytes: Int) {
        self.folder = folder
        self.name = name
        self.partBytes = partBytes
    }

    func write(_ scan: ExportedScan) {
        guard error == nil else { return }
        do throws(HDF5Error) {
            if current == nil {
                sequence += 1
                let final = "\(name)-\(sequence).h5"
                let tmp = joinPath(folder, Array(".\(final).tmp".utf8))
                removeFile(tmp)
                current = (try HDF5File.create(path: tmp.pathString), tmp, final, [], 0)
            }
            guard let part = current else { return }
            let filter: HDF5ChunkFilter = scan.level.map { .shuffleDeflate(level: $0) } ?? .none
            let ds = try part.file.createDataset(scan.plan.id, type: hdf5Type(scan.type), shape: scan.shape, chunk: scan.chunk, filter: filter)
            for (offset, bytes) in zip(scan.chunkOffsets, scan.chunks) { try ds.writeChunk(at: offset, bytes) }
            for (name, value) in ExportAttributes.of(scan) { try ds.setAttribute(name, value) }
            try ds.close()
            let record = ScanRecord(id: scan.plan.id, key: scan.plan.key, part: part.final, shape: scan.shape,
                                    dataType: scan.type.rawValue, files: Set(scan.plan.slices.map(\.header.path)).count,
                                    order: scan.plan.order.rawValue, cells: scan.cells.map { [$0.key, $0.value] })
            current?.records.append(record)
            current?.bytes += scan.compressedBytes
            bytesWritten += scan.compressedBytes
            if (current?.bytes ?? 0) >= partBytes { close() }
        } catch {
            self.error = "cannot write a part file in \(folder.pathString): \(Self.reason(error))"
        }
    }

    /// Closes the part being written: the file, its list, then the rename that makes it count.
    private func close() {
        guard let part = current else { return }
        current = nil
        do throws(HDF5Error) { try part.file.close() } catch {
            self.error = "cannot write \(part.tmp.pathString): \(Self.reason(error))"
            removeFile(part.tmp)
            return
        }
        do {
            let fd = try openFile(part.tmp, O_RDONLY)
            fsync(fd)
            Glibc.close(fd)
            let list = try JSONEncoder().encode(part.records)
            try writeFileAtomically(joinPath(folder, Array((String(part.final.dropLast(3)) + ".json").utf8)), Array(list))
            try nothingOrErrno { part.tmp.withCPath { t in joinPath(folder, Array(part.final.utf8)).withCPath { rename(t, $0) } } }
            syncDirectory(folder)
            scansWritten += part.records.count
        } catch let error as Errno {
            self.error = "cannot write \(part.final) in \(folder.pathString): \(error.text)"
            removeFile(part.tmp)
        } catch {
            self.error = "cannot write the list of \(part.final): \(error)"
            removeFile(part.tmp)
        }
    }

    func finish() { close() }

    /// What to tell a user of an HDF5 error: the system's reason when a write failed (HDF5's stack
    /// names it as `error message = '...'`), else HDF5's first line.
    static func reason(_ error: HDF5Error) -> String {
        let text = Array(error.message.utf8)
        let key = Array("error message = '".utf8)
        if text.count > key.count, let at = (0...(text.count - key.count)).first(where: { text[$0..<($0 + key.count)].elementsEqual(key) }) {
            let rest = text[(at + key.count)...]
            return String(decoding: rest.prefix { $0 != UInt8(ascii: "'") }, as: UTF8.self)
        }
        let message = error.message
        return error.operation + ": " + String(message.prefix { $0 != "\n" && $0 != ";" })
    }

    private func hdf5Type(_ t: PixelSampleType) -> HDF5ElementType {
        switch t {
        case .uint8: return .uint8
        case .int8: return .int8
        case .uint16: return .uint16
        case .int16: return .int16
        case .uint32: return .uint32
        case .int32: return .int32
        case .float32: return .float32
        case .float64: return .float64
        }
    }
}

/// The parts folder read back: the complete parts' scans.
enum ExportParts {
    struct Done {
        var records: [ScanRecord] = []
        var ids: Set<String> = []
    }

    /// Every complete part's list (a list whose part is missing is an interrupted run's: ignored).
    static func load(_ folder: PathBytes) -> Done {
        var done = Done()
        guard case .success(let entries) = listDirectory(folder) else { return done }
        let names = Set(entries.map { $0.name.pathString })
        for name in names.sorted() where name.hasPrefix("part-") && name.hasSuffix(".json") {
            guard names.contains(String(name.dropLast(5)) + ".h5") else { continue }
            guard let bytes = try? readWholeFile(joinPath(folder, Array(name.utf8))),
                  let records = try? JSONDecoder().decode([ScanRecord].self, from: Data(bytes)) else { continue }
            for r in records where !done.ids.contains(r.id) {
                done.ids.insert(r.id)
                done.records.append(r)
            }
        }
        return done
    }

    /// This shard's files that could not be read, replacing its earlier list.
    static func writeUnreadable(_ folder: PathBytes, shard: String, _ rows: [(scan: String, path: String, reason: String)]) throws(Errno) {
        let list = rows.map { [$0.scan, $0.path, $0.reason] }
        let data = (try? JSONEncoder().encode(list)).map(Array.init) ?? Array("[]".utf8)
        try writeFileAtomically(joinPath(folder, Array("unreadable-\(shard).json".utf8)), data)
    }

    /// Rewrites the index, the metadata table and the unreadable list from the parts folder, under
    /// its lock (shards finishing at once take turns; the last one sees every part).
    static func rebuild(options: ExportOptions) throws(Errno) {
        let folder = Array(options.partsFolder.utf8)
        guard let lock = try LockFile(joinPath(folder, Array(".lock".utf8)), wait: true) else { throw Errno(EAGAIN) }
        defer { withExtendedLifetime(lock) {} }
        let done = load(folder)

        // The index: external links, relative to the index's folder.
        let output = Array(options.output.utf8)
        let tmp = temporaryName(for: output)
        removeFile(tmp)
        let partsName = String(options.partsFolder.split(separator: "/").last ?? "")
        do throws(HDF5Error) {
            let index = try HDF5File.create(path: tmp.pathString)
            for r in done.records.sorted(by: { $0.id < $1.id }) {
                try index.createExternalLink(name: r.id, targetFile: partsName + "/" + r.part, targetObject: "/" + r.id)
            }
            try index.close()
        } catch {
            removeFile(tmp)
            throw Errno(EIO)
        }
        let fd = try openFile(tmp, O_RDONLY)
        fsync(fd)
        close(fd)
        try nothingOrErrno { tmp.withCPath { t in output.withCPath { rename(t, $0) } } }

        // The metadata table: fixed columns, then the union of the first files' columns.
        var keys = Set<String>()
        for r in done.records { for c in r.cells where c.count == 2 && !c[1].isEmpty { keys.insert(c[0]) } }
        let columns = keys.compactMap { k in ColumnKey(k).map { (k, $0) } }.sorted { $0.1 < $1.1 }
        var position: [String: Int] = [:]
        for (i, c) in columns.enumerated() { position[c.0] = i }
        var csv = CSVSink()
        csv.begin(columns: ["Scan ID", "Dataset", "Shape", "Data Type", "Files", "Order"] + ColumnKey.headers(columns.map(\.1), options.table.columnNaming))
        for r in done.records.sorted(by: { $0.id < $1.id }) {
            var cells = [String](repeating: "", count: columns.count)
            for c in r.cells where c.count == 2 { if let at = position[c[0]] { cells[at] = c[1] } }
            csv.row([r.id, "/" + r.id, "(" + r.shape.map(String.init).joined(separator: ", ") + ")", r.dataType, String(r.files), r.order] + cells)
        }
        try writeFileAtomically(Array(options.metadataPath.utf8), csv.bytes)

        // Files that could not be read, of scans still not exported (every shard's list).
        var rows: [[String]] = []
        var seen = Set<[String]>()
        if case .success(let entries) = listDirectory(folder) {
            for e in entries where e.name.pathString.hasPrefix("unreadable-") && e.name.pathString.hasSuffix(".json") {
                guard let bytes = try? readWholeFile(joinPath(folder, e.name)),
                      let list = try? JSONDecoder().decode([[String]].self, from: Data(bytes)) else { continue }
                for row in list where row.count == 3 && !done.ids.contains(row[0]) && seen.insert(row).inserted { rows.append(row) }
            }
        }
        var list = CSVSink()
        list.begin(columns: ["Scan ID", "Path", "Reason"])
        for row in rows.sorted(by: { ($0[0], $0[1]) < ($1[0], $1[1]) }) { list.row(row) }
        try writeFileAtomically(Array(options.unreadablePath.utf8), list.bytes)
    }
}
