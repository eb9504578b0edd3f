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

    public init(sources: [String], destination: String, pattern: SortPattern, mode: Mode = .copy, dryRun: Bool = false,
                jobs: Int = 1, walk: WalkOptions = WalkOptions()) {
        self.sources = sources
        self.destination = destination
        self.pattern = pattern
        self.mode = mode
        self.dryRun = dryRun
        self.jobs = jobs
        self.walk = walk
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
    /// Folders known to exist, temporary files cleaned per folder, names planned by the dry run.
    let createdDirs = Mutex<Set<PathBytes>>([])
    let cleanedDirs = Mutex<Set<PathBytes>>([])
    let planned = Mutex<Set<PathBytes>>([])
    let tempCounter = Atomic<Int>(0)
    /// Nil in a dry run.
    private let manifest = Mutex<Manifest?>(nil)

    public init(options: SortOptions) {
        self.options = options
        destRoot = trimTrailingSlashes(Array(options.destination.utf8))
        var tags = options.pattern.tags
        tags.insert(.sopInstanceUID)
        readOptions = ReadOptions(tags: tags)
    }

    /// Sorts; `onAction` receives each action as it happens (in the dry run: as it would happen),
    /// in walk order.
    public func run(progress: SortProgress? = nil, onAction: ((SortAction) -> Void)? = nil) -> SortReport {
        var report = SortReport()
        if !options.dryRun {
            if let e = makeDirectories(destRoot) {
                report.sourceErrors.append("cannot create \(options.destination): \(e.text)")
                return report
            }
            do {
                let m = try Manifest(in: destRoot)
                manifest.withLock { $0 = m }
            } catch {
                report.sourceErrors.append("cannot write \(joinPath(destRoot, Manifest.name).pathString): \(error.text)")
                return report
            }
        }
        let excluded: Set<FileIdentity> = statPath(destRoot).map { [$0.id] } ?? []

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
        for source in options.sources {
            let root = trimTrailingSlashes(Array(source.utf8))
            guard let info = statPath(root) else {
                report.sourceErrors.append("\(source): \(errno == ENOENT ? "no such file or directory" : Errno.current.text)")
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
            while true {
                let files = walk.next(1024)
                if files.isEmpty { break }
                submit(files.map { joinPath(root, $0) })
            }
            report.problems += walk.problems
        }
        reading.finish()
        placing.finish()
        return report
    }

    /// Files that want the same destination name form one group (in walk order); every other file
    /// is a group of its own. Each file keeps its index in the batch.
    static func groupedByDestination(_ resolved: [Resolved]) -> [[(index: Int, resolved: Resolved)]] {
        var groups: [[(index: Int, resolved: Resolved)]] = []
        var groupOf: [PathBytes: Int] = [:]
        for (i, r) in resolved.enumerated() {
            guard case .place(_, let dir, let name, _) = r else { groups.append([(i, r)]); continue }
            let key = joinPath(dir, name)
            if let g = groupOf[key] { groups[g].append((i, r)) } else {
                groupOf[key] = groups.count
                groups.append([(i, r)])
            }
        }
        return groups
    }

    /// Writes the action to the manifest (not in a dry run) and returns it.
    func record(_ source: PathBytes, _ dest: PathBytes, _ kind: SortAction.Kind, _ uid: String = "", renamed: Bool = false, reason: String = "") -> SortAction {
        let action = SortAction(source: source.pathString, destination: dest.pathString, kind: kind, renamed: renamed, sopInstanceUID: uid, reason: reason)
        manifest.withLock { $0 }?.record(action)
        return action
    }
}
