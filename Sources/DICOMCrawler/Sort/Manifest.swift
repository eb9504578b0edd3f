#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// `DEST/sort_manifest.csv`: one line per file and run (`time,source,destination,action,sop_instance_uid`,
/// paths written with `escapedPath`), appended, enough to audit or undo a sort.
final class Manifest: Sendable {
    private let fd: Int32
    private let lock = Mutex<Void>(())
    private let runTime = utcTimestamp()

    /// Opens (creating, with its header) the manifest in `destination`.
    init(in destination: PathBytes) throws(Errno) {
        fd = try openFile(joinPath(destination, Self.name), O_WRONLY | O_CREAT | O_APPEND)
        if fileSize(fd) == 0 {
            do { try write(Array("time,source,destination,action,sop_instance_uid\n".utf8)) } catch {
                close(fd)
                throw error
            }
        }
    }

    deinit { close(fd) }

    static let name = Array("sort_manifest.csv".utf8)

    /// Appends the action's line; throws when the whole line could not be written.
    func record(_ action: SortAction) throws(Errno) {
        var csv = CSVSink()
        csv.row([runTime, action.source, action.destination, action.manifestAction, action.sopInstanceUID])
        try write(csv.bytes)
    }

    /// Waits until the lines written are on disk.
    func sync() throws(Errno) { try nothingOrErrno { fdatasync(fd) } }

    /// One `write` per line with O_APPEND: lines never interleave, a kill loses at most the line
    /// being written. A short write (a full disk) is a failure, and the partial line is cut off
    /// again when nothing else was appended after it.
    private func write(_ bytes: [UInt8]) throws(Errno) {
        var failure: Errno?
        lock.withLock { _ in
            let before = fileSize(fd)
            let n: Int
            do throws(Errno) { n = try valueOrErrno { bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress!, $0.count) } } } catch {
                failure = error
                return
            }
            if n != bytes.count {
                if let before, fileSize(fd) == before + n { _ = ftruncate(fd, off_t(before)) }
                failure = Errno(ENOSPC)
            }
        }
        if let failure { throw failure }
    }
}
