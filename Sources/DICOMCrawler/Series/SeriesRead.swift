#if canImport(Glibc)
import Glibc
#endif
import DICOM

/// Which series a file belongs to: its Study and Series Instance UIDs; a file without a Series
/// Instance UID belongs to its folder's group of such files (per Study Instance UID).
struct SeriesKey: Hashable {
    let study: String
    let series: String
    /// The folder (numbered in walk order over all DIRs) for files without a Series Instance UID; -1 otherwise.
    let folder: Int
}

/// The files of one folder listed by the walk: names with their terminating NUL, in byte order.
final class FolderFiles: @unchecked Sendable {
    let names: [[UInt8]]
    init(names: [[UInt8]]) { self.names = names }
}

/// Up to `SeriesJob.chunkSize` files of one folder, read by one task.
struct FileChunk {
    let folder: Int
    let path: PathBytes
    let names: ArraySlice<[UInt8]>
}

/// What one series' files in one chunk gave.
struct ChunkSeries {
    let key: SeriesKey
    var files = 0
    /// Every frame of every file with pixel data (the planner's view of it).
    var headers: [SliceHeader] = []
    /// A damaged file held no pixel data element: how many frames it has is not known.
    var framesUnknown = false
    /// The rendered values of the first file read whole.
    var values: [Tag: String]?
    /// The first damaged file's values (what was read before the damage), and its path.
    var damaged: (values: [Tag: String], path: PathBytes)?
}

/// What one chunk of files gave.
final class ChunkResult: @unchecked Sendable {
    var series: [ChunkSeries] = []
    var dicomFiles = 0
    var skippedByType: [String: Int] = [:]
    var unreadable: [UnreadableFile] = []
}

extension SeriesJob {
    /// Lists the files of an open folder (regular files and symlinks to them; dot-files only with
    /// `--hidden`; the table itself and its temporary files when it is being written there).
    func listFiles(_ dir: OpenDirectory, _ folder: PathBytes) -> FolderFiles? {
        var names: [[UInt8]] = []
        var own: Bool?  // whether this folder holds our table (asked only when a name matches)
        for entry in dir.entries {
            if !options.walk.includeHidden && entry.isHidden { continue }
            switch entry.kind {
            case .file: break
            case .symlink:
                guard let st = dir.statEntry(entry), st.st_mode & S_IFMT == S_IFREG else { continue }
            case .directory, .other: continue
            }
            if let table = ownTable, isOwnName(entry.name, table.name) {
                if own == nil { own = canonicalPath(folder) == table.folder }
                if own == true { continue }
            }
            names.append(entry.cName)
        }
        return names.isEmpty ? nil : FolderFiles(names: names)
    }

    /// The table's name, or the name of one of its temporary files (`.NAME.PID.tmp`).
    private func isOwnName(_ name: PathBytes, _ table: PathBytes) -> Bool {
        if name == table { return true }
        let prefix = [UInt8(ascii: ".")] + table + [UInt8(ascii: ".")], suffix = Array(".tmp".utf8)
        guard name.count > prefix.count + suffix.count, name.starts(with: prefix), name.reversed().starts(with: suffix.reversed()) else { return false }
        return name[prefix.count..<(name.count - suffix.count)].allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }

