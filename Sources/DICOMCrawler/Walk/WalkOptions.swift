// Walking: every file or folder under a root in a deterministic order, in batches (FileWalk), and
// telling what a file is from its first bytes (DICOM, or a MIME type from libmagic).

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

    static func cannotList(_ path: PathBytes, _ error: Errno) -> WalkProblem {
        WalkProblem(path: path.pathString, message: "cannot list the folder: \(error.text)")
    }
}
