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
    public let source: String
    public let destination: String
    public let kind: Kind
    /// The name was taken by a different file: a numbered suffix was added.
    public let renamed: Bool
    public let sopInstanceUID: String
    public let reason: String
}

public struct SortReport: Sendable {
    public var counts: [SortAction.Kind: Int] = [:]
    public var renamed = 0
    public var left: [SortAction] = []
    public var sourceErrors: [String] = []
    public var problems: [WalkProblem] = []
    public var failed: Bool { (counts[.failed] ?? 0) > 0 || !sourceErrors.isEmpty || !problems.isEmpty }

    mutating func add(_ action: SortAction) {
        counts[action.kind, default: 0] += 1
        if action.renamed { renamed += 1 }
        if action.kind == .notDICOM || action.kind == .failed { left.append(action) }
    }
}

public final class SortProgress: Sendable {
    public let filesDone = Atomic<Int>(0)
    public init() {}
}
