// The series inventory (`dicomcrawler series`): every file under the DIRs read once (only the tags
// the columns need), grouped by Study and Series Instance UID within each DIR: one row a series, one table.
#if canImport(Glibc)
import Glibc
#endif
import DICOM
import ModalityTemplates
import Synchronization

/// What a series inventory reads and writes.
public struct SeriesOptions: Sendable {
    /// The table (`-` for standard output); CSV when the name ends in `.csv`, else TSV.
    public var output: String
    /// With templates, a `Labels` column: the labels whose path patterns match one of the series'
    /// folders (relative to its DIR) and whose conditions its first file meets.
    public var templates: TemplateSet?
    /// Extra columns after the standard ones.
    public var extraTags: [Tag]
    public var walk: WalkOptions
    public var jobs: Int
    /// Test hook: pause this long half-way through writing the table.
    public var testPauseInWriteMS: Int?
    /// Whether files without DICOM are given to libmagic for their MIME type (as
    /// `CrawlOptions.identifyOtherFiles`).
    public var identifyOtherFiles = true
    /// The most frames whose geometry is held at once (about 110 bytes each) to count slices and
    /// volumes; series beyond it get their frames counted, and no slices or volumes.
    public var maxFramesHeld = 16_000_000

    public init(output: String = "series.tsv", templates: TemplateSet? = nil, extraTags: [Tag] = [], walk: WalkOptions = WalkOptions(), jobs: Int = 1) {
        self.output = output
        self.templates = templates
        self.extraTags = extraTags
        self.walk = walk
        self.jobs = jobs
    }

    public var format: SeriesFormat { SeriesFormat(output: output) }
}

/// One run: walk the DIRs (folders listed in parallel), read every file's header in parallel
/// (chunks of one folder's files, in walk order), gather the files into series, count each series'
/// slices, frames and volumes as the export's planner would stack them, and write the sorted table.
public final class SeriesJob: Sendable {
    public let options: SeriesOptions
    let fileTypes: FileTypes
    /// Every file: its UIDs and what its slice needs, stopping after the last of them (before the
    /// private groups and the pixel data that most headers end with); the values read where they
    /// are in the bytes read (`SeriesHeader`), not copied.
    let readOptions: ReadOptions
    /// The first file of a series among a task's files, again: also the values of the columns.
    let valueReadOptions: ReadOptions
    /// A file with Number of Frames, again: the values, its functional groups and pixel data element.
    let multiFrameReadOptions: ReadOptions
    /// The tags whose rendered values a series keeps (of its first file): the columns', the extra
    /// tags', the template conditions'.
    let valueTags: [Tag]
    /// The table's folder (canonical) and name, when it is a file: left out of the walk.
    let ownTable: (folder: PathBytes, name: PathBytes)?
    private let destination: SeriesOutput
    /// Frames whose geometry is held, over all threads (`maxFramesHeld`).
    let framesHeld = Atomic<Int>(0)
    /// Files a reading task takes at once (all from one folder).
    static let chunkSize = 64

    /// Checks the output (before anything is read): a refused or unwritable one throws.
    public init(options: SeriesOptions, inputs: [String]) throws(SeriesError) {
        self.options = options
        fileTypes = options.identifyOtherFiles ? FileTypes() : FileTypes(identifying: false, database: nil)
        var tags = SeriesTable.valueTags
        for t in options.extraTags + (options.templates?.conditionTags.sorted() ?? []) where !tags.contains(t) { tags.append(t) }
        valueTags = tags
        let slice: Set<Tag> = [.sopInstanceUID, HeaderTag.imagePosition, HeaderTag.imageOrientation, HeaderTag.samplesPerPixel,
                               HeaderTag.photometricInterpretation, HeaderTag.numberOfFrames, HeaderTag.rows, HeaderTag.columns,
                               HeaderTag.bitsAllocated, .pixelRepresentation]
        var first = ReadOptions(tags: slice.union([.studyInstanceUID, .seriesInstanceUID]))
        first.loadsValues = false
        readOptions = first
        valueReadOptions = ReadOptions(tags: Set(tags).union(slice))
        multiFrameReadOptions = ReadOptions(tags: Set(tags).union(SliceHeader.tags))
        destination = try SeriesOutput.check(options.output, inputs: inputs, followSymlinks: options.walk.followSymlinks)
        ownTable = destination.filePath.map { (canonicalPath(parentPath($0)), lastComponent($0)) }
    }

    /// Why libmagic could not be loaded, if it could not.
    public var magicLoadError: String? { fileTypes.loadError }

