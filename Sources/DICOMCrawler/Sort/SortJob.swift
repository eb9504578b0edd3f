// `dicomcrawler sort`: DICOM files into folders named by their header values (a `SortPattern`),
// never losing or overwriting a file; every placement recorded in the manifest.
#if canImport(Glibc)
import Glibc
#endif
import DICOM
import Synchronization

/// What a sort reads, where it puts files, and how.
public struct SortOptions: Sendable {
    public enum Mode: String, Sendable, CaseIterable { case copy, move, link, symlink }
    public var sources: [String]
    public var destination: String
    public var pattern: SortPattern
    public var mode: Mode
    public var dryRun: Bool
    public var jobs: Int
    public var walk: WalkOptions
    /// Test hook: sleep this long before copying each file's content into its temporary file.
    public var testPauseInCopyMS: Int?

    public init(sources: [String], destination: String, pattern: SortPattern, mode: Mode = .copy, dryRun: Bool = false,
                jobs: Int = 1, walk: WalkOptions = WalkOptions(), testPauseInCopyMS: Int? = nil) {
        self.sources = sources
        self.destination = destination
        self.pattern = pattern
        self.mode = mode
        self.dryRun = dryRun
        self.jobs = jobs
        self.walk = walk
        self.testPauseInCopyMS = testPauseInCopyMS
    }
}

/// One sort run. Files are handled in batches, each in two parallel steps: read the headers (where
/// each file goes); then place the files, those that want the same name one after the other in walk
/// order, so that which file keeps a name and which gets a suffix does not depend on timing. Batches
/// are placed one after the other; the next batch's headers are read while one is being placed.
public final class SortJob: Sendable {
    let options: SortOptions
    let destRoot: PathBytes
    let readOptions: ReadOptions
    /// Where copies are written before they are linked into place: `DEST/.dicomcrawler-tmp`.
    let tempDir: PathBytes
    /// Folders known to exist; names planned by the dry run (and the source planned there); per
    /// folder and name, the next free suffix and the names claimed in this run.
    let createdDirs = Mutex<Set<PathBytes>>([])
    let planned = Mutex<[PathBytes: PathBytes]>([:])
    let names = Mutex<[PathBytes: NameState]>([:])
    let tempCounter = Atomic<Int>(0)
    /// Names tried (claimed or looked at) while placing: what a test checks to see that the k-th
    /// file with one name does not cost k attempts.
    public let nameAttempts = Atomic<Int>(0)
    /// Why the run stopped (the manifest could not be written); nothing is placed after it is set.
    let stopped = Mutex<String?>(nil)
    /// Nil in a dry run.
    private let manifest = Mutex<Manifest?>(nil)
    /// `--move`: symbolic links among the sources left out because the file they name is sorted
    /// through another source (by the identity of that file); what became of those files.
    let linkTargets = Mutex<Set<FileIdentity>>([])
    let targetActions = Mutex<[FileIdentity: (dest: PathBytes, action: SortAction)]>([:])

    public init(options: SortOptions) {
        self.options = options
        destRoot = trimTrailingSlashes(Array(options.destination.utf8))
        tempDir = joinPath(destRoot, Self.tempFolderName)
        var tags = options.pattern.tags
        tags.insert(.sopInstanceUID)
        readOptions = ReadOptions(tags: tags)
    }

