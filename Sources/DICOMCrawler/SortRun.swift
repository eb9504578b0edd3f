#if canImport(Glibc)
import Glibc
#endif
import CSysShims
import DICOM
import Synchronization

/// `dicomcrawler sort`: files DICOM files into folders named by their header values, never losing
/// or overwriting a file.
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

/// What happened to one file.
public struct SortAction: Sendable {
    public enum Kind: String, Sendable {
        case copied, moved, linked, symlinked
        /// The destination already held an identical file (nothing done; a moved source is removed).
        case exists
        /// Not DICOM: left where it is.
        case notDICOM = "not-dicom"
        /// DICOM but unreadable, or could not be placed: left where it is.
        case failed
    }
    public let source: String
    public let destination: String
    public let kind: Kind
    /// The name was taken by a different file: a numbered suffix was added.
    public let renamed: Bool
    public let sopInstanceUID: String
    public let reason: String
}

public struct SortReport: Sendable {
    public var counts: [SortAction.Kind: Int] = [:]
    public var renamed = 0
    public var left: [SortAction] = []
    public var sourceErrors: [String] = []
    public var problems: [WalkProblem] = []
    public var failed: Bool { (counts[.failed] ?? 0) > 0 || !sourceErrors.isEmpty || !problems.isEmpty }
}

public final class SortProgress: Sendable {
    public let filesDone = Atomic<Int>(0)
    public init() {}
}

public final class SortRun: @unchecked Sendable {
    let options: SortOptions
    let destRoot: PathBytes
    let readOptions: ReadOptions
    private let createdDirs = Mutex<Set<PathBytes>>([])
    private let planned = Mutex<Set<PathBytes>>([])
    private let cleanedDirs = Mutex<Set<PathBytes>>([])
    private let tempCounter = Atomic<Int>(0)
    private var manifestFD: Int32 = -1
    private let manifestLock = Mutex<Int>(0)
    private let runTime: String

    public init(options: SortOptions) {
        self.options = options
        destRoot = trimTrailingSlashes(Array(options.destination.utf8))
        var tags = options.pattern.tags
        tags.insert(.sopInstanceUID)
        readOptions = ReadOptions(tags: tags)
        var t = time(nil)
        var tmv = tm()
        gmtime_r(&t, &tmv)
        var buf = [CChar](repeating: 0, count: 32)
        strftime(&buf, buf.count, "%Y-%m-%dT%H:%M:%SZ", &tmv)
        runTime = String(cString: buf)
    }

