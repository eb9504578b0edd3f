import Synchronization

/// A file that is DICOM (or may be) but could not be read.
public struct UnreadableFile: Sendable, Equatable {
    public let path: String
    public let reason: String
}

/// One row of modal_data.csv.
public struct CrawlRow: Sendable, Equatable {
    public let labelIndex: Int
    public let label: String
    public let path: String
    let pathBytes: PathBytes
    public let dicomCount: Int
    /// The five standard values then the extra tags, "" when absent.
    public let values: [String]
    /// What the rows are ordered by, computed once: see `CrawlTable.rowOrder`.
    let sortKey: CrawlTable.SortKey

    init(labelIndex: Int, label: String, path: String, pathBytes: PathBytes, dicomCount: Int, values: [String]) {
        self.labelIndex = labelIndex
        self.label = label
        self.path = path
        self.pathBytes = pathBytes
        self.dicomCount = dicomCount
        self.values = values
        sortKey = CrawlTable.SortKey(date: values[0], time: values[1])
    }
}

/// The outcome for one DIR.
public struct CrawlReport: Sendable {
    public let directory: String
    public var outputPath: String
    public var rows: [CrawlRow] = []
    public var foldersMatched = 0
    public var dicomFiles = 0
    public var skippedByType: [String: Int] = [:]
    public var unreadable: [UnreadableFile] = []
    public var problems: [WalkProblem] = []
    /// Symlink loops detected and not followed (not a failure).
    public var loops: [WalkProblem] = []
    public var symlinksNotFollowed = 0
    public var nonUTF8Paths = 0
    /// Folders whose path matched a label but whose DICOM values matched none of those labels'
    /// conditions (extended labels): no row.
    public var foldersRejectedByValues = 0
    /// Folders whose values come from a damaged file, because no DICOM file there could be read whole.
    public var valuesFromDamagedFiles: [UnreadableFile] = []
    /// The DIR given before that this one is the same folder as: crawled once, under that name.
    public var sameAs: String?
    /// Why the DIR could not be crawled or its CSV not written; nil on success.
    public var error: String?

    public var failed: Bool { error != nil || !unreadable.isEmpty || !problems.isEmpty }
}

/// Counters for progress output, updated from the worker threads.
public final class CrawlProgress: Sendable {
    public let directoriesDone = Atomic<Int>(0)
    public let foldersDone = Atomic<Int>(0)
    public let foldersTotal = Atomic<Int>(0)
    public let filesExamined = Atomic<Int>(0)
    public init() {}
}
