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

    /// Walks `root`; `keep` says whether to keep a directory (called in order).
    /// Fails only when the root itself cannot be listed.
    static func walk(root: PathBytes, options: WalkOptions, keep: (PathBytes) -> Bool) -> Result<DirectoryWalk, Errno> {
        var walker = FileWalk(root: root, options: options, directories: true)
        if let e = walker.start() { return .failure(e) }
        var walk = DirectoryWalk()
        while true {
            let batch = walker.next(1024)
            if batch.isEmpty { break }
            walk.directories += batch.filter(keep)
        }
        walk.problems = walker.problems
        walk.loops = walker.loops
        walk.symlinksNotFollowed = walker.symlinksNotFollowed
        return .success(walk)
    }
}
