import ArgumentParser
import DICOM
import DICOMCrawler
import ModalityTemplates
#if canImport(Glibc)
import Glibc
#endif

struct CrawlCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crawl",
        abstract: "Write DIR/modal_data.csv for each DIR: the series folders the templates name, with their DICOM count and first file's header.",
        discussion: """
            For each DIR, every folder below it whose path relative to DIR matches one of a \
            template label's path patterns gets a row per matching label. DCM_Count counts the DICOM \
            files directly in the folder (DICM at byte 128, or a bare data set); other files are \
            skipped and counted by MIME type (libmagic) in the summary. The values come from the \
            folder's first readable DICOM file in byte order of names.

            Columns: Modality,Path,DCM_Count,Study Date,Acquisition Time,Subject_ID,Subject_Sex,\
            Subject_Age, then one per --tags keyword. Rows are in chronological order of Study Date \
            and Acquisition Time.

            Template file: a JSON object, label -> list of folder-name patterns, e.g.
              {"T1": ["t1_mprage_sag_p2_iso", "*MPRAGE*"], "T2F": ["re:t2_?flair"]}
            or label -> object with an optional "path" list, DICOM keywords whose values must match \
            one of the given patterns (always without regard to case) or lie in a range, \
            "ignoreCase" (path patterns too) and "exclude" (an object of the same shape: what it \
            matches is not the label's):
              {"MRI": {"path": ["mri"], "Modality": ["MR"], "SeriesDescription": ["*mprage*", "t1"],
                       "EchoTime": {"min": 2, "max": 5}, "ignoreCase": true,
                       "exclude": {"SeriesDescription": ["*ADC*"]}}}
            A pattern is plain text (found anywhere: "t1" is in "sub/t1_x"), a glob when it holds \
            * ? or [...] (the whole path or value must match: "*mprage*", "t1_?prage", "[Tt]1*"; \
            \\ makes the next character plain), or a regular expression after "re:" (searched \
            anywhere; ^ and $ anchor it). A pattern that cannot be used is an error at its \
            file:line:column.

            After each DIR, the summary names the folders holding DICOM files that no label took \
            and the folders several labels took; --report FILE writes them all as JSON, --strict \
            makes either exit with status 1.

            Exit status: 0 all written; 1 a DIR could not be crawled or written, some file or \
            folder could not be read (the CSVs are still written), or --strict found unmatched or \
            ambiguous folders; 2 bad options or template file.
            """)

    @Option(name: .long, help: ArgumentHelp("The template file (JSON).", valueName: "file"))
    var templates: String?

    @Flag(name: .long, help: "Every folder holding DICOM files gets a row; those no label takes get an empty label (with no --templates: a plain inventory of DICOM folders).")
    var all = false

    @Flag(name: .long, help: "Compare every label's path patterns without regard to case (\"ignoreCase\": true in the file does it for one label).")
    var ignoreCase = false

    @Flag(name: .long, help: "Exit with status 1 when a folder holding DICOM files got no label, or several labels took one folder.")
    var strict = false

    @Option(name: .long, help: ArgumentHelp("Write what was matched as JSON: per DIR, its table, counts, the unmatched and the ambiguous folders.", valueName: "file"))
    var report: String?

    @Option(name: .long, help: ArgumentHelp("Write each DIR's table to DIR/<name of DIR>/modal_data.csv here instead of into the DIR (for read-only archives); made if missing.", valueName: "dir"))
    var outputDir: String?

    @Option(name: .long, help: ArgumentHelp("Also write one table for all DIRs, with a Subject column (each DIR's name) in front.", valueName: "file"))
    var combined: String?

    @Argument(help: ArgumentHelp("Directories to crawl (each gets its own modal_data.csv).", valueName: "dir"))
    var directories: [String]

    @OptionGroup var common: WalkingOptions

    @Option(name: .long, help: ArgumentHelp("Extra columns: DICOM keywords or tag numbers, comma-separated (e.g. SeriesDescription,Modality,0019,100C).", valueName: "keywords"),
            transform: KeywordList.parse)
    var tags: KeywordList?

    @Flag(name: .long, help: "Prefix cells starting with = + - @ (which a spreadsheet would run as a formula) with '.")
    var excelSafe = false

    @Option(name: .long, help: ArgumentHelp("Folders listed and files read at once (default \(CrawlOptions.defaultIOThreads)): sized for the storage, not the cores; a cold disk or a network file system answers many requests at once.", valueName: "n"))
    var ioThreads = CrawlOptions.defaultIOThreads

    func validate() throws {
        if templates == nil && !all { throw ValidationError("give --templates FILE (which folders to name), or --all for a row for every folder holding DICOM files") }
        if directories.isEmpty { throw ValidationError("give at least one directory to crawl") }
        if let report, report.isEmpty || report.hasSuffix("/") { throw ValidationError("--report must name a file") }
        if let combined, combined.isEmpty || combined.hasSuffix("/") { throw ValidationError("--combined must name a file") }
        if let outputDir, outputDir.isEmpty { throw ValidationError("--output-dir must name a folder") }
        if ioThreads < 1 || ioThreads > 1024 { throw ValidationError("--io-threads must be 1 to 1024") }
    }

    func run() throws {
        let templateSet = try loadTemplates(templates, ignoreCase: ignoreCase) ?? TemplateSet(templates: [])
        var options = CrawlOptions(templates: templateSet, extraTags: tags?.tags ?? [], walk: common.walk, jobs: common.jobs,
                                   testPauseInWriteMS: TestHooks.pauseInWriteMS)
        options.excelSafe = excelSafe
        options.ioThreads = ioThreads
        options.allFolders = all
        options.outputDirectory = outputDir
        options.identifyOtherFiles = !common.quiet  // only the summary shows the types
        let crawler = CrawlJob(options: options)
        let extraOutputs = [("--report", report), ("--combined", combined)].compactMap { o, p in p.map { (option: o, path: $0) } }
        if let conflict = crawler.outputConflict(extraOutputs, templates: templates, directories: directories) {
            printError("dicomcrawler: error: \(conflict)")
            throw ExitCode(2)
        }
        let progress = CrawlProgress()
        // The crawl lists folders as fast as a counting walk would, so the total is what has been
        // found so far (≥); `tags`, which reads every file, counts ahead instead.
        let meter = ProgressMeter()
        let ticker = common.showsProgress ? ProgressTicker {
            "dicomcrawler: \(progress.directoriesDone.load(ordering: .relaxed))/\(directories.count) directories, "
                + meter.line(done: progress.foldersDone.load(ordering: .relaxed), counted: progress.foldersTotal.load(ordering: .relaxed),
                             countFinished: false, unit: "folders")
                + ", \(progress.filesExamined.load(ordering: .relaxed)) files"
        } : nil
        var failed = false
        let reports = crawler.run(directories, progress: progress) { report in
            ticker?.clear()
            if report.failed { failed = true }
            if let error = report.error {
                printError("dicomcrawler: error: \(report.directory): \(error)")
            }
            let strictFailure = strict && (!report.unmatchedFolders.isEmpty || !report.ambiguousFolders.isEmpty)
            if !common.quiet || report.error != nil || !report.unreadable.isEmpty || !report.problems.isEmpty || strictFailure {
                printError(summary(report, quietly: common.quiet))
            }
        }
        ticker?.stop()
        if let e = crawler.magicLoadError { printError("dicomcrawler: warning: libmagic could not be loaded (\(e)); non-DICOM files are counted as 'unknown'") }
        let crawled = reports.filter { $0.sameAs == nil && $0.error == nil }
        if !common.quiet && crawled.count > 1 { printError(total(crawled)) }
        if let combined {
            do {
                try crawler.writeCombined(reports, to: combined)
                let dirs = reports.filter { $0.sameAs == nil && !$0.rows.isEmpty }
                if !common.quiet { printError("\(combined): \(dirs.reduce(0) { $0 + $1.rows.count }) rows of \(dirs.count) director\(dirs.count == 1 ? "y" : "ies")") }
                // Two DIRs of one name share a Subject value: said, since the rows' paths still differ.
                var seen: [String: String] = [:]
                for r in dirs {
                    let name = CrawlJob.subjectNameText(r.directory)
                    if let first = seen[name] { printError("dicomcrawler: warning: \(r.directory) and \(first) have the same Subject \(printable(name)) in \(combined) (their Path cells differ)") }
                    seen[name] = seen[name] ?? r.directory
                }
            } catch {
                printError("dicomcrawler: error: cannot write --combined \(combined): \(error)")
                failed = true
            }
        }
        if let report {
            do {
                try CrawlReport.writeJSON(reports, to: report)
            } catch {
                printError("dicomcrawler: error: cannot write --report \(report): \(error)")
                failed = true
            }
        }
        let unmatched = crawled.reduce(0) { $0 + $1.unmatchedFolders.count }, ambiguous = crawled.reduce(0) { $0 + $1.ambiguousFolders.count }
        if strict && (unmatched > 0 || ambiguous > 0) {
            printError("dicomcrawler: --strict: \(unmatched) folder\(unmatched == 1 ? "" : "s") holding DICOM files got no label, \(ambiguous) got several")
            failed = true
        }
        withExtendedLifetime((crawler, reports)) { exitKeepingMemory(failed ? 1 : 0) }
    }

    /// One line for all DIRs.
    func total(_ reports: [CrawlReport]) -> String {
        func sum(_ f: (CrawlReport) -> Int) -> Int { reports.reduce(0) { $0 + f($1) } }
        let folders = sum(\.foldersMatched), rows = sum { $0.rows.count }, dicom = sum(\.dicomFiles)
        let skipped = sum { $0.skippedByType.values.reduce(0, +) }
        let unmatched = sum { $0.unmatchedFolders.count }, ambiguous = sum { $0.ambiguousFolders.count }
        return "total: \(reports.count) directories, \(folders) folder\(folders == 1 ? "" : "s") with rows, \(rows) row\(rows == 1 ? "" : "s"), "
            + "\(dicom) DICOM file\(dicom == 1 ? "" : "s"), \(skipped) other file\(skipped == 1 ? "" : "s") skipped; "
            + "\(unmatched) unmatched, \(ambiguous) ambiguous folder\(ambiguous == 1 ? "" : "s")"
    }

    func summary(_ r: CrawlReport, quietly: Bool) -> String {
        var lines: [String] = []
        if let first = r.sameAs {
            if !quietly { lines.append("\(r.directory): the same folder as \(first), given before: crawled once -> \(r.outputPath)") }
            return lines.joined(separator: "\n")
        }
        if !quietly && r.error == nil {
            let skipped = r.skippedByType.values.reduce(0, +)
            lines.append("\(r.directory): \(r.foldersMatched) folder\(r.foldersMatched == 1 ? "" : "s") matched, \(r.rows.count) row\(r.rows.count == 1 ? "" : "s"), \(r.dicomFiles) DICOM file\(r.dicomFiles == 1 ? "" : "s"), \(skipped) other file\(skipped == 1 ? "" : "s") skipped -> \(r.outputPath)\(r.tableUnchanged ? " (unchanged)" : "")")
            if skipped > 0 {
                lines.append("  skipped by type: " + r.skippedByType.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
            }
            for l in r.loops { lines.append("  note: \(l.path): \(l.message)") }
            if r.symlinksNotFollowed > 0 { lines.append("  \(r.symlinksNotFollowed) symlinked folder(s) not followed (use --follow-symlinks)") }
            if r.foldersRejectedByValues > 0 {
                lines.append("  \(r.foldersRejectedByValues) folder\(r.foldersRejectedByValues == 1 ? "" : "s") matched a label's path but not its DICOM values: no row")
            }
            if !r.unmatchedFolders.isEmpty {
                let n = r.unmatchedFolders.count
                lines.append("  \(n) folder\(n == 1 ? "" : "s") holding DICOM files matched no label: " + listed(r.unmatchedFolders.map { relative($0, r.directory) }))
            }
            if !r.ambiguousFolders.isEmpty {
                let n = r.ambiguousFolders.count
                lines.append("  \(n) folder\(n == 1 ? "" : "s") matched several labels: " + listed(r.ambiguousFolders.map { "\(relative($0.path, r.directory)) (\($0.labels.joined(separator: ", ")))" }))
            }
            if r.nonUTF8Paths > 0 { lines.append("  \(r.nonUTF8Paths) folder path(s) are not valid UTF-8: written with \\xHH for those bytes in the CSV") }
        }
        if quietly && strict {
            // --quiet --strict: what fails the run is still said.
            if !r.unmatchedFolders.isEmpty { lines.append("\(r.directory): no label: " + listed(r.unmatchedFolders.map { relative($0, r.directory) })) }
            if !r.ambiguousFolders.isEmpty { lines.append("\(r.directory): several labels: " + listed(r.ambiguousFolders.map { "\(relative($0.path, r.directory)) (\($0.labels.joined(separator: ", ")))" })) }
        }
        for u in r.unreadable { lines.append("  unreadable: \(u.path): \(u.reason)") }
        for d in r.valuesFromDamagedFiles { lines.append("  values from a damaged file: \(d.path) (\(d.reason))") }
        for p in r.problems { lines.append("  problem: \(p.path): \(p.message)") }
        return lines.joined(separator: "\n")
    }

    /// The first few of a list, then how many more (all of them are in --report); control
    /// characters in folder names shown as \xHH, so that a name cannot fake a line or colour the
    /// terminal.
    func listed(_ items: [String]) -> String {
        firstFew(items, whereTheRestAre: report.map { " (in \($0))" } ?? " (--report FILE lists all)")
    }

    /// A folder's path from its DIR ("." for the DIR itself).
    func relative(_ path: String, _ dir: String) -> String {
        let d = dir.hasSuffix("/") ? String(dir.dropLast()) : dir
        if path == d { return "." }
        return path.hasPrefix(d + "/") ? String(path.dropFirst(d.count + 1)) : path
    }
}

/// Text for a terminal: control characters (line breaks, escape sequences) as \xHH.
func printable(_ s: String) -> String {
    if !s.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) { return s }
    var out = ""
    for u in s.unicodeScalars {
        if u.value < 0x20 || u.value == 0x7F {
            let hex = String(u.value, radix: 16, uppercase: true)
            out += "\\x" + (hex.count < 2 ? "0" : "") + hex
        } else {
            out.unicodeScalars.append(u)
        }
    }
    return out
}
