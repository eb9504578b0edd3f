// `dicomcrawler tags`: every element of every DICOM file under the given directories into one table,
// streamed through a spill so that memory does not grow with rows × columns, resumable after a kill.
#if canImport(Glibc)
import Glibc
#endif
import DICOM

/// What a `tags` run reads and writes.
public struct TagsOptions: Sendable {
    public var directories: [String]
    public var output: String
    public var format: TableFormat
    public var table: TagTableOptions
    public var walk: WalkOptions
    public var jobs: Int
    public var resume: Bool
    /// Files per parallel batch.
    public var batchSize = 512
    /// Seconds between commits of the progress state.
    public var commitInterval = 1.0
    /// Prefix cells that a spreadsheet would run as a formula with `'` (CSV only).
    public var excelSafe = false
    /// Test hook: pause this long half-way through each atomic write (the state at every commit).
    public var testPauseInWriteMS: Int?

    public init(directories: [String], output: String, format: TableFormat = .csv, table: TagTableOptions = TagTableOptions(),
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
                     String(walk.includeHidden), String(walk.followSymlinks)] + (excelSafe ? ["excel-safe"] : []) + directories
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in parts.joined(separator: "\u{0}").utf8 {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01B3
        }
        return String(h, radix: 16)
    }
}

/// One `tags` run. Rows (one per readable DICOM file) are streamed to the spill in walk order while
/// the set of columns is tracked; at the end the table is assembled from the spill (`Assembly.swift`).
/// The spill and the progress state live in `OUTPUT.progress/`, committed about once a second, so
/// that a killed run can be resumed and finishes with a byte-identical file.
public final class TagsJob {
    let options: TagsOptions
    let outputPath: PathBytes
    /// `OUTPUT.progress/` for a file output; a temporary folder for a stream.
    private(set) var progressDir: PathBytes
    /// Column key → id, in the order first met.
    var columns: [String: Int] = [:]
    var report = TagsReport()
    /// Rows are whole DICOM JSON documents (every item), not cells.
    let documentRows: Bool
    let jsonOptions: DICOMJSONOptions

    public init(options: TagsOptions) {
        self.options = options
        documentRows = type(of: options.format.makeSink()).holdsDocuments
        let table = options.table
        jsonOptions = DICOMJSONOptions(maxValueBytes: table.maxValueBytes, include: { table.includesInJSON($0, topLevel: $1) })
        outputPath = Array(options.output.utf8)
        progressDir = outputPath + Array(".progress".utf8)
    }

    func inProgress(_ name: String) -> PathBytes { joinPath(progressDir, Array(name.utf8)) }

    /// `OUTPUT.unreadable.csv`: the files that could not be read, beside the table.
    var unreadablePath: PathBytes { outputPath + Array(".unreadable.csv".utf8) }

    /// Runs; `note` receives remarks for the user (resuming, discarding an old state); when the
    /// table goes to a stream (no side file), `unreadable` receives each unreadable file (escaped
    /// path, reason) during the assembly.
    public func run(progress: TagsProgress? = nil, note: (String) -> Void = { _ in },
                    unreadable: ((_ path: String, _ reason: String) -> Void)? = nil) throws(TagsError) -> TagsReport {
        let destination = try TableOutput.check(options.output, inputs: options.directories, followSymlinks: options.walk.followSymlinks)
        if destination.isStream {
            if options.resume { throw TagsError(kind: .usage, message: "--resume needs the table in a file (-o FILE), not \(options.output)") }
            progressDir = try temporaryProgressDir()
        }
        defer { if destination.isStream { removeProgressFolder() } }
        if case .file(let target) = destination {
            ownFiles = [target, outputPath, unreadablePath].map { path in (canonicalPath(siblingPath(of: path, named: ".")), lastComponent(path)) }
            cleanStaleTemporaries()
        }
        let (lock, created) = try acquireLock()
        defer { withExtendedLifetime(lock) {} }
        let spill: AppendFile
        do throws(TagsError) {
            let resumed = try resumePoint(note: note)
            do { spill = try AppendFile(inProgress("spill"), keep: resumed?.spillLength ?? 0) } catch {
                throw TagsError(kind: .io, message: "cannot write \(inProgress("spill").pathString): \(error.text)")
            }
            if let resumed, resumed.spillLength > 0 { try reload(spillLength: resumed.spillLength) }
            report.resumedFiles = resumed?.files ?? 0
        } catch {
            if created { removeProgressFolder() }  // a failed start leaves nothing behind
            throw error
        }

        let walked = try readAll(into: spill, skipping: report.resumedFiles, progress: progress)
        try commit(spill, files: walked)  // also the files after the last DICOM one

        // The table, then the list of unreadable files; then the progress state goes (everything in
        // the progress folder is ours, also temporary files a killed run left).
        progress?.assembling.store(true, ordering: .relaxed)
        try assemble(spillLength: spill.writtenLength, to: destination, onUnreadable: unreadable)
        removeProgressFolder()
        return report
    }

