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

    /// Why the manifest cannot be used: a system error, or a name that is not a regular file.
    struct OpenError: Error {
        let text: String
    }

    /// Opens (creating, with its header) the manifest in `destination`. Only a regular file is
    /// written to: a symbolic link there is never followed (it could name an input), and a FIFO or
    /// a device is refused without waiting for it (O_NONBLOCK).
    init(in destination: PathBytes) throws(OpenError) {
        let path = joinPath(destination, Self.name)
        do {
            fd = try openFile(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_NONBLOCK)
        } catch {
            throw OpenError(text: error.code == ELOOP ? Self.notRegular(path) ?? error.text : error.text)
        }
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG else {
            let text = Self.notRegular(path) ?? "not a regular file"
            close(fd)
            throw OpenError(text: text)
        }
        if fileSize(fd) == 0 {
            do { try write(Array("time,source,destination,action,sop_instance_uid\n".utf8)) } catch {
                close(fd)
                throw OpenError(text: error.text)
            }
        }
    }

    /// What is wrong with `path` as a manifest (`lstat`): nil when it is a regular file or absent.
    static func notRegular(_ path: PathBytes) -> String? {
        var st = stat()
        guard path.withCPath({ lstat($0, &st) }) == 0 else { return nil }
        let kind: String
        switch st.st_mode & S_IFMT {
        case S_IFREG: return nil
        case S_IFLNK: kind = "a symbolic link"
        case S_IFIFO: kind = "a FIFO"
        case S_IFDIR: kind = "a folder"
        case S_IFSOCK: kind = "a socket"
        case S_IFCHR, S_IFBLK: kind = "a device"
        default: kind = "of another kind"
        }
        return "it is \(kind), not a regular file (refused: the manifest is only ever written to a regular file)"
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