    /// Sorts; `plan` receives each action as it happens (in the dry run: as it would happen).
    public func run(progress: SortProgress? = nil, plan: ((SortAction) -> Void)? = nil) -> SortReport {
        var report = SortReport()
        if !options.dryRun {
            if let e = makeDirectories(destRoot) {
                report.sourceErrors.append("cannot create \(options.destination): \(e.text)")
                return report
            }
            let manifest = joinPath(destRoot, Array("sort_manifest.csv".utf8))
            manifestFD = manifest.withCPath { open($0, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644) }
            if manifestFD < 0 {
                report.sourceErrors.append("cannot write \(manifest.pathString): \(errnoText())")
                return report
            }
            var st = stat()
            if fstat(manifestFD, &st) == 0 && st.st_size == 0 {
                writeManifest("time,source,destination,action,sop_instance_uid\n")
            }
        }
        defer { if manifestFD >= 0 { close(manifestFD) } }
        let excluded: Set<FileIdentity> = statPath(destRoot).map { [$0.id] } ?? []

        let pool = WorkerPool(threads: options.jobs)
        defer { pool.shutdown() }
        // Each batch in two parallel steps: read the headers; then place the files, those that want
        // the same name one after the other in walk order, so that which file keeps the name and
        // which gets a suffix does not depend on timing. Batches are placed one after the other;
        // the next batch's headers are read while one is being placed.
        var reading: (files: [PathBytes], batch: WorkerPool.Batch<Resolved>)? = nil
        var placing: (count: Int, batch: WorkerPool.Batch<[(Int, SortAction)]>)? = nil
        func placeRead() {
            guard let (files, batch) = reading else { return }
            reading = nil
            let resolved = batch.wait()
            var groups: [[Int]] = []
            var groupOf: [PathBytes: Int] = [:]
            for (i, r) in resolved.enumerated() {
                guard case .place(_, let dir, let name, _) = r else { groups.append([i]); continue }
                let key = joinPath(dir, name)
                if let g = groupOf[key] { groups[g].append(i) } else {
                    groupOf[key] = groups.count
                    groups.append([i])
                }
            }
            placing = (files.count, pool.submit(groups) { group in group.map { (i: Int) in (i, self.finish(resolved[i])) } })
        }
        func collect() {
            guard let (count, batch) = placing else { return }
            placing = nil
            var actions = [SortAction?](repeating: nil, count: count)
            for group in batch.wait() { for (i, a) in group { actions[i] = a } }
            for action in actions.compactMap({ $0 }) {
                report.counts[action.kind, default: 0] += 1
                if action.renamed { report.renamed += 1 }
                if action.kind == .notDICOM || action.kind == .failed { report.left.append(action) }
                plan?(action)
            }
            progress?.filesDone.add(count, ordering: .relaxed)
        }
        func submit(_ files: [PathBytes]) {
            if files.isEmpty { return }
            let next = (files, pool.submit(files) { self.resolve($0) })
            collect()      // the previous placement must be complete before the next one starts
            placeRead()    // place the batch read before, while `next` is being read
            reading = next
        }
        for source in options.sources {
            let root = trimTrailingSlashes(Array(source.utf8))
            guard let info = statPath(root) else {
                report.sourceErrors.append("\(source): \(errno == ENOENT ? "no such file or directory" : errnoText())")
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
        collect()
        placeRead()
        collect()
        return report
    }

    // MARK: one file (worker threads)

    /// A file read: where it goes, or what became of it already.
    enum Resolved {
        case place(source: PathBytes, dir: PathBytes, name: PathBytes, uid: String)
        case done(SortAction)
    }

    private func resolve(_ source: PathBytes) -> Resolved {
        let fd = source.withCPath { open($0, O_RDONLY | O_CLOEXEC) }
        if fd < 0 { return .done(record(source, [], .failed, reason: "cannot open: \(errnoText())")) }
        let file = DICOMReader.read(fileDescriptor: fd, options: readOptions)
        close(fd)
        if let e = file.error {
            return .done(record(source, [], e.kind == .notDICOM ? .notDICOM : .failed, reason: e.kind == .notDICOM ? "" : e.description))
        }
        let uid = file.dataSet.string(.sopInstanceUID) ?? ""
        var destDir = destRoot
        for f in options.pattern.folders({ file.dataSet.string($0) }) { destDir = joinPath(destDir, Array(f.utf8)) }
        let name = Array(source.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true).last ?? [])
        return .place(source: source, dir: destDir, name: name, uid: uid)
    }

    private func finish(_ resolved: Resolved) -> SortAction {
        guard case .place(let source, let destDir, let name, let uid) = resolved else {
            if case .done(let action) = resolved { return action }
            fatalError("unreachable")
        }
        if options.dryRun { return planOnly(source, destDir, name, uid) }
        if let e = makeDirectories(destDir) {
            return record(source, [], .failed, uid, reason: "cannot create \(destDir.pathString): \(e.text)")
        }
        cleanStaleTemporaries(destDir)
        do {
            let (dest, kind, renamed) = try place(source, in: destDir, name: name)
            return record(source, dest, kind, uid, renamed: renamed)
        } catch {
            return record(source, [], .failed, uid, reason: error.text)
        }
    }

    /// The dry run: what would happen, without touching anything.
    private func planOnly(_ source: PathBytes, _ dir: PathBytes, _ name: PathBytes, _ uid: String) -> SortAction {
        let kind: SortAction.Kind = switch options.mode {
        case .copy: .copied
        case .move: .moved
        case .link: .linked
        case .symlink: .symlinked
        }
        for k in 0..<10_000 {
            let candidate = joinPath(dir, suffixed(name, k))
            let taken = planned.withLock { !$0.insert(candidate).inserted }
            if taken { continue }
            if statPath(candidate) != nil {
                if sameContent(source, candidate) { return record(source, candidate, .exists, uid, renamed: k > 0) }
                continue
            }
            return record(source, candidate, kind, uid, renamed: k > 0)
        }
        return record(source, [], .failed, uid, reason: "no free name")
    }

    /// Places a file without ever overwriting: `link(2)` fails on an existing name, so each
    /// candidate name is claimed atomically; a taken name with identical content means the file is
    /// already there.
    private func place(_ source: PathBytes, in dir: PathBytes, name: PathBytes) throws(Errno) -> (PathBytes, SortAction.Kind, Bool) {
        var temp: PathBytes? = nil
        defer { if let temp { removeFile(temp) } }
        var crossDevice = false
        for k in 0..<10_000 {
            let candidate = joinPath(dir, suffixed(name, k))
            // Try to claim the name first (one system call when it is free); a taken name is then
            // looked at: the same file, or identical content, means the file is already there.
            // A copy looks first, so that a re-run does not copy what is already in place.
            if options.mode == .copy || crossDevice, statPathNoFollow(candidate) {
                if let done = alreadyThere(source, candidate, k) { return done }
                continue
            }
            switch options.mode {
            case .link:
                if linkPath(source, candidate) { return (candidate, .linked, k > 0) }
                if errno != EEXIST { throw Errno(errno) }
            case .symlink:
                let target = absolutePath(source)
                if target.withCPath({ t in candidate.withCPath { symlink(t, $0) } }) == 0 { return (candidate, .symlinked, k > 0) }
                if errno != EEXIST { throw Errno(errno) }
            case .move where !crossDevice:
                if linkPath(source, candidate) {
                    removeFile(source)
                    return (candidate, .moved, k > 0)
                }
                if errno == EXDEV || errno == EPERM {
                    crossDevice = true
                    if statPathNoFollow(candidate) {
                        if let done = alreadyThere(source, candidate, k) { return done }
                        continue
                    }
                    fallthrough
                }
                if errno != EEXIST { throw Errno(errno) }
            case .copy, .move:
                if temp == nil {
                    // Across file systems a move copies, syncs and verifies before removing the source.
                    temp = try copyToTemporary(source, in: dir, sync: options.mode == .move)
                    if options.mode == .move && !sameContent(source, temp!) { throw Errno(EIO) }
                }
                if linkPath(temp!, candidate) {
                    if options.mode == .move { removeFile(source) }
                    return (candidate, options.mode == .move ? .moved : .copied, k > 0)
                }
                if errno != EEXIST { throw Errno(errno) }
            }
            if let done = alreadyThere(source, candidate, k) { return done }
        }
        throw Errno(EEXIST)
    }

    /// A taken name: is it this file already (nil: a different file, try the next name)?
    private func alreadyThere(_ source: PathBytes, _ candidate: PathBytes, _ k: Int) -> (PathBytes, SortAction.Kind, Bool)? {
        if options.mode == .symlink, let target = readLink(candidate), target == absolutePath(source) {
            return (candidate, .exists, k > 0)
        }
        if isSameFile(source, candidate) {
            // A hard link of the source: a move that was killed after linking and before removing
            // the source is finished now. (When the source path is the destination path itself,
            // there is nothing to do, and it is never removed.)
            if options.mode == .move && canonicalPath(source) != canonicalPath(candidate) { removeFile(source) }
            return (candidate, .exists, k > 0)
        }
        if sameContent(source, candidate) {
            if options.mode == .move { removeFile(source) }
            return (candidate, .exists, k > 0)
        }
        return nil
    }

    private func copyToTemporary(_ source: PathBytes, in dir: PathBytes, sync: Bool) throws(Errno) -> PathBytes {
        let temp = joinPath(dir, Array(".dicomcrawler-\(getpid())-\(tempCounter.add(1, ordering: .relaxed).oldValue).tmp".utf8))
        let src = source.withCPath { open($0, O_RDONLY | O_CLOEXEC) }
        if src < 0 { throw Errno(errno) }
        defer { close(src) }
        let dst = temp.withCPath { open($0, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644) }
        if dst < 0 { throw Errno(errno) }
        var ok = false
        defer {
            close(dst)
            if !ok { removeFile(temp) }
        }
        var st = stat()
        if fstat(src, &st) != 0 { throw Errno(errno) }
        var left = Int(st.st_size)
        var useRange = true
        var buffer: [UInt8] = []
        while left > 0 {
            if useRange {
                let n = dc_copy_file_range(src, dst, left)
                if n > 0 { left -= n; continue }
                if n == 0 { break }
                if errno == EINTR { continue }
                if errno != EXDEV && errno != ENOSYS && errno != EINVAL && errno != EOPNOTSUPP { throw Errno(errno) }
                useRange = false
                buffer = [UInt8](repeating: 0, count: 1 << 20)
            }
            let n = buffer.withUnsafeMutableBytes { read(src, $0.baseAddress, $0.count) }
            if n < 0 { if errno == EINTR { continue }; throw Errno(errno) }
            if n == 0 { break }
            var written = 0
            while written < n {
                let w = buffer.withUnsafeBytes { write(dst, $0.baseAddress! + written, n - written) }
                if w < 0 { if errno == EINTR { continue }; throw Errno(errno) }
                written += w
            }
            left -= n
        }
        if sync && fsync(dst) != 0 { throw Errno(errno) }
        ok = true
        return temp
    }

    /// Removes temporary files that killed runs left in a folder (their process is gone), once per
    /// folder and run.
    private func cleanStaleTemporaries(_ dir: PathBytes) {
        guard cleanedDirs.withLock({ $0.insert(dir).inserted }) else { return }
        guard case .success(let entries) = listDirectory(dir) else { return }
        for e in entries where e.kind == .file {
            let name = e.name.pathString
            guard name.hasPrefix(".dicomcrawler-"), name.hasSuffix(".tmp") else { continue }
            let parts = name.dropFirst(".dicomcrawler-".count).split(separator: "-")
            if let pid = parts.first.flatMap({ Int32($0) }), pid != getpid(), kill(pid, 0) != 0, errno == ESRCH {
                removeFile(joinPath(dir, e.name))
            }
        }
    }

    /// `mkdir -p`, remembering what exists.
    private func makeDirectories(_ path: PathBytes) -> Errno? {
        if createdDirs.withLock({ $0.contains(path) }) { return nil }
        var prefix: PathBytes = path.first == UInt8(ascii: "/") ? [UInt8(ascii: "/")] : []
        for part in path.split(separator: UInt8(ascii: "/")) {
            prefix = joinPath(prefix, Array(part))
            if prefix.withCPath({ mkdir($0, 0o755) }) != 0 && errno != EEXIST { return Errno(errno) }
        }
        createdDirs.withLock { _ = $0.insert(path) }
        return nil
    }

    private func record(_ source: PathBytes, _ dest: PathBytes, _ kind: SortAction.Kind, _ uid: String = "", renamed: Bool = false, reason: String = "") -> SortAction {
        let action = SortAction(source: source.pathString, destination: dest.pathString, kind: kind, renamed: renamed, sopInstanceUID: uid, reason: reason)
        if !options.dryRun {
            var csv = CSVText()
            csv.appendRow([runTime, action.source, action.destination, kind.rawValue + (renamed ? " (renamed)" : ""), uid])
            writeManifest(csv.bytes)
        }
        return action
    }

    private func writeManifest(_ text: String) { writeManifest(Array(text.utf8)) }
    private func writeManifest(_ bytes: [UInt8]) {
        manifestLock.withLock { _ in
            // One write per line with O_APPEND: lines never interleave, a kill loses at most the
            // line being written.
            _ = bytes.withUnsafeBytes { write(manifestFD, $0.baseAddress, $0.count) }
        }
    }
}

/// `IM1.dcm`, `IM1_1.dcm`, `IM1_2.dcm`, ...
func suffixed(_ name: PathBytes, _ k: Int) -> PathBytes {
    if k == 0 { return name }
    if let dot = name.lastIndex(of: UInt8(ascii: ".")), dot > name.startIndex {
        return Array(name[..<dot]) + Array("_\(k)".utf8) + Array(name[dot...])
    }
    return name + Array("_\(k)".utf8)
}

func statPathNoFollow(_ path: PathBytes) -> Bool {
    var st = stat()
    return path.withCPath { lstat($0, &st) } == 0
}

func linkPath(_ from: PathBytes, _ to: PathBytes) -> Bool {
    from.withCPath { f in to.withCPath { link(f, $0) } } == 0
}

func readLink(_ path: PathBytes) -> PathBytes? {
    var buf = [CChar](repeating: 0, count: 4096)
    let n = path.withCPath { readlink($0, &buf, buf.count) }
    guard n >= 0 else { return nil }
    return buf.prefix(n).map { UInt8(bitPattern: $0) }
}

func absolutePath(_ path: PathBytes) -> PathBytes {
    if path.first == UInt8(ascii: "/") { return path }
    var buf = [CChar](repeating: 0, count: 4096)
    guard getcwd(&buf, buf.count) != nil else { return path }
    return joinPath(Array(String(cString: buf).utf8), path)
}

/// `realpath(3)`, or the path itself if it cannot be resolved.
func canonicalPath(_ p: PathBytes) -> PathBytes {
    guard let r = p.withCPath({ realpath($0, nil) }) else { return p }
    defer { free(r) }
    return Array(String(cString: r).utf8)
}

func isSameFile(_ a: PathBytes, _ b: PathBytes) -> Bool {
    guard let x = statPath(a), let y = statPath(b) else { return false }
    return x.id == y.id
}

/// Byte-for-byte comparison.
func sameContent(_ a: PathBytes, _ b: PathBytes) -> Bool {
    let fa = a.withCPath { open($0, O_RDONLY | O_CLOEXEC) }
    if fa < 0 { return false }
    defer { close(fa) }
    let fb = b.withCPath { open($0, O_RDONLY | O_CLOEXEC) }
    if fb < 0 { return false }
    defer { close(fb) }
    var sa = stat(), sb = stat()
    guard fstat(fa, &sa) == 0, fstat(fb, &sb) == 0, sa.st_size == sb.st_size else { return false }
    if sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino { return true }
    var ba = [UInt8](repeating: 0, count: 1 << 16), bb = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let na = ba.withUnsafeMutableBytes { read(fa, $0.baseAddress, $0.count) }
        if na < 0 { return false }
        var nb = 0
        while nb < na {
            let r = bb.withUnsafeMutableBytes { read(fb, $0.baseAddress! + nb, na - nb) }
            if r <= 0 { return false }
            nb += r
        }
        if na == 0 { return true }
        if ba.prefix(na) != bb.prefix(na) { return false }
    }
}