    /// A new private folder for the progress of a run whose table goes to a stream.
    private func temporaryProgressDir() throws(TagsError) -> PathBytes {
        let base = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        var template = Array("\(base)/dicomcrawler-tags-XXXXXX".utf8).map { CChar(bitPattern: $0) } + [0]
        guard mkdtemp(&template) != nil else {
            throw TagsError(kind: .io, message: "cannot create a temporary folder in \(base): \(Errno.current.text)")
        }
        return template.dropLast().map { UInt8(bitPattern: $0) }
    }

    /// The table, its list and the table as resolved: (canonical folder, name). Where they lie inside a
    /// folder being read, the walk passes them (and their temporary files) over: they are this
    /// command's output, not its input, and a killed run may have replaced them already.
    private var ownFiles: [(folder: PathBytes, name: PathBytes)] = []

    /// `.NAME.HOST.PID.tmp` of one of our files (any host: a file some machine is writing).
    private func isTemporary(_ name: PathBytes, of own: PathBytes) -> Bool { isTemporaryName(name, of: own) }

    /// Whether a walked file is one of our own.
    private func isOwnFile(_ path: PathBytes) -> Bool {
        let name = lastComponent(path)
        guard ownFiles.contains(where: { name == $0.name || isTemporary(name, of: $0.name) }) else { return false }
        let folder = canonicalPath(siblingPath(of: path, named: "."))
        return ownFiles.contains { $0.folder == folder && (name == $0.name || isTemporary(name, of: $0.name)) }
    }

    /// Removes the temporary files of our outputs that killed runs on this machine left.
    private func cleanStaleTemporaries() {
        for own in ownFiles { removeStaleTemporaries(of: joinPath(own.folder, own.name)) }
    }

    /// The files a progress folder holds: the lock, the state (and its temporary files), the spill.
    private static func isProgressFile(_ name: PathBytes) -> Bool {
        let text = name.pathString
        return text == "lock" || text == "state" || text == "spill" || (text.hasPrefix(".state.") && text.hasSuffix(".tmp"))
    }

    /// Removes the progress folder: only the files a run puts there, then the folder if it is empty.
    func removeProgressFolder() {
        if case .success(let entries) = listDirectory(progressDir) {
            for e in entries where e.kind == .file && Self.isProgressFile(e.name) { removeFile(joinPath(progressDir, e.name)) }
        }
        removeDirectory(progressDir)
    }

    /// The run's lock, in the progress folder; `created`: this run made the folder. An existing
    /// `OUTPUT.progress` that is not a folder of this command's (a symlink, a file, a folder holding
    /// anything else) is refused, never used or emptied.
    private func acquireLock() throws(TagsError) -> (LockFile, created: Bool) {
        var st = stat()
        if progressDir.withCPath({ lstat($0, &st) }) == 0 {
            let entries = (try? OpenDirectory(progressDir))?.entries
            guard st.st_mode & S_IFMT == S_IFDIR, let entries, entries.allSatisfy({ $0.kind == .file && Self.isProgressFile($0.name) }) else {
                throw TagsError(kind: .usage, message: "\(progressDir.pathString) exists and is not the progress folder of a 'dicomcrawler tags' run (it may hold files of yours): move it away or choose another -o")
            }
        }
        let created = !pathExistsNoFollow(progressDir)
        if let e = makeDirectory(progressDir) {
            throw TagsError(kind: .io, message: "cannot create \(progressDir.pathString): \(e.text)")
        }
        let lock: LockFile?
        do { lock = try LockFile(inProgress("lock")) } catch {
            if created { removeProgressFolder() }
            throw TagsError(kind: .io, message: "cannot lock \(inProgress("lock").pathString): \(error.text)")
        }
        guard let lock else {
            throw TagsError(kind: .busy, message: "another 'dicomcrawler tags' run is writing \(options.output) (it holds \(inProgress("lock").pathString)); not starting a second one")
        }
        return (lock, created)
    }

