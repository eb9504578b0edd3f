import ArgumentParser
import DICOM
import DICOMCrawler
#if canImport(Glibc)
import Glibc
#endif

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Pixel data into HDF5: one dataset per scan (3-D or 4-D), a metadata row per scan.",
        discussion: """
            A scan is the files of one Series Instance UID (split into one scan per homogeneous stack \
            when orientations, image sizes, pixel formats or studies differ: ids UID, UID_2, ...). \
            Slices are ordered by Image Position projected on the slice normal when every slice has \
            one, else by Instance Number, else by the numbers in the file name; the Order column says \
            which. Positions repeated k times make a 4-D scan. Dataset shape (k, Rows, Columns, \
            slices), colour adds a last axis of 3; values as stored (never rescaled), YBR as RGB.

            Writes OUTPUT (links to the datasets, one per scan: f[scan_id] in h5py), OUTPUT.parts/ \
            (the data, in part files), OUTPUT without .h5 plus .csv (one row per scan: Scan ID, \
            Dataset, Shape, Data Type, Files, Order, then the first file's elements named as `tags` \
            names them) and .unreadable.csv (Scan ID, Path, Reason). A scan with a file that cannot \
            be read or decoded is left out whole (exit status 1). Running the command again on the \
            same output skips the scans already exported: a killed run is finished that way. \
            --shard K/N exports the scans of one shard of N (by a stable hash of the series), so \
            that N processes, on one machine or many, fill one output folder.

            Decoders: native (any byte order, deflated), RLE in Swift; JPEG (8/12-bit, lossless), \
            JPEG-LS and JPEG 2000 through GDCM in helper processes (dicomcrawler-decoder, installed \
            beside dicomcrawler), so that a decoder crash costs one file.
            """)

    @Argument(help: ArgumentHelp("Directories (or files) to read.", valueName: "dir"))
    var directories: [String]

    @Option(name: .shortAndLong, help: ArgumentHelp("The HDF5 file to write.", valueName: "file"))
    var output = "pixel_data.h5"

    @OptionGroup var common: WalkingOptions

    @Flag(name: .long, help: "One dataset per file (named by its SOP Instance UID), one metadata row per file.")
    var slices = false

    @Option(name: .long, help: ArgumentHelp("gzip[:LEVEL] (with shuffle, one chunk per slice) or none.", valueName: "method"))
    var compression = "gzip:4"

    @Option(name: .long, help: ArgumentHelp("Export only shard K of N (1 <= K <= N).", valueName: "K/N"))
    var shard = "1/1"

    @OptionGroup var columns: ColumnOptions

    @Option(name: .long, help: .hidden)
    var partBytes = 256 << 20

    func level() throws -> Int? {
        if compression == "none" { return nil }
        if compression == "gzip" { return 4 }
        if compression.hasPrefix("gzip:"), let l = Int(compression.dropFirst(5)), (0...9).contains(l) { return l }
        throw ValidationError("--compression must be none, gzip or gzip:LEVEL with LEVEL 0 to 9")
    }

    func shardSpec() throws -> (Int, Int) {
        let parts = shard.split(separator: "/")
        guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]), n >= 1, (1...n).contains(k) else {
            throw ValidationError("--shard must be K/N with 1 <= K <= N, e.g. 3/8")
        }
        return (k, n)
    }

    func validate() throws {
        _ = try level()
        _ = try shardSpec()
        if output.isEmpty || output.hasSuffix("/") { throw ValidationError("-o must name a file") }
    }

    func run() throws {
        if let problem = ExportJob.outputProblem(output) {
            printError("dicomcrawler: error: \(problem)")
            throw ExitCode(2)
        }
        // GDCM lives in its own executable beside this one: loading it costs ~20 ms at start-up,
        // which every crawl, `tags` and `sort` would pay.
        let helper = decoderHelperPath()
        if access(helper, X_OK) != 0, !common.quiet {
            printError("dicomcrawler export: warning: the decoder helper \(helper) is missing, so JPEG, JPEG-LS and JPEG 2000 files cannot be decoded (they are listed as unreadable); it is built with `swift build -c release` (all products) and installed beside dicomcrawler")
        }
        let decoders = DecoderProcessPool(command: [helper], syntaxes: Set(CodecTransferSyntaxes.all))
        defer { decoders.stopAll() }
        var options = ExportOptions(
            output: output, jobs: common.jobs, walk: common.walk, slicesMode: slices, compressionLevel: try level(),
            shard: try shardSpec(),
            table: columns.table,
            decoders: decoders, partBytes: max(1, partBytes))
        options.testPausePerScanMS = TestHooks.pausePerScanMS
        let progress = ExportProgress()
        let ticker = common.showsProgress ? ProgressTicker {
            let total = progress.scansTotal.load(ordering: .relaxed)
            if total == 0 {
                return "dicomcrawler export: \(progress.filesRead.load(ordering: .relaxed))/\(progress.filesTotal.load(ordering: .relaxed)) headers"
            }
            let mb = Double(progress.bytesWritten.load(ordering: .relaxed)) / 1e6
            return "dicomcrawler export: \(progress.scansDone.load(ordering: .relaxed))/\(total) scans, \(Int(mb.rounded())) MB written"
        } : nil
        let report = ExportJob(options: options).run(directories, progress: progress)
        ticker?.stop()
        for p in report.problems { printError("  problem: \(p)") }
        if !common.quiet {
            var line = "\(output): \(report.scansExported) scan\(report.scansExported == 1 ? "" : "s") exported"
            if report.scansAlreadyDone > 0 { line += ", \(report.scansAlreadyDone) already there" }
            if report.scansLeftOut > 0 { line += ", \(report.scansLeftOut) left out (files that could not be read: see \(options.unreadablePath))" }
            if report.scansInOtherShards > 0 { line += ", \(report.scansInOtherShards) in other shards" }
            line += "; \(report.filesSeen) files"
            if report.notDICOM > 0 { line += ", \(report.notDICOM) not DICOM" }
            if report.noPixelData > 0 { line += ", \(report.noPixelData) without pixel data" }
            printError(line)
        }
        if let e = report.error {
            printError("dicomcrawler: error: \(e)")
            throw ExitCode(1)
        }
        if report.scansLeftOut > 0 || !report.unreadable.isEmpty || !report.problems.isEmpty { throw ExitCode(1) }
    }

}
