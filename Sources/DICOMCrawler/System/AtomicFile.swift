#if canImport(Glibc)
import Glibc
#endif

/// Writes `data` to a temporary file beside `path`, syncs it, and renames it into place, so that a
/// killed run leaves either the old file or the new one, never half of one.
/// With `keepIfSame`, a regular file already at `path` holding exactly `data` is kept (synced, not
/// rewritten: its inode and modification time stay, and a re-run costs no metadata writes); the
/// result is false then.
/// `pauseHalfwayMS` is a test hook: it sleeps half-way through the write so a test can kill there.
@discardableResult
func writeFileAtomically(_ path: PathBytes, _ data: [UInt8], keepIfSame: Bool = false, pauseHalfwayMS: Int? = nil) throws(Errno) -> Bool {
    removeStaleTemporaries(of: path)
    if keepIfSame && pauseHalfwayMS == nil && existingFileHolds(path, data) { return false }
    let tmp = temporaryName(for: path)
    // A new file, never one that is there: a name planted in the folder (a symlink to another file)
    // is removed, not written through, and a name planted again meanwhile makes the write fail.
    removeFile(tmp)
    let fd = try openFile(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW)
    var ok = false
    defer { if !ok { removeFile(tmp) } }
    do {
        if let ms = pauseHalfwayMS {
            try writeAll(fd, data[..<(data.count / 2)])
            usleep(UInt32(ms) * 1000)
            try writeAll(fd, data[(data.count / 2)...])
        } else {
            try writeAll(fd, data)
        }
        try nothingOrErrno { fsync(fd) }
    } catch {
        close(fd)
        throw error
    }
    if close(fd) != 0 { throw Errno.current }
    try nothingOrErrno { tmp.withCPath { t in path.withCPath { rename(t, $0) } } }
    ok = true
    return true
}

/// Whether `path` is a regular file (not a symlink, FIFO or device) holding exactly `data`, synced
/// to disk. Reads at most `data.count` bytes.
private func existingFileHolds(_ path: PathBytes, _ data: [UInt8]) -> Bool {
    guard let fd = try? openFile(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK) else { return false }
    defer { close(fd) }
    var st = stat()
    guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG, st.st_size == data.count else { return false }
    var old = [UInt8](repeating: 0, count: data.count)
    guard (try? readFully(fd, into: &old, at: 0)) == data.count else { return false }
    let same = old.withUnsafeBytes { a in data.withUnsafeBytes { b in a.count == 0 || memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0 } }
    guard same else { return false }
    // The same bytes: on disk too once this returns (a file someone else wrote may be cached only).
    return fsync(fd) == 0
}

/// `DIR/.NAME.HOST.PID.tmp` beside `path` (the host's name: on a shared file system, only this
/// machine can tell whether the process that made one is gone).
func temporaryName(for path: PathBytes) -> PathBytes {
    temporaryPrefix(for: path) + Array("\(getpid()).tmp".utf8)
}

/// `DIR/.NAME.HOST.`
private func temporaryPrefix(for path: PathBytes) -> PathBytes {
    let suffix = Array(".".utf8) + hostName + Array(".".utf8)
    if let slash = path.lastIndex(of: UInt8(ascii: "/")) {
        return Array(path[...slash]) + Array(".".utf8) + Array(path[(slash + 1)...]) + suffix
    }
    return Array(".".utf8) + path + suffix
}

private let hostName: PathBytes = {
    var buf = [CChar](repeating: 0, count: 256)
    gethostname(&buf, buf.count - 1)
    let name = buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }.filter { $0 != UInt8(ascii: "/") }
    return name.isEmpty ? Array("localhost".utf8) : name
}()

/// Removes the temporary files of `path` that killed runs on this machine left (`.NAME.HOST.PID.tmp`
/// of a process that is gone); those of running processes, and of other machines, stay.
func removeStaleTemporaries(of path: PathBytes) {
    let prefix = temporaryPrefix(for: path)
    let folder = parentPath(prefix)
    let namePrefix = lastComponent(prefix)
    guard let dir = try? OpenDirectory(folder) else { return }
    for entry in dir.entries where entry.kind == .file {
        let name = entry.name
        guard name.count > namePrefix.count + 4, name.starts(with: namePrefix), name.suffix(4) == Array(".tmp".utf8) else { continue }
        guard let pid = Int32(String(decoding: name[namePrefix.count..<(name.count - 4)], as: UTF8.self)), pid > 0, pid != getpid() else { continue }
        if kill(pid, 0) == -1 && errno == ESRCH { removeFile(joinPath(folder, name)) }
    }
}

/// Whether `name` is a temporary file of `own` (`.OWN.HOST.PID.tmp`, any host).
func isTemporaryName(_ name: PathBytes, of own: PathBytes) -> Bool {
    let prefix = [UInt8(ascii: ".")] + own + [UInt8(ascii: ".")], suffix = Array(".tmp".utf8)
    guard name.count > prefix.count + suffix.count, name.starts(with: prefix), name.suffix(suffix.count).elementsEqual(suffix) else { return false }
    let middle = name[prefix.count..<(name.count - suffix.count)]
    guard let dot = middle.lastIndex(of: UInt8(ascii: ".")), dot > middle.startIndex else { return false }
    let pid = middle[(dot + 1)...]
    return !pid.isEmpty && pid.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
}

/// Why outputs a command writes beside its main one (as (option, path) pairs) cannot be written where
/// they are asked for: the same file twice, the template file, one of `tables` (path, what it is), or
/// a file inside a DIR that is being read (a DICOM file there would be replaced). Nil when they can.
public func outputConflict(_ outputs: [(option: String, path: String)], templates: String?, directories: [String],
                           tables: [(path: String, what: String)]) -> String? {
    /// The file a path names: its folder resolved, its name as given.
    func identity(_ path: String) -> PathBytes {
        let p = absolutePath(trimTrailingSlashes(Array(path.utf8)))
        return joinPath(canonicalPath(parentPath(p)), lastComponent(p))
    }
    let dirs = directories.map { canonicalPath(absolutePath(trimTrailingSlashes(Array($0.utf8)))) }
    let tableIDs = tables.map { identity($0.path) }
    for (i, o) in outputs.enumerated() {
        let id = identity(o.path)
        for earlier in outputs[..<i] where identity(earlier.path) == id {
            return "\(earlier.option) and \(o.option) name the same file (\(o.path))"
        }
        if let templates, identity(templates) == id { return "\(o.option) \(o.path) is the template file" }
        if let t = tableIDs.firstIndex(of: id) { return "\(o.option) \(o.path) is \(tables[t].what)" }
        if let d = dirs.firstIndex(where: { isInside(id, $0) }) {
            return "\(o.option) \(o.path) is inside \(directories[d]), which is being read: write it outside the DIRs"
        }
    }
    return nil
}
