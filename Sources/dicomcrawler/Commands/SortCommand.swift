import ArgumentParser
import DICOM
import DICOMCrawler
#if canImport(Glibc)
import Glibc
#endif

extension SortOptions.Mode: EnumerableFlag {
    public static func help(for value: Self) -> ArgumentHelp? {
        switch value {
        case .copy: "Copy files."
        case .move: "Move files (across file systems: copy, sync, verify, then remove the source)."
        case .link: "Hard-link files (same file system)."
        case .symlink: "Symlink files (absolute links)."
        }
    }
}

struct SortCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sort",
        abstract: "File DICOM files into {Patient}/{Series} folders under DEST, never losing or overwriting a file.",
        discussion: """
            Each DICOM file under the sources goes to DEST/<pattern>/<its file name>. The default \
            pattern reproduces the old classifier's folders, DOE^JOHN_123/T1_MPRAGE_0003:
              \(SortPattern.defaultText)
            A pattern is text with {Keyword} or {Keyword:modifiers} fields and / between folders. \
            Modifiers: upper, lower, nospace (spaces to _), 0N (zero-pad an integer to N digits), \
            N (cut to N characters); e.g. --pattern '{StudyDate}/{Modality}_{SeriesNumber:04}'. \
            A missing or empty value is UNKNOWN. Values are made safe for file names (/ \\ NUL, \
            control characters and < > : " | ? * become _; . and .. become _ and __, a leading . becomes _); \
            a name over 255 bytes has its longest values cut and ~ plus a hash of the full name appended. \
            Binary and sequence fields ({PixelData}) and widths over 255 are refused.

            Nothing is overwritten: a destination that exists with identical content is skipped (so \
            a second run does nothing and an interrupted run can simply be run again); one with \
            different content gets a numbered suffix (IM1_1.dcm). Copies go to a temporary file in \
            DEST/.dicomcrawler-tmp and are linked into place. --move renames within a file system and, \
            across file systems, copies, syncs and verifies before removing the source; a symlinked \
            source is sorted by its target (--move copies it and removes only the link); a source \
            that cannot be removed is copied and kept (exit 1). Files that are not DICOM or cannot be \
            read stay where they are and are listed in the summary. DEST/sort_manifest.csv gets a line \
            per file (time, source, destination, action, SOP Instance UID; paths escaped: \\\\ and \\xHH \
            for bytes that are not UTF-8) before a moved source is removed; if it cannot be written, \
            the run stops.

            Exit status: 0 done; 1 some file could not be read or placed; 2 bad options or pattern.
            """)

    @Argument(help: ArgumentHelp("Files and directories to sort (directories recursively).", valueName: "src"))
    var sources: [String]

    @Option(name: .long, help: ArgumentHelp("The destination folder.", valueName: "dest"))
    var into: String

    @Option(name: .long, help: ArgumentHelp("Folder pattern under DEST.", valueName: "pattern"))
    var pattern: String = SortPattern.defaultText

    @Flag(help: "How files get to DEST (one of these; --copy is the default).")
    var mode: SortOptions.Mode = .copy

    @Flag(name: .long, help: "Print what would be done; change nothing.")
    var dryRun = false

    @OptionGroup var common: WalkingOptions

    func validate() throws {
        do { _ = try SortPattern(pattern) } catch { throw ValidationError(error.message) }
    }

    func run() throws {
        let pause = getenv("DICOMCRAWLER_TEST_PAUSE_IN_COPY_MS").flatMap { Int(String(cString: $0)) }
        let options = SortOptions(sources: sources, destination: into, pattern: try SortPattern(pattern), mode: mode,
                                  dryRun: dryRun, jobs: common.jobs, walk: common.walk, testPauseInCopyMS: pause)
        let progress = SortProgress()
        let ticker = common.showsProgress && !dryRun ? ProgressTicker { "dicomcrawler sort: \(progress.filesDone.load(ordering: .relaxed)) files" } : nil
        let job = SortJob(options: options)
        let report = job.run(progress: progress) { action in
            guard dryRun else { return }
            let verb: String
            switch action.kind {
            case .notDICOM, .failed: return
            case .copied: verb = "copy"
            case .moved: verb = "move"
            case .linked: verb = "link"
            case .symlinked: verb = "symlink"
            case .exists: verb = "exists"
            }
            print("\(verb)\(action.notes) \(action.source) -> \(action.destination)")
        }
        ticker?.stop()
        if getenv("DICOMCRAWLER_TEST_SHOW_NAME_ATTEMPTS") != nil { printError("name attempts: \(job.nameAttempts.load(ordering: .relaxed))") }
        for e in report.sourceErrors { printError("dicomcrawler: error: \(e)") }
        if let stopped = report.stopped {
            printError("dicomcrawler: error: \(stopped); stopped: no further file was sorted (every file placed has its manifest line)")
        }
        for p in report.problems { printError("  problem: \(p.path): \(p.message)") }
        let failed = report.left.filter { $0.kind == .failed }
        for f in failed.prefix(50) { printError("  not sorted: \(f.source): \(f.reason)") }
        if failed.count > 50 { printError("  ... and \(failed.count - 50) more (see sort_manifest.csv)") }
        for k in report.kept.prefix(50) { printError("  source kept: \(k.source): \(k.reason)") }
        if report.kept.count > 50 { printError("  ... and \(report.kept.count - 50) more (see sort_manifest.csv)") }
        if !common.quiet {
            let c = report.counts
            let keptPlaced = report.kept.filter { $0.kind != .exists }.count
            let done = (c[.copied] ?? 0) + (c[.moved] ?? 0) + (c[.linked] ?? 0) + (c[.symlinked] ?? 0) - keptPlaced
            var line = "\(dryRun ? "dry run: would " : "")\(mode.rawValue) \(done) file\(done == 1 ? "" : "s") into \(into)"
            line += ", \(c[.exists] ?? 0) already there"
            if report.renamed > 0 { line += ", \(report.renamed) renamed (a different file had the name)" }
            if !report.kept.isEmpty {
                line += ", \(report.kept.count) source\(report.kept.count == 1 ? "" : "s") could not be removed (\(keptPlaced) copied, \(report.kept.count - keptPlaced) already there; left in place)"
            }
            let others = report.left.filter { $0.kind == .notDICOM }
            if !others.isEmpty { line += ", \(others.count) not DICOM (left in place)" }
            if !failed.isEmpty { line += ", \(failed.count) not sorted (left in place)" }
            printError(line)
            for o in others.prefix(20) { printError("  not DICOM: \(o.source)") }
            if others.count > 20 { printError("  ... and \(others.count - 20) more (see sort_manifest.csv)") }
        }
        if report.failed { throw ExitCode(1) }
    }
}
