#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where the bytes that a `DicomFile`'s offsets point into are read from: a file through its
/// descriptor (`pread`, never past the size the file had when the source was made), or memory (a
/// file read whole, or the inflated data set of a file in the deflated transfer syntax).
public struct PixelSource: Sendable {
    enum Storage: Sendable {
        case file(fd: Int32, size: Int)
        case memory([UInt8])
    }

    let storage: Storage
    /// Bytes readable: the file's size, or the bytes held.
    public let size: Int

    /// Reads through an open descriptor, which the caller keeps open (and owns) while the source
    /// is used. Its size is taken now; reads never go past it.
    public init(fileDescriptor fd: Int32) throws(PixelError) {
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            throw PixelError(.io, "cannot stat: \(String(cString: strerror(errno)))")
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw PixelError(.io, "not a regular file") }
        storage = .file(fd: fd, size: Int(st.st_size))
        size = Int(st.st_size)
    }

    /// Bytes held in memory (a whole file, as given to `DICOMReader.read(bytes:)`).
    public init(bytes: [UInt8]) {
        storage = .memory(bytes)
        size = bytes.count
    }

    /// Copies `count` bytes from `offset` to `destination`. An error if they are not all there.
    public func read(offset: Int, count: Int, into destination: UnsafeMutableRawPointer) throws(PixelError) {
        guard offset >= 0, count >= 0, offset <= size, count <= size - offset else {
            throw PixelError(.tooShort, offset: offset, "\(count) bytes from byte \(offset) run past the end of the data (\(size) bytes)")
        }
        switch storage {
        case .memory(let bytes):
            bytes.withUnsafeBytes { raw in
                if count > 0, let base = raw.baseAddress { destination.copyMemory(from: base + offset, byteCount: count) }
            }
        case .file(let fd, _):
            var done = 0
            while done < count {
                let n = pread(fd, destination + done, count - done, off_t(offset + done))
                if n < 0 {
                    if errno == EINTR { continue }
                    throw PixelError(.io, offset: offset + done, "read failed: \(String(cString: strerror(errno)))")
                }
                if n == 0 {
                    throw PixelError(.tooShort, offset: offset + done, "the file ends at byte \(offset + done), inside \(count) bytes from byte \(offset) (it shrank after it was read)")
                }
                done += n
            }
        }
    }

    /// `count` bytes from `offset`, as an array.
    public func bytes(offset: Int, count: Int) throws(PixelError) -> [UInt8] {
        guard count >= 0, count <= size else {
            throw PixelError(.tooShort, offset: offset, "\(count) bytes from byte \(offset) run past the end of the data (\(size) bytes)")
        }
        var out = [UInt8](repeating: 0, count: count)
        try out.withMutablePixelBytes { (raw: UnsafeMutableRawBufferPointer) throws(PixelError) in
            if let base = raw.baseAddress { try read(offset: offset, count: count, into: base) }
        }
        return out
    }

    /// The data set of a file in a deflated transfer syntax, inflated into memory up to byte
    /// `end` of the inflated stream (the end of its pixel data): the offsets the reader gives for
    /// such a file are positions in that stream. The deflated stream starts after the file meta
    /// information. Inflating stops at `end`, so memory is bounded by what the data set holds.
    func inflatedDataSet(of file: DicomFile, upTo end: Int) throws(PixelError) -> PixelSource {
        // The meta group is explicit VR little endian; the data set starts after its last element.
        var start = 0
        for e in file.meta.elements {
            let header = (e.fileVR ?? e.vr).hasLongLength ? 12 : 8
            start = max(start, e.offset + header + Int(e.length))
        }
        guard start > 0, start <= size else {
            throw PixelError(.unreadableFile, "no file meta information before the deflated data set")
        }
        var input: ByteInput
        switch storage {
        case .memory(let bytes): input = ByteInput(bytes: bytes)
        case .file(let fd, let size): input = ByteInput(fd: fd, size: size, firstChunk: 65536)
        }
        var out: [UInt8] = []
        do {
            guard try input.skip(start) else { throw PixelError(.tooShort, offset: start, "the file ends before its data set") }
            let inflater = try Inflater(input)
            out.reserveCapacity(min(end, 64 << 20))
            while out.count < end {
                guard try inflater.inflateMore(into: &out, max: min(end - out.count, 1 << 20)) else { break }
            }
        } catch let e as PixelError {
            throw e
        } catch let e as DICOMError {
            throw PixelError(.unreadableFile, offset: e.offset, "inflating the data set: \(e.message)")
        } catch {
            throw PixelError(.io, "inflating the data set: \(error)")
        }
        guard out.count >= end else {
            throw PixelError(.tooShort, offset: out.count, "the inflated data set ends at byte \(out.count), before the end of its pixel data (byte \(end))")
        }
        return PixelSource(bytes: out)
    }
}