    /// Reads a chunk's files: each one's header once, with only the tags the table needs.
    func read(_ chunk: FileChunk, progress: SeriesProgress?) -> ChunkResult {
        let result = ChunkResult()
        defer { progress?.filesRead.add(chunk.names.count, ordering: .relaxed) }
        func path(_ name: [UInt8]) -> PathBytes { joinPath(chunk.path, Array(name.dropLast())) }  // only for messages
        let dfd: Int32
        do {
            dfd = try valueOrErrno { chunk.path.withCPath { open($0, O_RDONLY | O_DIRECTORY | O_CLOEXEC) } }
        } catch {
            for name in chunk.names { result.unreadable.append(UnreadableFile(path: path(name).pathString, reason: "cannot open: \(error.text)")) }
            return result
        }
        defer { close(dfd) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        var index: [SeriesKey: Int] = [:]
        for name in chunk.names {
            let fd: Int32
            do {
                fd = try valueOrErrno { name.withUnsafeBufferPointer { b in b.withMemoryRebound(to: CChar.self) { openat(dfd, $0.baseAddress!, O_RDONLY | O_CLOEXEC) } } }
            } catch {
                result.unreadable.append(UnreadableFile(path: path(name).pathString, reason: "cannot open: \(error.text)"))
                continue
            }
            defer { close(fd) }
            let file = DICOMReader.read(fileDescriptor: fd, options: readOptions)
            let whole: Bool
            switch file.error?.kind {
            case nil:
                whole = true
            case .notDICOM?:
                do {
                    if case .other(let type) = try fileTypes.kind(of: fd, buffer: &buffer, notDICOM: true) { result.skippedByType[type, default: 0] += 1 }
                } catch {
                    result.unreadable.append(UnreadableFile(path: path(name).pathString, reason: "cannot read: \(error.text)"))
                }
                continue
            case .io?:
                result.unreadable.append(UnreadableFile(path: path(name).pathString, reason: file.error!.description))
                continue
            default:
                result.unreadable.append(UnreadableFile(path: path(name).pathString, reason: file.error!.description))
                whole = false
            }
            result.dicomFiles += 1
            let ds = file.dataSet
            let seriesUID = uid(ds, .seriesInstanceUID)
            // A file damaged before its Series Instance UID belongs to no known series: it is listed only.
            if !whole && seriesUID == nil { continue }
            let key = SeriesKey(study: uid(ds, .studyInstanceUID) ?? "", series: seriesUID ?? "", folder: seriesUID == nil ? chunk.folder : -1)
            let i: Int
            if let known = index[key] { i = known } else {
                i = result.series.count
                index[key] = i
                result.series.append(ChunkSeries(key: key))
            }
            result.series[i].files += 1
            if ds[.pixelData] != nil || ds[.floatPixelData] != nil || ds[.doubleFloatPixelData] != nil {
                for var h in SliceHeader.headers(of: ds, dirIndex: 0, path: "") {
                    // Only what counting slices and volumes needs is kept (the series is one group
                    // to the planner; memory grows with every frame of the tree).
                    h.seriesInstanceUID = nil
                    h.studyInstanceUID = nil
                    h.patientID = nil
                    h.pixelSpacing = nil
                    h.windowCenter = nil
                    h.windowWidth = nil
                    h.dimensionIndex = nil
                    h.stackID = nil
                    result.series[i].headers.append(h)
                }
            } else if !whole {
                result.series[i].framesUnknown = true
            }
            if whole {
                if result.series[i].values == nil { result.series[i].values = values(ds) }
            } else if result.series[i].damaged == nil {
                result.series[i].damaged = (values(ds), path(name))
            }
        }
        return result
    }

    /// The rendered values the table and the templates need. A value missing at the top level (an
    /// enhanced multi-frame file keeps Pixel Spacing, Slice Thickness, Repetition Time, Flip Angle
    /// in its functional groups) is taken from the first item of a functional group macro in the
    /// Shared, else the first Per-frame, Functional Groups Sequence.
    func values(_ ds: DataSet) -> [Tag: String] {
        var out: [Tag: String] = [:]
        out.reserveCapacity(valueTags.count)
        let groups = [SeriesTag.sharedFunctionalGroups, SeriesTag.perFrameFunctionalGroups].compactMap { ds[$0]?.items?.first }
        for tag in valueTags {
            if let e = ds[tag] {
                out[tag] = ds.render(e)
                continue
            }
            search: for group in groups {
                for macro in group.elements {
                    if let item = macro.items?.first, let e = item[tag] {
                        out[tag] = item.render(e)
                        break search
                    }
                }
            }
        }
        return out
    }

    /// A UID as rendered, nil when absent or empty.
    private func uid(_ ds: DataSet, _ tag: Tag) -> String? {
        guard let e = ds[tag] else { return nil }
        let s = ds.render(e)
        return s.isEmpty ? nil : s
    }
}
