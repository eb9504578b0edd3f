#if canImport(Glibc)
import Glibc
#endif

/// An exclusive lock held as long as the object lives (released by the kernel if the process is
/// killed).
final class LockFile {
    private let fd: Int32
    let path: PathBytes

    /// Nil if another process holds it (with `wait`, waits for it instead).
    init?(_ path: PathBytes, wait: Bool = false) throws(Errno) {
        self.path = path
        fd = try openFile(path, O_RDWR | O_CREAT | O_CLOEXEC)
        do throws(Errno) {
            while true {
                if flock(fd, wait ? LOCK_EX : LOCK_EX | LOCK_NB) == 0 { break }
                if errno == EINTR { continue }
                throw Errno.current
            }
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
