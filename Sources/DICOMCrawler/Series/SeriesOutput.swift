#if canImport(Glibc)
import Glibc
#endif

/// The series table's format: TSV, or CSV for an output whose name ends in `.csv`.
public enum SeriesFormat: String, Sendable {
    case tsv, csv

    /// CSV when the name ends in `.csv` (any case), else TSV.
    public init(output: String) {
        self = output.lowercased().hasSuffix(".csv") ? .csv : .tsv
    }
}

/// Where the series table goes, checked before anything is read, so that a run that cannot write
/// its table fails at once rather than after the walk, and never replaces what it should not.
enum SeriesOutput: Equatable {
    /// A regular file, replaced atomically (a temporary file beside it, synced and renamed into
    /// place); symlinks resolved, so that a symlink named by `-o` stays and its target is replaced.
    case file(path: PathBytes)
    /// Written through: standard output (`-o -`, path nil), or a character device or FIFO.
    case stream(path: PathBytes?)
    /// A descriptor this process already has (`/dev/stdout`, `/dev/fd/N`), written as it is.
    case descriptor(Int32)

    /// Checks `-o`: a folder, or an existing file inside a DIR being read that is not a table this
    /// command wrote (it starts with the `DIR` column), is refused (`.usage`); a name whose folder
    /// is missing or cannot take a new file fails (`.io`).
    static func check(_ output: String, inputs: [String], followSymlinks: Bool) throws(SeriesError) -> SeriesOutput {
        if output == "-" { return .stream(path: nil) }
        if output.isEmpty { throw SeriesError(kind: .usage, message: "the output name is empty (-o FILE, or -o - for standard output)") }
        let path = Array(output.utf8)
        if let fd = TableOutput.inheritedDescriptor(path) { return .descriptor(fd) }
        var target = path
        var st = stat()
        if path.withCPath({ lstat($0, &st) }) != 0 {
            guard errno == ENOENT else { throw SeriesError(kind: .usage, message: "cannot use \(output) as the output: \(Errno.current.text)") }
        } else if st.st_mode & S_IFMT == S_IFLNK {
            if path.withCPath({ stat($0, &st) }) == 0 {
                target = canonicalPath(path)
            } else {
                // A dangling link names a new file at its target.
                let link = readLink(path) ?? path
                target = link.first == UInt8(ascii: "/") ? link : joinPath(siblingPath(of: path, named: ""), link)
            }
        }
        if target.withCPath({ stat($0, &st) }) == 0 {
            switch st.st_mode & S_IFMT {
            case S_IFDIR:
                throw SeriesError(kind: .usage, message: "\(output) is a folder: give the table's file name (-o \(trimTrailingSlashes(path).pathString)/series.tsv)")
            case S_IFCHR, S_IFIFO, S_IFSOCK:
                return .stream(path: target)
            case S_IFREG:
                let resolved = canonicalPath(target)
                if !looksLikeOurTable(resolved) {
                    if let input = inputs.first(where: { isInside(resolved, canonicalPath(trimTrailingSlashes(Array($0.utf8)))) }) {
                        throw SeriesError(kind: .usage, message: "\(output) is a file inside \(input), which is being read, and not a table written by dicomcrawler series: not replacing it (choose another -o)")
                    }
                    if followSymlinks {
                        throw SeriesError(kind: .usage, message: "\(output) exists and is not a table written by dicomcrawler series; with --follow-symlinks any file may be one being read: not replacing it (choose another -o)")
                    }
                }
                target = resolved
            default:
                throw SeriesError(kind: .usage, message: "\(output) is not a regular file: not replacing it")
            }
        }
        let folder = parentPath(target)
        guard let info = statPath(folder), info.isDirectory else {
            throw SeriesError(kind: .io, message: "cannot write \(output): the folder \(folder.pathString) does not exist")
        }
        if folder.withCPath({ access($0, W_OK) }) != 0 {
            throw SeriesError(kind: .io, message: "cannot write \(output): the folder \(folder.pathString) cannot take a new file: \(Errno.current.text)")
        }
        return .file(path: target)
    }

    /// A table of ours starts with the `DIR` column, in either format.
    private static func looksLikeOurTable(_ path: PathBytes) -> Bool {
        guard let fd = try? openFile(path, O_RDONLY | O_NONBLOCK) else { return false }
        defer { close(fd) }
        var head = [UInt8](repeating: 0, count: 12)
        guard let n = try? readPrefix(fd, into: &head) else { return false }
        return head[..<n].starts(with: "DIR\tFolders\t".utf8) || head[..<n].starts(with: "DIR,Folders,".utf8)
    }

    /// The file written, for naming it in messages and leaving it out of the walk.
    var filePath: PathBytes? { if case .file(let p) = self { p } else { nil } }

    /// Writes the table: atomically to a file (`keepIfSame`: an identical table is kept as it is;
    /// the result is false then), or through to a stream.
    func write(_ bytes: [UInt8], pauseHalfwayMS: Int?) throws(Errno) -> Bool {
        switch self {
        case .file(let path):
            return try writeFileAtomically(path, bytes, keepIfSame: true, pauseHalfwayMS: pauseHalfwayMS)
        case .descriptor(let fd):
            try writeAll(fd, bytes)
        case .stream(nil):
            try writeAll(1, bytes)
        case .stream(let path?):
            let fd = try openFile(path, O_WRONLY)
            defer { close(fd) }
            try writeAll(fd, bytes)
        }
        return true
    }
}
