#if canImport(Glibc)
import Glibc
#endif
import DICOM
import Synchronization

/// `dicomcrawler tags`: every element of every DICOM file under the given directories into one table.
///
/// Rows (one per readable DICOM file) are streamed to a spill file in row order while the set of
/// columns is tracked; at the end the columns are sorted, empty ones dropped, and the table is
/// written to a temporary file and renamed into place. Memory does not grow with rows × columns.
/// The spill and a small state file live in `OUTPUT.progress/`, committed (synced) about once a
/// second, so a killed run can be resumed (`resume`) and finishes with a byte-identical file.
public struct TagsOptions: Sendable {
    public enum Format: String, Sendable { case csv, jsonl }
    public var directories: [String]
    public var output: String
    public var format: Format
    public var table: TagTableOptions
    public var walk: WalkOptions
    public var jobs: Int
    public var resume: Bool
    /// Files per parallel batch.
    public var batchSize = 512
    /// Seconds between commits of the progress state.
    public var commitInterval = 1.0

    public init(directories: [String], output: String, format: Format = .csv, table: TagTableOptions = TagTableOptions(),
                walk: WalkOptions = WalkOptions(), jobs: Int = 1, resume: Bool = false) {
        self.directories = directories
        self.output = output
        self.format = format
        self.table = table
        self.walk = walk
        self.jobs = jobs
        self.resume = resume
    }

    /// What must be the same for a run to resume another: everything that changes the output.
    var fingerprint: String {
        let parts = [format.rawValue, output, String(table.maxItems), String(table.maxValueBytes), String(table.includePrivate),
                     table.keywords.map { $0.map(\.hexString).joined(separator: ",") } ?? "*",
                     String(walk.includeHidden), String(walk.followSymlinks)] + directories
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in parts.joined(separator: "\u{0}").utf8 {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01B3
        }
        return String(h, radix: 16)
    }
}

public struct TagsError: Error, CustomStringConvertible {
    public let message: String
    /// 1: could not run; 2: the arguments do not fit (e.g. --resume with other arguments).
    public let exitCode: Int32
    public var description: String { message }
}

public struct TagsReport: Sendable {
    public var filesSeen = 0
    public var dicomFiles = 0
    public var notDICOM = 0
    public var unreadable = 0
    public var columns = 0
    /// Files skipped because an interrupted run had done them.
    public var resumedFiles = 0
    public var directoryErrors: [String] = []
    public var problems: [WalkProblem] = []
    public var loops: [WalkProblem] = []
    public var unreadablePath = ""
    public var failed: Bool { unreadable > 0 || !directoryErrors.isEmpty || !problems.isEmpty }
}

public final class TagsProgress: Sendable {
    public let filesDone = Atomic<Int>(0)
    public init() {}
}

private enum FileOutcome {
    case row([(key: String, value: String)])
    case json(String)
    case notDICOM
    case unreadable(String)
}

public final class TagsRun {
    let options: TagsOptions
    let outputPath: PathBytes
    let progressDir: PathBytes
    var columns: [String: Int] = [:]
    var report = TagsReport()

    public init(options: TagsOptions) {
        self.options = options
        outputPath = Array(options.output.utf8)
        progressDir = outputPath + Array(".progress".utf8)
    }

    private func inProgress(_ name: String) -> PathBytes { progressDir + [UInt8(ascii: "/")] + Array(name.utf8) }

