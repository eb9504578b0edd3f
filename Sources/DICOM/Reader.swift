#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What to read, and where to stop.
public struct ReadOptions: Sendable {
    /// Stop before the first top-level element whose tag is at or after this one (e.g. `.pixelData`).
    public var stopBefore: Tag?
    /// Keep only these top-level elements (plus Specific Character Set and Pixel Representation,
    /// which decoding needs), skip the rest by seeking, and stop after the highest one.
    public var tags: Set<Tag>? {
        didSet { computeWanted() }
    }
    /// `tags` plus what decoding needs, and the highest of `tags` (computed once, not per file).
    private(set) var wanted: [Tag]?
    private(set) var lastWanted: Tag?
    /// Binary values (OB, OW, OF, OD, OL, OV, UN) longer than this are skipped, not loaded.
    public var bulkThreshold: Int
    /// Of a bulk value that is not loaded (longer than `bulkThreshold`), load this many first
    /// bytes anyway (`Element.Value.truncated`), to show its beginning. 0: none.
    public var bulkPrefix: Int = 0
    /// No value longer than this is loaded, whatever its VR.
    public var maxValueLength: Int
    /// Deepest sequence nesting accepted; deeper is an error (a hostile file cannot exhaust memory
    /// or the stack of code that walks the result recursively).
    public var maxDepth: Int
    /// Size of the first read from a file; later reads grow as needed.
    public var firstReadSize: Int

    public init(stopBefore: Tag? = nil, tags: Set<Tag>? = nil, bulkThreshold: Int = 65536,
                maxValueLength: Int = 64 << 20, maxDepth: Int = 1024, firstReadSize: Int = 4096) {
        self.stopBefore = stopBefore
        self.tags = tags
        self.bulkThreshold = bulkThreshold
        self.maxValueLength = maxValueLength
        self.maxDepth = maxDepth
        self.firstReadSize = firstReadSize
        computeWanted()
    }

    private mutating func computeWanted() {
        guard var t = tags else {
            wanted = nil
            lastWanted = nil
            return
        }
        lastWanted = t.max()
        t.insert(.specificCharacterSet)
        t.insert(.pixelRepresentation)
        wanted = t.sorted()
    }

    /// Everything before the pixel data.
    public static let header = ReadOptions(stopBefore: .pixelData)
}

/// The result of reading a file: what it held up to where reading stopped, and the error that
/// stopped it, if any (elements read before an error stay available).
public struct DicomFile: Sendable {
    public var path: String?
    /// `DICM` at byte 128.
    public var hasPreamble = false
    /// The file meta information (group 0002), if present.
    public var meta = DataSet()
    public var dataSet = DataSet()
    /// The transfer syntax the data set was read with (from the meta, or detected).
    public var transferSyntax: TransferSyntax?
    public var error: DICOMError?
    /// Things that were wrong but could be read anyway (unknown character set, guessed syntax, ...).
    public var warnings: [String] = []
    /// Bytes fetched from the file (or memory) — the reader skips bulk values by seeking.
    public var bytesRead = 0
    /// Reading stopped at `stopBefore` or after the last wanted tag, not at the end of the file.
    public var stoppedEarly = false

    /// Recognised as DICOM (Part 10 or a bare data set), whether or not it was read to the end.
    public var isDICOM: Bool { error?.kind != .notDICOM && error?.kind != .io }

    /// A top-level element, looking in the meta group for group 0002.
    public subscript(tag: Tag) -> Element? {
        tag.group == 0x0002 ? meta[tag] : dataSet[tag]
    }

    public func string(_ tag: Tag) -> String? {
        tag.group == 0x0002 ? meta.string(tag) : dataSet.string(tag)
    }

    public func string(_ keyword: String) -> String? {
        guard let tag = DataDictionary.tag(forKeyword: keyword) else { return nil }
        return string(tag)
    }
}

