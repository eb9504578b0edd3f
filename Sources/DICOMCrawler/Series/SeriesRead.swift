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
    /// Every frame of every file with an image: their count, and their geometry unless the job's
    /// budget of frames held was spent (`geometryDropped`).
    var frameCount = 0
    var frames: [FrameGeometry] = []
    var geometryDropped = false
    /// A damaged file held no pixel data element: how many frames it has is not known.
    var framesUnknown = false
    /// The rendered values of the first file read whole.
    var values: [Tag: String]?
    /// The first damaged file's values (what was read before the damage), and its path.
    var damaged: (values: [Tag: String], path: PathBytes)?

    /// Adds a later part of the same series (a later chunk, in walk order): counts add up, frames
    /// follow (none once either dropped its geometry), the first values stay.
    mutating func absorb(_ s: ChunkSeries) {
        files += s.files
        frameCount += s.frameCount
        if s.geometryDropped || geometryDropped {
            geometryDropped = true
            frames = []
        } else if frames.isEmpty { frames = s.frames } else { frames += s.frames }
        if s.framesUnknown { framesUnknown = true }
        if values == nil { values = s.values }
        if damaged == nil { damaged = s.damaged }
    }
}

/// A header as `SeriesJob.header` read it: the file, and the bytes its top-level values were left
/// in (`ReadOptions.loadsValues` false), if they were.
struct SeriesHeader {
    var file: DicomFile
    /// The bytes read from the start of the file, which the top-level values' offsets point into;
    /// nil when the values are loaded.
    let source: [UInt8]?

    var dataSet: DataSet { file.dataSet }

    /// An element's value: loaded, or in `source`; nil for one that is neither (not loaded by the
    /// reader, or a sequence).
    func bytes(_ e: Element) -> ArraySlice<UInt8>? {
        switch e.value {
        case .bytes(let b):
            return b[...]
        case .notLoaded(let offset, let length):
            guard let source, offset >= 0, length >= 0, offset <= source.count - length else { return nil }
            return source[offset..<(offset + length)]
        default:
            return nil
        }
    }

