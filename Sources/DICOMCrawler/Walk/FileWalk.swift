#if canImport(Glibc)
import Glibc
#endif

/// Every regular file (or, with `directories`, every folder) under a root, in path order compared
/// component by component (names in byte order, depth first), produced in batches so that memory
/// does not grow with the tree. Symlinked files are included; symlinked folders only with
/// `followSymlinks` (loops detected and reported, not followed).
struct FileWalk {
    private let root: PathBytes
    private let options: WalkOptions
    /// Yield the folders below the root (each before its contents) instead of the files.
    private let directories: Bool
    /// Symlinked folders seen and not followed (without `followSymlinks`).
    private(set) var symlinksNotFollowed = 0
    /// Symbolic links met whose target does not exist or cannot be reached (relative paths, in walk
    /// order), passed over by `next`: a job that must account for every entry reports them.
    private(set) var danglingSymlinks: [PathBytes] = []
    /// Open folders: their relative path, sorted entries, and the next index.
    private var stack: [(rel: PathBytes, entries: [DirectoryEntry], next: Int)] = []
    private var visited: Set<FileIdentity> = []
    private(set) var problems: [WalkProblem] = []
    private(set) var loops: [WalkProblem] = []
    /// Folders never entered (e.g. the destination of a sort inside its source).
    var excluded: Set<FileIdentity> = []

    init(root: PathBytes, options: WalkOptions, directories: Bool = false) {
        self.root = root
        self.options = options
        self.directories = directories
    }

    /// Starts the walk; fails when the root cannot be listed.
    mutating func start() -> Errno? {
        guard let info = statPath(root) else { return Errno.current }
        guard info.isDirectory else { return Errno(ENOTDIR) }
        visited.insert(info.id)
        switch listDirectory(root) {
        case .failure(let e): return e
        case .success(let entries): stack = [([], entries, 0)]
        }
        return nil
    }

    /// The next files' paths relative to the root, at most `count`; empty at the end.
    mutating func next(_ count: Int) -> [PathBytes] {
        var out: [PathBytes] = []
        while out.count < count, !stack.isEmpty {
            let top = stack.count - 1
            if stack[top].next >= stack[top].entries.count {
                stack.removeLast()
                continue
            }
            let entry = stack[top].entries[stack[top].next]
            stack[top].next += 1
            if !options.includeHidden && entry.isHidden { continue }
            let rel = joinPath(stack[top].rel, entry.name)
            var kind = entry.kind
            if kind == .symlink {
                guard let info = statPath(joinPath(root, rel)) else {
                    if !directories { danglingSymlinks.append(rel) }
                    continue
                }
                if info.isFile { kind = .file } else if info.isDirectory {
                    if !options.followSymlinks {
                        symlinksNotFollowed += 1
                        continue
                    }
                    if excluded.contains(info.id) { continue }
                    if !visited.insert(info.id).inserted {
                        loops.append(WalkProblem(path: joinPath(root, rel).pathString, message: "symlink to a folder already crawled (loop), not followed"))
                        continue
                    }
                    if directories { out.append(rel) }
                    descend(rel)
                    continue
                } else { continue }
            }
            switch kind {
            case .file: if !directories { out.append(rel) }
            case .directory:
                // One stat, and only when something needs the folder's identity.
                if !excluded.isEmpty || options.followSymlinks, let info = statPath(joinPath(root, rel)) {
                    if excluded.contains(info.id) { continue }
                    if options.followSymlinks && !visited.insert(info.id).inserted {
                        loops.append(WalkProblem(path: joinPath(root, rel).pathString, message: "folder already crawled (loop), not entered again"))
                        continue
                    }
                }
                if directories { out.append(rel) }
                descend(rel)
            default: continue
            }
        }
        return out
    }

    private mutating func descend(_ rel: PathBytes) {
        switch listDirectory(joinPath(root, rel)) {
        case .failure(let e):
            problems.append(.cannotList(joinPath(root, rel), e))
        case .success(let entries):
            stack.append((rel, entries, 0))
        }
    }
}

extension FileWalk {
    /// The folders under `root` (relative paths, each before its contents) that `keep` accepts,
    /// with what the walk met on the way. Fails only when the root itself cannot be listed.
    static func folders(under root: PathBytes, options: WalkOptions, keep: (PathBytes) -> Bool) -> Result<(folders: [PathBytes], walk: FileWalk), Errno> {
        var walker = FileWalk(root: root, options: options, directories: true)
        if let e = walker.start() { return .failure(e) }
        var folders: [PathBytes] = []
        while true {
            let batch = walker.next(1024)
            if batch.isEmpty { break }
            folders += batch.filter(keep)
        }
        return .success((folders, walker))
    }
}
