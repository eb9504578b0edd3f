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
    /// The name with a terminating NUL (ready for `openat`); NUL sorts before every byte, so
    /// comparing these compares the names.
    let cName: [UInt8]
    let kind: Kind
    var name: PathBytes { Array(cName.dropLast()) }
    var isHidden: Bool { cName.first == UInt8(ascii: ".") }
}

/// An open directory: its entries (without `.` and `..`) sorted by name in byte order, and a
/// descriptor to open them with `openat` (no path walk per file).
final class OpenDirectory {
    let fd: Int32
    private let dir: OpaquePointer
    let entries: [DirectoryEntry]

    init(_ path: PathBytes) throws(Errno) {
        let fd = path.withCPath { Glibc.open($0, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        if fd < 0 { throw Errno(errno) }
        guard let dir = fdopendir(fd) else {
            let e = errno
            close(fd)
            throw Errno(e)
        }
        var entries: [DirectoryEntry] = []
        while true {
            errno = 0
            guard let ent = readdir(dir) else {
                if errno != 0 {
                    let e = errno
                    closedir(dir)
                    throw Errno(e)
                }
                break
            }
            let cName: [UInt8] = withUnsafeBytes(of: &ent.pointee.d_name) { raw in
                let n = strnlen(raw.baseAddress!.assumingMemoryBound(to: CChar.self), raw.count)
                return Array(raw.prefix(n + 1))
            }
            if cName == [0x2E, 0] || cName == [0x2E, 0x2E, 0] { continue }
            var kind: DirectoryEntry.Kind
            switch Int32(ent.pointee.d_type) {
            case Int32(DT_REG): kind = .file
            case Int32(DT_DIR): kind = .directory
            case Int32(DT_LNK): kind = .symlink
            case Int32(DT_UNKNOWN):
                var st = Glibc.stat()
                if cName.withUnsafeBufferPointer({ b in b.withMemoryRebound(to: CChar.self) { fstatat(fd, $0.baseAddress!, &st, AT_SYMLINK_NOFOLLOW) } }) != 0 {
                    kind = .other
                } else {
                    switch st.st_mode & S_IFMT {
                    case S_IFREG: kind = .file
                    case S_IFDIR: kind = .directory
                    case S_IFLNK: kind = .symlink
                    default: kind = .other
                    }
                }
            default: kind = .other
            }
            entries.append(DirectoryEntry(cName: cName, kind: kind))
        }
        entries.sort { $0.cName.lexicographicallyPrecedes($1.cName) }
        self.fd = fd
        self.dir = dir
        self.entries = entries
    }

    deinit { closedir(dir) }

    /// Opens an entry for reading.
    func openEntry(_ entry: DirectoryEntry) -> Int32 {
        entry.cName.withUnsafeBufferPointer { b in
            b.withMemoryRebound(to: CChar.self) { openat(fd, $0.baseAddress!, O_RDONLY | O_CLOEXEC) }
        }
    }

    /// `stat` of an entry, following symlinks.
    func statEntry(_ entry: DirectoryEntry) -> Glibc.stat? {
        var st = Glibc.stat()
        let rc = entry.cName.withUnsafeBufferPointer { b in b.withMemoryRebound(to: CChar.self) { fstatat(fd, $0.baseAddress!, &st, 0) } }
        return rc == 0 ? st : nil
    }
}

/// The entries of a directory (without `.` and `..`), sorted by name in byte order.
func listDirectory(_ path: PathBytes) -> Result<[DirectoryEntry], Errno> {
    do {
        return .success(try OpenDirectory(path).entries)
    } catch {
        return .failure(error)
    }
}

struct Errno: Error, Equatable {
    let code: Int32
    init(_ code: Int32) { self.code = code }
    var text: String { errnoText(code) }

    /// Why a directory given on the command line cannot be crawled.
    var directoryProblem: String {
        switch code {
        case ENOENT: return "no such directory"
        case ENOTDIR: return "not a directory"
        default: return "cannot read the directory: \(text)"
        }
    }
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

/// Reads up to `buffer.count` bytes from the start of an open file into `buffer`; returns how many
/// (one `pread`: a short read of a regular file is its end).
func readPrefix(_ fd: Int32, into buffer: inout [UInt8]) -> Result<Int, Errno> {
    while true {
        let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, $0.count, 0) }
        if n >= 0 { return .success(n) }
        if errno != EINTR { return .failure(Errno(errno)) }
    }
}