    /// The state to resume from, if `--resume` and an interrupted run of the same arguments left one.
    private func resumePoint(note: (String) -> Void) throws(TagsError) -> ProgressState? {
        let state = (try? readWholeFile(inProgress("state"))).flatMap { ProgressState(text: String(decoding: $0, as: UTF8.self)) }
        guard let state else {
            if options.resume { note("nothing to resume for \(options.output): starting") }
            return nil
        }
        guard options.resume else {
            note("discarding the state of an interrupted run on \(options.output) (use --resume to continue it)")
            return nil
        }
        guard state.fingerprint == options.fingerprint else {
            throw TagsError(kind: .argumentsDiffer, message: "the interrupted run on \(options.output) used other arguments; run it again with them, or without --resume to start over")
        }
        note("resuming after \(state.files) files")
        return state
    }

    // MARK: reading files

    /// What became of one file (on a worker thread).
    indirect enum FileOutcome {
        case row([(key: String, value: String)])
        case document(String)
        case notDICOM
        case unreadable(String)
        /// Damaged after some elements: their row (or document), and why the rest could not be read.
        case damaged(FileOutcome, String)
    }

    /// Walks the directories, reads the files after the first `skip` in parallel batches and appends
    /// their records to the spill in walk order (the workers read the next batch while one is
    /// appended); returns how many files were walked.
    private func readAll(into spill: AppendFile, skipping skip: Int, progress: TagsProgress?) throws(TagsError) -> Int {
        let pool = WorkerPool(threads: options.jobs)
        defer { pool.shutdown() }
        var lastCommit = monotonicSeconds()
        let pipeline = BatchPipeline<(path: PathBytes, index: Int), (FileStamp, FileOutcome), TagsError>(
            pool: pool, overlap: true, work: { self.readFile($0.path) }
        ) { (files, outcomes) throws(TagsError) in
            for (file, (stamp, outcome)) in zip(files, outcomes) {
                spill.appendFile(path: file.path, stamp: stamp)
                self.append(outcome, path: file.path, to: spill)
            }
            progress?.filesDone.add(files.count, ordering: .relaxed)
            if monotonicSeconds() - lastCommit >= self.options.commitInterval {
                try self.commit(spill, files: files.last!.index)
                lastCommit = monotonicSeconds()
            } else {
                do throws(Errno) { try spill.flushIfLarger(than: 1 << 20) } catch {
                    throw TagsError(kind: .io, message: "cannot write \(self.inProgress("spill").pathString): \(error.text)")
                }
            }
        }
        var index = 0  // files walked
        var batch: [(path: PathBytes, index: Int)] = []
        // The files an interrupted run did are checked, in walk order, against what it recorded.
        var done = skip > 0 ? try DoneFiles(spill: inProgress("spill"), length: spill.writtenLength, job: self) : nil
        // Each folder is read once: a DIR given again, or inside one given before, is skipped; a DIR
        // holding one given before does not enter it again. The progress folder is never read.
        var excluded: Set<FileIdentity> = statPath(progressDir).map { [$0.id] } ?? []
        var given: [(dir: String, canonical: PathBytes)] = []
        for dir in options.directories {
            let root = trimTrailingSlashes(Array(dir.utf8))
            let canonical = canonicalPath(root)
            if let earlier = given.first(where: { isInside(canonical, $0.canonical) }) {
                report.notes.append("\(dir): \(canonical == earlier.canonical ? "the same folder as" : "inside") \(earlier.dir), given before: its files are read once")
                continue
            }
            for earlier in given where isInside(earlier.canonical, canonical) {
                report.notes.append("\(dir): holds \(earlier.dir), given before: its files are read once, under \(earlier.dir)")
            }
            var walk = FileWalk(root: root, options: options.walk)
            walk.excluded = excluded
            if let info = statPath(root), info.isDirectory {
                given.append((dir, canonical))
                excluded.insert(info.id)
            }
            if let e = walk.start() {
                report.directoryErrors.append("\(dir): \(e.directoryProblem)")
                continue
            }
            while true {
                let files = walk.next(options.batchSize)
                if files.isEmpty { break }
                for rel in files {
                    if !ownFiles.isEmpty && isOwnFile(joinPath(root, rel)) { continue }
                    index += 1
                    report.filesSeen += 1
                    if index <= skip {  // done by the interrupted run: not read again, if unchanged
                        try done?.check(joinPath(root, rel))
                        continue
                    }
                    batch.append((joinPath(root, rel), index))
                    if batch.count >= options.batchSize {
                        try pipeline.submit(batch)
                        batch = []
                    }
                }
            }
            report.problems += walk.problems
            report.loops += walk.loops
        }
        try done?.checkNoneMissing()
        try pipeline.submit(batch)
        try pipeline.finish()
        return index
    }

