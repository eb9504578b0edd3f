import ArgumentParser
import DICOM
import DICOMCrawler
#if canImport(Glibc)
import Glibc
#endif

extension TableFormat: ExpressibleByArgument {}

struct TagsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tags",
        abstract: "Every element of every DICOM file under the directories into one table (CSV or JSON lines).",
        discussion: """
            One row per readable DICOM file (DICM at byte 128 or a bare data set), rows in path order \
            (depth first, names in byte order; directories in the order given). First column DicomPath, \
            then one column per element path, named as pydicom names elements: \
            'Study Date (0008,0020)'; elements in sequences are prefixed by their parents: \
            'Referenced Image Sequence (0008,1140) - Referenced SOP Instance UID (0008,1155)'. \
            A sequence has a column '... - Number of Items'; its first --max-items items get columns, \
            item 2 and later with ' [2]' after the sequence's name. Private elements are named by their \
            creator: '[SIEMENS CSA HEADER] (0029,1010)', else 'Private tag (0029,1010)'. Columns are in \
            tag order; columns empty in every row are dropped. Pixel, overlay and waveform data and the \
            file meta group never appear.

            --format jsonl writes one JSON object per file following the DICOM JSON model (PS3.18), \
            with every item of every sequence, plus "DicomPath".

            Files that are DICOM but cannot be read completely are listed in OUTPUT.unreadable.csv \
            beside the output (path, reason with byte offset); the elements read before the damage \
            still make a row; the run goes on and exits with status 1. Paths that are not UTF-8 (or \
            hold a backslash) are written with \\xHH for those bytes and \\\\ for a backslash.

            The output is written to a temporary file and renamed into place; -o - writes to standard \
            output. An existing file inside the directories being read is replaced only if it is a \
            table this command wrote. Progress is committed to OUTPUT.progress/ about once a second: a \
            killed run started again with --resume and the same arguments finishes the job with a \
            byte-identical output, or refuses (exit 2) if a file it had done has changed since. A \
            second run on the same output while one is going refuses to start.
            """)

    @Argument(help: ArgumentHelp("Directories to read (recursively).", valueName: "dir"))
    var directories: [String]

    @Option(name: .shortAndLong, help: ArgumentHelp("The table to write (default: dicom_data.csv, or dicom_data.jsonl with --format jsonl).", valueName: "file"))
    var output: String?

    @OptionGroup var common: WalkingOptions

    @Option(name: .long, help: "csv or jsonl.")
    var format: TableFormat = .csv

    @OptionGroup var columns: ColumnOptions

    @Flag(name: .long, help: "CSV: prefix cells starting with = + - @ (which a spreadsheet would run as a formula) with '.")
    var excelSafe = false

    @Flag(name: .long, help: "Continue an interrupted run with the same arguments.")
    var resume = false

    @Option(name: .long, help: .hidden)
    var batchSize = 512

    @Option(name: .long, help: .hidden)
    var commitInterval = 1.0

    func validate() throws {
        if batchSize < 1 || commitInterval < 0 { throw ValidationError("--batch-size must be at least 1 and --commit-interval 0 or more") }
    }

    func run() throws {
        let out = output ?? (format == .csv ? "dicom_data.csv" : "dicom_data.jsonl")
        var options = TagsOptions(
            directories: directories, output: out, format: format,
            table: columns.table,
            walk: common.walk, jobs: common.jobs, resume: resume)
        options.batchSize = batchSize
        options.commitInterval = commitInterval
        options.testPauseInWriteMS = TestHooks.pauseInWriteMS
        options.excelSafe = excelSafe
        let progress = TagsProgress()
        // On a terminal, the files are counted ahead on a thread of their own: a total and the time left.
        let count = common.showsProgress ? Prewalk(directories, options: common.walk) : nil
        defer { count?.stop() }
        let meter = ProgressMeter()
        let ticker = count.map { count in
            ProgressTicker {
                let done = progress.filesDone.load(ordering: .relaxed)
                if progress.assembling.load(ordering: .relaxed) { return "dicomcrawler tags: \(done) files read; assembling the table" }
                return "dicomcrawler tags: " + meter.line(done: done, counted: count.counted.load(ordering: .relaxed),
                                                          countFinished: count.finished.load(ordering: .acquiring), unit: "files")
            }
        }
        let report: TagsReport
        do {
            report = try TagsJob(options: options).run(progress: progress, note: { message in
                if !common.quiet {
                    ticker?.clear()
                    printError("dicomcrawler tags: \(message)")
                }
            }, unreadable: { path, reason in
                ticker?.clear()
                printError("  unreadable: \(path): \(reason)")
            })
        } catch {
            ticker?.stop()
            printError("dicomcrawler: error: \(error.message)")
            throw ExitCode(exitStatus(error.kind))
        }
        ticker?.stop()
        for e in report.directoryErrors { printError("dicomcrawler: error: \(e)") }
        for p in report.problems { printError("  problem: \(p.path): \(p.message)") }
        if !common.quiet {
            for l in report.loops { printError("  note: \(l.path): \(l.message)") }
            var line = "\(out): \(report.dicomFiles) DICOM file\(report.dicomFiles == 1 ? "" : "s") of \(report.filesSeen), \(report.columns) columns"
            if report.notDICOM > 0 { line += ", \(report.notDICOM) other file\(report.notDICOM == 1 ? "" : "s") skipped" }
            if report.resumedFiles > 0 { line += ", resumed after \(report.resumedFiles) files" }
            printError(line)
        }
        for n in report.notes where !common.quiet { printError("  note: \(n)") }
        if report.unreadable > 0 {
            let list = report.unreadablePath.isEmpty ? "listed above" : "see \(report.unreadablePath)"
            printError("dicomcrawler tags: \(report.unreadable) file\(report.unreadable == 1 ? "" : "s") could not be read: \(list)")
        }
        if report.failed { throw ExitCode(1) }
    }

    /// 2 when the arguments or the tree do not fit an interrupted run (`--resume` cannot be honoured);
    /// 1 when the run could not run (busy, unwritable, damaged state).
    func exitStatus(_ kind: TagsError.Kind) -> Int32 {
        switch kind {
        case .argumentsDiffer, .treeChanged, .usage: 2
        case .io, .busy, .damagedState: 1
        }
    }
}
