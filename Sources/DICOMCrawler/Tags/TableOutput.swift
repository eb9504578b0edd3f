#if canImport(Glibc)
import Glibc
#endif
import DICOM

/// Where a table goes, checked before anything is created, so that an output never replaces what it
/// should not (an input file, a symlink, a folder) and a refused start leaves nothing behind.
enum TableOutput: Equatable {
    /// A regular file, replaced atomically: a temporary file beside it, synced and renamed into
    /// place. `path` has symlinks resolved: a symlink named by `-o` stays, its target is replaced.
    case file(path: PathBytes)
    /// Written through as the table is assembled, with no temporary file and no side files:
    /// standard output (`-o -`, path nil), or a character device or FIFO named by `-o`.
    case stream(path: PathBytes?)
    /// Written through to a descriptor this process already has open (`/dev/stdout`, `/dev/fd/N`,
    /// `/proc/self/fd/N`), as it is: appended to when the shell opened it for appending.
    case descriptor(Int32)

    var isStream: Bool { if case .file = self { false } else { true } }

    /// Checks `-o` against the inputs:
    /// - `-` is standard output;
    /// - a name that does not exist is a new file;
    /// - a folder is refused;
    /// - a character device, FIFO or socket (also through a symlink: `/dev/stdout`) is written through;
    /// - an existing regular file inside one of the input folders is replaced only if it is a table
    ///   this tool writes (it starts with `DicomPath` or `{"DicomPath"`): anything else there is an
    ///   input file, and is refused.
    static func check(_ output: String, inputs: [String], followSymlinks: Bool) throws(TagsError) -> TableOutput {
        if output == "-" { return .stream(path: nil) }
        if output.isEmpty { throw TagsError(kind: .usage, message: "the output name is empty (-o FILE, or -o - for standard output)") }
        let path = Array(output.utf8)
        if let fd = inheritedDescriptor(path) { return .descriptor(fd) }
        var st = stat()
        guard path.withCPath({ lstat($0, &st) }) == 0 else {
            if errno == ENOENT { return .file(path: path) }
            throw TagsError(kind: .usage, message: "cannot use \(output) as the output: \(Errno.current.text)")
        }
        if st.st_mode & S_IFMT == S_IFLNK {
            // Follow it: a dangling link names a new file at its target.
            if path.withCPath({ stat($0, &st) }) != 0 {
                let target = readLink(path) ?? path
                let resolved = target.first == UInt8(ascii: "/") ? target : joinPath(siblingPath(of: path, named: ""), target)
                return .file(path: resolved)
            }
        }
        switch st.st_mode & S_IFMT {
        case S_IFDIR:
            throw TagsError(kind: .usage, message: "\(output) is a folder: give the table's file name (-o \(output)/dicom_data.csv)")
        case S_IFCHR, S_IFIFO, S_IFSOCK:
            return .stream(path: path)
        case S_IFREG:
            let resolved = canonicalPath(path)
            if !looksLikeOurTable(resolved) {
                if let input = inputs.first(where: { isInside(resolved, canonicalPath(trimTrailingSlashes(Array($0.utf8)))) }) {
                    throw TagsError(kind: .usage, message: "\(output) is a file inside \(input), which is being read, and not a table written by dicomcrawler tags: not replacing it (choose another -o)")
                }
                if followSymlinks {
                    // The folders read reach through symlinks anywhere: any file may be an input.
                    throw TagsError(kind: .usage, message: "\(output) exists and is not a table written by dicomcrawler tags; with --follow-symlinks any file may be one being read: not replacing it (choose another -o)")
                }
            }
            return .file(path: resolved)
        default:
            throw TagsError(kind: .usage, message: "\(output) is not a regular file: not replacing it")
        }
    }

    private static func looksLikeOurTable(_ path: PathBytes) -> Bool {
        guard let fd = try? openFile(path, O_RDONLY | O_NONBLOCK) else { return false }
        defer { close(fd) }
        var head = [UInt8](repeating: 0, count: 13)
        guard let n = try? readPrefix(fd, into: &head) else { return false }
        return head[..<n].starts(with: "DicomPath".utf8) || head[..<n].starts(with: #"{"DicomPath""#.utf8)
    }

    /// Opens the destination of a stream (descriptors 0–2 and inherited ones are used as they are,
    /// and never closed).
    func openStream() throws(Errno) -> Int32 {
        switch self {
        case .file: return -1
        case .descriptor(let fd): return fd
        case .stream(nil): return 1
        case .stream(let path?): return try openFile(path, O_WRONLY)
        }
    }

    /// Whether `openStream` opened the descriptor (and it must be closed).
    var ownsStream: Bool { if case .stream(let path) = self { path != nil } else { false } }

    /// The descriptor a path names when it is (a symlink chain ending in) `/proc/self/fd/N` or
    /// `/dev/fd/N` and N is open here: opening it anew would start a file that the shell opened for
    /// appending (`>> log`) at its beginning.
    static func inheritedDescriptor(_ path: PathBytes) -> Int32? {
        var current = path
        for _ in 0..<16 {
            for prefix in ["/proc/self/fd/", "/dev/fd/"] where current.starts(with: prefix.utf8) {
                guard let fd = Int32(String(decoding: current.dropFirst(prefix.utf8.count), as: UTF8.self)), fcntl(fd, F_GETFD) != -1 else { return nil }
                return fd
            }
            guard let target = readLink(current) else { return nil }
            current = target.first == UInt8(ascii: "/") ? target : joinPath(siblingPath(of: current, named: ""), target)
        }
        return nil
    }
}
