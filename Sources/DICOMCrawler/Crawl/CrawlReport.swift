import DICOM
import Synchronization

/// A file that is DICOM (or may be) but could not be read.
public struct UnreadableFile: Sendable, Equatable {
    public let path: String
    public let reason: String
}

/// One row of modal_data.csv. A class: a 10^5-row table is gathered and sorted by moving one
/// reference per row, not the row's strings and arrays.
public final class CrawlRow: Sendable, Equatable {
    public let labelIndex: Int
    public let label: String
    public let path: String
    let pathBytes: PathBytes
    public let dicomCount: Int
    /// The five standard values then the extra tags, "" when absent.
    public let values: [String]
    /// What the rows are ordered by, computed once: see `CrawlTable.rowOrder`.
    let sortKey: CrawlTable.SortKey
    /// The row as a CSV line (made where the row is made, on the scanning threads; the table only
    /// joins the lines). `excelSafe`: formula-like cells get a leading `'`.
    let line: [UInt8]

    init(labelIndex: Int, label: String, path: String, pathBytes: PathBytes, dicomCount: Int, values: [String], excelSafe: Bool = false) {
        self.labelIndex = labelIndex
        self.label = label
        self.path = path
        self.pathBytes = pathBytes
        self.dicomCount = dicomCount
        self.values = values
        sortKey = CrawlTable.SortKey(date: values[0], time: values[1])
        var csv = CSVSink(excelSafe: excelSafe)
        csv.row([label, path, String(dicomCount)] + values)
        line = csv.bytes
    }

    public static func == (a: CrawlRow, b: CrawlRow) -> Bool {
        a.labelIndex == b.labelIndex && a.label == b.label && a.path == b.path && a.pathBytes == b.pathBytes
            && a.dicomCount == b.dicomCount && a.values == b.values && a.line == b.line
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
    /// Folders holding DICOM files that got no row of a label (no label's path names them, or their
    /// values meet no named label's conditions), in walk order: what dcm2bids calls "No Pairing".
    public var unmatchedFolders: [String] = []
    /// Folders that got rows of several labels ("Several Pairing").
    public var ambiguousFolders: [AmbiguousFolder] = []
    /// Folders whose values come from a damaged file, because no DICOM file there could be read whole.
    public var valuesFromDamagedFiles: [UnreadableFile] = []
    /// The DIR given before that this one is the same folder as: crawled once, under that name.
    public var sameAs: String?
    /// The table at `outputPath` already held exactly these rows, so it was kept as it was.
    public var tableUnchanged = false
    /// Why the DIR could not be crawled or its CSV not written; nil on success.
    public var error: String?

    public var failed: Bool { error != nil || !unreadable.isEmpty || !problems.isEmpty }
    /// The DIR's per-folder walk results and scans, released with the report.
    var folderMemory: FolderMemory?
}

/// What the crawl made per folder (10^5 small objects on an archive root), kept until the report is
/// released: freeing them one by one costs tens of milliseconds that a command which exits right
/// after the crawl need not spend. Never read.
final class FolderMemory: @unchecked Sendable {
    private let folders: [(rel: PathBytes, labels: [Int])]
    private let scans: [FolderScan]
    init(folders: [(rel: PathBytes, labels: [Int])], scans: [FolderScan]) {
        self.folders = folders
        self.scans = scans
    }
}

/// A folder that several labels took.
public struct AmbiguousFolder: Sendable, Equatable {
    public let path: String
    public let labels: [String]
}

/// Counters for progress output, updated from the worker threads.
public final class CrawlProgress: Sendable {
    public let directoriesDone = Atomic<Int>(0)
    public let foldersDone = Atomic<Int>(0)
    public let foldersTotal = Atomic<Int>(0)
    public let filesExamined = Atomic<Int>(0)
    public init() {}
}

extension CrawlReport {
    /// Why `--report` could not be written.
    public struct WriteError: Error, CustomStringConvertible {
        public let description: String
    }

    /// What a crawl matched, as JSON (written atomically): per DIR its table, counts, and the
    /// folders holding DICOM files that no label took and those several labels took; the totals.
    public static func writeJSON(_ reports: [CrawlReport], to path: String) throws(WriteError) {
        func q(_ s: String) -> String { JSONText.quote(s) }
        var dirs: [String] = []
        for r in reports {
            var fields = ["\"directory\": \(q(r.directory))", "\"table\": \(q(r.outputPath))"]
            if let first = r.sameAs { fields.append("\"sameAs\": \(q(first))") }
            if let e = r.error { fields.append("\"error\": \(q(e))") }
            fields.append("\"foldersWithRows\": \(r.foldersMatched)")
            fields.append("\"rows\": \(r.rows.count)")
            fields.append("\"dicomFiles\": \(r.dicomFiles)")
            fields.append("\"unreadableFiles\": \(r.unreadable.count)")
            fields.append("\"unmatched\": [" + r.unmatchedFolders.map(q).joined(separator: ", ") + "]")
            fields.append("\"ambiguous\": [" + r.ambiguousFolders.map { "{\"folder\": \(q($0.path)), \"labels\": [\($0.labels.map(q).joined(separator: ", "))]}" }.joined(separator: ", ") + "]")
            dirs.append("    {" + fields.joined(separator: ", ") + "}")
        }
        let crawled = reports.filter { $0.sameAs == nil && $0.error == nil }
        let total = "{\"directories\": \(crawled.count), \"foldersWithRows\": \(crawled.reduce(0) { $0 + $1.foldersMatched }), "
            + "\"rows\": \(crawled.reduce(0) { $0 + $1.rows.count }), \"dicomFiles\": \(crawled.reduce(0) { $0 + $1.dicomFiles }), "
            + "\"unmatched\": \(crawled.reduce(0) { $0 + $1.unmatchedFolders.count }), \"ambiguous\": \(crawled.reduce(0) { $0 + $1.ambiguousFolders.count })}"
        let text = "{\n  \"directories\": [\n" + dirs.joined(separator: ",\n") + "\n  ],\n  \"total\": " + total + "\n}\n"
        do throws(Errno) {
            try writeFileAtomically(Array(path.utf8), Array(text.utf8), keepIfSame: true)
        } catch {
            throw WriteError(description: error.text)
        }
    }
}