    public func run(progress: TagsProgress? = nil, note: (String) -> Void = { _ in }) throws(TagsError) -> TagsReport {
        if let e = makeDirectory(progressDir) {
            throw TagsError(message: "cannot create \(progressDir.pathString): \(e.text)", exitCode: 1)
        }
        let lock: LockFile?
        do { lock = try LockFile(inProgress("lock")) } catch {
            throw TagsError(message: "cannot lock \(inProgress("lock").pathString): \(error.text)", exitCode: 1)
        }
        guard let lock else {
            throw TagsError(message: "another 'dicomcrawler tags' run is writing \(options.output) (it holds \(inProgress("lock").pathString)); not starting a second one", exitCode: 1)
        }
        withExtendedLifetime(lock) {}

        // Resume?
        var skip = 0
        var keep = 0
        if let state = readState() {
            if options.resume {
                guard state.fingerprint == options.fingerprint else {
                    throw TagsError(message: "the interrupted run on \(options.output) used other arguments; run it again with them, or without --resume to start over", exitCode: 2)
                }
                skip = state.files
                keep = state.spill
                note("resuming after \(skip) files")
            } else {
                note("discarding the state of an interrupted run on \(options.output) (use --resume to continue it)")
            }
        } else if options.resume {
            note("nothing to resume for \(options.output): starting")
        }
        let spill: AppendFile
        do { spill = try AppendFile(inProgress("spill"), keep: keep) } catch {
            throw TagsError(message: "cannot write \(inProgress("spill").pathString): \(error.text)", exitCode: 1)
        }
        if keep > 0 { try reload(spill: inProgress("spill"), length: keep) }
        report.resumedFiles = skip

        // Walk, read in parallel batches, append in order. While the main thread appends one batch's
        // results, the workers read the next one.
        let pool = WorkerPool(threads: options.jobs)
        defer { pool.shutdown() }
        var index = 0            // files walked
        var appendedThrough = skip  // every file up to this index is in the spill
        var lastCommit = monotonicSeconds()
        var batch: [PathBytes] = []
        var inFlight: (paths: [PathBytes], through: Int, results: WorkerPool.Batch<FileOutcome>)? = nil
        func drain() throws(TagsError) {
            guard let (paths, through, results) = inFlight else { return }
            inFlight = nil
            for (path, outcome) in zip(paths, results.wait()) { append(outcome, path: path, to: spill) }
            appendedThrough = through
            progress?.filesDone.add(paths.count, ordering: .relaxed)
            if monotonicSeconds() - lastCommit >= options.commitInterval {
                try commit(spill, files: appendedThrough)
                lastCommit = monotonicSeconds()
            } else if spill.length - spill.committedLength > 1 << 20 {
                do { try spill.flush(sync: false) } catch {
                    throw TagsError(message: "cannot write \(inProgress("spill").pathString): \(error.text)", exitCode: 1)
                }
            }
        }
        func submitBatch() throws(TagsError) {
            if batch.isEmpty { return }
            let next = (batch, index, pool.submit(batch) { self.readFile($0) })
            batch = []
            try drain()
            inFlight = next
        }
        for dir in options.directories {
            let root = trimTrailingSlashes(Array(dir.utf8))
            var walk = FileWalk(root: root, options: options.walk)
            if let e = walk.start() {
                report.directoryErrors.append("\(dir): \(e.directoryProblem)")
                continue
            }
            while true {
                let files = walk.next(options.batchSize)
                if files.isEmpty { break }
                for rel in files {
                    index += 1
                    report.filesSeen += 1
                    if index <= skip { continue }  // done by the interrupted run: not read again
                    batch.append(joinPath(root, rel))
                    if batch.count >= options.batchSize { try submitBatch() }
                }
            }
            report.problems += walk.problems
            report.loops += walk.loops
        }
        try submitBatch()
        try drain()
        try commit(spill, files: index)  // also the files after the last DICOM one

        // The table, then the list of unreadable files; then the progress state goes.
        try assemble(spill: inProgress("spill"), length: spill.committedLength)
        // Everything in the progress folder is ours (also temporary files a killed run left).
        if case .success(let entries) = listDirectory(progressDir) {
            for e in entries where e.kind == .file { removeFile(joinPath(progressDir, e.name)) }
        }
        removeDirectory(progressDir)
        return report
    }

    // MARK: reading files (worker threads)

    private func readFile(_ path: PathBytes) -> FileOutcome {
        let fd = path.withCPath { open($0, O_RDONLY | O_CLOEXEC) }
        if fd < 0 { return .unreadable("cannot open: \(errnoText())") }
        defer { close(fd) }
        let file = DICOMReader.read(fileDescriptor: fd, options: options.table.readOptions)
        if let e = file.error {
            return e.kind == .notDICOM ? .notDICOM : .unreadable(e.description)
        }
        switch options.format {
        case .csv: return .row(tableCells(file, options.table))
        case .jsonl: return .json(dicomJSON(file.dataSet, options.table, topLevel: true))
        }
    }

