#if canImport(Glibc)
import Glibc
#endif
import CSysShims

/// Opens a file (EINTR retried).
func openFile(_ path: PathBytes, _ flags: Int32, mode: mode_t = 0o644) throws(Errno) -> Int32 {
    try valueOrErrno { path.withCPath { open($0, flags | O_CLOEXEC, mode) } }
}

/// Reads up to `buffer.count` bytes from the start of an open file into `buffer`; returns how many
/// (one `pread`: a short read of a regular file is its end).
func readPrefix(_ fd: Int32, into buffer: inout [UInt8]) throws(Errno) -> Int {
    try valueOrErrno { buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, $0.count, 0) } }
}

/// Reads into `buffer[start...]` (from `offset`, or from the file position) until it is full or the
/// file ends; returns how many bytes were read.
func readFully(_ fd: Int32, into buffer: inout [UInt8], from start: Int = 0, at offset: Int? = nil) throws(Errno) -> Int {
    let want = buffer.count - start
    var got = 0
    while got < want {
        let n = try valueOrErrno {
            buffer.withUnsafeMutableBytes { b in
                let p = b.baseAddress! + start + got
                if let offset { return pread(fd, p, want - got, off_t(offset + got)) }
                return read(fd, p, want - got)
            }
        }
        if n == 0 { break }
        got += n
    }
    return got
}

/// The whole content of a file.
func readWholeFile(_ path: PathBytes) throws(Errno) -> [UInt8] {
    let fd = try openFile(path, O_RDONLY)
    defer { close(fd) }
    var out: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = try readFully(fd, into: &chunk)
        out += chunk[0..<n]
        if n < chunk.count { return out }
    }
}

/// Writes all of `bytes` (at `offset`, or at the file position).
func writeAll(_ fd: Int32, _ bytes: ArraySlice<UInt8>, at offset: Int? = nil) throws(Errno) {
    var written = 0
    while written < bytes.count {
        written += try valueOrErrno {
            bytes.withUnsafeBytes { raw in
                if let offset { return pwrite(fd, raw.baseAddress! + written, raw.count - written, off_t(offset + written)) }
                return write(fd, raw.baseAddress! + written, raw.count - written)
            }
        }
    }
}

func writeAll(_ fd: Int32, _ bytes: [UInt8], at offset: Int? = nil) throws(Errno) {
    try writeAll(fd, bytes[...], at: offset)
}

func removeFile(_ path: PathBytes) { _ = path.withCPath { unlink($0) } }

/// `link(2)`: false with errno set when it fails (EEXIST when the name is taken).
func linkPath(_ from: PathBytes, _ to: PathBytes) -> Bool {
    from.withCPath { f in to.withCPath { link(f, $0) } } == 0
}

/// Copies the content of `src` to `dst` (both open): inside the kernel where it can
/// (`copy_file_range`), else through a buffer.
func copyContents(from src: Int32, to dst: Int32) throws(Errno) {
    guard var left = fileSize(src) else { throw Errno.current }
    var useRange = true
    var buffer: [UInt8] = []
    while left > 0 {
        if useRange {
            do {
                let n = try valueOrErrno { dc_copy_file_range(src, dst, left) }
                if n == 0 { break }
                left -= n
                continue
            } catch {
                guard [EXDEV, ENOSYS, EINVAL, EOPNOTSUPP].contains(error.code) else { throw error }
                useRange = false
                buffer = [UInt8](repeating: 0, count: 1 << 20)
            }
        }
        let n = try valueOrErrno { buffer.withUnsafeMutableBytes { b in read(src, b.baseAddress, b.count) } }
        if n == 0 { break }
        try writeAll(dst, buffer[0..<n])
        left -= n
    }
}

/// Byte-for-byte comparison of two files.
func sameContent(_ a: PathBytes, _ b: PathBytes) -> Bool {
    guard let fa = try? openFile(a, O_RDONLY | O_NONBLOCK) else { return false }
    defer { close(fa) }
    guard let fb = try? openFile(b, O_RDONLY | O_NONBLOCK) else { return false }
    defer { close(fb) }
    return sameBytes(fa, fb)
}

/// The identity of the regular file named `candidate` (the entry itself: never through a symbolic
/// link, never a FIFO or a device) when it is `source`'s file or holds the same bytes; else nil.
func regularFileMatching(_ source: PathBytes, _ candidate: PathBytes) -> FileIdentity? {
    guard let fc = try? openFile(candidate, O_RDONLY | O_NOFOLLOW | O_NONBLOCK) else { return nil }
    defer { close(fc) }
    var st = stat()
    guard fstat(fc, &st) == 0, st.st_mode & S_IFMT == S_IFREG else { return nil }
    guard let fs = try? openFile(source, O_RDONLY | O_NONBLOCK) else { return nil }
    defer { close(fs) }
    return sameBytes(fs, fc) ? FileIdentity(device: UInt64(st.st_dev), inode: UInt64(st.st_ino)) : nil
}

/// Byte-for-byte comparison of two open files (regular files only).
private func sameBytes(_ fa: Int32, _ fb: Int32) -> Bool {
    var sa = stat(), sb = stat()
    guard fstat(fa, &sa) == 0, fstat(fb, &sb) == 0, sa.st_mode & S_IFMT == S_IFREG, sb.st_mode & S_IFMT == S_IFREG,
          sa.st_size == sb.st_size else { return false }
    if sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino { return true }
    var ba = [UInt8](repeating: 0, count: 1 << 16), bb = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        guard let na = try? readFully(fa, into: &ba, at: nil), let nb = try? readFully(fb, into: &bb, at: nil),
              na == nb else { return false }
        if na == 0 { return true }
        if ba.prefix(na) != bb.prefix(na) { return false }
    }
}

/// Before a source on another file system is removed: the folder holding its new name is synced,
/// so that a power cut cannot lose both (the copy's data is synced already). On the same file
/// system the rename-like link and unlink are ordered by its journal; nothing to do.
func syncEntryAcrossFileSystems(_ dest: PathBytes, from source: PathBytes) -> Errno? {
    guard let d = statPath(dest), let s = statPath(source), d.id.device != s.id.device else { return nil }
    do {
        let fd = try openFile(siblingPath(of: dest, named: "."), O_RDONLY | O_DIRECTORY)
        defer { close(fd) }
        try nothingOrErrno { fsync(fd) }
        return nil
    } catch {
        return error
    }
}

/// fsync of a folder, so that the names renamed into it last (best effort: some file systems
/// refuse it).
func syncDirectory(_ path: PathBytes) {
    let fd = path.withCPath { open($0, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
    if fd >= 0 {
        fsync(fd)
        close(fd)
    }
}
