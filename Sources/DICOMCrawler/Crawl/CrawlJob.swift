// The modality-template crawl (`dicomcrawler crawl`): for each DIR, the series folders the templates
// name, their DICOM count and first file's values, written as DIR/modal_data.csv.
#if canImport(Glibc)
import Glibc
#endif
import DICOM
import ModalityTemplates

/// What the crawl does for each directory.
public struct CrawlOptions: Sendable {
    public var templates: TemplateSet
    /// Extra columns after the standard ones.
    public var extraTags: [Tag]
    public var walk: WalkOptions
    public var jobs: Int
    /// The output file name inside each DIR.
    public var outputName: String
    /// Prefix cells that a spreadsheet would run as a formula with `'`.
    public var excelSafe = false
    /// Every folder holding DICOM files gets a row; those no label names get an empty label.
    public var allFolders = false
    /// Write each DIR's table to `outputDirectory/<DIR's name>/<outputName>` instead of into the DIR
    /// (for read-only archives); the tables' content is the same.
    public var outputDirectory: String?
    /// Threads that list folders and read headers at once when the storage proves slow (a cold disk
    /// or a network file system answers many requests at once); on a warm cache `jobs` threads work.
    public var ioThreads = CrawlOptions.defaultIOThreads
    public static let defaultIOThreads = 8
    /// Whether files without DICOM are given to libmagic for their MIME type (the report's
    /// `skippedByType`); when false they are all `FileTypes.notIdentified`. Callers that show no
    /// types (a quiet run) save libmagic's 0.1-0.4 ms per distinct file.
    public var identifyOtherFiles = true
    /// Test hook: pause this long half-way through writing each CSV.
    public var testPauseInWriteMS: Int?

    public init(templates: TemplateSet, extraTags: [Tag] = [], walk: WalkOptions = WalkOptions(), jobs: Int = 1,
                outputName: String = "modal_data.csv", testPauseInWriteMS: Int? = nil) {
        self.templates = templates
        self.extraTags = extraTags
        self.walk = walk
        self.jobs = jobs
        self.outputName = outputName
        self.testPauseInWriteMS = testPauseInWriteMS
    }
}

/// Crawls directories: walk each DIR for the folders the templates name, scan those folders, and
/// write each DIR's table.
public final class CrawlJob: Sendable {
    public let options: CrawlOptions
    let fileTypes: FileTypes
    let readOptions: ReadOptions

    public init(options: CrawlOptions) {
        self.options = options
        fileTypes = options.identifyOtherFiles ? FileTypes() : FileTypes(identifying: false, database: nil)
        var tags = Set(CrawlTable.valueTags)
        tags.formUnion(options.extraTags)
        tags.formUnion(options.templates.conditionTags)
        readOptions = ReadOptions(tags: tags)
    }

    /// Why libmagic could not be loaded, if it could not.
    public var magicLoadError: String? { fileTypes.loadError }

