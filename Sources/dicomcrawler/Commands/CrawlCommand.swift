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
            For each DIR, every folder below it whose path relative to DIR contains one of a \
            template label's substrings gets a row per matching label. DCM_Count counts the DICOM \
            files directly in the folder (DICM at byte 128, or a bare data set); other files are \
            skipped and counted by MIME type (libmagic) in the summary. The values come from the \
            folder's first readable DICOM file in byte order of names.

            Columns: Modality,Path,DCM_Count,Study Date,Acquisition Time,Subject_ID,Subject_Sex,\
            Subject_Age, then one per --tags keyword. Rows are in chronological order of Study Date \
            and Acquisition Time.

            Template file: a JSON object, label -> list of folder-name substrings, e.g.
              {"T1": ["t1_mprage_sag_p2_iso"], "T2F": ["t2_FLAIR_3D_sag"]}
            or label -> object with an optional "path" list and DICOM keywords whose values must \
            contain one of the given strings (case-insensitive):
              {"MRI": {"path": ["mri"], "Modality": ["MR"], "SeriesDescription": ["mprage", "t1"]}}

            Exit status: 0 all written; 1 a DIR could not be crawled or written, or some file or \
            folder could not be read (the CSVs are still written); 2 bad options or template file.
            """)

    @Option(name: .long, help: ArgumentHelp("The template file (JSON).", valueName: "file"))
    var templates: String

    @Argument(help: ArgumentHelp("Directories to crawl (each gets its own modal_data.csv).", valueName: "dir"))
    var directories: [String]

    @OptionGroup var common: WalkingOptions

    @Option(name: .long, help: ArgumentHelp("Extra columns: DICOM keywords, comma-separated (e.g. SeriesDescription,Modality).", valueName: "keywords"),
            transform: KeywordList.parse)
    var tags: KeywordList?

    @Flag(name: .long, help: "Prefix cells starting with = + - @ (which a spreadsheet would run as a formula) with '.")
    var excelSafe = false

    @Option(name: .long, help: ArgumentHelp("Folders listed and files read at once (default \(CrawlOptions.defaultIOThreads)): sized for the storage, not the cores; a cold disk or a network file system answers many requests at once.", valueName: "n"))
    var ioThreads = CrawlOptions.defaultIOThreads

    func validate() throws {
        if directories.isEmpty { throw ValidationError("give at least one directory to crawl") }
        if ioThreads < 1 || ioThreads > 1024 { throw ValidationError("--io-threads must be 1 to 1024") }
    }

    func run() throws {
        let templateSet: TemplateSet
        do {
            templateSet = try TemplateSet.load(path: templates)
        } catch let e as TemplateError {
            printError("dicomcrawler: error: \(e)")
            throw ExitCode(2)
        }
        var options = CrawlOptions(templates: templateSet, extraTags: tags?.tags ?? [], walk: common.walk, jobs: common.jobs,
                                   testPauseInWriteMS: TestHooks.pauseInWriteMS)
        options.excelSafe = excelSafe
        options.ioThreads = ioThreads
        let crawler = CrawlJob(options: options)
        let progress = CrawlProgress()
        let count = directories.count
        let ticker = common.showsProgress ? ProgressTicker {
            "dicomcrawler: \(progress.directoriesDone.load(ordering: .relaxed))/\(count) directories, "
                + "\(progress.foldersDone.load(ordering: .relaxed))/\(progress.foldersTotal.load(ordering: .relaxed)) folders, "
                + "\(progress.filesExamined.load(ordering: .relaxed)) files"
        } : nil
        var failed = false
        let reports = crawler.run(directories, progress: progress) { report in
            ticker?.clear()
            if report.failed { failed = true }
            if let error = report.error {
                printError("dicomcrawler: error: \(report.directory): \(error)")
            }
            if !common.quiet || report.error != nil || !report.unreadable.isEmpty || !report.problems.isEmpty {
                printError(summary(report, quietly: common.quiet))
            }
        }
        ticker?.stop()
        if let e = crawler.magicLoadError { printError("dicomcrawler: warning: libmagic could not be loaded (\(e)); non-DICOM files are counted as 'unknown'") }
        withExtendedLifetime((crawler, reports)) { exitKeepingMemory(failed ? 1 : 0) }
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
            if r.nonUTF8Paths > 0 { lines.append("  \(r.nonUTF8Paths) folder path(s) are not valid UTF-8: written with \\xHH for those bytes in the CSV") }
        }
        for u in r.unreadable { lines.append("  unreadable: \(u.path): \(u.reason)") }
        for d in r.valuesFromDamagedFiles { lines.append("  values from a damaged file: \(d.path) (\(d.reason))") }
        for p in r.problems { lines.append("  problem: \(p.path): \(p.message)") }
        return lines.joined(separator: "\n")
    }
}