    // MARK: the spill: records C (column), R (CSV row), J (JSON row), U (unreadable file)

    private func append(_ outcome: FileOutcome, path: PathBytes, to spill: AppendFile) {
        switch outcome {
        case .notDICOM:
            report.notDICOM += 1
        case .unreadable(let reason):
            report.unreadable += 1
            spill.append(byte: UInt8(ascii: "U"))
            spill.appendBytes(path)
            spill.appendString(reason)
        case .json(let line):
            report.dicomFiles += 1
            spill.append(byte: UInt8(ascii: "J"))
            spill.appendBytes(path)
            spill.appendString(line)
        case .row(let cells):
            report.dicomFiles += 1
            var ids: [Int] = []
            ids.reserveCapacity(cells.count)
            for cell in cells {
                if let id = columns[cell.key] { ids.append(id); continue }
                let id = columns.count
                columns[cell.key] = id
                spill.append(byte: UInt8(ascii: "C"))
                spill.appendVarint(id)
                spill.appendString(cell.key)
                ids.append(id)
            }
            spill.append(byte: UInt8(ascii: "R"))
            spill.appendBytes(path)
            spill.appendVarint(cells.count)
            for (id, cell) in zip(ids, cells) {
                spill.appendVarint(id)
                spill.appendString(cell.value)
            }
        }
    }

    private func commit(_ spill: AppendFile, files: Int) throws(TagsError) {
        do {
            try spill.flush(sync: true)
            let state = "dicomcrawler-tags-state 1\nfingerprint \(options.fingerprint)\nfiles \(files)\nspill \(spill.committedLength)\n"
            try writeFileAtomically(inProgress("state"), Array(state.utf8))
        } catch {
            throw TagsError(message: "cannot write the progress state in \(progressDir.pathString): \(error.text)", exitCode: 1)
        }
    }