public enum DICOMReader {
    /// Reads a file, fetching only the bytes it needs.
    public static func read(path: String, options: ReadOptions = ReadOptions()) -> DicomFile {
        var file = DicomFile()
        file.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            file.error = DICOMError(.io, offset: 0, "cannot open: \(String(cString: strerror(errno)))")
            return file
        }
        defer { close(fd) }
        return read(fileDescriptor: fd, path: path, options: options)
    }

    /// Reads from an open file descriptor (positioned anywhere: reads use absolute offsets). The
    /// caller keeps ownership of the descriptor. `path` is only recorded in the result.
    public static func read(fileDescriptor fd: Int32, path: String? = nil, options: ReadOptions = ReadOptions()) -> DicomFile {
        var file = DicomFile()
        file.path = path
        var st = stat()
        if fstat(fd, &st) != 0 {
            file.error = DICOMError(.io, offset: 0, "cannot stat: \(String(cString: strerror(errno)))")
            return file
        }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            file.error = DICOMError(.io, offset: 0, "is a directory")
            return file
        }
        var parser = Parser(input: ByteInput(fd: fd, size: Int(st.st_size), firstChunk: options.firstReadSize), options: options)
        parser.parseFile(into: &file)
        return file
    }

    /// Reads a file held in memory.
    public static func read(bytes: [UInt8], options: ReadOptions = ReadOptions()) -> DicomFile {
        var file = DicomFile()
        var parser = Parser(input: ByteInput(bytes: bytes), options: options)
        parser.parseFile(into: &file)
        return file
    }
}

/// What the first bytes of a file say it is.
public enum DICOMRecognition: Sendable, Equatable {
    /// `DICM` at byte 128 (or, without the preamble, at byte 0).
    case part10
    /// No preamble, but a data set (group 0002 or 0008) at byte 0.
    case bareDataSet
    case notDICOM
}

extension DICOMReader {
    /// Recognises a DICOM file from its first bytes (132 are enough for a Part 10 file; a bare data
    /// set needs its first element header) without reading it. `fileSize` is the whole file's size.
    public static func recognize(prefix: [UInt8], fileSize: Int) -> DICOMRecognition {
        if prefix.count >= 132, prefix[128] == 0x44, prefix[129] == 0x49, prefix[130] == 0x43, prefix[131] == 0x4D {
            return .part10
        }
        if prefix.count >= 4, prefix[0] == 0x44, prefix[1] == 0x49, prefix[2] == 0x43, prefix[3] == 0x4D {
            return .part10
        }
        var parser = Parser(input: ByteInput(bytes: prefix, claimedSize: fileSize), options: ReadOptions())
        return parser.recognizeBareDataSet() ? .bareDataSet : .notDICOM
    }
}

/// The element loop. Iterative, with an explicit stack of open sequences and items, so that
/// nesting depth is bounded by `maxDepth` and never by the call stack.
struct Parser {
    var input: ByteInput
    let options: ReadOptions
    var warnings: [String] = []
    var explicit = true
    var bigEndian = false
    var pixelRepresentation: UInt16 = 0
    let lastWanted: Tag?
    /// Sorted; searched with a binary search (cheaper than hashing for a handful of tags).
    let wanted: [Tag]?
    /// The top-level data set being read (kept so that an error can return what was read).
    var currentRoot: ItemFrame?

    init(input: ByteInput, options: ReadOptions) {
        self.input = input
        self.options = options
        lastWanted = options.lastWanted
        wanted = options.wanted
    }

    // MARK: file structure

