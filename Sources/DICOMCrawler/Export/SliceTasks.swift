#if canImport(Glibc)
import Glibc
#endif
import DICOM
import HDF5
import Synchronization

// The export's decoding and compression: every slice (or frame) of every scan is one task, taken
// in order — scans largest first, each scan's slices in order — by `jobs` threads, and the thread
// that finishes a scan's last slice hands the scan on to be written. Both cores stay busy to the
// last slice (with one scan per thread, one core sat idle while the other finished the last scan:
// about 4% of the export's wall time on the benchmark tree), and only the scans a thread is still
// working on are held in memory, about one per thread (and each thread's last file: a deflated
// multi-frame file is inflated once per thread that decodes its frames). Which file a failed scan
// blames does not depend on the threads: the lowest slice that failed, as on one thread. The
// slices after a scan's first are read only for what decoding needs, so damage elsewhere in
// those files, which the planner's whole read would have caught, is not looked for again.

extension ExportJob {
    /// A scan being assembled: its slices' chunks as threads finish them. Touched only under the
    /// tasks' lock, then by the one thread that finishes it.
    final class Assembly: @unchecked Sendable {
        let plan: ScanPlan
        var chunks: [[UInt8]]
        var types: [PixelSampleType?]
        var photometric: String?
        var firstFile: DicomFile?
        var remaining: Int
        /// The failure of the lowest slice that failed so far (as a run on one thread would meet
        /// it first): slices after it are skipped, those before it still decoded.
        var failure: (slice: Int, failure: ScanFailure)?

        init(_ plan: ScanPlan) {
            self.plan = plan
            chunks = Array(repeating: [], count: plan.slices.count)
            types = Array(repeating: nil, count: plan.slices.count)
            remaining = plan.slices.count
        }
    }

    /// One slice decoded and compressed.
    struct DoneSlice {
        let chunk: [UInt8]
        let type: PixelSampleType
        let photometric: String
        /// The slice's file when it is the scan's first slice (its header fills the metadata row).
        let firstFile: DicomFile?
    }

    /// What a thread keeps from one task to the next: its decoder helper and the file it read last
    /// (the frames of a multi-frame file are consecutive tasks), whole or only what decoding needs.
    final class SliceWorker {
        let decoder: DecoderProcess?
        var open: (path: String, fd: Int32, reader: PixelReader, file: DicomFile, whole: Bool)?

        init(decoder: DecoderProcess?) { self.decoder = decoder }

        func closeFile() {
            if let f = open { close(f.fd) }
            open = nil
        }
    }

    /// Decodes and compresses the slices of `plans` on `jobs` threads; `finished` gets each scan
    /// (on the thread that finished it) once all its slices are done or one has failed.
    func assembleScans(_ plans: [ScanPlan], roots: [Int: PathBytes], jobs: Int,
                       finished: @escaping (Result<ExportedScan, ScanFailure>) -> Void) {
        var tasks: [(scan: Int32, slice: Int32)] = []
        for (k, p) in plans.enumerated() {
            guard p.shape != nil, !p.slices.isEmpty else {
                finished(.failure(ScanFailure(scan: p.id, path: "", reason: "the scan has no pixel format")))
                continue
            }
            for i in p.slices.indices { tasks.append((Int32(k), Int32(i))) }
        }
        if tasks.isEmpty { return }
        let assemblies = Mutex<[Assembly?]>(Array(repeating: nil, count: plans.count))
        let next = Atomic<Int>(0)
        let threads = max(1, min(jobs, tasks.count))
        runThreads(threads) {
            let decoder = self.options.decoders?.take()
            defer { if let decoder { self.options.decoders?.giveBack(decoder) } }
            let worker = SliceWorker(decoder: decoder)
            defer { worker.closeFile() }
            while true {
                let t = next.add(1, ordering: .relaxed).oldValue
                if t >= tasks.count { return }
                let k = Int(tasks[t].scan), i = Int(tasks[t].slice)
                let plan = plans[k]
                let skip = assemblies.withLock { s -> Bool in
                    if s[k] == nil { s[k] = Assembly(plan) }
                    return s[k]!.failure.map { $0.slice < i } ?? false
                }
                var result: Result<DoneSlice, ScanFailure>?
                if !skip {
                    if i == 0, let ms = self.options.testPausePerScanMS { usleep(UInt32(ms) * 1000) }
                    result = self.assembleSlice(plan, i, roots: roots, worker: worker)
                }
                let complete = assemblies.withLock { s -> Assembly? in
                    let a = s[k]!
                    switch result {
                    case .success(let d):
                        a.chunks[i] = d.chunk
                        a.types[i] = d.type
                        if i == 0 { a.photometric = d.photometric; a.firstFile = d.firstFile }
                    case .failure(let f):
                        if a.failure.map({ i < $0.slice }) ?? true { a.failure = (i, f) }
                    case nil:
                        break
                    }
                    a.remaining -= 1
                    if a.remaining > 0 { return nil }
                    s[k] = nil
                    return a
                }
                if let complete { finished(self.scan(from: complete, roots: roots)) }
            }
        }
    }

