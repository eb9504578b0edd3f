#if canImport(Glibc)
import Glibc
#endif

/// An exclusive lock held as long as the object lives (released by the kernel if the process is
/// killed).
final class LockFile {
    private let fd: Int32
    let path: PathBytes

    /// Nil if another process holds it.
    init?(_ path: PathBytes) throws(Errno) {
        self.path = path
        fd = try openFile(path, O_RDWR | O_CREAT)
        do {
            try nothingOrErrno { flock(fd, LOCK_EX | LOCK_NB) }
        } catch {
            close(fd)
            if error.code == EWOULDBLOCK { return nil }
            throw error
        }
    }

    deinit {
        flock(fd, LOCK_UN)
        close(fd)
    }
}
