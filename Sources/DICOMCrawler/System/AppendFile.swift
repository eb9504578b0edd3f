#if canImport(Glibc)
import Glibc
#endif

/// An append-only file written through a buffer, with explicit commit points (flush + fdatasync).
final class AppendFile {
    let path: PathBytes
    private let fd: Int32
    private(set) var buffer: [UInt8] = []
    /// Bytes written to the file (synced only at `flush(sync: true)`).
    private(set) var committedLength: Int
    var length: Int { committedLength + buffer.count }
    /// Bytes appended and not yet written.
    var pending: Int { buffer.count }

    /// Opens (creating) the file and truncates it to `keep` bytes.
    init(_ path: PathBytes, keep: Int) throws(Errno) {
        self.path = path
        fd = try openFile(path, O_RDWR | O_CREAT)
        if ftruncate(fd, off_t(keep)) != 0 {
            let e = Errno.current
            close(fd)
            throw e
        }
        committedLength = keep
        buffer.reserveCapacity(1 << 20)
    }

    deinit { close(fd) }

    func append(_ bytes: [UInt8]) { buffer += bytes }
    func append<C: Collection>(contentsOf bytes: C) where C.Element == UInt8 { buffer.append(contentsOf: bytes) }
    func append(byte: UInt8) { buffer.append(byte) }

    /// Writes the buffer; with `sync`, also waits until it is on disk.
    func flush(sync: Bool) throws(Errno) {
        try writeAll(fd, buffer, at: committedLength)
        committedLength += buffer.count
        buffer.removeAll(keepingCapacity: true)
        if sync { try nothingOrErrno { fdatasync(fd) } }
    }

    /// Writes the buffer once it holds more than `limit` bytes (no sync).
    func flushIfLarger(than limit: Int) throws(Errno) {
        if buffer.count > limit { try flush(sync: false) }
    }
}
