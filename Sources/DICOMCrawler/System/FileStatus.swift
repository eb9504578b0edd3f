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
