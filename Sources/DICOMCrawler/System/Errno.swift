// System plumbing: errno as a typed error with one retry helper, paths as bytes, directories, file
// status, whole-file/prefix/append I/O, atomic replacement, the run lock, clocks, file comparison.
#if canImport(Glibc)
import Glibc
#endif

/// The errno of a failed system call, as a typed error.
struct Errno: Error, Equatable, Sendable {
    let code: Int32
    init(_ code: Int32) { self.code = code }

    /// The calling thread's current errno.
    static var current: Errno { Errno(errno) }

    /// `strerror` text: "No such file or directory".
    var text: String { String(cString: strerror(code)) }

    /// Why a directory given on the command line cannot be walked.
    var directoryProblem: String {
        switch code {
        case ENOENT: return "no such directory"
        case ENOTDIR: return "not a directory"
        default: return "cannot read the directory: \(text)"
        }
    }
}

/// Runs a system call until it does not fail with EINTR: its non-negative result, or its errno
/// thrown. The crawler library's one place that retries interrupted calls (as swift-system's `valueOrErrno`; the
/// reader and the template loader, in their own targets, each have their one read loop).
@inline(__always)
func valueOrErrno<T: BinaryInteger>(_ call: () -> T) throws(Errno) -> T {
    while true {
        let result = call()
        if result >= 0 { return result }
        if errno != EINTR { throw Errno.current }
    }
}

/// Runs a system call that returns 0 or -1 until it does not fail with EINTR; throws its errno.
@inline(__always)
func nothingOrErrno(_ call: () -> Int32) throws(Errno) {
    _ = try valueOrErrno(call)
}
