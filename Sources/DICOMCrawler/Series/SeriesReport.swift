import DICOM
import Synchronization

/// Why a series inventory could not start (nothing was read or written).
public struct SeriesError: Error, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The output cannot be used as given (a folder, an input file that is no table of ours).
        case usage
        /// The output's folder is missing or cannot take a new file.
        case io
    }
    public let kind: Kind
    public let message: String
    public var description: String { message }
}

/// One row of the table: a series (or a folder's files without a Series Instance UID).
public struct SeriesRow: Sendable {
    /// The cells, one per column of `SeriesReport.columns`.
    public let cells: [String]
    let key: SeriesTable.SortKey
    let studyUID: String
    let seriesUID: String
    /// The first folder holding the series, numbered in walk order over all DIRs.
    let firstFolder: Int
    /// With templates: the labels that took the series (empty: none); nil without templates.
    public let labels: [String]?

    /// How the summary and `--report` name a series: its DIR, folders and Series Description.
    public func name(columns: [String]) -> String {
        let description = columns.firstIndex(of: "Series Description").map { cells[$0] } ?? ""
        return cells[0] + ": " + cells[1] + (description.isEmpty ? "" : " (\(description))")
    }
}

/// What became of one DIR of the command line.
public struct SeriesDirectory: Sendable {
    public let directory: String
    /// The DIR given before that this one is the same folder as: read once, under that name.
    public var sameAs: String?
    /// Why the DIR could not be read; nil on success.
    public var error: String?
    public var series = 0
    public var dicomFiles = 0
}

/// The outcome of a run.
public struct SeriesReport: Sendable {
    public var output: String
    public var columns: [String] = []
    /// In table order.
    public var rows: [SeriesRow] = []
    /// In command-line order.
    public var directories: [SeriesDirectory] = []
    /// Files met (regular files, and symlinks to them), DICOM or not.
    public var filesSeen = 0
    public var dicomFiles = 0
    /// Files that are not DICOM, by libmagic's MIME type.
    public var skippedByType: [String: Int] = [:]
    /// DICOM files (or files that could not be opened) that could not be read whole.
    public var unreadable: [UnreadableFile] = []
    /// Series whose values come from a damaged file, because none of their files could be read whole.
    public var valuesFromDamagedFiles: [UnreadableFile] = []
    public var problems: [WalkProblem] = []
    public var loops: [WalkProblem] = []
    public var symlinksNotFollowed = 0
    /// Rows of files without a Series Instance UID (one per folder and Study Instance UID).
    public var rowsWithoutSeriesUID = 0
    /// Series whose frames were counted but not stacked: the job held `maxFramesHeld` frames already.
    public var seriesNotStacked = 0
    /// The file already held exactly this table, so it was kept as it was.
    public var tableUnchanged = false
    /// Why the table could not be written; nil when it was.
    public var writeError: String?

    public var failed: Bool {
        writeError != nil || !unreadable.isEmpty || !problems.isEmpty || directories.contains { $0.error != nil }
    }
}

/// Counters for the progress line, updated from the worker threads.
public final class SeriesProgress: Sendable {
    public let foldersListed = Atomic<Int>(0)
    /// Files found by the walk so far (the total, once `walked`).
    public let filesFound = Atomic<Int>(0)
    public let filesRead = Atomic<Int>(0)
    public let walked = Atomic<Bool>(false)
    public init() {}
}

extension SeriesReport {
    /// Series (with templates) that no label took, in table order.
    public var unmatchedSeries: [SeriesRow] { rows.filter { $0.labels?.isEmpty == true } }
    /// Series that several labels took.
    public var ambiguousSeries: [SeriesRow] { rows.filter { ($0.labels?.count ?? 0) > 1 } }

    /// What was matched, as JSON (written atomically): the unmatched and the ambiguous series.
    public func writeMatchJSON(to path: String) throws(CrawlReport.WriteError) {
        func q(_ s: String) -> String { JSONText.quote(s) }
        func series(_ r: SeriesRow) -> String {
            var fields = ["\"name\": \(q(r.name(columns: columns)))", "\"directory\": \(q(r.cells[0]))", "\"folders\": \(q(r.cells[1]))",
                          "\"studyInstanceUID\": \(q(r.studyUID))", "\"seriesInstanceUID\": \(q(r.seriesUID))"]
            if let labels = r.labels, labels.count > 1 { fields.append("\"labels\": [" + labels.map(q).joined(separator: ", ") + "]") }
            return "    {" + fields.joined(separator: ", ") + "}"
        }
        let text = "{\n  \"table\": \(q(output)),\n  \"series\": \(rows.count),\n"
            + "  \"unmatched\": [\n" + unmatchedSeries.map(series).joined(separator: ",\n") + "\n  ],\n"
            + "  \"ambiguous\": [\n" + ambiguousSeries.map(series).joined(separator: ",\n") + "\n  ]\n}\n"
        do throws(Errno) {
            try writeFileAtomically(Array(path.utf8), Array(text.utf8), keepIfSame: true)
        } catch {
            throw CrawlReport.WriteError(description: error.text)
        }
    }
}