    mutating func parseFile(into file: inout DicomFile) {
        defer {
            file.warnings = warnings + file.meta.characterSet.warnings + file.dataSet.characterSet.warnings
            file.bytesRead = input.sourceBytesFetched
        }
        do {
            // Preamble and DICM prefix?
            if try input.ensure(132), input.u8(at: 128) == 0x44, input.u8(at: 129) == 0x49,
               input.u8(at: 130) == 0x43, input.u8(at: 131) == 0x4D {
                file.hasPreamble = true
                input.pos += 132
            } else if try input.ensure(4), input.u8(at: 0) == 0x44, input.u8(at: 1) == 0x49,
                      input.u8(at: 2) == 0x43, input.u8(at: 3) == 0x4D {
                warnings.append("DICM prefix without the 128-byte preamble")
                input.pos += 4
            } else if probeBareDataSet() == nil {
                throw DICOMError(.notDICOM, offset: 0, "no DICM prefix at byte 128 and no recognisable data set at byte 0")
            }

            // File meta information: explicit VR little endian, read while the group is 0002.
            explicit = true
            bigEndian = false
            if try input.ensure(2), input.u16(at: 0, bigEndian: false) == 0x0002 {
                var meta = try parseDataSet(root: true, group2Only: true)
                meta.isBigEndian = false
                file.meta = meta
            }

            var ts: TransferSyntax
            if let uidElement = file.meta[.transferSyntaxUID], let raw = uidElement.bytes {
                let uid = TransferSyntax.clean(String(decoding: raw, as: UTF8.self))
                if let known = TransferSyntax(uid: uid) {
                    ts = known
                } else {
                    let probed = try probeEncoding()
                    warnings.append("unknown transfer syntax '\(uid)': read as \(probed.name)")
                    ts = probed
                }
            } else {
                ts = try probeEncoding()
                if !file.meta.isEmpty || file.hasPreamble {
                    warnings.append("no transfer syntax in the file meta information: read as \(ts.name)")
                }
            }
            file.transferSyntax = ts

            if ts.isDeflated {
                input = try ByteInput(inflating: input)
            }
            explicit = ts.isExplicitVR
            bigEndian = ts.isBigEndian
            try checkFirstElementEncoding()
            file.dataSet = try parseDataSet(root: true, group2Only: false, stopped: &file.stoppedEarly)
        } catch let error as DICOMError {
            var e = error
            if input.isInflated && e.kind != .io { e.inInflatedData = true }
            file.error = e
            if let partial = partialRoot {
                file.dataSet = partial
            }
        } catch {
            file.error = DICOMError(.io, offset: input.offset, "\(error)")
        }
    }

    /// Elements of the top-level data set read before an error.
    private var partialRoot: DataSet? {
        guard let root = currentRoot else { return nil }
        return DataSet(elements: root.elements, characterSet: root.charset, bigEndian: root.bigEndian)
    }

    mutating func recognizeBareDataSet() -> Bool { probeBareDataSet() != nil }

    /// A bare data set at byte 0: group 0002 or 0008 in little or big endian, with a sane header.
    private mutating func probeBareDataSet() -> TransferSyntax? {
        guard (try? input.ensure(8)) == true else { return nil }
        let leGroup = input.u16(at: 0, bigEndian: false)
        let beGroup = input.u16(at: 0, bigEndian: true)
        guard leGroup == 0x0002 || leGroup == 0x0008 || beGroup == 0x0008 else { return nil }
        guard let ts = try? probeEncoding() else { return nil }
        // The first element's length must fit in the file.
        let be = ts.isBigEndian
        let vr = VR(input.u8(at: 4), input.u8(at: 5))
        let length: Int
        if ts.isExplicitVR && vr.hasLongLength {
            guard (try? input.ensure(12)) == true else { return nil }
            length = Int(input.u32(at: 8, bigEndian: be))
        } else if ts.isExplicitVR {
            length = Int(input.u16(at: 6, bigEndian: be))
        } else {
            length = Int(input.u32(at: 4, bigEndian: be))
        }
        if length != 0xFFFF_FFFF, let size = input.knownSize, length > size { return nil }
        return ts
    }

    /// Guesses the encoding of the data set at the current position from its first element.
    private mutating func probeEncoding() throws -> TransferSyntax {
        guard try input.ensure(6) else { return .explicitVRLittleEndian }
        let leGroup = input.u16(at: 0, bigEndian: false)
        let beGroup = input.u16(at: 0, bigEndian: true)
        let vrValid = VR(input.u8(at: 4), input.u8(at: 5)).isKnown
        if leGroup > 0x00FF && beGroup <= 0x00FF && beGroup != 0 && vrValid {
            return TransferSyntax(uid: "1.2.840.10008.1.2.2", explicitVR: true, bigEndian: true)
        }
        return vrValid ? .explicitVRLittleEndian : .implicitVRLittleEndian
    }

