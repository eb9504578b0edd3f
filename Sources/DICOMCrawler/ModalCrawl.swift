#if canImport(Glibc)
import Glibc
#endif
import DICOM
import ModalityTemplates
import Synchronization

/// What `dicomcrawler crawl` does for each directory: find the series folders the templates name,
/// count their DICOM files, read the first one's header, and write `DIR/modal_data.csv`.
public struct CrawlOptions: Sendable {
    public var templates: TemplateSet
    /// Extra columns after the standard ones.
    public var extraTags: [Tag]
    public var walk: WalkOptions
    public var jobs: Int
    /// The output file name inside each DIR.
    public var outputName: String

    public init(templates: TemplateSet, extraTags: [Tag] = [], walk: WalkOptions = WalkOptions(), jobs: Int = 1,
                outputName: String = "modal_data.csv") {
        self.templates = templates
        self.extraTags = extraTags
        self.walk = walk
        self.jobs = jobs
        self.outputName = outputName
    }
}

/// The CSV's fixed columns, in order: the tags behind columns 4–8.
public let crawlValueTags: [Tag] = [.studyDate, .acquisitionTime, .patientID, .patientSex, .patientAge]
public let crawlHeader = ["Modality", "Path", "DCM_Count", "Study Date", "Acquisition Time", "Subject_ID", "Subject_Sex", "Subject_Age"]

/// A file that is DICOM (or may be) but could not be read.
public struct UnreadableFile: Sendable, Equatable {
    public let path: String
    public let reason: String
}

/// One series folder: its DICOM count and its first readable DICOM file's values.
struct FolderScan {
    var dicomCount = 0
    /// Rendered values of the first readable DICOM file (nil: no readable DICOM file).
    var values: [Tag: String]?
    var skippedByType: [String: Int] = [:]
    var unreadable: [UnreadableFile] = []
    var problems: [WalkProblem] = []
    var filesExamined = 0
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
}

/// The outcome for one DIR.
public struct DirectoryReport: Sendable {
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

public final class ModalCrawler: Sendable {
    public let options: CrawlOptions
    let fileTypes = FileTypes()
    let readOptions: ReadOptions

    public init(options: CrawlOptions) {
        self.options = options
        var tags = Set(crawlValueTags)
        tags.formUnion(options.extraTags)
        tags.formUnion(options.templates.conditionTags)
        readOptions = ReadOptions(tags: tags)
    }