    /// Crawls every directory (in parallel), writes each one's CSV, and returns the reports in the
    /// order of `directories`.
    public func run(_ directories: [String], progress: CrawlProgress? = nil, onReport: ((CrawlReport) -> Void)? = nil) -> [CrawlReport] {
        let jobs = options.jobs
        // 1. Walk each DIR to find the folders the templates name, and scan them (the DICOM count,
        // the first file's values).
        // A DIR given again (`d d`, `d ./d`) is crawled once: its report says which one it is.
        var firstOf: [PathBytes: String] = [:]
        let sameAs: [String?] = directories.map { dir in
            let canonical = canonicalPath(trimTrailingSlashes(Array(dir.utf8)))
            if let first = firstOf[canonical] { return first }
            firstOf[canonical] = dir
            return nil
        }
        // With --output-dir, two DIRs of the same name would write one table: the later is refused.
        var nameClash: [String?] = directories.map { _ in nil }
        if options.outputDirectory != nil {
            var firstNamed: [PathBytes: String] = [:]
            for (d, dir) in directories.enumerated() where sameAs[d] == nil {
                let name = Self.subjectName(Array(dir.utf8))
                if let first = firstNamed[name] { nameClash[d] = first } else { firstNamed[name] = dir }
            }
        }
        var walked: [WalkedDirectory]
        var scansByDir: [[FolderScan]]
        if options.walk.followSymlinks {
            (walked, scansByDir) = walkThenScan(directories, sameAs, progress)
        } else {
            (walked, scansByDir) = walkAndScan(directories, sameAs, progress)
        }

        // 2. Rows, sorted; the CSV of each DIR. Writing waits on the disk (fsync), so this phase
        // uses more threads than there are cores.
        let finished: [CrawlReport] = parallelMap(Array(walked.indices), jobs: max(jobs, 8)) { d in
            var report = walked[d].report
            if let first = nameClash[d], report.error == nil {
                report.error = "its name is that of \(first), given before: both would write \(report.outputPath); give each its own --output-dir (in separate runs)"
            }
            if report.error == nil && report.sameAs == nil { self.finish(walked[d], scansByDir[d], into: &report) }
            // Freed with the report, not here one folder at a time (a command about to exit never
            // frees them at all).
            report.folderMemory = FolderMemory(folders: walked[d].folders, scans: scansByDir[d])
            progress?.directoriesDone.add(1, ordering: .relaxed)
            return report
        }
        // A DIR given again names the table its first mention wrote.
        var byDirectory: [String: String] = [:]
        for r in finished where r.sameAs == nil { byDirectory[r.directory] = byDirectory[r.directory] ?? r.outputPath }
        let reports = finished.map { r -> CrawlReport in
            guard let first = r.sameAs, let table = byDirectory[first] else { return r }
            var r = r
            r.outputPath = table
            return r
        }
        reports.forEach { onReport?($0) }
        return reports
    }

    /// Folders listed and scanned in one pass across all DIRs by `jobs` threads, joined by up to
    /// `ioThreads` once the storage proves slow (symlinked
    /// folders are not followed, so no folder is met twice).
    private func walkAndScan(_ directories: [String], _ sameAs: [String?], _ progress: CrawlProgress?) -> ([WalkedDirectory], [[FolderScan]]) {
        let templates = options.templates.templates
        let roots = directories.map { trimTrailingSlashes(Array($0.utf8)) }
        let active = directories.indices.filter { sameAs[$0] == nil }
        var walk = ParallelFolderWalk<(labels: [Int], scan: FolderScan)>(options: options.walk, threads: options.jobs)
        walk.ioThreads = options.ioThreads
        // The DIR itself is a folder too: DICOM files lying in it get a row with --all (or a label
        // without path patterns), and are reported when no label takes them.
        walk.visitsRoots = true
        let results = walk.walk(active.map { roots[$0] }) { r, rel, dir in
            let labels = templates.indices.filter { templates[$0].matchesPath(rel) }
            guard let scan = self.examine(dir, joinPath(roots[active[r]], rel), rel: rel, labels: labels, progress) else { return nil }
            return (labels, scan)
        }
        var walked: [WalkedDirectory] = []
        var scans: [[FolderScan]] = []
        var next = 0
        for (d, dir) in directories.enumerated() {
            var report = CrawlReport(directory: dir, outputPath: outputPath(roots[d]).pathString)
            guard sameAs[d] == nil else {
                report.sameAs = sameAs[d]
                walked.append(WalkedDirectory(report: report, root: roots[d], folders: []))
                scans.append([])
                continue
            }
            let r = results[next]
            next += 1
            if let e = r.error { report.error = e.directoryProblem }
            report.problems = r.problems
            report.symlinksNotFollowed = r.symlinksNotFollowed
            walked.append(WalkedDirectory(report: report, root: roots[d], folders: r.results.map { ($0.rel, $0.result.labels) }))
            scans.append(r.results.map(\.result.scan))
        }
        return (walked, scans)
    }