    /// Reads every DIR and writes the table.
    public func run(_ directories: [String], progress: SeriesProgress? = nil) -> SeriesReport {
        var report = SeriesReport(output: options.output)
        report.columns = SeriesTable.columns(labels: options.templates != nil, extraTags: options.extraTags)
        // A DIR given again (`d d`, `d ./d`) is read once.
        var firstOf: [PathBytes: String] = [:]
        report.directories = directories.map { dir in
            var d = SeriesDirectory(directory: dir)
            let canonical = canonicalPath(trimTrailingSlashes(Array(dir.utf8)))
            if let first = firstOf[canonical] { d.sameAs = first } else { firstOf[canonical] = dir }
            return d
        }
        let roots = directories.map { trimTrailingSlashes(Array($0.utf8)) }
        let active = directories.indices.filter { report.directories[$0].sameAs == nil }

        // 1. The folders and their files, in walk order.
        let listed = options.walk.followSymlinks ? walkFollowingSymlinks(active.map { roots[$0] }, &report, progress)
            : walk(active.map { roots[$0] }, &report, progress)
        progress?.walked.store(true, ordering: .relaxed)
        var folderRel: [PathBytes] = []
        var folderDir: [Int] = []
        var chunks: [FileChunk] = []
        for (a, folders) in listed.enumerated() {
            for (rel, files) in folders {
                let path = joinPath(roots[active[a]], rel)
                var start = 0
                while start < files.names.count {
                    let end = min(start + Self.chunkSize, files.names.count)
                    chunks.append(FileChunk(folder: folderRel.count, path: path, names: files.names[start..<end]))
                    start = end
                }
                report.filesSeen += files.names.count
                folderRel.append(rel)
                folderDir.append(active[a])
            }
        }

        // 2. Every file's header, in parallel.
        let results = parallelMap(chunks, jobs: options.jobs) { self.read($0, progress: progress) }

        // 3. Series: the chunks' groups gathered per DIR, in walk order (a series' first file is
        // its first in walk order).
        struct GroupKey: Hashable { let dir: Int; let key: SeriesKey }
        var groupOf: [GroupKey: Int] = [:]
        var groups: [SeriesGroup] = []
        for (chunk, result) in zip(chunks, results) {
            let dir = folderDir[chunk.folder]
            report.dicomFiles += result.dicomFiles
            report.directories[dir].dicomFiles += result.dicomFiles
            if !result.unreadable.isEmpty { report.unreadable += result.unreadable }
            for (type, n) in result.skippedByType { report.skippedByType[type, default: 0] += n }
            for s in result.series {
                let k = GroupKey(dir: dir, key: s.key)
                let g: SeriesGroup
                if let i = groupOf[k] { g = groups[i] } else {
                    g = SeriesGroup(dir: dir, key: s.key)
                    groupOf[k] = groups.count
                    groups.append(g)
                }
                g.add(s, folder: chunk.folder)
            }
        }

        // 4. One row per series (the counts planned in parallel), sorted.
        let labels = options.templates != nil
        report.rows = parallelMap(groups, jobs: options.jobs) { g in
            self.row(g, root: roots[g.dir], folderRel: folderRel, labels: labels)
        }
        for g in groups {
            report.directories[g.dir].series += 1
            if g.gathered.geometryDropped { report.seriesNotStacked += 1 }
            if g.key.series.isEmpty { report.rowsWithoutSeriesUID += 1 }
            if g.gathered.values == nil, let damaged = g.gathered.damaged {
                report.valuesFromDamagedFiles.append(UnreadableFile(path: damaged.path.pathString, reason: "no file of the series could be read whole"))
            }
        }
        SeriesTable.sort(&report.rows)

        // 5. The table.
        do throws(Errno) {
            report.tableUnchanged = !(try destination.write(SeriesTable.bytes(report.rows, columns: report.columns, format: options.format),
                                                            pauseHalfwayMS: options.testPauseInWriteMS))
        } catch {
            report.writeError = "cannot write \(options.output): \(error.text)"
        }
        return report
    }

    /// Folders listed by `ParallelFolderWalk` (each DIR's own files too), per active DIR.
    private func walk(_ roots: [PathBytes], _ report: inout SeriesReport, _ progress: SeriesProgress?) -> [[(PathBytes, FolderFiles)]] {
        var walker = ParallelFolderWalk<FolderFiles>(options: options.walk, threads: options.jobs)
        walker.visitsRoots = true
        let results = walker.walk(roots) { r, rel, dir in
            let files = self.listFiles(dir, joinPath(roots[r], rel))
            progress?.foldersListed.add(1, ordering: .relaxed)
            progress?.filesFound.add(files?.names.count ?? 0, ordering: .relaxed)
            return files
        }
        var out: [[(PathBytes, FolderFiles)]] = []
        var d = 0
        for (i, dir) in report.directories.enumerated() where dir.sameAs == nil {
            let r = results[d]
            d += 1
            if let e = r.error { report.directories[i].error = e.directoryProblem }
            report.problems += r.problems
            report.symlinksNotFollowed += r.symlinksNotFollowed
            out.append(r.results.map { ($0.rel, $0.result) })
        }
        return out
    }