    /// Crawls every directory (in parallel), writes each one's CSV, and returns the reports in the
    /// order of `directories`.
    public func crawl(_ directories: [String], progress: CrawlProgress? = nil, onReport: ((DirectoryReport) -> Void)? = nil) -> [DirectoryReport] {
        let jobs = options.jobs
        // 1. Walk each DIR (in parallel) to find the folders the templates name.
        struct Walked { var report: DirectoryReport; var root: PathBytes; var folders: [(rel: PathBytes, labels: [Int])] }
        let templates = options.templates.templates
        let walked: [Walked] = parallelMap(directories, jobs: jobs) { dir in
            let root = trimTrailingSlashes(Array(dir.utf8))
            var report = DirectoryReport(directory: dir, outputPath: joinPath(root, Array(self.options.outputName.utf8)).pathString)
            var folders: [(PathBytes, [Int])] = []
            switch DirectoryWalk.walk(root: root, options: self.options.walk, keep: { rel in
                let labels = templates.indices.filter { templates[$0].matchesPath(rel) }
                if labels.isEmpty { return false }
                folders.append((rel, labels))
                return true
            }) {
            case .failure(let e):
                report.error = e.directoryProblem
            case .success(let w):
                report.problems = w.problems
                report.loops = w.loops
                report.symlinksNotFollowed = w.symlinksNotFollowed
            }
            progress?.foldersTotal.add(folders.count, ordering: .relaxed)
            return Walked(report: report, root: root, folders: folders.map { (rel: $0.0, labels: $0.1) })
        }

        // 2. Scan every matched folder of every DIR (in parallel, across DIRs).
        var tasks: [(dir: Int, folder: Int)] = []
        for (d, w) in walked.enumerated() where w.report.error == nil {
            for f in w.folders.indices { tasks.append((d, f)) }
        }
        let scans: [FolderScan] = parallelMap(tasks, jobs: jobs) { task in
            let w = walked[task.dir]
            let scan = self.scanFolder(root: w.root, rel: w.folders[task.folder].rel)
            progress?.foldersDone.add(1, ordering: .relaxed)
            progress?.filesExamined.add(scan.filesExamined, ordering: .relaxed)
            return scan
        }

        // 3. Rows, sorted; the CSV of each DIR. Writing waits on the disk (fsync), so this phase
        // uses more threads than there are cores.
        var scansByDir = [[FolderScan]](repeating: [], count: walked.count)
        for (t, scan) in zip(tasks, scans) { scansByDir[t.dir].append(scan) }
        let reports: [DirectoryReport] = parallelMap(Array(walked.indices), jobs: max(jobs, 8)) { d in
            let w = walked[d]
            var report = w.report
            if report.error == nil {
                report.foldersMatched = w.folders.count
                for (folder, scan) in zip(w.folders, scansByDir[d]) {
                    report.dicomFiles += scan.dicomCount
                    report.unreadable += scan.unreadable
                    report.problems += scan.problems
                    for (k, v) in scan.skippedByType { report.skippedByType[k, default: 0] += v }
                    if !folder.rel.isValidUTF8 { report.nonUTF8Paths += 1 }
                    let displayPath = joinPath(w.root, folder.rel)
                    for labelIndex in folder.labels {
                        let template = templates[labelIndex]
                        if !template.conditions.isEmpty {
                            guard let values = scan.values, template.matchesValues({ values[$0] }) else { continue }
                        }
                        let tags = crawlValueTags + self.options.extraTags
                        report.rows.append(CrawlRow(
                            labelIndex: labelIndex, label: template.label, path: displayPath.pathString, pathBytes: displayPath,
                            dicomCount: scan.dicomCount, values: tags.map { scan.values?[$0] ?? "" }))
                    }
                }
                report.rows.sort(by: rowOrder)
                if let e = self.writeCSV(report.rows, to: joinPath(w.root, Array(self.options.outputName.utf8))) {
                    report.error = e
                }
            }
            progress?.directoriesDone.add(1, ordering: .relaxed)
            return report
        }
        reports.forEach { onReport?($0) }
        return reports
    }

    /// The CSV text for rows (header included).
    public func csvText(_ rows: [CrawlRow]) -> [UInt8] {
        var csv = CSVText()
        csv.appendRow(crawlHeader + options.extraTags.map { DataDictionary.entry(for: $0)?.name ?? $0.description })
        for r in rows { csv.appendRow([r.label, r.path, String(r.dicomCount)] + r.values) }
        return csv.bytes
    }

    func writeCSV(_ rows: [CrawlRow], to path: PathBytes) -> String? {
        do {
            try writeFileAtomically(path, csvText(rows))
            return nil
        } catch let e as Errno {
            return "cannot write \(path.pathString): \(e.text)"
        } catch {
            return "cannot write \(path.pathString): \(error)"
        }
    }

    /// Counts the DICOM files directly in a folder and reads the first readable one (in byte order
    /// of names). Other files never veto the folder; their types go into the summary.
    func scanFolder(root: PathBytes, rel: PathBytes) -> FolderScan {
        var scan = FolderScan()
        let folder = joinPath(root, rel)
        let dir: OpenDirectory
        do {
            dir = try OpenDirectory(folder)
        } catch {
            scan.problems.append(WalkProblem(path: folder.pathString, message: "cannot list the folder: \(error.text)"))
            return scan
        }
        var buffer = [UInt8](repeating: 0, count: 4096)
        for entry in dir.entries {
            if !options.walk.includeHidden && entry.isHidden { continue }
            switch entry.kind {
            case .file: break
            case .symlink:
                guard let st = dir.statEntry(entry), st.st_mode & S_IFMT == S_IFREG else { continue }
            case .directory, .other: continue
            }
            scan.filesExamined += 1
            let fd = dir.openEntry(entry)
            if fd < 0 {
                scan.unreadable.append(UnreadableFile(path: joinPath(folder, entry.name).pathString, reason: "cannot open: \(errnoText())"))
                continue
            }
            defer { close(fd) }
            if scan.values == nil {
                readFirst(fd, entry, folder, &buffer, into: &scan)
            } else {
                check(fd, entry, folder, &buffer, into: &scan)
            }
        }
        return scan
    }