    private func readState() -> (fingerprint: String, files: Int, spill: Int)? {
        guard let bytes = readWholeFile(inProgress("state")) else { return nil }
        var fields: [String: String] = [:]
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            if parts.count == 2 { fields[String(parts[0])] = String(parts[1]) }
        }
        guard let fp = fields["fingerprint"], let f = fields["files"].flatMap({ Int($0) }), let s = fields["spill"].flatMap({ Int($0) }) else { return nil }
        return (fp, f, s)
    }

    /// After a resume: the columns and counts of what the interrupted run wrote.
    private func reload(spill path: PathBytes, length: Int) throws(TagsError) {
        do throws(Errno) {
            var r = try SpillReader(path, length: length)
            defer { r.close() }
            while !r.atEnd {
                switch try r.byte() {
                case UInt8(ascii: "C"):
                    let id = try r.varint()
                    columns[try r.string()] = id
                case UInt8(ascii: "R"):
                    _ = try r.bytes()
                    for _ in 0..<(try r.varint()) { _ = try r.varint(); _ = try r.bytes() }
                    report.dicomFiles += 1
                case UInt8(ascii: "J"):
                    _ = try r.bytes(); _ = try r.bytes()
                    report.dicomFiles += 1
                case UInt8(ascii: "U"):
                    _ = try r.bytes(); _ = try r.bytes()
                    report.unreadable += 1
                default:
                    throw Errno(EIO)
                }
            }
        } catch {
            throw TagsError(message: "the progress state in \(progressDir.pathString) is damaged (\(error.text)); run without --resume to start over", exitCode: 1)
        }
    }

    // MARK: assembling the output

    private func assemble(spill path: PathBytes, length: Int) throws(TagsError) {
        do throws(Errno) {
            // Pass 1: which columns ever hold a value.
            var keys: [Int: String] = [:]
            var nonEmpty = Set<Int>()
            var unreadableRows: [(PathBytes, String)] = []
            var r = try SpillReader(path, length: length)
            while !r.atEnd {
                switch try r.byte() {
                case UInt8(ascii: "C"):
                    let id = try r.varint()
                    keys[id] = try r.string()
                case UInt8(ascii: "R"):
                    _ = try r.bytes()
                    for _ in 0..<(try r.varint()) {
                        let id = try r.varint()
                        if !(try r.bytes()).isEmpty { nonEmpty.insert(id) }
                    }
                case UInt8(ascii: "J"):
                    _ = try r.bytes(); _ = try r.bytes()
                case UInt8(ascii: "U"):
                    let p = Array(try r.bytes())
                    unreadableRows.append((p, try r.string()))
                default: throw Errno(EIO)
                }
            }
            r.close()
            let ordered = nonEmpty.compactMap { id in keys[id].flatMap { ColumnKey($0) }.map { (id, $0) } }.sorted { $0.1 < $1.1 }
            report.columns = ordered.count
            var position = [Int](repeating: -1, count: (keys.keys.max() ?? -1) + 1)
            for (i, (id, _)) in ordered.enumerated() { position[id] = i + 1 }  // column 0 is DicomPath

            // Pass 2: the table, into a temporary file renamed into place.
            let tmp = temporaryName(for: outputPath)
            let out = try AppendFile(tmp, keep: 0)
            var ok = false
            defer { if !ok { removeFile(tmp) } }
            var text = CSVText()
            if options.format == .csv {
                text.appendRow(["DicomPath"] + ordered.map { $0.1.name })
            }
            r = try SpillReader(path, length: length)
            var cells = [ArraySlice<UInt8>](repeating: [], count: ordered.count + 1)
            while !r.atEnd {
                switch try r.byte() {
                case UInt8(ascii: "C"):
                    _ = try r.varint(); _ = try r.bytes()
                case UInt8(ascii: "R"):
                    let path = try r.bytes()
                    // The CSV is UTF-8: a path that is not is shown with U+FFFD.
                    cells[0] = String(validating: path, as: UTF8.self) != nil ? path : ArraySlice(String(decoding: path, as: UTF8.self).utf8)
                    for i in 1..<cells.count { cells[i] = [] }
                    for _ in 0..<(try r.varint()) {
                        let id = try r.varint()
                        let v = try r.bytes()
                        if id < position.count, position[id] > 0 { cells[position[id]] = ArraySlice(v) }
                    }
                    text.appendRow(byteFields: cells)
                case UInt8(ascii: "J"):
                    let p = Array(try r.bytes())
                    let json = try r.bytes()
                    out.append(Array("{\"DicomPath\":".utf8) + Array(JSONText.quote(p.pathString).utf8) + Array((json.count > 2 ? "," : "").utf8) + Array(json.dropFirst()) + [0x0A])
                case UInt8(ascii: "U"):
                    _ = try r.bytes(); _ = try r.bytes()
                default: throw Errno(EIO)
                }
                if text.bytes.count > 1 << 16 {
                    out.append(text.bytes)
                    text.removeAll()
                }
                if out.length - out.committedLength > 1 << 20 { try out.flush(sync: false) }
            }
            out.append(text.bytes)
            r.close()
            try out.flush(sync: true)
            let rc = tmp.withCPath { t in outputPath.withCPath { rename(t, $0) } }
            if rc != 0 { throw Errno(errno) }
            ok = true

            // unreadable_files.csv beside the output (header only when every file could be read).
            var u = CSVText()
            u.appendRow(["DicomPath", "Reason"])
            for (p, reason) in unreadableRows { u.appendRow([p.pathString, reason]) }
            let unreadablePath = siblingPath(of: outputPath, named: "unreadable_files.csv")
            report.unreadablePath = unreadablePath.pathString
            try writeFileAtomically(unreadablePath, u.bytes)
        } catch {
            throw TagsError(message: "cannot write \(options.output): \(error.text)", exitCode: 1)
        }
    }
}

func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

func siblingPath(of path: PathBytes, named name: String) -> PathBytes {
    if let slash = path.lastIndex(of: UInt8(ascii: "/")) { return Array(path[...slash]) + Array(name.utf8) }
    return Array(name.utf8)
}