    /// Following symlinked folders: each DIR walked by `FileWalk` (loops detected in walk order),
    /// then the matched folders scanned.
    private func walkThenScan(_ directories: [String], _ sameAs: [String?], _ progress: CrawlProgress?) -> ([WalkedDirectory], [[FolderScan]]) {
        let walked: [WalkedDirectory] = parallelMap(Array(zip(directories, sameAs)), jobs: options.jobs) { dir, sameAs in
            if let sameAs {
                var report = CrawlReport(directory: dir, outputPath: self.outputPath(trimTrailingSlashes(Array(dir.utf8))).pathString)
                report.sameAs = sameAs
                return WalkedDirectory(report: report, root: [], folders: [])
            }
            let w = self.walk(dir)
            progress?.foldersTotal.add(w.folders.count, ordering: .relaxed)
            return w
        }
        var tasks: [(dir: Int, folder: Int)] = []
        for (d, w) in walked.enumerated() where w.report.error == nil && w.report.sameAs == nil {
            for f in w.folders.indices { tasks.append((d, f)) }
        }
        let scans: [FolderScan?] = parallelMap(tasks, jobs: max(options.jobs, options.ioThreads)) { task in
            let w = walked[task.dir]
            let folder = w.folders[task.folder]
            let path = joinPath(w.root, folder.rel)
            let dir: OpenDirectory
            do throws(Errno) { dir = try OpenDirectory(path) } catch {
                // A folder that cannot be listed is reported, whether or not a label names it (the
                // labels it has still give their rows, with no DICOM file counted).
                let scan = FolderScan()
                scan.problems.append(.cannotList(path, error))
                scan.unlabelled = folder.labels.isEmpty
                scan.relativePathIsUTF8 = folder.rel.isValidUTF8
                if !folder.labels.isEmpty { self.addRows(to: scan, labels: folder.labels, displayPath: path, relativePath: folder.rel) }
                return scan
            }
            return self.examine(dir, path, rel: folder.rel, labels: folder.labels, progress)
        }
        // Only the folders that were examined stay (unlabelled folders without DICOM files go).
        var scansByDir = [[FolderScan]](repeating: [], count: walked.count)
        var keptFolders = [[(rel: PathBytes, labels: [Int])]](repeating: [], count: walked.count)
        for (t, scan) in zip(tasks, scans) {
            guard let scan else { continue }
            scansByDir[t.dir].append(scan)
            keptFolders[t.dir].append(walked[t.dir].folders[t.folder])
        }
        var kept = walked
        for d in kept.indices { kept[d].folders = keptFolders[d] }
        return (kept, scansByDir)
    }

    /// A DIR walked: its folders that match a label's path, with the labels.
    struct WalkedDirectory {
        var report: CrawlReport
        var root: PathBytes
        var folders: [(rel: PathBytes, labels: [Int])]
    }

    private func walk(_ dir: String) -> WalkedDirectory {
        let templates = options.templates.templates
        let root = trimTrailingSlashes(Array(dir.utf8))
        var w = WalkedDirectory(report: CrawlReport(directory: dir, outputPath: outputPath(root).pathString), root: root, folders: [])
        // Every folder is kept: one that no label names is still looked at for DICOM files (they are
        // reported, or given a row with --all).
        w.folders.append(([], templates.indices.filter { templates[$0].matchesPath([]) }))  // the DIR itself
        switch FileWalk.folders(under: root, options: options.walk, keep: { rel in
            w.folders.append((rel, templates.indices.filter { templates[$0].matchesPath(rel) }))
            return true
        }) {
        case .failure(let e):
            w.report.error = e.directoryProblem
        case .success(let (_, walk)):
            w.report.problems = walk.problems
            w.report.loops = walk.loops
            w.report.symlinksNotFollowed = walk.symlinksNotFollowed
        }
        return w
    }

