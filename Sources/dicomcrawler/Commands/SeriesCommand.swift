import ArgumentParser
import DICOM
import DICOMCrawler
import ModalityTemplates
#if canImport(Glibc)
import Glibc
#endif

struct SeriesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "series",
        abstract: "One row per series (Study + Series Instance UID) of the DICOM files under the directories, in one table (TSV or CSV).",
        discussion: """
            Every file under each DIR is read once (its header, only the tags the columns need). \
            Files with the same Study and Series Instance UID under one DIR are one series, whatever \
            folders hold them; files without a Series Instance UID make one row per folder (and Study \
            Instance UID), with Series Instance UID empty. Files that are not DICOM are counted by \
            MIME type in the summary; DICOM files that cannot be read whole are listed on stderr (exit \
            status 1) and still counted in their series when their Series Instance UID could be read.

            Columns:
              DIR           the DIR as given
              Folders       the folders holding the series, relative to DIR ('.' for DIR itself), \
            in walk order, joined with ';' (a ';' in a name is written \\x3B; bytes that are not \
            UTF-8 \\xHH, a backslash \\\\)
              Files         the series' DICOM files
              Labels        with --templates: the labels whose path substrings match one of the \
            folders (relative to DIR) and whose DICOM conditions the first file meets, joined with ';'
              Study Date, Series Date, Series Time, Patient ID, Patient's Sex, Patient's Age, \
            Modality, Series Number, Series Description, Protocol Name, Sequence Name, Image Type, \
            Rows, Columns: the series' first file's values (walk order: folders depth first, names \
            in byte order), as the crawl renders them (multiple values joined with '\\')
              Slices        positions along the slice normal, when the series stacks as one scan \
            as the export stacks it (every frame has Image Position and Image Orientation \
            (Patient), one orientation and image size, every position repeats equally often), \
            else empty
              Frames        all frames of all files (Number of Frames, else 1 for an image; 0 for \
            a file without one, such as a report)
              Volumes       how often each position repeats (Frames / Slices, less copies of a \
            SOP Instance), when Slices is given, else empty
              Repetition Time, Echo Time, Inversion Time, Flip Angle, Slice Thickness, Pixel \
            Spacing, Manufacturer, Manufacturer's Model Name, Study Instance UID, Series Instance \
            UID: the first file's values (from the functional groups when not at the top level)
              then one column per --tags keyword or tag number, named by the standard's name (a \
            name already taken gets its tag: 'Modality (0008,0060)').

            Rows are in chronological order: Study Date, then Series Date and Time, then Series \
            Number (as a number), then the UIDs; rows without a value after those with one.

            The table is TSV unless its name ends in .csv. TSV fields holding a tab, line break or \
            double quote are quoted as in CSV, so that pandas reads the table back as written: \
            pd.read_csv("series.tsv", sep="\\t", dtype=str, keep_default_na=False). It is written to a \
            temporary file and renamed into place; -o - writes it to standard output.

            Exit status: 0 all read and written; 1 a DIR, folder or file could not be read, or the \
            table not written (the rest is done); 2 bad options, template file, or an output that \
            is a folder or a file being read.
            """)

    @Argument(help: ArgumentHelp("Directories to read (recursively).", valueName: "dir"))
    var directories: [String]

    @Option(name: .shortAndLong, help: ArgumentHelp("The table (in the current directory unless a path is given; CSV when the name ends in .csv; - for standard output).", valueName: "file"))
    var output = "series.tsv"

    @Option(name: .long, help: ArgumentHelp("A template file (JSON, as for the crawl): adds the Labels column.", valueName: "file"))
    var templates: String?

    @Flag(name: .long, help: "With --templates: compare every label's path patterns without regard to case, as for the crawl.")
    var ignoreCase = false

    @Option(name: .long, help: ArgumentHelp("Extra columns: DICOM keywords or tag numbers, comma-separated (e.g. BodyPartExamined,AccessionNumber,0019,100C).", valueName: "keywords"),
            transform: KeywordList.parse)
    var tags: KeywordList?

    @Flag(name: .long, help: "With --templates: exit with status 1 when a series got no label, or several labels took one.")
    var strict = false

    @Option(name: .long, help: ArgumentHelp("With --templates: write the series no label took and those several took as JSON.", valueName: "file"))
    var report: String?

    @OptionGroup var common: WalkingOptions

    @Option(name: .long, help: .hidden)
    var maxFramesHeld = SeriesOptions(output: "").maxFramesHeld

    func validate() throws {
        if directories.isEmpty { throw ValidationError("give at least one directory to read") }
        if ignoreCase && templates == nil { throw ValidationError("--ignore-case applies to --templates: give a template file") }
        if (strict || report != nil) && templates == nil { throw ValidationError("--strict and --report apply to --templates: give a template file") }
        if let report, report.isEmpty || report.hasSuffix("/") { throw ValidationError("--report must name a file") }
        if maxFramesHeld < 0 { throw ValidationError("--max-frames-held must be 0 or more") }
    }

    func run() throws {
        let templateSet = try loadTemplates(templates, ignoreCase: ignoreCase)
        var options = SeriesOptions(output: output, templates: templateSet, extraTags: tags?.tags ?? [], walk: common.walk, jobs: common.jobs)
        options.testPauseInWriteMS = TestHooks.pauseInWriteMS
        options.maxFramesHeld = maxFramesHeld
        options.identifyOtherFiles = !common.quiet  // only the summary shows the types
        let job: SeriesJob
        do {
            job = try SeriesJob(options: options, inputs: directories)
        } catch {
            printError("dicomcrawler: error: \(error.message)")
            throw ExitCode(error.kind == .usage ? 2 : 1)
        }
        if let path = report, let conflict = outputConflict([(option: "--report", path: path)], templates: templates,
                                                            directories: directories, tables: [(output, "the table (-o)")]) {
            printError("dicomcrawler: error: \(conflict)")
            throw ExitCode(2)
        }
        let progress = SeriesProgress()
        let ticker = common.showsProgress ? ProgressTicker {
            let folders = progress.foldersListed.load(ordering: .relaxed), found = progress.filesFound.load(ordering: .relaxed)
            let read = progress.filesRead.load(ordering: .relaxed)
            return progress.walked.load(ordering: .relaxed)
                ? "dicomcrawler series: \(read)/\(found) files read in \(folders) folders"
                : "dicomcrawler series: \(read) files read, \(found) found in \(folders) folders so far"
        } : nil
        let report = job.run(directories, progress: progress)
        ticker?.stop()
        for d in report.directories {
            if let e = d.error { printError("dicomcrawler: error: \(d.directory): \(e)") }
            if let first = d.sameAs, !common.quiet { printError("\(d.directory): the same folder as \(first), given before: read once") }
        }
        if !common.quiet { printError(summary(report)) }
        // Matching that says what it did, as the crawl's.
        let unmatched = report.unmatchedSeries, ambiguous = report.ambiguousSeries
        var matchFailed = false
        if !common.quiet || strict {
            if !unmatched.isEmpty { printError("  \(unmatched.count) series matched no label: " + firstFew(unmatched.map { $0.name(columns: report.columns) })) }
            if !ambiguous.isEmpty { printError("  \(ambiguous.count) series matched several labels: " + firstFew(ambiguous.map { "\($0.name(columns: report.columns)) [\(($0.labels ?? []).joined(separator: ", "))]" })) }
        }
        if let path = self.report {
            do { try report.writeMatchJSON(to: path) } catch {
                printError("dicomcrawler: error: cannot write --report \(path): \(error)")
                matchFailed = true
            }
        }
        if strict && (!unmatched.isEmpty || !ambiguous.isEmpty) {
            printError("dicomcrawler: --strict: \(unmatched.count) series got no label, \(ambiguous.count) got several")
            matchFailed = true
        }
        for u in report.unreadable { printError("  unreadable: \(u.path): \(u.reason)") }
        for d in report.valuesFromDamagedFiles { printError("  values from a damaged file: \(d.path) (\(d.reason))") }
        for p in report.problems { printError("  problem: \(p.path): \(p.message)") }
        if let e = report.writeError { printError("dicomcrawler: error: \(e)") }
        if let e = job.magicLoadError { printError("dicomcrawler: warning: libmagic could not be loaded (\(e)); non-DICOM files are counted as 'unknown'") }
        withExtendedLifetime((job, report)) { exitKeepingMemory(report.failed || matchFailed ? 1 : 0) }
    }

    func summary(_ r: SeriesReport) -> String {
        func plural(_ n: Int, _ word: String) -> String { "\(n) \(word)\(n == 1 ? "" : "s")" }
        let skipped = r.skippedByType.values.reduce(0, +)
        let read = r.directories.filter { $0.sameAs == nil && $0.error == nil }.count
        var lines = ["\(r.output == "-" ? "standard output" : r.output): \(r.rows.count) series from \(plural(r.dicomFiles, "DICOM file")) in \(read) director\(read == 1 ? "y" : "ies"), \(plural(skipped, "other file")) skipped\(r.tableUnchanged ? " (unchanged)" : "")"]
        if skipped > 0 {
            lines.append("  skipped by type: " + r.skippedByType.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        }
        if r.rowsWithoutSeriesUID > 0 {
            lines.append("  \(plural(r.rowsWithoutSeriesUID, "row")) for files without a Series Instance UID (one per folder and study; Series Instance UID empty)")
        }
        if r.seriesNotStacked > 0 {
            lines.append("  \(r.seriesNotStacked) series with frames counted but not stacked (no Slices, Volumes): more than \(maxFramesHeld) frames in the tree")
        }
        for l in r.loops { lines.append("  note: \(l.path): \(l.message)") }
        if r.symlinksNotFollowed > 0 { lines.append("  \(r.symlinksNotFollowed) symlinked folder(s) not followed (use --follow-symlinks)") }
        return lines.joined(separator: "\n")
    }
}
