#if canImport(Glibc)
import Glibc
#endif

/// Writes `data` to a temporary file beside `path`, syncs it, and renames it into place, so that a
/// killed run leaves either the old file or the new one, never half of one.
/// With `keepIfSame`, a regular file already at `path` holding exactly `data` is kept (synced, not
/// rewritten: its inode and modification time stay, and a re-run costs no metadata writes); the
/// result is false then.
/// `pauseHalfwayMS` is a test hook: it sleeps half-way through the write so a test can kill there.
@discardableResult
func writeFileAtomically(_ path: PathBytes, _ data: [UInt8], keepIfSame: Bool = false, pauseHalfwayMS: Int? = nil) throws(Errno) -> Bool {
    if keepIfSame && pauseHalfwayMS == nil && existingFileHolds(path, data) { return false }
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
    return true
}

/// Whether `path` is a regular file (not a symlink, FIFO or device) holding exactly `data`, synced
/// to disk. Reads at most `data.count` bytes.
private func existingFileHolds(_ path: PathBytes, _ data: [UInt8]) -> Bool {
    guard let fd = try? openFile(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK) else { return false }
    defer { close(fd) }
    var st = stat()
    guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG, st.st_size == data.count else { return false }
    var old = [UInt8](repeating: 0, count: data.count)
    guard (try? readFully(fd, into: &old, at: 0)) == data.count else { return false }
    let same = old.withUnsafeBytes { a in data.withUnsafeBytes { b in a.count == 0 || memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0 } }
    guard same else { return false }
    // The same bytes: on disk too once this returns (a file someone else wrote may be cached only).
    return fsync(fd) == 0
}

/// `DIR/.NAME.PID.tmp` beside `path`.
func temporaryName(for path: PathBytes) -> PathBytes {
    if let slash = path.lastIndex(of: UInt8(ascii: "/")) {
        return Array(path[...slash]) + Array(".".utf8) + Array(path[(slash + 1)...]) + Array(".\(getpid()).tmp".utf8)
    }
    return Array(".".utf8) + path + Array(".\(getpid()).tmp".utf8)
}