    /// A folder met by the walk. One that a label's path names (or any, with --all) is scanned and
    /// given its rows; one that no label names is only looked at for a DICOM file, so that a DICOM
    /// folder no label names is reported rather than passed over in silence (nil: none there).
    func examine(_ dir: OpenDirectory, _ path: PathBytes, rel: PathBytes, labels: [Int], _ progress: CrawlProgress?) -> FolderScan? {
        if labels.isEmpty && !options.allFolders {
            guard !options.templates.templates.isEmpty, holdsDICOM(dir) else { return nil }
            let scan = FolderScan()
            scan.unlabelled = true
            scan.holdsDICOM = true
            scan.relativePathIsUTF8 = rel.isValidUTF8
            return scan
        }
        progress?.foldersTotal.add(1, ordering: .relaxed)
        let scan = scanFolder(dir, path)
        scan.unlabelled = labels.isEmpty
        scan.relativePathIsUTF8 = rel.isValidUTF8
        addRows(to: scan, labels: labels, displayPath: path, relativePath: rel)
        progress?.foldersDone.add(1, ordering: .relaxed)
        progress?.filesExamined.add(scan.filesExamined, ordering: .relaxed)
        return scan
    }

    /// A scanned folder's rows, one per label whose conditions its values meet (made where the
    /// folder was scanned, in parallel; the DIR's table only gathers and sorts them). With --all, a
    /// folder holding DICOM files that no label takes gets one row with an empty label.
    func addRows(to scan: FolderScan, labels: [Int], displayPath: PathBytes, relativePath: PathBytes) {
        let templates = options.templates.templates
        let tags = CrawlTable.valueTags + options.extraTags
        var path: String?
        func row(_ labelIndex: Int, _ label: String) {
            if path == nil { path = displayPath.escapedPath }
            scan.rows.append(CrawlRow(
                labelIndex: labelIndex, label: label, path: path!, pathBytes: displayPath,
                dicomCount: scan.dicomCount, values: tags.map { scan.values?[$0] ?? "" }, excelSafe: options.excelSafe))
        }
        for labelIndex in labels {
            let template = templates[labelIndex]
            if template.needsValues {
                guard let values = scan.values, template.matchesValues({ values[$0] }, path: relativePath) else { continue }
            }
            row(labelIndex, template.label)
        }
        if options.allFolders && scan.rows.isEmpty && scan.dicomCount > 0 { row(templates.count, "") }
        // The rows hold what is needed of the values now: freed here, on the scanning threads, not
        // one folder at a time after the walk.
        scan.values = nil
        if let damaged = scan.damaged { scan.damaged = ([:], damaged.path) }
    }

    private func outputPath(_ root: PathBytes) -> PathBytes {
        guard let out = options.outputDirectory else { return joinPath(root, Array(options.outputName.utf8)) }
        return joinPath(joinPath(trimTrailingSlashes(Array(out.utf8)), Self.subjectName(root)), Array(options.outputName.utf8))
    }

    /// A DIR's name: its last path component as given (`/data/sub-01/` → `sub-01`), or, for `.`,
    /// `..` or `/`, the last component of the folder it is.
    static func subjectName(_ root: PathBytes) -> PathBytes {
        let trimmed = trimTrailingSlashes(root)
        let last = lastComponent(trimmed)
        if last.isEmpty || last == Array(".".utf8) || last == Array("..".utf8) {
            let resolved = lastComponent(canonicalPath(trimmed.isEmpty ? Array("/".utf8) : trimmed))
            return resolved.isEmpty ? Array("root".utf8) : resolved
        }
        return last
    }

    /// Why extra outputs (`--report`, `--combined`) cannot be written where they are asked for (see
    /// `outputConflict(_:templates:directories:tables:)`), with each DIR's table among the files
    /// they must not be.
    public func outputConflict(_ outputs: [(option: String, path: String)], templates: String?, directories: [String]) -> String? {
        DICOMCrawler.outputConflict(outputs, templates: templates, directories: directories,
                                    tables: directories.map { (outputPath(trimTrailingSlashes(Array($0.utf8))).pathString, "the table of \($0)") })
    }