    /// pydicom and DCMTK both notice a data set whose first element contradicts the transfer
    /// syntax's VR encoding, and follow the data. (Explicit-but-actually-implicit is also caught per
    /// element, since an implicit length never looks like a VR.)
    private mutating func checkFirstElementEncoding() throws {
        guard !explicit, try input.ensure(8) else { return }
        let tag = Tag(group: input.u16(at: 0, bigEndian: bigEndian), element: input.u16(at: 2, bigEndian: bigEndian))
        let vr = VR(input.u8(at: 4), input.u8(at: 5))
        guard vr.isKnown, tag.group != 0xFFFE else { return }
        if let dict = DataDictionary.vr(for: tag), dict.vr == vr || dict.ambiguous {
            warnings.append("transfer syntax says implicit VR but the data set is explicit VR: read as explicit")
            explicit = true
        }
    }

    // MARK: the element loop

    final class ItemFrame {
        var elements: [Element] = []
        var charset: SpecificCharacterSet
        let end: Int?
        let explicit: Bool
        let bigEndian: Bool
        let offset: Int
        init(charset: SpecificCharacterSet, end: Int?, explicit: Bool, bigEndian: Bool, offset: Int) {
            self.charset = charset; self.end = end; self.explicit = explicit; self.bigEndian = bigEndian; self.offset = offset
        }
    }

    final class SequenceFrame {
        var items: [DataSet] = []
        let tag: Tag, vr: VR, fileVR: VR?, length: UInt32, offset: Int
        let end: Int?
        let explicit: Bool
        let bigEndian: Bool
        let keep: Bool
        init(tag: Tag, vr: VR, fileVR: VR?, length: UInt32, offset: Int, end: Int?, explicit: Bool, bigEndian: Bool, keep: Bool) {
            self.tag = tag; self.vr = vr; self.fileVR = fileVR; self.length = length; self.offset = offset
            self.end = end; self.explicit = explicit; self.bigEndian = bigEndian; self.keep = keep
        }
    }

    enum Frame {
        case item(ItemFrame)
        case sequence(SequenceFrame)
    }

    private mutating func parseDataSet(root: Bool, group2Only: Bool) throws -> DataSet {
        var stopped = false
        return try parseDataSet(root: root, group2Only: group2Only, stopped: &stopped)
    }