    /// Reads a file's header, until the first readable DICOM file of the folder is found.
    private func readFirst(_ fd: Int32, _ entry: DirectoryEntry, _ folder: PathBytes, _ buffer: inout [UInt8], into scan: inout FolderScan) {
        let file = DICOMReader.read(fileDescriptor: fd, options: readOptions)
        if let e = file.error {
            switch e.kind {
            case .notDICOM:
                classify(fd, entry, folder, &buffer, into: &scan)
            case .io:
                scan.unreadable.append(UnreadableFile(path: joinPath(folder, entry.name).pathString, reason: e.description))
            default:
                scan.dicomCount += 1
                scan.unreadable.append(UnreadableFile(path: joinPath(folder, entry.name).pathString, reason: e.description))
            }
            return
        }
        scan.dicomCount += 1
        var values: [Tag: String] = [:]
        for e in file.dataSet.elements { values[e.tag] = file.dataSet.render(e) }
        scan.values = values
    }

    /// The cheap check for the other files: `DICM` at byte 128, or a bare data set at byte 0.
    private func check(_ fd: Int32, _ entry: DirectoryEntry, _ folder: PathBytes, _ buffer: inout [UInt8], into scan: inout FolderScan) {
        switch readPrefix(fd, into: &buffer) {
        case .failure(let e):
            scan.unreadable.append(UnreadableFile(path: joinPath(folder, entry.name).pathString, reason: "cannot read: \(e.text)"))
        case .success(let n):
            if n >= 132 && buffer[128] == 0x44 && buffer[129] == 0x49 && buffer[130] == 0x43 && buffer[131] == 0x4D {
                scan.dicomCount += 1
                return
            }
            let prefix = Array(buffer.prefix(n))
            var st = stat()
            let size = fstat(fd, &st) == 0 ? Int(st.st_size) : n
            if DICOMReader.recognize(prefix: prefix, fileSize: size) != .notDICOM {
                scan.dicomCount += 1
            } else {
                scan.skippedByType[fileTypes.mimeType(of: prefix), default: 0] += 1
            }
        }
    }

    private func classify(_ fd: Int32, _ entry: DirectoryEntry, _ folder: PathBytes, _ buffer: inout [UInt8], into scan: inout FolderScan) {
        switch readPrefix(fd, into: &buffer) {
        case .failure(let e):
            scan.unreadable.append(UnreadableFile(path: joinPath(folder, entry.name).pathString, reason: "cannot read: \(e.text)"))
        case .success(let n):
            scan.skippedByType[fileTypes.mimeType(of: Array(buffer.prefix(n))), default: 0] += 1
        }
    }

    public var magicLoadError: String? { fileTypes.loadError }
}

/// Chronological by (Study Date, Acquisition Time) compared as dates and times: rows with both first,
/// then rows with a date but no time, then rows with a time but no date, then rows with neither;
/// ties by the label's order in the template file, then by path (bytes).
func rowOrder(_ a: CrawlRow, _ b: CrawlRow) -> Bool {
    func key(_ r: CrawlRow) -> (Int, DICOMDate?, DICOMTime?) {
        let d = DICOMDate(r.values[0]), t = DICOMTime(r.values[1])
        let group = d != nil && t != nil ? 0 : (d != nil ? 1 : (t != nil ? 2 : 3))
        return (group, d, t)
    }
    let ka = key(a), kb = key(b)
    if ka.0 != kb.0 { return ka.0 < kb.0 }
    if let da = ka.1, let db = kb.1, da != db { return da < db }
    if let ta = ka.2, let tb = kb.2, ta != tb { return ta < tb }
    if a.labelIndex != b.labelIndex { return a.labelIndex < b.labelIndex }
    return a.pathBytes.lexicographicallyPrecedes(b.pathBytes)
}
