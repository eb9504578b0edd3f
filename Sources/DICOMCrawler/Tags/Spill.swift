#if canImport(Glibc)
import Glibc
#endif

/// One record of the spill, the append-only file where a `tags` run streams its rows in walk order
/// (in `OUTPUT.progress/spill`). On disk a record is one tag byte and its fields; integers are
/// LEB128 varints, strings and byte strings a varint length and the bytes:
///
///     F path size mtime inode ctime   a walked file (every one, DICOM or not), before its row if any:
///                                what a resumed run checks the tree against (signed numbers as
///                                their 64-bit two's complement)
///     C id key                   a new column: its id (0, 1, ...) and its `ColumnKey` text
///     R path n (id value)*n      a row of cells, by column id
///     J path json                a row that is one DICOM JSON object (`--format jsonl`)
///     U path reason              a file that could not be read
///
/// This file holds the one encoder (`AppendFile.append...`) and the one decoder (`SpillReader`).
enum SpillRecord: Equatable {
    case file(path: ArraySlice<UInt8>, stamp: FileStamp)
    case column(id: Int, key: String)
    case row(path: ArraySlice<UInt8>, cells: [Cell])
    case document(path: ArraySlice<UInt8>, json: ArraySlice<UInt8>)
    case unreadable(path: ArraySlice<UInt8>, reason: String)

    struct Cell: Equatable {
        var id: Int
        var value: ArraySlice<UInt8>
    }
}

extension AppendFile {
    func appendFile(path: PathBytes, stamp: FileStamp) {
        append(byte: UInt8(ascii: "F"))
        appendBytes(path)
        appendVarint(UInt64(bitPattern: stamp.size))
        appendVarint(UInt64(bitPattern: stamp.modified))
        appendVarint(stamp.inode)
        appendVarint(UInt64(bitPattern: stamp.changed))
    }

    func appendColumn(id: Int, key: String) {
        append(byte: UInt8(ascii: "C"))
        appendVarint(id)
        appendBytes(key.utf8)
    }

    func appendRow(path: PathBytes, cells: [(id: Int, value: String)]) {
        append(byte: UInt8(ascii: "R"))
        appendBytes(path)
        appendVarint(cells.count)
        for cell in cells {
            appendVarint(cell.id)
            appendBytes(cell.value.utf8)
        }
    }

    func appendDocument(path: PathBytes, json: String) {
        append(byte: UInt8(ascii: "J"))
        appendBytes(path)
        appendBytes(json.utf8)
    }

    func appendUnreadable(path: PathBytes, reason: String) {
        append(byte: UInt8(ascii: "U"))
        appendBytes(path)
        appendBytes(reason.utf8)
    }

    private func appendVarint(_ v: Int) { appendVarint(UInt64(v)) }

    private func appendVarint(_ v: UInt64) {
        var v = v
        while v >= 0x80 {
            append(byte: UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        append(byte: UInt8(v))
    }

    private func appendBytes<C: Collection>(_ b: C) where C.Element == UInt8 {
        appendVarint(b.count)
        append(contentsOf: b)
    }
}

/// Reads the records of a spill in order, through a buffer.
struct SpillReader: ~Copyable {
    private let fd: Int32
    private var buffer: [UInt8] = []
    private var pos = 0
    private var fileOffset = 0
    private let end: Int

    /// The first `length` bytes of the file are read (what was committed).
    init(_ path: PathBytes, length: Int) throws(Errno) {
        fd = try openFile(path, O_RDONLY)
        end = length
    }

    deinit { close(fd) }

    /// The next record; nil at the end. A record that does not decode is an error (EIO).
    mutating func next() throws(Errno) -> SpillRecord? {
        if consumed >= end { return nil }
        switch try byte() {
        case UInt8(ascii: "F"):
            let path = try bytes()
            let size = Int64(bitPattern: try varint64())
            let modified = Int64(bitPattern: try varint64())
            let inode = try varint64()
            return .file(path: path, stamp: FileStamp(size: size, modified: modified, inode: inode, changed: Int64(bitPattern: try varint64())))
        case UInt8(ascii: "C"):
            let id = try varint()
            return .column(id: id, key: String(decoding: try bytes(), as: UTF8.self))
        case UInt8(ascii: "R"):
            let path = try bytes()
            let n = try varint()
            var cells: [SpillRecord.Cell] = []
            // A cell takes at least two bytes: a count beyond what is left is damage, not a size.
            guard n <= (end - consumed) / 2 else { throw Errno(EIO) }
            cells.reserveCapacity(n)
            for _ in 0..<n {
                let id = try varint()
                cells.append(SpillRecord.Cell(id: id, value: try bytes()))
            }
            return .row(path: path, cells: cells)
        case UInt8(ascii: "J"):
            let path = try bytes()
            return .document(path: path, json: try bytes())
        case UInt8(ascii: "U"):
            let path = try bytes()
            return .unreadable(path: path, reason: String(decoding: try bytes(), as: UTF8.self))
        default:
            throw Errno(EIO)
        }
    }

    private mutating func need(_ n: Int) throws(Errno) {
        if buffer.count - pos >= n { return }
        buffer.removeSubrange(0..<pos)
        pos = 0
        while buffer.count < n {
            let want = max(n - buffer.count, 1 << 20)
            let old = buffer.count
            buffer += [UInt8](repeating: 0, count: want)
            let got = try readFully(fd, into: &buffer, from: old, at: fileOffset)
            buffer.removeLast(want - got)
            fileOffset += got
            if got == 0 { throw Errno(EIO) }
        }
    }

    /// Bytes of the file decoded so far.
    private var consumed: Int { fileOffset - (buffer.count - pos) }

    private mutating func byte() throws(Errno) -> UInt8 {
        if consumed >= end { throw Errno(EIO) }  // a record running past the committed end
        try need(1)
        pos += 1
        return buffer[pos - 1]
    }

    private mutating func varint64() throws(Errno) -> UInt64 {
        var v: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = try byte()
            v |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { return v }
            shift += 7
            if shift > 63 { throw Errno(EIO) }
        }
    }

    /// A count, id or length: never negative.
    private mutating func varint() throws(Errno) -> Int {
        let v = try varint64()
        if v > UInt64(Int.max) { throw Errno(EIO) }
        return Int(v)
    }

    private mutating func bytes() throws(Errno) -> ArraySlice<UInt8> {
        let n = try varint()
        if n > end - consumed { throw Errno(EIO) }  // runs past the committed end
        try need(n)
        pos += n
        return buffer[(pos - n)..<pos]
    }
}