    /// The element with its value loaded, in a data set with this one's character set and byte
    /// order (for `DataSet`'s accessors and rendering, which read loaded values): itself, in its
    /// data set, when it is not in `source`.
    func loaded(_ e: Element) -> (set: DataSet, element: Element) {
        guard source != nil, case .notLoaded = e.value, let b = bytes(e) else { return (dataSet, e) }
        let element = Element(tag: e.tag, vr: e.vr, fileVR: e.fileVR, length: e.length, offset: e.offset, value: .bytes(Array(b)))
        return (DataSet(elements: [element], characterSet: dataSet.characterSet, bigEndian: dataSet.isBigEndian), element)
    }
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
            guard dir.isRegularFile(entry, includeHidden: options.walk.includeHidden) else { continue }
            if let table = ownTable, isOwnName(entry.cName, table.name) {
                if own == nil { own = canonicalPath(folder) == table.folder }
                if own == true { continue }
            }
            names.append(entry.cName)
        }
        return names.isEmpty ? nil : FolderFiles(names: names)
    }

    /// Whether a name (with its terminating NUL) is the table's or one of its temporary files'
    /// (`.NAME.HOST.PID.tmp`, `isTemporaryName`). Asked of every file: compares in place, and
    /// makes the name only for one that starts as a temporary file of the table does.
    private func isOwnName(_ cName: [UInt8], _ table: PathBytes) -> Bool {
        let n = cName.count - 1, t = table.count
        if n == t { return cName.starts(with: table) }
        guard n > t + 6, cName[0] == UInt8(ascii: "."), cName[1...].starts(with: table), cName[t + 1] == UInt8(ascii: ".") else { return false }
        return isTemporaryName(Array(cName.dropLast()), of: table)
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
        var prefix = [UInt8](repeating: 0, count: Self.prefixSize)
        var index: [SeriesKey: Int] = [:]
        // The previous file's Study and Series Instance UIDs as stored, and its series: files in a
        // row mostly share them, and bytes compare without making strings.
        var last: (study: [UInt8]?, series: [UInt8], at: Int)?
        for name in chunk.names {
            let fd: Int32
            do {
                fd = try valueOrErrno { name.withUnsafeBufferPointer { b in b.withMemoryRebound(to: CChar.self) { openat(dfd, $0.baseAddress!, O_RDONLY | O_CLOEXEC | O_NONBLOCK) } } }
            } catch {
                result.unreadable.append(UnreadableFile(path: path(name).pathString, reason: "cannot open: \(error.text)"))
                continue
            }
            defer { close(fd) }
            let count: Int
            do { count = try readFully(fd, into: &prefix, at: 0) } catch {
                result.unreadable.append(UnreadableFile(path: path(name).pathString, reason: "cannot read: \(error.text)"))
                continue
            }
            var file = header(fd, prefix, count, readOptions)
            switch file.file.error?.kind {
            case .notDICOM?:
                do {
                    if case .other(let type) = try fileTypes.kind(of: fd, buffer: &buffer, notDICOM: true) { result.skippedByType[type, default: 0] += 1 }
                } catch {
                    result.unreadable.append(UnreadableFile(path: path(name).pathString, reason: "cannot read: \(error.text)"))
                }
                continue
            case .io?:
                result.unreadable.append(UnreadableFile(path: path(name).pathString, reason: file.file.error!.description))
                continue
            default:
                break
            }
            result.dicomFiles += 1
            let studyBytes = file.dataSet[.studyInstanceUID].flatMap(file.bytes)
            let seriesBytes = file.dataSet[.seriesInstanceUID].flatMap(file.bytes)
            let known: Int?
            let key: SeriesKey
            let sameAsLast: Bool
            if let l = last, let seriesBytes, sameBytes(l.series, seriesBytes),
               l.study == nil ? studyBytes == nil : studyBytes.map({ sameBytes(l.study!, $0) }) ?? false {
                sameAsLast = true
                known = l.at
                key = result.series[l.at].key
            } else {
                sameAsLast = false
                let seriesUID = uid(file, .seriesInstanceUID)
                key = SeriesKey(study: uid(file, .studyInstanceUID) ?? "", series: seriesUID ?? "", folder: seriesUID == nil ? chunk.folder : -1)
                known = index[key]
            }
            let hasSeriesUID = !key.series.isEmpty
            // A file with Number of Frames is read again up to its pixel data (its frames' positions
            // are in its functional groups, and the pixel data bounds how many frames it has); the
            // first file of a series in the chunk (until one is read whole) again with the values.
            let multiFrame = file.dataSet[HeaderTag.numberOfFrames] != nil
            if multiFrame {
                file = SeriesHeader(file: DICOMReader.read(fileDescriptor: fd, options: multiFrameReadOptions), source: nil)
            } else if known.map({ result.series[$0].values == nil }) ?? true {
                file = header(fd, prefix, count, valueReadOptions)
            }
            let whole = file.file.error == nil
            if let e = file.file.error { result.unreadable.append(UnreadableFile(path: path(name).pathString, reason: e.description)) }
            // A file damaged before its Series Instance UID belongs to no known series: it is listed only.
            if !whole && !hasSeriesUID { continue }
            let ds = file.dataSet
            let i: Int
            if let known { i = known } else {
                i = result.series.count
                index[key] = i
                result.series.append(ChunkSeries(key: key))
            }
            // Copied (not slices of `prefix`, which the next file is read into) only when they change.
            if let seriesBytes, !sameAsLast { last = (studyBytes.map(Array.init), Array(seriesBytes), i) }
            result.series[i].files += 1
            if !multiFrame {
                // One frame for an image (the Image Pixel module: Rows), none for other files.
                if ds[HeaderTag.rows] != nil {
                    result.series[i].frameCount += 1
                    if keepsGeometry(1, &result.series[i]) { result.series[i].frames.append(singleFrame(file)) }
                } else if !whole {
                    result.series[i].framesUnknown = true
                }
            } else if ds[.pixelData] != nil || ds[.floatPixelData] != nil || ds[.doubleFloatPixelData] != nil {
                let headers = SliceHeader.headers(of: ds, dirIndex: 0, path: "")  // a multi-frame read: values loaded
                result.series[i].frameCount += headers.count
                if keepsGeometry(headers.count, &result.series[i]) {
                    for h in headers { result.series[i].frames.append(FrameGeometry(h)) }
                }
            } else if !whole {
                result.series[i].framesUnknown = true
            }
            if result.series[i].values != nil {
                continue
            } else if whole {
                result.series[i].values = values(file)
            } else if result.series[i].damaged == nil {
                result.series[i].damaged = (values(file), path(name))
            }
        }
        return result
    }

    /// Whether two values are the same bytes (compared at once, not byte by byte).
    private func sameBytes(_ a: [UInt8], _ b: ArraySlice<UInt8>) -> Bool {
        a.count == b.count && a.withUnsafeBytes { x in b.withUnsafeBytes { y in x.count == 0 || memcmp(x.baseAddress!, y.baseAddress!, x.count) == 0 } }
    }

    /// Whether `n` more frames' geometry may be held: memory grows with the frames of the tree (a
    /// hostile file of tiny frames makes many from few bytes), so at most `maxFramesHeld` are held
    /// in all; past that a series keeps counting its frames but no longer stacks them.
    private func keepsGeometry(_ n: Int, _ series: inout ChunkSeries) -> Bool {
        if series.geometryDropped { return false }
        if framesHeld.add(n, ordering: .relaxed).newValue <= options.maxFramesHeld { return true }
        series.geometryDropped = true
        series.frames = []
        return false
    }

    /// Bytes read from the start of each file at once: most headers reach the last element the
    /// table needs (group 0028) well before this.
    static let prefixSize = 4096

    /// A file's header as `DICOMReader.read(fileDescriptor:options:)` gives it, parsed from the
    /// `count` bytes already read from its start when they hold all that `options` asks for (the
    /// reader stopped after the last wanted element, or they are the whole file): one `pread`, no
    /// `fstat`, no buffer per file. Else (a longer header, or a verdict the first bytes alone cannot
    /// give) read from the file. With `options.loadsValues` false the top-level values are left in
    /// those bytes (`SeriesHeader.source`), no array per value; a header read from the file, or
    /// deflated (its offsets are in the inflated stream), has them loaded.
    func header(_ fd: Int32, _ prefix: [UInt8], _ count: Int, _ options: ReadOptions) -> SeriesHeader {
        let whole = count < prefix.count
        let bytes = whole ? Array(prefix[..<count]) : prefix
        let file = DICOMReader.read(bytes: bytes, options: options)
        var loading = options
        loading.loadsValues = true
        if whole || file.stoppedEarly {
            if options.loadsValues { return SeriesHeader(file: file, source: nil) }
            if file.transferSyntax?.isDeflated != true { return SeriesHeader(file: file, source: bytes) }
            return SeriesHeader(file: DICOMReader.read(bytes: bytes, options: loading), source: nil)
        }
        return SeriesHeader(file: DICOMReader.read(fileDescriptor: fd, options: loading), source: nil)
    }

    /// The rendered values the table and the templates need. A value missing at the top level (an
    /// enhanced multi-frame file keeps Pixel Spacing, Slice Thickness, Repetition Time, Flip Angle
    /// in its functional groups) is taken from the first item of a functional group macro in the
    /// Shared, else the first Per-frame, Functional Groups Sequence.
    func values(_ header: SeriesHeader) -> [Tag: String] {
        let ds = header.dataSet
        var out: [Tag: String] = [:]
        out.reserveCapacity(valueTags.count)
        let groups = [HeaderTag.sharedFunctionalGroups, HeaderTag.perFrameFunctionalGroups].compactMap { ds[$0]?.items?.first }
        for tag in valueTags {
            if let e = ds[tag] {
                let v = header.loaded(e)
                out[tag] = v.set.render(v.element)
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

    /// A single-frame file's frame, with what `SliceHeader.headers` would take from its top level
    /// for the planner to split and stack a series: position, orientation, SOP Instance UID, the
    /// Image Pixel values. Read straight from the values' bytes: this runs for every file.
    func singleFrame(_ header: SeriesHeader) -> FrameGeometry {
        let ds = header.dataSet
        var f = FrameGeometry()
        if let e = ds[.sopInstanceUID], let b = header.bytes(e) {
            var end = b.endIndex
            while end > b.startIndex && (b[end - 1] == 0 || b[end - 1] == 0x20) { end -= 1 }
            if end > b.startIndex { f.sop = FrameGeometry.hash(b[..<end]) }
        }
        f.rows = unsigned16(header, HeaderTag.rows)
        f.columns = unsigned16(header, HeaderTag.columns)
        f.samples = unsigned16(header, HeaderTag.samplesPerPixel)
        f.bits = unsigned16(header, HeaderTag.bitsAllocated)
        f.representation = unsigned16(header, .pixelRepresentation)
        if let e = ds[HeaderTag.photometricInterpretation], let b = header.bytes(e) {
            var start = b.startIndex, end = b.endIndex
            while start < end && (b[start] == 0x20 || b[start] == 0) { start += 1 }
            while end > start && (b[end - 1] == 0x20 || b[end - 1] == 0) { end -= 1 }
            if end > start { f.photometric = FrameGeometry.hash(b[start..<end]) }
        }
        if let p = decimals(header, HeaderTag.imagePosition, count: 3) { (f.x, f.y, f.z) = (p[0], p[1], p[2]) }
        if let o = decimals(header, HeaderTag.imageOrientation, count: 6) {
            f.orientation = ImageOrientation(row: SIMD3(o[0], o[1], o[2]), column: SIMD3(o[3], o[4], o[5]))
        }
        return f
    }

    /// A US value (its first), else whatever `DataSet.int` makes of the element; -1 when absent
    /// or not a number from 0 to 2^31 - 1.
    private func unsigned16(_ header: SeriesHeader, _ tag: Tag) -> Int32 {
        guard let e = header.dataSet[tag] else { return -1 }
        if e.vr == .US, let b = header.bytes(e), b.count >= 2 {
            let b0 = Int32(b[b.startIndex]), b1 = Int32(b[b.startIndex + 1])
            return header.dataSet.isBigEndian ? b0 << 8 | b1 : b1 << 8 | b0
        }
        guard let v = header.loaded(e).set.int(tag), v >= 0, v <= Int(Int32.max) else { return -1 }
        return Int32(v)
    }

    /// The values of a decimal string (DS) element as finite numbers, exactly `count` (at most 8)
    /// of them, nil otherwise (as `SliceHeader` reads them: a value that is not a number is no value).
    /// Parsed in place, into a vector: nothing is allocated.
    private func decimals(_ header: SeriesHeader, _ tag: Tag, count: Int) -> SIMD8<Double>? {
        guard let e = header.dataSet[tag] else { return nil }
        guard let bytes = header.bytes(e), e.vr == .DS || e.vr == .UN else {
            guard let v = header.loaded(e).set.strings(tag), v.count == count else { return nil }
            var out = SIMD8<Double>()
            for (i, text) in v.enumerated() {
                guard let d = Double(text.filter { $0 != " " }), d.isFinite else { return nil }
                out[i] = d
            }
            return out
        }
        var out = SIMD8<Double>()
        var found = 0
        let ok = bytes.withUnsafeBufferPointer { p -> Bool in
            withUnsafeTemporaryAllocation(of: CChar.self, capacity: 32) { buffer -> Bool in
                var start = 0
                for i in 0...p.count where i == p.count || p[i] == 0x5C {
                    var a = start, b = i
                    start = i + 1
                    while a < b && (p[a] == 0x20 || p[a] == 0) { a += 1 }
                    while b > a && (p[b - 1] == 0x20 || p[b - 1] == 0) { b -= 1 }
                    let n = b - a
                    guard n > 0, n < 32, found < count else { return false }
                    if let v = Self.plainDecimal(p, a, b) {
                        out[found] = v
                        found += 1
                        continue
                    }
                    for k in 0..<n { buffer[k] = CChar(bitPattern: p[a + k]) }
                    buffer[n] = 0
                    var end: UnsafeMutablePointer<CChar>?
                    let v = strtod(buffer.baseAddress!, &end)
                    guard end == buffer.baseAddress! + n, v.isFinite else { return false }
                    out[found] = v
                    found += 1
                }
                return true
            }
        }
        return ok && found == count ? out : nil
    }

    /// `p[from..<to]` as `strtod` reads it, when it is a plain decimal (an optional minus, digits
    /// with an optional point): exactly, as its digits (an integer up to 2^53) over a power of ten
    /// up to 10^22 are exact doubles and one division rounds once, correctly, as `strtod` does.
    /// Nil for any other text, left to `strtod`.
    static func plainDecimal(_ p: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int) -> Double? {
        var i = from
        let negative = i < to && p[i] == 0x2D
        if negative { i += 1 }
        var digits: UInt64 = 0, count = 0, fraction = 0, point = false
        while i < to {
            let c = p[i]
            if c >= 0x30 && c <= 0x39 {
                guard count < 18 else { return nil }
                digits = digits * 10 + UInt64(c - 0x30)
                count += 1
                if point { fraction += 1 }
            } else if c == 0x2E && !point {
                point = true
            } else {
                return nil
            }
            i += 1
        }
        guard count > 0, digits <= 1 << 53, fraction < powersOfTen.count else { return nil }
        let v = Double(digits) / powersOfTen[fraction]
        return negative ? -v : v
    }

    /// 10^0 to 10^22, each exact.
    private static let powersOfTen: [Double] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
                                                1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22]

    /// A UID as rendered (trailing NULs and spaces removed), nil when absent or empty. Taken
    /// straight from the bytes when they are ASCII, as UIDs are: this runs for every file.
    private func uid(_ header: SeriesHeader, _ tag: Tag) -> String? {
        guard let e = header.dataSet[tag] else { return nil }
        if let b = header.bytes(e), !b.contains(where: { $0 >= 0x80 }) {
            var end = b.endIndex
            while end > b.startIndex && (b[end - 1] == 0 || b[end - 1] == 0x20) { end -= 1 }
            return end == b.startIndex ? nil : String(decoding: b[..<end], as: UTF8.self)
        }
        let v = header.loaded(e)
        let s = v.set.render(v.element)
        return s.isEmpty ? nil : s
    }
}
