#if canImport(Glibc)
import Glibc
#endif

/// CSV text with RFC 4180 quoting (a field with a comma, double quote, CR or LF is quoted, and its
/// double quotes doubled), UTF-8, LF line endings.
public struct CSVText {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    public mutating func appendRow(_ fields: [String]) {
        for (i, f) in fields.enumerated() {
            if i > 0 { bytes.append(UInt8(ascii: ",")) }
            appendField(f)
        }
        bytes.append(0x0A)
    }

    mutating func appendField(_ f: String) {
        var f = f
        f.withUTF8 { appendField(bytes: $0) }
    }

    mutating func appendField<C: Collection>(bytes u: C) where C.Element == UInt8 {
        var needsQuotes = false
        for b in u where b == 0x2C || b == 0x22 || b == 0x0A || b == 0x0D {
            needsQuotes = true
            break
        }
        if !needsQuotes {
            bytes.append(contentsOf: u)
            return
        }
        bytes.append(0x22)
        for b in u {
            if b == 0x22 { bytes.append(0x22) }
            bytes.append(b)
        }
        bytes.append(0x22)
    }

    /// A row whose fields are raw UTF-8 byte slices.
    mutating func appendRow(byteFields fields: [ArraySlice<UInt8>]) {
        for (i, f) in fields.enumerated() {
            if i > 0 { bytes.append(UInt8(ascii: ",")) }
            appendField(bytes: f)
        }
        bytes.append(0x0A)
    }

    mutating func removeAll() { bytes.removeAll(keepingCapacity: true) }
}

/// Writes `data` to a temporary file beside `path`, syncs it, and renames it into place, so that a
/// killed run leaves either the old file or the new one, never half of one.
func writeFileAtomically(_ path: PathBytes, _ data: [UInt8]) throws(Errno) {
    let tmp = temporaryName(for: path)
    let fd = tmp.withCPath { open($0, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644) }
    if fd < 0 { throw Errno(errno) }
    var ok = false
    defer {
        if !ok { _ = tmp.withCPath { unlink($0) } }
    }
    // Test hook: pause half-way through the write, so that a test can kill the process there.
    let pauseMS = getenv("DICOMCRAWLER_TEST_PAUSE_IN_WRITE_MS").flatMap { Int(String(cString: $0)) }
    let stops = pauseMS == nil ? [data.count] : [data.count / 2, data.count]
    var written = 0
    for (i, end) in stops.enumerated() {
        if i > 0, let ms = pauseMS { usleep(UInt32(ms) * 1000) }
        while written < end {
            let n = data.withUnsafeBytes { write(fd, $0.baseAddress! + written, end - written) }
            if n < 0 {
                if errno == EINTR { continue }
                let e = errno
                close(fd)
                throw Errno(e)
            }
            written += n
        }
    }
    if fsync(fd) != 0 {
        let e = errno
        close(fd)
        throw Errno(e)
    }
    if close(fd) != 0 { throw Errno(errno) }
    let rc = tmp.withCPath { t in path.withCPath { rename(t, $0) } }
    if rc != 0 { throw Errno(errno) }
    ok = true
}

/// `DIR/.NAME.PID.tmp` beside `path`.
func temporaryName(for path: PathBytes) -> PathBytes {
    if let slash = path.lastIndex(of: UInt8(ascii: "/")) {
        return Array(path[...slash]) + Array(".".utf8) + Array(path[(slash + 1)...]) + Array(".\(getpid()).tmp".utf8)
    }
    return Array(".".utf8) + path + Array(".\(getpid()).tmp".utf8)
}
