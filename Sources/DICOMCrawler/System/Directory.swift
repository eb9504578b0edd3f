#if canImport(Glibc)
import Glibc
#endif
import CSysShims

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
    let entries: [DirectoryEntry]

    init(_ path: PathBytes) throws(Errno) {
        let fd = try valueOrErrno { path.withCPath { open($0, O_RDONLY | O_DIRECTORY | O_CLOEXEC) } }
        var entries: [DirectoryEntry] = []
        // Listed with getdents64 straight into a buffer on the stack: readdir through fdopendir
        // would cost an fstat and two fcntl calls per folder (10^5 folders on an archive root).
        let failure: Errno? = withUnsafeTemporaryAllocation(byteCount: 32 << 10, alignment: 8) { buffer -> Errno? in
            while true {
                let n = dc_getdents64(fd, buffer.baseAddress, buffer.count)
                if n < 0 {
                    if errno == EINTR { continue }
                    return Errno.current
                }
                if n == 0 { return nil }
                var at = 0
                while at < n {
                    // struct linux_dirent64: d_ino (8), d_off (8), d_reclen (2), d_type (1), d_name.
                    let record = buffer.baseAddress! + at
                    let length = Int(record.loadUnaligned(fromByteOffset: 16, as: UInt16.self))
                    let type = record.load(fromByteOffset: 18, as: UInt8.self)
                    let name = record + 19
                    let nameLength = strnlen(name.assumingMemoryBound(to: CChar.self), length - 19)
                    at += max(length, 1)
                    if nameLength == 1 && name.load(as: UInt8.self) == 0x2E { continue }
                    if nameLength == 2 && name.load(as: UInt8.self) == 0x2E && name.load(fromByteOffset: 1, as: UInt8.self) == 0x2E { continue }
                    let cName = [UInt8](UnsafeRawBufferPointer(start: name, count: nameLength + 1))
                    entries.append(DirectoryEntry(cName: cName, kind: Self.kind(type, cName, in: fd)))
                }
            }
        }
        if let failure {
            close(fd)
            throw failure
        }
        // Byte order, compared with memcmp (the generic lexicographicallyPrecedes goes byte by byte
        // through iterators); the NUL each name ends with sorts a prefix first.
        entries.sort { bytesPrecede($0.cName, $1.cName) }
        self.fd = fd
        self.entries = entries
    }

    /// The entry's kind from its `d_type`; file systems that do not fill it in are asked with
    /// `fstatat` (without following a symlink).
    private static func kind(_ type: UInt8, _ cName: [UInt8], in fd: Int32) -> DirectoryEntry.Kind {
        switch Int32(type) {
        case Int32(DT_REG): return .file
        case Int32(DT_DIR): return .directory
        case Int32(DT_LNK): return .symlink
        case Int32(DT_UNKNOWN):
            var st = Glibc.stat()
            if cName.withUnsafeBufferPointer({ b in b.withMemoryRebound(to: CChar.self) { fstatat(fd, $0.baseAddress!, &st, AT_SYMLINK_NOFOLLOW) } }) != 0 {
                return .other
            }
            switch st.st_mode & S_IFMT {
            case S_IFREG: return .file
            case S_IFDIR: return .directory
            case S_IFLNK: return .symlink
            default: return .other
            }
        default: return .other
        }
    }

    deinit { close(fd) }

    /// Opens an entry for reading.
    func openEntry(_ entry: DirectoryEntry) throws(Errno) -> Int32 {
        try valueOrErrno {
            entry.cName.withUnsafeBufferPointer { b in
                b.withMemoryRebound(to: CChar.self) { openat(fd, $0.baseAddress!, O_RDONLY | O_CLOEXEC) }
            }
        }
    }

    /// Whether an entry is a regular file a job reads: a file, or a symlink to one (stat'ed only
    /// then); a dot-file only with `includeHidden`.
    func isRegularFile(_ entry: DirectoryEntry, includeHidden: Bool) -> Bool {
        if !includeHidden && entry.isHidden { return false }
        switch entry.kind {
        case .file: return true
        case .symlink:
            guard let st = statEntry(entry) else { return false }
            return st.st_mode & S_IFMT == S_IFREG
        case .directory, .other: return false
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
