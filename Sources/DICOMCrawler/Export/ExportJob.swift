#if canImport(Glibc)
import Glibc
#endif
import DICOM
import FoundationEssentials
import HDF5
import Synchronization

/// `dicomcrawler export`: pixel data into HDF5, one dataset per scan.
///
/// Layout (crash-safe: HDF5 is not, when a file is changed in place): scans are written in batches
/// into part files `OUT.h5.parts/part-SHARD-RUN-N.h5`, each renamed into place when complete beside
/// its list of scans (`.json`, written first); `OUT.h5` holds only external links to the parts'
/// datasets and is rewritten (temporary file, rename) under a lock at the end of each run, as are
/// the metadata table `OUT.csv` and `OUT.unreadable.csv`, both made from every part's list. A run
/// skips the scans some part already holds, so a killed run is finished by running it again, and
/// shards (`--shard K/N`) write into one folder at once.
public final class ExportJob: Sendable {
    public let options: ExportOptions

    public init(options: ExportOptions) { self.options = options }

    /// One file's header, as planning needs it.
    private struct Seen: Sendable {
        var headers: [SliceHeader] = []
        var unreadable: (path: String, reason: String, series: String?)?
        var notDICOM = false
        var noPixels = false
    }

    /// Why `output` cannot be the index (a folder; a file there that is not HDF5, which would be
    /// replaced), or nil.
    public static func outputProblem(_ output: String) -> String? {
        let path = Array(output.utf8)
        guard let info = statPath(path) else { return nil }
        if info.isDirectory { return "\(output) is a folder; -o names the HDF5 file to write" }
        let fd = open(output, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var head = [UInt8](repeating: 0, count: 8)
        let n = head.withUnsafeMutableBytes { read(fd, $0.baseAddress, 8) }
        if n == 8 && head == [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A] { return nil }
        return "\(output) exists and is not an HDF5 file: it is left alone (remove it or choose another -o)"
    }

    public func run(_ directories: [String], progress: ExportProgress? = nil) -> ExportReport {
        var report = ExportReport()
        let parts = Array(options.partsFolder.utf8)
        if let e = makeDirectories(parts) {
            report.error = "cannot create \(options.partsFolder): \(e.text)"
            return report
        }
        // One run per shard at a time; its lock also makes the temporary parts of an earlier,
        // killed run of this shard safe to remove.
        let runLock: LockFile
        do throws(Errno) {
            guard let lock = try LockFile(joinPath(parts, Array(".run-\(options.shardName).lock".utf8))) else {
                report.error = "another export of shard \(options.shard.index)/\(options.shard.count) is writing into \(options.output)"
                return report
            }
            runLock = lock
        } catch {
            report.error = "cannot lock \(options.partsFolder): \(error.text)"
            return report
        }
        defer { withExtendedLifetime(runLock) {} }
        if case .success(let entries) = listDirectory(parts) {
            let stale = ".part-\(options.shardName)-"
            for e in entries where e.name.pathString.hasPrefix(stale) && e.name.pathString.hasSuffix(".h5.tmp") {
                removeFile(joinPath(parts, e.name))
            }
        }
        // 1. Every file's header (pixel data located, not read).
        var files: [(dir: Int, root: PathBytes, rel: PathBytes)] = []
        for (d, dir) in directories.enumerated() {
            let root = trimTrailingSlashes(Array(dir.utf8))
            if let info = statPath(root), info.isFile {
                files.append((d, [], root))
                continue
            }
            var walk = FileWalk(root: root, options: options.walk)
            if let e = walk.start() {
                report.problems.append("\(dir): cannot read the directory: \(e.text)")
                continue
            }
            while true {
                let batch = walk.next(4096)
                if batch.isEmpty { break }
                for rel in batch where !isOurs(joinPath(root, rel)) { files.append((d, root, rel)) }
            }
            report.problems += walk.problems.map { "\($0)" }
        }
        report.filesSeen = files.count
        progress?.filesTotal.store(files.count, ordering: .relaxed)
        let seen: [Seen] = parallelMap(files, jobs: options.jobs) { f in
            defer { progress?.filesRead.add(1, ordering: .relaxed) }
            let path = joinPath(f.root, f.rel)
            let file = DICOMReader.read(path: path.pathString)
            var s = Seen()
            if file.error?.kind == .notDICOM { s.notDICOM = true; return s }
            if let e = file.error, e.kind == .io || file.dataSet.elements.isEmpty {
                s.unreadable = (path.pathString, e.description, nil)
                return s
            }
            let hasPixels = file.dataSet[.pixelData] != nil || file.dataSet[.floatPixelData] != nil || file.dataSet[.doubleFloatPixelData] != nil
            if let e = file.error, !hasPixels {
                s.unreadable = (path.pathString, e.description, file.string(.seriesInstanceUID))
                return s
            }
            if !hasPixels { s.noPixels = true; return s }
            s.headers = SliceHeader.headers(of: file.dataSet, dirIndex: f.dir, path: f.rel.pathString)
            if let e = file.error { s.unreadable = (path.pathString, e.description, file.string(.seriesInstanceUID)) }
            return s
        }
        var headers: [SliceHeader] = []
        var rootOf: [Int: PathBytes] = [:]
        for f in files { rootOf[f.dir] = f.root }
        var damagedSeries = Set<String>()
        var damagedFiles: [(path: String, reason: String, series: String?)] = []
        for s in seen {
            if s.notDICOM { report.notDICOM += 1 }
            if s.noPixels { report.noPixelData += 1 }
            headers += s.headers
            if let u = s.unreadable {
                damagedFiles.append(u)
                if let series = u.series { damagedSeries.insert(series) }
            }
        }

        // 2. Scans, this shard's, less those already exported.
        let plans = options.slicesMode ? ScanPlanner.planSlices(headers) : ScanPlanner.plan(headers)
        let done = ExportParts.load(parts)
        var todo: [ScanPlan] = []
        for p in plans {
            guard p.shard(of: options.shard.count) == options.shard.index else { report.scansInOtherShards += 1; continue }
            report.scansPlanned += 1
            if done.ids.contains(p.id) { report.scansAlreadyDone += 1; continue }
            if let series = p.seriesInstanceUID, damagedSeries.contains(series) {
                report.scansLeftOut += 1
                for f in damagedFiles where f.series == series { report.unreadable.append((p.id, f.path, f.reason)) }
                continue
            }
            todo.append(p)
        }
        for f in damagedFiles where f.series == nil { report.unreadable.append(("", f.path, f.reason)) }
        todo = largestFirst(todo)
        progress?.scansTotal.store(todo.count, ordering: .relaxed)

        // 3. Slices decoded and compressed on `jobs` threads (SliceTasks), scans largest first; the
        // thread that finishes a scan writes it into the part file at once (HDF5 runs one call at
        // a time, and writing precompressed chunks is fast), so only the scans the threads are
        // working on are held in memory.
        let writer = PartWriter(folder: parts, name: "part-\(options.shardName)-\(runID())", partBytes: options.partBytes)
        let writing = Mutex(())
        let failed = Mutex<[(scan: String, path: String, reason: String)]>([])
        assembleScans(todo, roots: rootOf, jobs: max(1, options.jobs)) { result in
            switch result {
            case .success(let scan):
                writing.withLock { _ in writer.write(scan) }
                progress?.bytesWritten.add(scan.compressedBytes, ordering: .relaxed)
            case .failure(let f):
                failed.withLock { $0.append((f.scan, f.path, f.reason)) }
            }
            progress?.scansDone.add(1, ordering: .relaxed)
        }
        writer.finish()
        let failures = failed.withLock { $0 }
        report.scansLeftOut += Set(failures.map(\.scan)).count
        report.unreadable += failures
        report.scansExported = writer.scansWritten
        report.bytesWritten = writer.bytesWritten
        if let e = writer.error { report.error = e }

        // 4. The index, the metadata table and the list of unreadable files, from every part.
        do throws(Errno) {
            try ExportParts.writeUnreadable(parts, shard: options.shardName, report.unreadable)
            try ExportParts.rebuild(options: options)
        } catch {
            report.error = report.error ?? "cannot write \(options.output): \(error.text)"
        }
        return report
    }

    /// The scans by size, largest first (equal sizes in plan order): a batch waits for its slowest
    /// scan, so scans of like size go together, and no large scan is left to run alone at the end.
    private func largestFirst(_ plans: [ScanPlan]) -> [ScanPlan] {
        let sizes = plans.map { p in
            (p.shape ?? []).reduce(1.0) { $0 * Double($1) } * Double(max(1, (p.slices.first?.header.bitsAllocated ?? 8) / 8))
        }
        return plans.indices.sorted { sizes[$0] != sizes[$1] ? sizes[$0] > sizes[$1] : $0 < $1 }.map { plans[$0] }
    }

    /// The index, its side files and the parts folder are never inputs.
    private func isOurs(_ path: PathBytes) -> Bool {
        let p = path.pathString
        return p == options.output || p == options.metadataPath || p == options.unreadablePath || p.hasPrefix(options.partsFolder + "/")
    }

    private func runID() -> String {
        var t = timespec()
        clock_gettime(CLOCK_REALTIME, &t)
        return String(t.tv_sec, radix: 36) + String(t.tv_nsec / 1000, radix: 36) + "-" + String(getpid(), radix: 36)
    }

    struct ScanFailure: Error {
        let scan: String
        let path: String
        let reason: String
    }

    func chunkShape(_ shape: [Int]) -> [Int] {
        var c = shape
        if !options.slicesMode { c[0] = 1; c[3] = 1 } else if c.count == 4 || (c.count == 3 && c[2] != 3) { c[0] = 1 }
        return c
    }

    /// Where a slice's chunk starts in its dataset of `shape`.
    func chunkOffset(_ slice: PlannedSlice, _ shape: [Int]) -> [Int] {
        guard options.slicesMode else {
            // (volumes, rows, columns, slices[, 3])
            return [slice.volume, 0, 0, slice.slice] + (shape.count == 5 ? [0] : [])
        }
        // (frames, rows, columns[, 3]) or (rows, columns[, 3])
        let frame = (slice.header.frame ?? 1) - 1
        return [frame] + Array(repeating: 0, count: shape.count - 1)
    }
}

/// A scan ready to be written: compressed chunks in slice order and what its attributes need.
struct ExportedScan: @unchecked Sendable {
    let plan: ScanPlan
    let shape: [Int]
    let type: PixelSampleType
    let photometric: String
    let chunks: [[UInt8]]
    let chunkOffsets: [[Int]]
    /// One slice (or frame): 1 along the volume and slice axes, whole rows × columns (× samples).
    let chunk: [Int]
    let compressedBytes: Int
    let level: Int?
    let firstDataSet: DataSet
    let cells: [(key: String, value: String)]
}
