#if canImport(Glibc)
import Glibc
#endif

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
        let fd = try valueOrErrno { path.withCPath { open($0, O_RDONLY | O_DIRECTORY | O_CLOEXEC) } }
        guard let dir = fdopendir(fd) else {
            let e = Errno.current
            close(fd)
            throw e
        }
        var entries: [DirectoryEntry] = []
        while true {
            errno = 0
            guard let ent = readdir(dir) else {
                if errno != 0 {
                    let e = Errno.current
                    closedir(dir)
                    throw e
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
    func openEntry(_ entry: DirectoryEntry) throws(Errno) -> Int32 {
        try valueOrErrno {
            entry.cName.withUnsafeBufferPointer { b in
                b.withMemoryRebound(to: CChar.self) { openat(fd, $0.baseAddress!, O_RDONLY | O_CLOEXEC) }
            }
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

/// `mkdir`; an existing folder is fine.
func makeDirectory(_ path: PathBytes) -> Errno? {
    if path.withCPath({ mkdir($0, 0o755) }) != 0 && errno != EEXIST { return Errno.current }
    return nil
}

/// `mkdir -p`.
func makeDirectories(_ path: PathBytes) -> Errno? {
    var prefix: PathBytes = path.first == UInt8(ascii: "/") ? [UInt8(ascii: "/")] : []
    for part in path.split(separator: UInt8(ascii: "/")) {
        prefix = joinPath(prefix, Array(part))
        if let e = makeDirectory(prefix) { return e }
    }
    return nil
}

func removeDirectory(_ path: PathBytes) { _ = path.withCPath { rmdir($0) } }
