import Synchronization

/// What happened to one file.
public struct SortAction: Sendable {
    public enum Kind: String, Sendable {
        case copied, moved, linked, symlinked
        /// The destination already held an identical file (nothing done; a moved source is removed).
        case exists
        /// Not DICOM: left where it is.
        case notDICOM = "not-dicom"
        /// DICOM but unreadable, or could not be placed: left where it is.
        case failed
    }
    /// The source and destination paths as `escapedPath` text (valid UTF-8 without a backslash is
    /// the path itself; otherwise `\\` and `\xHH`), so that they can be turned back into the bytes.
    public let source: String
    public let destination: String
    public let kind: Kind
    /// The name was taken by a different file: a numbered suffix was added.
    public let renamed: Bool
    /// `--move` could not remove the source (read-only, no permission, ...): it is still there.
    public let sourceKept: Bool
    /// `--move` of a symbolic link: the content of its target was copied and only the link removed.
    public let linkRemoved: Bool
    public let sopInstanceUID: String
    public let reason: String

    init(source: String, destination: String, kind: Kind, renamed: Bool = false, sourceKept: Bool = false, linkRemoved: Bool = false,
         sopInstanceUID: String = "", reason: String = "") {
        self.source = source
        self.destination = destination
        self.kind = kind
        self.renamed = renamed
        self.sourceKept = sourceKept
        self.linkRemoved = linkRemoved
        self.sopInstanceUID = sopInstanceUID
        self.reason = reason
    }

    /// The notes after the kind: ` (renamed)`, ` (source kept)`, ` (symlink removed)`.
    public var notes: String {
        (renamed ? " (renamed)" : "") + (sourceKept ? " (source kept)" : "") + (linkRemoved ? " (symlink removed)" : "")
    }

    /// The manifest's action column: `copied`, `moved (renamed)`, `copied (source kept)`, ...
    public var manifestAction: String { kind.rawValue + notes }
}

public struct SortReport: Sendable {
    public var counts: [SortAction.Kind: Int] = [:]
    public var renamed = 0
    /// Files placed (or found already there) whose source `--move` could not remove.
    public var kept: [SortAction] = []
    public var left: [SortAction] = []
    public var sourceErrors: [String] = []
    public var problems: [WalkProblem] = []
    /// Set when the manifest could not be written: the run stopped before placing any further file.
    public var stopped: String?
    public var failed: Bool {
        (counts[.failed] ?? 0) > 0 || !sourceErrors.isEmpty || !problems.isEmpty || !kept.isEmpty || stopped != nil
    }

    mutating func add(_ action: SortAction) {
        counts[action.kind, default: 0] += 1
        if action.renamed { renamed += 1 }
        if action.sourceKept { kept.append(action) }
        if action.kind == .notDICOM || action.kind == .failed { left.append(action) }
    }
}

public final class SortProgress: Sendable {
    public let filesDone = Atomic<Int>(0)
    public init() {}
}