    /// Reads one file: what it was when read (its stamp), and what became of it.
    private func readFile(_ path: PathBytes) -> (FileStamp, FileOutcome) {
        let fd: Int32
        do { fd = try openFile(path, O_RDONLY) } catch { return (.of(path), .unreadable("cannot open: \(error.text)")) }
        defer { close(fd) }
        let stamp = FileStamp.of(fd)
        let file = DICOMReader.read(fileDescriptor: fd, options: options.table.readOptions)
        let rows: FileOutcome = documentRows ? .document(file.dataSet.dicomJSON(jsonOptions)) : .row(options.table.cells(file))
        switch file.error?.kind {
        case nil: return (stamp, rows)
        case .notDICOM?: return (stamp, .notDICOM)
        case .io?: return (stamp, .unreadable(file.error!.description))
        default:
            // Every element read before the damage still makes a row; the file is also listed.
            return (stamp, file.dataSet.isEmpty ? .unreadable(file.error!.description) : .damaged(rows, file.error!.description))
        }
    }

    // MARK: the spill

    private func append(_ outcome: FileOutcome, path: PathBytes, to spill: AppendFile) {
        switch outcome {
        case .notDICOM:
            report.notDICOM += 1
        case .unreadable(let reason):
            report.unreadable += 1
            spill.appendUnreadable(path: path, reason: reason)
        case .damaged(let rows, let reason):
            append(rows, path: path, to: spill)
            append(.unreadable(reason), path: path, to: spill)
        case .document(let json):
            report.dicomFiles += 1
            spill.appendDocument(path: path, json: json)
        case .row(let cells):
            report.dicomFiles += 1
            var row: [(id: Int, value: String)] = []
            row.reserveCapacity(cells.count)
            for cell in cells {
                let id: Int
                if let known = columns[cell.key] { id = known } else {
                    id = columns.count
                    columns[cell.key] = id
                    spill.appendColumn(id: id, key: cell.key)
                }
                row.append((id, cell.value))
            }
            spill.appendRow(path: path, cells: row)
        }
    }

    /// Syncs the spill, then records how far it goes.
    func commit(_ spill: AppendFile, files: Int) throws(TagsError) {
        do {
            try spill.flush(sync: true)
            let state = ProgressState(fingerprint: options.fingerprint, files: files, spillLength: spill.writtenLength)
            try writeFileAtomically(inProgress("state"), Array(state.text.utf8), pauseHalfwayMS: options.testPauseInWriteMS)
        } catch {
            throw TagsError(kind: .io, message: "cannot write the progress state in \(progressDir.pathString): \(error.text)")
        }
    }

    /// After a resume: the columns and counts of what the interrupted run wrote.
    private func reload(spillLength: Int) throws(TagsError) {
        do throws(Errno) {
            var r = try SpillReader(inProgress("spill"), length: spillLength)
            var previousFileHadNoRecord = false
            while let record = try r.next() {
                switch record {
                case .column(let id, let key):
                    // Columns are declared once each, numbered in order: anything else is damage.
                    guard id == columns.count, columns[key] == nil else { throw Errno(EIO) }
                    columns[key] = id
                case .file:
                    // A walked file with no record after it before the next one was not DICOM.
                    if previousFileHadNoRecord { report.notDICOM += 1 }
                    previousFileHadNoRecord = true
                    continue
                case .row, .document: report.dicomFiles += 1
                case .unreadable: report.unreadable += 1
                }
                previousFileHadNoRecord = false
            }
            if previousFileHadNoRecord { report.notDICOM += 1 }
        } catch {
            throw damagedState(error)
        }
    }

    func damagedState(_ error: Errno) -> TagsError {
        TagsError(kind: .damagedState, message: "the progress state in \(progressDir.pathString) is damaged (\(error.text)); run without --resume to start over")
    }
}