    /// `subjectName` of a DIR as given, as text (the combined table's Subject).
    public static func subjectNameText(_ directory: String) -> String { subjectName(Array(directory.utf8)).escapedPath }

    /// The table of all DIRs (`--combined`), with a `Subject` column: each DIR's name. A DIR given
    /// twice is there once; a DIR whose own table could not be written (a read-only archive) is
    /// there all the same.
    public func writeCombined(_ reports: [CrawlReport], to path: String) throws(CrawlReport.WriteError) {
        let tables = reports.filter { $0.sameAs == nil }.map { r in
            (subject: Self.subjectNameText(r.directory), rows: r.rows)
        }
        let bytes = CrawlTable.combinedCSV(tables, extraTags: options.extraTags, excelSafe: options.excelSafe)
        do throws(Errno) {
            try writeFileAtomically(Array(path.utf8), bytes, keepIfSame: true)
        } catch {
            throw CrawlReport.WriteError(description: error.text)
        }
    }

    /// The rows of one DIR from its folders' scans, sorted, and its CSV written.
    private func finish(_ w: WalkedDirectory, _ scans: [FolderScan], into report: inout CrawlReport) {
        // A folder the walk could not list is reported once, by the walk (a set: linear in folders).
        var problemPaths = Set(report.problems.map(\.path))
        report.rows.reserveCapacity(scans.reduce(0) { $0 + $1.rows.count })
        for (f, scan) in scans.enumerated() {
            report.dicomFiles += scan.dicomCount
            // Most folders have nothing but rows: the lists are touched only when they hold something.
            if !scan.unreadable.isEmpty { report.unreadable += scan.unreadable }
            if !scan.problems.isEmpty {
                for p in scan.problems where problemPaths.insert(p.path).inserted { report.problems.append(p) }
            }
            if !scan.skippedByType.isEmpty {
                for (k, v) in scan.skippedByType { report.skippedByType[k, default: 0] += v }
            }
            if !scan.relativePathIsUTF8 { report.nonUTF8Paths += 1 }
            let rows = scan.rows
            let labelled = rows.filter { !$0.label.isEmpty }
            // Unmatched: a DICOM folder no label took (not said of a plain --all inventory, which has no labels).
            if labelled.isEmpty && !options.templates.templates.isEmpty && (scan.holdsDICOM || scan.dicomCount > 0) {
                report.unmatchedFolders.append(joinPath(w.root, w.folders[f].rel).escapedPath)
            }
            if labelled.count > 1 {
                report.ambiguousFolders.append(.init(path: joinPath(w.root, w.folders[f].rel).escapedPath, labels: labelled.map(\.label)))
            }
            if rows.isEmpty {
                if !scan.unlabelled { report.foldersRejectedByValues += 1 }
                continue
            }
            for r in rows { report.rows.append(r) }
            report.foldersMatched += 1
            if scan.valuesFromDamaged, let damaged = scan.damaged {
                report.valuesFromDamagedFiles.append(UnreadableFile(path: damaged.path.pathString, reason: "no DICOM file of \(joinPath(w.root, w.folders[f].rel).pathString) could be read whole"))
            }
        }
        CrawlTable.sort(&report.rows)
        let path = outputPath(w.root)
        if options.outputDirectory != nil, let e = makeDirectories(parentPath(path)) {
            report.error = "cannot make \(parentPath(path).pathString): \(e.text)"
            return
        }
        do throws(Errno) {
            // A re-run that finds the same table keeps the file (no rename, no block freed).
            report.tableUnchanged = !(try writeFileAtomically(
                path, CrawlTable.csv(report.rows, extraTags: options.extraTags),
                keepIfSame: true, pauseHalfwayMS: options.testPauseInWriteMS))
        } catch {
            report.error = "cannot write \(path.pathString): \(error.text)"
        }
    }
}