    /// Following symlinked folders: each DIR walked by `FileWalk` (loops detected in walk order),
    /// then its folders listed in parallel.
    private func walkFollowingSymlinks(_ roots: [PathBytes], _ report: inout SeriesReport, _ progress: SeriesProgress?) -> [[(PathBytes, FolderFiles)]] {
        var tasks: [(root: Int, rel: PathBytes)] = []
        var d = 0
        for (i, dir) in report.directories.enumerated() where dir.sameAs == nil {
            let root = roots[d]
            switch FileWalk.folders(under: root, options: options.walk, keep: { _ in true }) {
            case .failure(let e):
                report.directories[i].error = e.directoryProblem
            case .success(let (folders, walk)):
                tasks.append((d, []))
                for rel in folders { tasks.append((d, rel)) }
                report.problems += walk.problems
                report.loops += walk.loops
            }
            d += 1
        }
        let listed: [FolderFiles?] = parallelMap(tasks, jobs: options.jobs) { t in
            let path = joinPath(roots[t.root], t.rel)
            let files: FolderFiles?
            do { files = self.listFiles(try OpenDirectory(path), path) } catch { return nil }
            progress?.foldersListed.add(1, ordering: .relaxed)
            progress?.filesFound.add(files?.names.count ?? 0, ordering: .relaxed)
            return files
        }
        var out = [[(PathBytes, FolderFiles)]](repeating: [], count: roots.count)
        // A folder that cannot be listed was reported by the walk, which listed it first.
        for (t, files) in zip(tasks, listed) {
            if let files { out[t.root].append((t.rel, files)) }
        }
        return out
    }

    /// A series' row: its cells, counts and sort key.
    private func row(_ g: SeriesGroup, root: PathBytes, folderRel: [PathBytes], labels: Bool) -> SeriesRow {
        let values = g.gathered.values ?? g.gathered.damaged?.values ?? [:]
        func value(_ tag: Tag) -> String { values[tag] ?? "" }
        let counts = g.counts()
        var cells: [String] = [root.escapedPath, g.folders.map { SeriesTable.folderCell(folderRel[$0]) }.joined(separator: ";"), String(g.gathered.files)]
        cells.reserveCapacity(4 + SeriesTable.valueTags.count + 3 + options.extraTags.count)
        var labelled: [String]? = nil
        if labels, let templates = options.templates?.templates {
            // As the crawl matches a folder, for one of the series' folders: its path, then (when
            // the label needs them) the first file's values.
            let matched = templates.filter { t in
                g.folders.contains { f in
                    t.matchesPath(folderRel[f]) && (!t.needsValues || (!values.isEmpty && t.matchesValues({ values[$0] }, path: folderRel[f])))
                }
            }
            cells.append(matched.map(\.label).joined(separator: ";"))
            labelled = matched.map(\.label)
        }
        cells += SeriesTable.tagsBeforeCounts.map(value)
        cells += [counts.slices, counts.frames, counts.volumes].map { $0.map(String.init) ?? "" }
        cells += SeriesTable.tagsAfterCounts.map(value)
        cells += options.extraTags.map(value)
        return SeriesRow(
            cells: cells,
            key: SeriesTable.SortKey(studyDate: value(.studyDate), seriesDate: value(SeriesTag.seriesDate),
                                     seriesTime: value(SeriesTag.seriesTime), seriesNumber: value(.seriesNumber)),
            studyUID: g.key.study, seriesUID: g.key.series, firstFolder: g.folders.first ?? 0, labels: labelled)
    }
}

/// A series being gathered from the chunks, in walk order.
final class SeriesGroup: @unchecked Sendable {
    let dir: Int
    /// The folders holding its files (numbered in walk order), each once.
    var folders: [Int] = []
    /// What its chunks gave, gathered (`ChunkSeries.absorb`).
    private(set) var gathered: ChunkSeries

    var key: SeriesKey { gathered.key }

    init(dir: Int, key: SeriesKey) {
        self.dir = dir
        gathered = ChunkSeries(key: key)
    }

    func add(_ s: ChunkSeries, folder: Int) {
        if folders.last != folder { folders.append(folder) }  // chunks come in walk order
        gathered.absorb(s)
    }

    /// Frames: every frame of every file (nil when a damaged file's are not known). Slices and
    /// volumes as the export stacks the series (`ScanPlanner.stackShape`): when it is one scan ordered by
    /// position (every frame has Image Position and Orientation (Patient), positions repeat equally
    /// often), its positions along the normal and how often each repeats; else nil. Copies (the
    /// same SOP Instance UID and frame) count in the frames, not in the slices and volumes.
    func counts() -> (slices: Int?, frames: Int?, volumes: Int?) {
        let g = gathered
        guard !g.framesUnknown else { return (nil, nil, nil) }
        guard g.frameCount > 0, !g.geometryDropped else { return (nil, g.frameCount, nil) }
        // Without a position and an orientation on every frame there is no stack by position.
        guard !g.frames.contains(where: { $0.x.isNaN || $0.rx.isNaN }),
              let shape = ScanPlanner.stackShape(ofSeries: g.frames.map(\.sliceHeader)) else { return (nil, g.frameCount, nil) }
        return (shape.slices, g.frameCount, shape.volumes)
    }
}
