#if canImport(Glibc)
import Glibc
#endif

/// What identifies a file on this machine: device and inode.
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

/// Whether anything (a dangling symlink too) has this name.
func pathExistsNoFollow(_ path: PathBytes) -> Bool {
    var st = stat()
    return path.withCPath { lstat($0, &st) } == 0
}

/// Whether two paths name the same file.
func isSameFile(_ a: PathBytes, _ b: PathBytes) -> Bool {
    guard let x = statPath(a), let y = statPath(b) else { return false }
    return x.id == y.id
}

/// The size of an open file.
func fileSize(_ fd: Int32) -> Int? {
    var st = stat()
    return fstat(fd, &st) == 0 ? Int(st.st_size) : nil
}

/// What tells whether a file changed between two runs: its size, modification time, inode, and the
/// time its inode last changed (ns) — which a rewrite whose modification time was put back
/// (`cp -p`, `touch -r`, `rsync --inplace -t`) or a change of permissions cannot hide.
struct FileStamp: Equatable {
    var size: Int64
    var modified: Int64
    var inode: UInt64
    var changed: Int64

    init(size: Int64, modified: Int64, inode: UInt64, changed: Int64) {
        self.size = size
        self.modified = modified
        self.inode = inode
        self.changed = changed
    }

    init(_ st: stat) {
        self.init(size: Int64(st.st_size), modified: Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec),
                  inode: UInt64(st.st_ino), changed: Int64(st.st_ctim.tv_sec) * 1_000_000_000 + Int64(st.st_ctim.tv_nsec))
    }

    /// A file that could not be looked at.
    static let unknown = FileStamp(size: -1, modified: 0, inode: 0, changed: 0)

    /// The stamp of an open file.
    static func of(_ fd: Int32) -> FileStamp {
        var st = stat()
        return fstat(fd, &st) == 0 ? FileStamp(st) : .unknown
    }

    /// The stamp of what a path names (following symlinks).
    static func of(_ path: PathBytes) -> FileStamp {
        var st = stat()
        return path.withCPath({ stat($0, &st) }) == 0 ? FileStamp(st) : .unknown
    }
}

/// `lstat`: the identity of the entry itself when it is a regular file (nil for a symbolic link,
/// a folder, a FIFO, a device, or nothing).
func regularFileIdentity(_ path: PathBytes) -> FileIdentity? {
    var st = stat()
    guard path.withCPath({ lstat($0, &st) }) == 0, st.st_mode & S_IFMT == S_IFREG else { return nil }
    return FileIdentity(device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
}

/// The device of `path`, or of its nearest existing parent when it does not exist yet (where a
/// file made there would be).
func deviceOfNearestExisting(_ path: PathBytes) -> UInt64? {
    var p = path
    while true {
        if let s = statPath(p) { return s.id.device }
        guard let slash = p.lastIndex(of: UInt8(ascii: "/")) else { return statPath(Array(".".utf8))?.id.device }
        if slash == 0 { return statPath([UInt8(ascii: "/")])?.id.device }
        p = Array(p[..<slash])
    }
}

/// The folder a path's entry is in (`.` for a bare name).
func parentPath(_ path: PathBytes) -> PathBytes {
    guard let slash = path.lastIndex(of: UInt8(ascii: "/")) else { return Array(".".utf8) }
    return slash == 0 ? [UInt8(ascii: "/")] : Array(path[..<slash])
}

/// Whether two paths name one directory entry (the same name in the same folder, however the
/// folder is reached: `./a`, a symlinked folder, a bind mount).
func isSameEntry(_ a: PathBytes, _ b: PathBytes) -> Bool {
    guard lastComponent(a) == lastComponent(b), let x = statPath(parentPath(a)), let y = statPath(parentPath(b)) else { return false }
    return x.id == y.id
}

/// Whether this process may remove other users' files from a sticky folder (CAP_FOWNER in its
/// effective capabilities; as root when they cannot be read).
let processHasCapFowner: Bool = {
    if let status = try? readWholeFile(Array("/proc/self/status".utf8)) {
        for line in status.split(separator: UInt8(ascii: "\n")) where line.starts(with: Array("CapEff:".utf8)) {
            let hex = String(decoding: line.dropFirst("CapEff:".count).filter { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }, as: UTF8.self)
            if let caps = UInt64(hex, radix: 16) { return caps & (1 << 3) != 0 }
        }
    }
    return geteuid() == 0
}()

/// Whether the entry itself (`lstat`: not a symbolic link to one) is a folder.
func isRealDirectory(_ path: PathBytes) -> Bool {
    var st = stat()
    return path.withCPath { lstat($0, &st) } == 0 && st.st_mode & S_IFMT == S_IFDIR
}

/// Whether the path itself (not what it points to) is a symbolic link.
func isSymlink(_ path: PathBytes) -> Bool {
    var st = stat()
    return path.withCPath { lstat($0, &st) } == 0 && st.st_mode & S_IFMT == S_IFLNK
}
