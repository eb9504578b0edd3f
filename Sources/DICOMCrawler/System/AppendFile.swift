#if canImport(Glibc)
import Glibc
#endif

/// An append-only file written through a buffer, with explicit commit points (flush + fdatasync).
final class AppendFile {
    let path: PathBytes
    private let fd: Int32
    private var buffer: [UInt8] = []
    /// Bytes written to the file (on disk only after `flush(sync: true)`).
    private(set) var writtenLength: Int

    /// Opens (creating) the file and truncates it to `keep` bytes.
    init(_ path: PathBytes, keep: Int) throws(Errno) {
        self.path = path
        fd = try openFile(path, O_RDWR | O_CREAT)
        if ftruncate(fd, off_t(keep)) != 0 {
            let e = Errno.current
            close(fd)
            throw e
        }
        writtenLength = keep
        buffer.reserveCapacity(1 << 20)
    }

    deinit { close(fd) }

    func append(_ bytes: [UInt8]) { buffer += bytes }
    func append<C: Collection>(contentsOf bytes: C) where C.Element == UInt8 { buffer.append(contentsOf: bytes) }
    func append(byte: UInt8) { buffer.append(byte) }

    /// Writes the buffer; with `sync`, also waits until it is on disk.
    func flush(sync: Bool) throws(Errno) {
        try writeAll(fd, buffer, at: writtenLength)
        writtenLength += buffer.count
        buffer.removeAll(keepingCapacity: true)
        if sync { try nothingOrErrno { fdatasync(fd) } }
    }

    /// Writes the buffer once it holds more than `limit` bytes (no sync).
    func flushIfLarger(than limit: Int) throws(Errno) {
        if buffer.count > limit { try flush(sync: false) }
    }
}
