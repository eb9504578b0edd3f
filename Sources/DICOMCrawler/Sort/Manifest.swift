#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// `DEST/sort_manifest.csv`: one line per file and run (`time,source,destination,action,sop_instance_uid`),
/// appended, enough to audit or undo a sort.
final class Manifest: Sendable {
    private let fd: Int32
    private let lock = Mutex<Void>(())
    private let runTime = utcTimestamp()

    /// Opens (creating, with its header) the manifest in `destination`.
    init(in destination: PathBytes) throws(Errno) {
        fd = try openFile(joinPath(destination, Self.name), O_WRONLY | O_CREAT | O_APPEND)
        if fileSize(fd) == 0 { write(Array("time,source,destination,action,sop_instance_uid\n".utf8)) }
    }

    deinit { close(fd) }

    static let name = Array("sort_manifest.csv".utf8)

    func record(_ action: SortAction) {
        var csv = CSVSink()
        csv.row([runTime, action.source, action.destination, action.kind.rawValue + (action.renamed ? " (renamed)" : ""), action.sopInstanceUID])
        write(csv.bytes)
    }

    private func write(_ bytes: [UInt8]) {
        lock.withLock { _ in
            // One write per line with O_APPEND: lines never interleave, a kill loses at most the
            // line being written.
            try? writeAll(fd, bytes)
        }
    }
}