    /// Sorts; `onAction` receives each action as it happens (in the dry run: as it would happen),
    /// in walk order.
    public func run(progress: SortProgress? = nil, onAction: ((SortAction) -> Void)? = nil) -> SortReport {
        var report = SortReport()
        let (sources, links) = distinctSources(&report)
        if options.mode == .move { linkTargets.withLock { $0 = Set(links.map(\.target)) } }
        if !options.dryRun {
            if let e = makeDirectories(destRoot) {
                report.sourceErrors.append("cannot create \(options.destination): \(e.text)")
                return report
            }
            do {
                let m = try Manifest(in: destRoot)
                manifest.withLock { $0 = m }
            } catch {
                report.stopped = "cannot write \(joinPath(destRoot, Manifest.name).pathString): \(error.text)"
                return report
            }
            if let e = makeDirectory(tempDir) {
                report.sourceErrors.append("cannot create \(tempDir.pathString): \(e.text)")
                return report
            }
            guard isRealDirectory(tempDir) else {
                report.sourceErrors.append("cannot use \(tempDir.pathString): not a folder (a symbolic link or a file is never written through)")
                return report
            }
            removeStaleTemporaries()
        } else if let why = Manifest.notRegular(joinPath(destRoot, Manifest.name)) {
            // The real run would refuse it before placing anything.
            report.stopped = "cannot write \(joinPath(destRoot, Manifest.name).pathString): \(why)"
            return report
        }
        var excluded: Set<FileIdentity> = statPath(destRoot).map { [$0.id] } ?? []
        if let t = statPath(tempDir) { excluded.insert(t.id) }

        let pool = WorkerPool(threads: options.jobs)
        defer { pool.shutdown() }
        let placing = BatchPipeline<[(index: Int, resolved: Resolved)], [SortAction], Never>(pool: pool, overlap: false, work: { group in
            group.map { self.finish($0.resolved) }
        }) { groups, actions in
            // Back in walk order.
            var ordered: [(index: Int, action: SortAction)] = []
            for (group, groupActions) in zip(groups, actions) {
                for (file, action) in zip(group, groupActions) { ordered.append((file.index, action)) }
            }
            ordered.sort { $0.index < $1.index }
            for (_, action) in ordered {
                report.add(action)
                onAction?(action)
            }
            progress?.filesDone.add(ordered.count, ordering: .relaxed)
        }
        let reading = BatchPipeline<PathBytes, Resolved, Never>(pool: pool, overlap: true, work: { self.resolve($0) }) { _, resolved in
            placing.submit(Self.groupedByDestination(resolved))
        }
        func submit(_ files: [PathBytes]) { reading.submit(files) }
        func isStopped() -> Bool { stopped.withLock { $0 != nil } }
        for (source, root) in sources {
            if isStopped() { break }
            guard let info = statPath(root) else {
                if isSymlink(root) {
                    submit([root])  // a dangling link: reported as not sorted
                } else {
                    report.sourceErrors.append("\(source): \(errno == ENOENT ? "no such file or directory" : Errno.current.text)")
                }
                continue
            }
            if info.isFile {
                submit([root])
                continue
            }
            var walk = FileWalk(root: root, options: options.walk)
            walk.excluded = excluded
            if let e = walk.start() {
                report.sourceErrors.append("\(source): cannot read the directory: \(e.text)")
                continue
            }
            while !isStopped() {
                let files = walk.next(1024)
                if files.isEmpty { break }
                submit(files.map { joinPath(root, $0) })
            }
            report.problems += walk.problems
            // Symbolic links whose target is gone: the walk passes them over; they are reported.
            if !isStopped() && !walk.danglingSymlinks.isEmpty { submit(walk.danglingSymlinks.map { joinPath(root, $0) }) }
        }
        reading.finish()
        placing.finish()
        if options.mode == .move {
            for link in links where !isStopped() {
                guard let action = removeLink(link.path, naming: link.target) else { continue }
                report.add(action)
                onAction?(action)
            }
        }
        report.stopped = report.stopped ?? stopped.withLock { $0 }
        if let m = manifest.withLock({ $0 }) {
            if report.stopped == nil {
                do { try m.sync() } catch { report.stopped = "cannot write \(joinPath(destRoot, Manifest.name).pathString): \(error.text)" }
            }
            removeDirectory(tempDir)  // if empty (another run may be using it)
        }
        return report
    }

    static let tempFolderName = Array(".dicomcrawler-tmp".utf8)

    /// The sources as given, without repeats: a source naming the same folder or file as another
    /// (`s` and `./s`, a symlink to it: compared by real path, the file a link names counting
    /// once, and a name that is not a link kept rather than a link to it), or inside another
    /// source's folder where that source's walk reaches it, is left out (it would be sorted twice).
    /// Also returned: the symbolic links to files left out that way (`--move` removes them once
    /// the file they name has been sorted).
    private func distinctSources(_ report: inout SortReport) -> (sources: [(String, PathBytes)], links: [(path: PathBytes, target: FileIdentity)]) {
        let given = options.sources.map { ($0, trimTrailingSlashes(Array($0.utf8))) }
        let real: [(path: PathBytes, isDirectory: Bool, isLink: Bool, id: FileIdentity)?] = given.map { (_, root) in
            guard let info = statPath(root) else { return nil }
            return (canonicalPath(root), info.isDirectory, isSymlink(root), info.id)
        }
        // For each real path, the source that stands for it: the first that is not a link, or the first.
        var keeper: [PathBytes: Int] = [:]
        for (i, r) in real.enumerated() {
            guard let r else { continue }
            if let k = keeper[r.path], !real[k]!.isLink || r.isLink { continue }
            keeper[r.path] = i
        }
        let destReal = statPath(destRoot) != nil ? canonicalPath(destRoot) : nil
        var out: [(String, PathBytes)] = []
        var links: [(path: PathBytes, target: FileIdentity)] = []
        for (i, g) in given.enumerated() {
            guard let r = real[i] else { out.append(g); continue }
            let covered = keeper[r.path] != i || given.indices.contains { j in
                guard j != i, let outer = real[j], outer.path != r.path, outer.isDirectory else { return false }
                return walkReaches(outer.path, r.path, destReal)
            }
            if !covered {
                out.append(g)
            } else if r.isLink && !r.isDirectory && !links.contains(where: { isSameEntry($0.path, g.1) }) {
                links.append((g.1, r.id))
            }
        }
        return (out, links)
    }