    /// A read of only the elements decoding needs: the header of a scan's other files was parsed
    /// whole when the scan was planned, and only the first file's fills the metadata row.
    static let pixelElementsOnly = ReadOptions(tags: PixelReader.elementsNeeded)

    /// One slice: read (its file, unless this thread read it last: whole for the scan's first
    /// slice, else only what decoding needs), decoded, compressed.
    private func assembleSlice(_ plan: ScanPlan, _ i: Int, roots: [Int: PathBytes],
                               worker: SliceWorker) -> Result<DoneSlice, ScanFailure> {
        let h = plan.slices[i].header
        let first = plan.slices[0].header
        let fullPath = path(of: h, roots: roots)
        if worker.open?.path != fullPath || (i == 0 && worker.open?.whole == false) {
            worker.closeFile()
            let fd = open(fullPath, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { return .failure(ScanFailure(scan: plan.id, path: fullPath, reason: "cannot open: \(Errno.current.text)")) }
            let file = DICOMReader.read(fileDescriptor: fd, path: fullPath, options: i == 0 ? ReadOptions() : Self.pixelElementsOnly)
            if let e = file.error, e.kind != .truncated || file.dataSet[.pixelData] == nil {
                close(fd)
                return .failure(ScanFailure(scan: plan.id, path: fullPath, reason: e.description))
            }
            do throws(PixelError) {
                let reader = try PixelReader(file: file, fileDescriptor: fd, decoder: worker.decoder)
                worker.open = (fullPath, fd, reader, file, i == 0)
            } catch {
                close(fd)
                return .failure(ScanFailure(scan: plan.id, path: fullPath, reason: error.description))
            }
        }
        guard let open = worker.open else { return .failure(ScanFailure(scan: plan.id, path: fullPath, reason: "not read")) }
        let frame: DecodedFrame
        do throws(PixelError) {
            frame = try open.reader.frame((h.frame ?? 1) - 1)
        } catch {
            return .failure(ScanFailure(scan: plan.id, path: fullPath, reason: error.description))
        }
        guard frame.rows == first.rows, frame.columns == first.columns else {
            return .failure(ScanFailure(scan: plan.id, path: fullPath,
                                        reason: "decoded to \(frame.rows) x \(frame.columns) \(frame.sampleType), unlike the scan's first slice"))
        }
        var chunk = frame.bytes
        if let level = options.compressionLevel {
            do throws(HDF5Error) {
                chunk = try ChunkCompression.shuffleDeflate(frame.bytes, elementSize: frame.sampleType.byteWidth, level: level)
            } catch {
                return .failure(ScanFailure(scan: plan.id, path: fullPath, reason: error.description))
            }
        }
        return .success(DoneSlice(chunk: chunk, type: frame.sampleType, photometric: frame.photometric,
                                  firstFile: i == 0 ? open.file : nil))
    }

    /// A slice's file: its DIR's path and its own, relative to it.
    private func path(of h: SliceHeader, roots: [Int: PathBytes]) -> String {
        joinPath(roots[h.dirIndex] ?? [], Array(h.path.utf8)).pathString
    }

    /// A finished assembly as a scan to write, or why it failed: the lowest slice that failed to
    /// decode or decoded to another sample type than the first, whichever thread met it.
    private func scan(from a: Assembly, roots: [Int: PathBytes]) -> Result<ExportedScan, ScanFailure> {
        let plan = a.plan
        let mismatch = a.types[0].flatMap { first in a.types.indices.first { a.types[$0] != nil && a.types[$0] != first } }
        if let i = mismatch, i < (a.failure?.slice ?? Int.max), let type = a.types[i] {
            let h = plan.slices[i].header
            return .failure(ScanFailure(scan: plan.id, path: path(of: h, roots: roots),
                                        reason: "decoded to \(h.rows ?? 0) x \(h.columns ?? 0) \(type), unlike the scan's first slice"))
        }
        if let f = a.failure { return .failure(f.failure) }
        guard let shape = plan.shape, let type = a.types[0], let firstFile = a.firstFile else {
            return .failure(ScanFailure(scan: plan.id, path: "", reason: "no slice decoded"))
        }
        return .success(ExportedScan(plan: plan, shape: shape, type: type, photometric: a.photometric ?? "", chunks: a.chunks,
                                     chunkOffsets: plan.slices.map { chunkOffset($0, shape) }, chunk: chunkShape(shape),
                                     compressedBytes: a.chunks.reduce(0) { $0 + $1.count },
                                     level: options.compressionLevel, firstDataSet: firstFile.dataSet,
                                     cells: options.table.cells(firstFile)))
    }
}