    private mutating func parseDataSet(root: Bool, group2Only: Bool, stopped: inout Bool) throws -> DataSet {
        let rootFrame = ItemFrame(charset: .default, end: nil, explicit: explicit, bigEndian: bigEndian, offset: input.offset)
        if !group2Only { currentRoot = rootFrame }
        var stack: [Frame] = [.item(rootFrame)]
        var depth = 0  // open sequences

        loop: while let top = stack.last {
            switch top {
            case .item(let item):
                let isRoot = stack.count == 1
                if let end = item.end, input.offset >= end {
                    if input.offset > end {
                        throw DICOMError(.badLength, offset: input.offset, "an element runs past the end of the item that started at byte \(item.offset) and ends at byte \(end)")
                    }
                    popItem(&stack)
                    continue
                }
                let tagOffset = input.offset
                guard try input.ensure(4) else {
                    if isRoot {
                        if input.available > 0 { warnings.append("\(input.available) trailing bytes after the last element ignored") }
                        break loop
                    }
                    throw DICOMError(.truncated, offset: input.offset + input.available, "file ends inside an item that started at byte \(item.offset)")
                }
                let be = item.bigEndian
                let tag = Tag(group: input.u16(at: 0, bigEndian: be), element: input.u16(at: 2, bigEndian: be))
                if group2Only && tag.group != 0x0002 { break loop }
                if tag.group == 0xFFFE {
                    guard try input.ensure(8) else {
                        throw DICOMError(.truncated, offset: tagOffset, "file ends inside the header of \(tag)")
                    }
                    input.pos += 8
                    if tag == .itemDelimitation && !isRoot {
                        if item.end != nil { warnings.append("item delimiter in an item of defined length at byte \(tagOffset)") }
                        popItem(&stack)
                    } else if tag == .sequenceDelimitation && !isRoot {
                        warnings.append("sequence delimiter without item delimiter at byte \(tagOffset)")
                        popItem(&stack)
                        if case .sequence = stack.last { popSequence(&stack); depth -= 1 }
                    } else if isRoot && tag != .item {
                        warnings.append("stray delimiter \(tag) at byte \(tagOffset) ignored")
                    } else {
                        throw DICOMError(.badItem, offset: tagOffset, "item tag \(tag) outside a sequence")
                    }
                    continue
                }
                if isRoot && !group2Only {
                    if let stop = options.stopBefore, tag >= stop { stopped = true; break loop }
                    if let last = lastWanted, tag > last { stopped = true; break loop }
                }
                try readElement(tag: tag, in: item, isRoot: isRoot && !group2Only, stack: &stack, depth: &depth)

            case .sequence(let seq):
                if let end = seq.end, input.offset >= end {
                    if input.offset > end {
                        throw DICOMError(.badLength, offset: input.offset, "an item runs past the end of sequence \(seq.tag) that started at byte \(seq.offset)")
                    }
                    popSequence(&stack)
                    depth -= 1
                    continue
                }
                let tagOffset = input.offset
                guard try input.ensure(8) else {
                    throw DICOMError(.truncated, offset: input.offset + input.available, "file ends inside sequence \(seq.tag) that started at byte \(seq.offset)")
                }
                let be = seq.bigEndian
                let tag = Tag(group: input.u16(at: 0, bigEndian: be), element: input.u16(at: 2, bigEndian: be))
                let length = input.u32(at: 4, bigEndian: be)
                input.pos += 8
                if tag == .item {
                    var end: Int? = nil
                    if length != 0xFFFF_FFFF {
                        end = input.offset + Int(length)
                        if let size = input.knownSize, end! > size {
                            throw DICOMError(.truncated, offset: tagOffset, "item of length \(length) in sequence \(seq.tag) runs past the end of the file (\(size) bytes)")
                        }
                    }
                    let parentCharset: SpecificCharacterSet
                    if case .item(let parent) = stack[stack.count - 2] { parentCharset = parent.charset } else { parentCharset = .default }
                    stack.append(.item(ItemFrame(charset: parentCharset, end: end, explicit: seq.explicit, bigEndian: seq.bigEndian, offset: tagOffset)))
                } else if tag == .sequenceDelimitation {
                    popSequence(&stack)
                    depth -= 1
                } else if tag == .itemDelimitation {
                    warnings.append("item delimiter outside an item at byte \(tagOffset) ignored")
                } else {
                    throw DICOMError(.badItem, offset: tagOffset, "expected an item (FFFE,E000) in sequence \(seq.tag), found \(tag)")
                }
            }
        }
        if stack.count > 1 {
            throw DICOMError(.truncated, offset: input.offset, "data set ends inside a sequence")
        }
        return DataSet(elements: rootFrame.elements, characterSet: rootFrame.charset, bigEndian: rootFrame.bigEndian)
    }

    private func popItem(_ stack: inout [Frame]) {
        guard case .item(let item) = stack.removeLast(), case .sequence(let seq) = stack.last else { return }
        if seq.keep {
            seq.items.append(DataSet(elements: item.elements, characterSet: item.charset, bigEndian: item.bigEndian))
        }
    }

    private func popSequence(_ stack: inout [Frame]) {
        guard case .sequence(let seq) = stack.removeLast(), case .item(let parent) = stack.last else { return }
        if seq.keep {
            parent.elements.append(Element(tag: seq.tag, vr: seq.vr, fileVR: seq.fileVR, length: seq.length,
                                           offset: seq.offset, value: .sequence(seq.items)))
        }
    }

