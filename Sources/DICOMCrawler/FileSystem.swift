#if canImport(Glibc)
import Glibc
#endif

/// A path as raw bytes: file names need not be valid UTF-8.
public typealias PathBytes = [UInt8]

extension Array where Element == UInt8 {
    /// The path as text; bytes that are not UTF-8 become U+FFFD.
    public var pathString: String { String(decoding: self, as: UTF8.self) }
    var isValidUTF8: Bool { String(validating: self, as: UTF8.self) != nil }

    func withCPath<R>(_ body: (UnsafePointer<CChar>) -> R) -> R {
        var c = self.map { CChar(bitPattern: $0) }
        c.append(0)
        return c.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}

func joinPath(_ a: PathBytes, _ b: PathBytes) -> PathBytes {
    if a.isEmpty { return b }
    if b.isEmpty { return a }
    return a.last == UInt8(ascii: "/") ? a + b : a + [UInt8(ascii: "/")] + b
}

/// `DIR` as the user gave it, without trailing slashes (but `/` stays `/`).
func trimTrailingSlashes(_ p: PathBytes) -> PathBytes {
    var p = p
    while p.count > 1, p.last == UInt8(ascii: "/") { p.removeLast() }
    return p
}

func errnoText(_ e: Int32 = errno) -> String { String(cString: strerror(e)) }

struct DirectoryEntry {
    enum Kind { case file, directory, symlink, other }
    let name: PathBytes
    let kind: Kind
}

/// The entries of a directory (without `.` and `..`), sorted by name in byte order.
func listDirectory(_ path: PathBytes) -> Result<[DirectoryEntry], Errno> {
    guard let dir = path.withCPath({ opendir($0) }) else { return .failure(Errno(errno)) }
    defer { closedir(dir) }
    var entries: [DirectoryEntry] = []
    while true {
        errno = 0
        guard let ent = readdir(dir) else {
            if errno != 0 { return .failure(Errno(errno)) }
            break
        }
        let name: PathBytes = withUnsafeBytes(of: &ent.pointee.d_name) { raw in
            let n = strnlen(raw.baseAddress!.assumingMemoryBound(to: CChar.self), raw.count)
            return Array(raw.prefix(n))
        }
        if name == [0x2E] || name == [0x2E, 0x2E] { continue }
        var kind: DirectoryEntry.Kind
        switch Int32(ent.pointee.d_type) {
        case Int32(DT_REG): kind = .file
        case Int32(DT_DIR): kind = .directory
        case Int32(DT_LNK): kind = .symlink
        case Int32(DT_UNKNOWN):
            var st = stat()
            let full = joinPath(path, name)
            if full.withCPath({ lstat($0, &st) }) != 0 { kind = .other } else {
                switch st.st_mode & S_IFMT {
                case S_IFREG: kind = .file
                case S_IFDIR: kind = .directory
                case S_IFLNK: kind = .symlink
                default: kind = .other
                }
            }
        default: kind = .other
        }
        entries.append(DirectoryEntry(name: name, kind: kind))
    }
    entries.sort { $0.name.lexicographicallyPrecedes($1.name) }
    return .success(entries)
}

struct Errno: Error, Equatable {
    let code: Int32
    init(_ code: Int32) { self.code = code }
    var text: String { errnoText(code) }
}

struct FileIdentity: Hashable {
    let device: UInt64
    let inode: UInt64
}

/// `stat` (following symlinks): the kind and identity of what a path names.
func statPath(_ path: PathBytes) -> (isDirectory: Bool, isFile: Bool, id: FileIdentity)? {
    var st = stat()
    guard path.withCPath({ stat($0, &st) }) == 0 else { return nil }
    let mode = st.st_mode & S_IFMT
    return (mode == S_IFDIR, mode == S_IFREG, FileIdentity(device: UInt64(st.st_dev), inode: UInt64(st.st_ino)))
}

/// Opens a file and reads up to `count` bytes from its start. Returns the bytes and the file size
/// (the size only when it was needed: the caller asks with `wantSize`).
func readPrefix(_ path: PathBytes, count: Int, wantSize: (([UInt8]) -> Bool)? = nil) -> Result<(bytes: [UInt8], size: Int?), Errno> {
    let fd = path.withCPath { open($0, O_RDONLY | O_CLOEXEC) }
    if fd < 0 { return .failure(Errno(errno)) }
    defer { close(fd) }
    var buf = [UInt8](repeating: 0, count: count)
    var got = 0
    while got < count {
        let n = buf.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + got, count - got, off_t(got)) }
        if n < 0 {
            if errno == EINTR { continue }
            return .failure(Errno(errno))
        }
        if n == 0 { break }
        got += n
    }
    buf.removeLast(count - got)
    var size: Int? = nil
    if let wantSize, wantSize(buf) {
        var st = stat()
        if fstat(fd, &st) == 0 { size = Int(st.st_size) }
    }
    return .success((buf, size))
}
