#if canImport(Glibc)
import Glibc
#endif

/// Options of a directory walk.
public struct WalkOptions: Sendable {
    /// Descend into symlinked directories (loops are detected and reported).
    public var followSymlinks = false
    /// Include dot-files and dot-directories.
    public var includeHidden = false
    public init(followSymlinks: Bool = false, includeHidden: Bool = false) {
        self.followSymlinks = followSymlinks
        self.includeHidden = includeHidden
    }
}

/// Something the walk could not do, reported in the summary (and making the exit status 1).
public struct WalkProblem: Sendable, Equatable {
    public let path: String
    public let message: String
}

/// The directories under a root, depth first in byte order of names: relative path of each (no
/// leading `/`; the root itself is not listed).
struct DirectoryWalk {
    var directories: [PathBytes] = []
    var problems: [WalkProblem] = []
    /// Folders not entered because they were already crawled (symlink loops): expected, not errors.
    var loops: [WalkProblem] = []
    var symlinksNotFollowed = 0

    /// Walks `root`; `visit` says whether to keep a directory (called in order).
    /// Fails only when the root itself cannot be listed.
    static func walk(root: PathBytes, options: WalkOptions, keep: (PathBytes) -> Bool) -> Result<DirectoryWalk, Errno> {
        var walk = DirectoryWalk()
        guard let rootInfo = statPath(root) else { return .failure(Errno(errno)) }
        guard rootInfo.isDirectory else { return .failure(Errno(ENOTDIR)) }
        var visited: Set<FileIdentity> = [rootInfo.id]
        // Explicit stack of (relative path) to visit; children are pushed in reverse to pop in order.
        var stack: [PathBytes] = [[]]
        var first = true
        while let rel = stack.popLast() {
            let full = joinPath(root, rel)
            let entries: [DirectoryEntry]
            switch listDirectory(full) {
            case .success(let e): entries = e
            case .failure(let err):
                if first { return .failure(err) }
                walk.problems.append(WalkProblem(path: full.pathString, message: "cannot list the folder: \(err.text)"))
                continue
            }
            first = false
            var children: [PathBytes] = []
            for entry in entries {
                if !options.includeHidden && entry.name.first == UInt8(ascii: ".") { continue }
                let childRel = joinPath(rel, entry.name)
                switch entry.kind {
                case .directory:
                    if options.followSymlinks {
                        // Bind mounts and hard-linked trees can also revisit a folder.
                        guard let info = statPath(joinPath(root, childRel)) else { continue }
                        if !visited.insert(info.id).inserted {
                            walk.loops.append(WalkProblem(path: joinPath(root, childRel).pathString, message: "folder already crawled (loop), not entered again"))
                            continue
                        }
                    }
                    children.append(childRel)
                case .symlink:
                    guard let info = statPath(joinPath(root, childRel)), info.isDirectory else { continue }
                    if !options.followSymlinks {
                        walk.symlinksNotFollowed += 1
                        continue
                    }
                    if !visited.insert(info.id).inserted {
                        walk.loops.append(WalkProblem(path: joinPath(root, childRel).pathString, message: "symlink to a folder already crawled (loop), not followed"))
                        continue
                    }
                    children.append(childRel)
                case .file, .other:
                    continue
                }
            }
            if !rel.isEmpty && keep(rel) { walk.directories.append(rel) }
            stack.append(contentsOf: children.reversed())
        }
        return .success(walk)
    }
}