    /// The VR an implicit-VR element has: the dictionary's, resolving `US or SS` with Pixel
    /// Representation, LO for private creators, UL for group lengths, UN otherwise.
    private func implicitVR(_ tag: Tag) -> VR {
        if tag.element == 0 { return .UL }
        if tag.isPrivate { return tag.isPrivateCreator ? .LO : .UN }
        guard let (vr, ambiguous) = DataDictionary.vr(for: tag) else { return .UN }
        if ambiguous && vr == .US && pixelRepresentation == 1 { return .SS }
        if ambiguous && vr == .OB { return .OW }
        return vr
    }

    private mutating func readElement(tag: Tag, in item: ItemFrame, isRoot: Bool, stack: inout [Frame], depth: inout Int) throws {
        let tagOffset = input.offset
        let be = item.bigEndian
        guard try input.ensure(8) else {
            throw DICOMError(.truncated, offset: tagOffset, "file ends inside the header of \(tag)")
        }
        var vr: VR
        var fileVR: VR? = nil
        let length: UInt32
        if item.explicit {
            let v = VR(input.u8(at: 4), input.u8(at: 5))
            if v.isKnown {
                fileVR = v
                vr = v
                if v.hasLongLength {
                    guard try input.ensure(12) else {
                        throw DICOMError(.truncated, offset: tagOffset, "file ends inside the header of \(tag)")
                    }
                    length = input.u32(at: 8, bigEndian: be)
                    input.pos += 12
                } else {
                    length = UInt32(input.u16(at: 6, bigEndian: be))
                    input.pos += 8
                }
            } else {
                // Not a VR: this element is implicit VR (DCMTK and pydicom read such files too).
                vr = implicitVR(tag)
                length = input.u32(at: 4, bigEndian: be)
                input.pos += 8
            }
        } else {
            vr = implicitVR(tag)
            length = input.u32(at: 4, bigEndian: be)
            input.pos += 8
        }
        // UN for a tag the dictionary knows: use the dictionary's VR (pydicom's replace_un_with_known_vr).
        if vr == .UN && !tag.isPrivate && tag.element != 0, fileVR == .UN {
            let known = implicitVR(tag)
            if known != .UN { vr = known }
        }
        let keep = !isRoot || wanted == nil || isWanted(tag)
        let valueOffset = input.offset
        let undefined = length == 0xFFFF_FFFF

        if undefined && vr != .SQ && (tag == .pixelData || tag == .floatPixelData || tag == .doubleFloatPixelData) && fileVR != .UN {
            let fragments = try readFragments(tag: tag, bigEndian: be)
            if keep { item.elements.append(Element(tag: tag, vr: vr, fileVR: fileVR, length: length, offset: tagOffset, value: .fragments(fragments))) }
            return
        }
        if vr == .SQ || undefined {
            // A UN (or other VR) of undefined length holds a sequence encoded as implicit VR little
            // endian (PS3.5 6.2.2); so does a UN whose tag the dictionary calls SQ.
            let contentIsImplicitLE = fileVR == .UN
            if !undefined, !keep {
                guard try input.skip(Int(length)) else {
                    throw DICOMError(.truncated, offset: tagOffset, "value of \(tag) (\(length) bytes from byte \(valueOffset)) runs past the end of the file")
                }
                return
            }
            if !undefined, let size = input.knownSize, valueOffset + Int(length) > size {
                throw DICOMError(.truncated, offset: tagOffset, "sequence \(tag) of length \(length) from byte \(valueOffset) runs past the end of the file (\(size) bytes)")
            }
            if depth >= options.maxDepth {
                throw DICOMError(.nestingTooDeep, offset: tagOffset, "sequence \(tag) is nested more than \(options.maxDepth) deep")
            }
            depth += 1
            let seqVR: VR = vr == .UN || vr == .SQ ? .SQ : vr
            stack.append(.sequence(SequenceFrame(
                tag: tag, vr: seqVR, fileVR: fileVR, length: length, offset: tagOffset,
                end: undefined ? nil : valueOffset + Int(length),
                explicit: contentIsImplicitLE ? false : item.explicit,
                bigEndian: contentIsImplicitLE ? false : item.bigEndian, keep: keep)))
            return
        }

        let n = Int(length)
        if let size = input.knownSize, valueOffset + n > size {
            throw DICOMError(.truncated, offset: tagOffset, "value of \(tag) (\(n) bytes from byte \(valueOffset)) runs past the end of the file (\(size) bytes)")
        }
        let isPixelData = tag == .pixelData || tag == .floatPixelData || tag == .doubleFloatPixelData
        let load = keep && !isPixelData && n <= options.maxValueLength && !(vr.isBulk && n > options.bulkThreshold)
        if !load && keep && !isPixelData && options.bulkPrefix > 0 && vr.isBulk {
            let p = min(options.bulkPrefix, n)
            guard try input.ensure(p) else {
                throw DICOMError(.truncated, offset: tagOffset, "value of \(tag) (\(n) bytes from byte \(valueOffset)) runs past the end of the data")
            }
            let prefix = input.take(p)
            guard try input.skip(n - p) else {
                throw DICOMError(.truncated, offset: tagOffset, "value of \(tag) (\(n) bytes from byte \(valueOffset)) runs past the end of the file")
            }
            item.elements.append(Element(tag: tag, vr: vr, fileVR: fileVR, length: length, offset: tagOffset, value: .truncated(prefix: prefix, offset: valueOffset, length: n)))
            return
        }
        if !load {
            guard try input.skip(n) else {
                throw DICOMError(.truncated, offset: tagOffset, "value of \(tag) (\(n) bytes from byte \(valueOffset)) runs past the end of the file")
            }
            if keep { item.elements.append(Element(tag: tag, vr: vr, fileVR: fileVR, length: length, offset: tagOffset, value: .notLoaded(offset: valueOffset, length: n))) }
            return
        }
        guard try input.ensure(n) else {
            throw DICOMError(.truncated, offset: tagOffset, "value of \(tag) (\(n) bytes from byte \(valueOffset)) runs past the end of the data")
        }
        let bytes = input.take(n)
        if tag == .specificCharacterSet {
            item.charset = SpecificCharacterSet(value: bytes)
        } else if tag == .pixelRepresentation && isRoot && n >= 2 {
            pixelRepresentation = be ? UInt16(bytes[0]) << 8 | UInt16(bytes[1]) : UInt16(bytes[1]) << 8 | UInt16(bytes[0])
        }
        if keep {
            item.elements.append(Element(tag: tag, vr: vr, fileVR: fileVR, length: length, offset: tagOffset, value: .bytes(bytes)))
        }
    }

