#if canImport(Glibc)
import Glibc
#endif

/// Writes `data` to a temporary file beside `path`, syncs it, and renames it into place, so that a
/// killed run leaves either the old file or the new one, never half of one.
/// `pauseHalfwayMS` is a test hook: it sleeps half-way through the write so a test can kill there.
func writeFileAtomically(_ path: PathBytes, _ data: [UInt8], pauseHalfwayMS: Int? = nil) throws(Errno) {
    let tmp = temporaryName(for: path)
    // A new file, never one that is there: a name planted in the folder (a symlink to another file)
    // is removed, not written through, and a name planted again meanwhile makes the write fail.
    removeFile(tmp)
    let fd = try openFile(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW)
    var ok = false
    defer { if !ok { removeFile(tmp) } }
    do {
        if let ms = pauseHalfwayMS {
            try writeAll(fd, data[..<(data.count / 2)])
            usleep(UInt32(ms) * 1000)
            try writeAll(fd, data[(data.count / 2)...])
        } else {
            try writeAll(fd, data)
        }
        try nothingOrErrno { fsync(fd) }
    } catch {
        close(fd)
        throw error
    }
    if close(fd) != 0 { throw Errno.current }
    try nothingOrErrno { tmp.withCPath { t in path.withCPath { rename(t, $0) } } }
    ok = true
}

/// `DIR/.NAME.PID.tmp` beside `path`.
func temporaryName(for path: PathBytes) -> PathBytes {
    if let slash = path.lastIndex(of: UInt8(ascii: "/")) {
        return Array(path[...slash]) + Array(".".utf8) + Array(path[(slash + 1)...]) + Array(".\(getpid()).tmp".utf8)
    }
    return Array(".".utf8) + path + Array(".\(getpid()).tmp".utf8)
}