    /// `--move`: a link among the sources whose file was sorted through another source is removed
    /// (after its manifest line, `exists (symlink removed)`), as a link given alone would be; it
    /// stays when that file was not sorted, or when the name is no longer a link. Nil: nothing to say.
    private func removeLink(_ link: PathBytes, naming target: FileIdentity) -> SortAction? {
        guard let (dest, done) = targetActions.withLock({ $0[target] }), [.copied, .moved, .linked, .exists].contains(done.kind),
              isSymlink(link) else { return nil }
        var action = SortAction(source: link.escapedPath, destination: done.destination, kind: .exists, linkRemoved: true,
                                sopInstanceUID: done.sopInstanceUID)
        var why: String?
        if !options.dryRun && regularFileIdentity(dest) == nil {
            why = "not removed: \(dest.pathString) is not a regular file"
        } else if let e = moveStrategy(link).removable {
            why = "cannot remove the source: \(e.text)"
        }
        if let why {
            action = SortAction(source: action.source, destination: action.destination, kind: .exists, sourceKept: true,
                                sopInstanceUID: done.sopInstanceUID, reason: why)
            if !options.dryRun { try? writeLine(action) }
            return action
        }
        if options.dryRun { return action }
        do { try writeLine(action) } catch { return nil }
        if link.withCPath({ unlink($0) }) != 0 {
            action = SortAction(source: action.source, destination: action.destination, kind: .exists, sourceKept: true,
                                sopInstanceUID: done.sopInstanceUID, reason: "cannot remove the source: \(Errno.current.text)")
            try? writeLine(action)
        }
        return action
    }

    /// Whether a walk of the folder `outer` (a real path) meets `inner` (a real path below it).
    private func walkReaches(_ outer: PathBytes, _ inner: PathBytes, _ destReal: PathBytes?) -> Bool {
        let prefix = outer == [UInt8(ascii: "/")] ? outer : outer + [UInt8(ascii: "/")]
        guard inner.starts(with: prefix) else { return false }
        if let destReal, inner == destReal || inner.starts(with: destReal + [UInt8(ascii: "/")]) {
            // Under DEST, which the walk does not enter (unless DEST is the outer folder itself).
            if destReal != outer && destReal.starts(with: prefix) { return false }
        }
        let rest = inner[prefix.count...].split(separator: UInt8(ascii: "/"))
        return options.walk.includeHidden || !rest.contains { $0.first == UInt8(ascii: ".") }
    }

    /// Removes the temporary files of runs that were killed: in `DEST/.dicomcrawler-tmp` (which
    /// nothing but this tool writes to), the regular files named `.dicomcrawler-PID-N-X.tmp`
    /// whose process is gone.
    private func removeStaleTemporaries() {
        guard case .success(let entries) = listDirectory(tempDir) else { return }
        for e in entries where e.kind == .file {
            let name = e.name.pathString
            guard name.hasPrefix(".dicomcrawler-"), name.hasSuffix(".tmp") else { continue }
            let parts = name.dropFirst(".dicomcrawler-".count).dropLast(".tmp".count).split(separator: "-")
            guard parts.count == 3, let pid = Int32(parts[0]), pid > 0, Int(parts[1]) != nil else { continue }
            if pid != getpid(), kill(pid, 0) != 0, errno == ESRCH { removeFile(joinPath(tempDir, e.name)) }
        }
    }

    /// Files that want the same destination name form one group (in walk order); every other file
    /// is a group of its own. Each file keeps its index in the batch.
    static func groupedByDestination(_ resolved: [Resolved]) -> [[(index: Int, resolved: Resolved)]] {
        var groups: [[(index: Int, resolved: Resolved)]] = []
        var groupOf: [PathBytes: Int] = [:]
        for (i, r) in resolved.enumerated() {
            guard case .place(_, let dir, let name, _) = r else { groups.append([(i, r)]); continue }
            // `IM1_1.dcm` may compete with the second `IM1.dcm`: one group.
            let key = joinPath(dir, unsuffixed(name))
            if let g = groupOf[key] { groups[g].append((i, r)) } else {
                groupOf[key] = groups.count
                groups.append([(i, r)])
            }
        }
        return groups
    }

    /// Writes the action to the manifest (not in a dry run) and returns it.
    func record(_ source: PathBytes, _ dest: PathBytes, _ kind: SortAction.Kind, _ uid: String = "", renamed: Bool = false, reason: String = "") -> SortAction {
        let action = SortAction(source: source.escapedPath, destination: dest.escapedPath, kind: kind, renamed: renamed, sopInstanceUID: uid, reason: reason)
        try? writeLine(action)
        return action
    }

    /// Writes an action's manifest line (not in a dry run); a failure stops the run.
    func writeLine(_ action: SortAction) throws(Errno) {
        guard let m = manifest.withLock({ $0 }) else { return }
        do { try m.record(action) } catch {
            stopped.withLock { s in
                if s == nil { s = "cannot write \(joinPath(destRoot, Manifest.name).pathString): \(error.text)" }
            }
            throw error
        }
    }
}
