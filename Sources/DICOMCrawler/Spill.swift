#if canImport(Glibc)
import Glibc
#endif

/// An append-only file written through a buffer, with explicit commit points (flush + fdatasync).
final class AppendFile {
    let path: PathBytes
    private let fd: Int32
    private var buffer: [UInt8] = []
    /// Bytes written to the file (synced only at `flush(sync: true)`).
    private(set) var committedLength: Int
    var length: Int { committedLength + buffer.count }

    /// Opens (creating) the file and truncates it to `keep` bytes.
    init(_ path: PathBytes, keep: Int) throws(Errno) {
        self.path = path
        fd = path.withCPath { open($0, O_RDWR | O_CREAT | O_CLOEXEC, 0o644) }
        if fd < 0 { throw Errno(errno) }
        if ftruncate(fd, off_t(keep)) != 0 {
            let e = errno
            close(fd)
            throw Errno(e)
        }
        committedLength = keep
        buffer.reserveCapacity(1 << 20)
    }

    deinit { close(fd) }

    func append(_ bytes: [UInt8]) { buffer += bytes }
    func append(byte: UInt8) { buffer.append(byte) }
    func appendVarint(_ v: Int) {
        var v = UInt64(v)
        while v >= 0x80 {
            buffer.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        buffer.append(UInt8(v))
    }
    func appendString(_ s: String) {
        appendVarint(s.utf8.count)
        buffer.append(contentsOf: s.utf8)
    }
    func appendBytes(_ b: [UInt8]) {
        appendVarint(b.count)
        buffer.append(contentsOf: b)
    }

    /// Writes the buffer; with `sync`, also waits until it is on disk.
    func flush(sync: Bool) throws(Errno) {
        var written = 0
        while written < buffer.count {
            let n = buffer.withUnsafeBytes { pwrite(fd, $0.baseAddress! + written, buffer.count - written, off_t(committedLength + written)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw Errno(errno)
            }
            written += n
        }
        committedLength += buffer.count
        buffer.removeAll(keepingCapacity: true)
        if sync && fdatasync(fd) != 0 { throw Errno(errno) }
    }
}

/// Reads a file written by `AppendFile` sequentially, in chunks.
struct SpillReader {
    private let fd: Int32
    private var buffer: [UInt8] = []
    private var pos = 0
    private var fileOffset = 0
    private let end: Int

    init(_ path: PathBytes, length: Int) throws(Errno) {
        fd = path.withCPath { open($0, O_RDONLY | O_CLOEXEC) }
        if fd < 0 { throw Errno(errno) }
        end = length
    }

    func close() { Glibc.close(fd) }

    var atEnd: Bool { fileOffset - (buffer.count - pos) >= end }

    private mutating func need(_ n: Int) throws(Errno) {
        if buffer.count - pos >= n { return }
        buffer.removeSubrange(0..<pos)
        pos = 0
        while buffer.count < n {
            let want = max(n - buffer.count, 1 << 20)
            let old = buffer.count
            buffer += [UInt8](repeating: 0, count: want)
            let got = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + old, want, off_t(fileOffset)) }
            if got < 0 { throw Errno(errno) }
            buffer.removeLast(want - max(got, 0))
            fileOffset += got
            if got == 0 { throw Errno(EIO) }
        }
    }

    mutating func byte() throws(Errno) -> UInt8 {
        try need(1)
        pos += 1
        return buffer[pos - 1]
    }

    mutating func varint() throws(Errno) -> Int {
        var v: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = try byte()
            v |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { return Int(v) }
            shift += 7
            if shift > 63 { throw Errno(EIO) }
        }
    }

    mutating func bytes() throws(Errno) -> ArraySlice<UInt8> {
        let n = try varint()
        try need(n)
        pos += n
        return buffer[(pos - n)..<pos]
    }

    mutating func string() throws(Errno) -> String {
        String(decoding: try bytes(), as: UTF8.self)
    }
}

/// An exclusive lock held as long as the process lives (released by the kernel if it is killed).
final class LockFile {
    private let fd: Int32
    let path: PathBytes

    /// Nil if another process holds it.
    init?(_ path: PathBytes) throws(Errno) {
        self.path = path
        fd = path.withCPath { open($0, O_RDWR | O_CREAT | O_CLOEXEC, 0o644) }
        if fd < 0 { throw Errno(errno) }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let e = errno
            close(fd)
            if e == EWOULDBLOCK { return nil }
            throw Errno(e)
        }
    }

    deinit {
        flock(fd, LOCK_UN)
        close(fd)
    }
}

func readWholeFile(_ path: PathBytes) -> [UInt8]? {
    let fd = path.withCPath { open($0, O_RDONLY | O_CLOEXEC) }
    if fd < 0 { return nil }
    defer { close(fd) }
    var out: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0 { if errno == EINTR { continue }; return nil }
        if n == 0 { return out }
        out += chunk[0..<n]
    }
}

func removeFile(_ path: PathBytes) { _ = path.withCPath { unlink($0) } }
func removeDirectory(_ path: PathBytes) { _ = path.withCPath { rmdir($0) } }
func makeDirectory(_ path: PathBytes) -> Errno? {
    if path.withCPath({ mkdir($0, 0o755) }) != 0 && errno != EEXIST { return Errno(errno) }
    return nil
}