    @inline(__always) private func isWanted(_ tag: Tag) -> Bool {
        guard let w = wanted else { return true }
        var lo = 0, hi = w.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if w[mid] == tag { return true }
            if w[mid] < tag { lo = mid + 1 } else { hi = mid }
        }
        return false
    }

    /// Encapsulated pixel data: items up to the sequence delimiter, skipped by seeking.
    private mutating func readFragments(tag: Tag, bigEndian be: Bool) throws -> [Element.Fragment] {
        var fragments: [Element.Fragment] = []
        while true {
            let itemOffset = input.offset
            guard try input.ensure(8) else {
                throw DICOMError(.truncated, offset: input.offset + input.available, "file ends inside encapsulated \(tag)")
            }
            let t = Tag(group: input.u16(at: 0, bigEndian: be), element: input.u16(at: 2, bigEndian: be))
            let length = input.u32(at: 4, bigEndian: be)
            input.pos += 8
            if t == .sequenceDelimitation { return fragments }
            guard t == .item, length != 0xFFFF_FFFF else {
                throw DICOMError(.badItem, offset: itemOffset, "expected a fragment item (FFFE,E000) in encapsulated \(tag), found \(t)")
            }
            fragments.append(Element.Fragment(offset: input.offset, length: Int(length)))
            guard try input.skip(Int(length)) else {
                throw DICOMError(.truncated, offset: itemOffset, "fragment of \(length) bytes from byte \(itemOffset + 8) runs past the end of the file")
            }
        }
    }
}
