import Synchronization

/// Why a `tags` run could not run or finish.
public struct TagsError: Error, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// Something could not be created, locked, read or written.
        case io
        /// The arguments cannot be used (an output that must not be replaced, `--resume` to a stream).
        case usage
        /// Another run holds the output's lock.
        case busy
        /// `--resume` of a run that used other arguments.
        case argumentsDiffer
        /// The progress state cannot be read back.
        case damagedState
        /// `--resume` of a run whose files changed since (added, removed, renamed or rewritten).
        case treeChanged
    }
    public let kind: Kind
    public let message: String
    public var description: String { message }
}

public struct TagsReport: Sendable {
    public var filesSeen = 0
    public var dicomFiles = 0
    public var notDICOM = 0
    public var unreadable = 0
    public var columns = 0
    /// Files skipped because an interrupted run had done them.
    public var resumedFiles = 0
    public var directoryErrors: [String] = []
    public var problems: [WalkProblem] = []
    public var loops: [WalkProblem] = []
    /// Where the list of unreadable files was written ("" when the table went to a stream).
    public var unreadablePath = ""
    /// Remarks for the user (inputs given twice or inside another).
    public var notes: [String] = []
    public var failed: Bool { unreadable > 0 || !directoryErrors.isEmpty || !problems.isEmpty }
}

public final class TagsProgress: Sendable {
    public let filesDone = Atomic<Int>(0)
    /// Reading is over: the table is being assembled from the spill.
    public let assembling = Atomic<Bool>(false)
    public init() {}
}
