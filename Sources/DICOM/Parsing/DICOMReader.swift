// Parsing: turning bytes into a DicomFile — the entry points (DICOMReader), what to read (ReadOptions),
// the file structure and element loop (Parser), and the byte sources underneath (ByteInput, Inflater).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public enum DICOMReader {
    /// Reads a file, fetching only the bytes it needs.
    public static func read(path: String, options: ReadOptions = ReadOptions()) -> DicomFile {
        var file = DicomFile()
        file.path = path
        // O_NONBLOCK: opening a FIFO without a writer must not block (it is refused below, as
        // every file that is not a regular file is); reads of regular files ignore the flag.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
        if fd < 0 {
            file.error = DICOMError(.io, offset: 0, "cannot open: \(String(cString: strerror(errno)))")
            return file
        }
        defer { close(fd) }
        return read(fileDescriptor: fd, path: path, options: options)
    }

    /// Reads from an open file descriptor (positioned anywhere: reads use absolute offsets). The
    /// caller keeps ownership of the descriptor. `path` is only recorded in the result. Anything
    /// but a regular file (directory, FIFO, socket, device) is refused with an `.io` error.
    public static func read(fileDescriptor fd: Int32, path: String? = nil, options: ReadOptions = ReadOptions()) -> DicomFile {
        var file = DicomFile()
        file.path = path
        var st = stat()
        if fstat(fd, &st) != 0 {
            file.error = DICOMError(.io, offset: 0, "cannot stat: \(String(cString: strerror(errno)))")
            return file
        }
        if (st.st_mode & S_IFMT) != S_IFREG {
            let kind: String
            switch st.st_mode & S_IFMT {
            case S_IFDIR: kind = "a directory"
            case S_IFIFO: kind = "a FIFO"
            case S_IFCHR: kind = "a character device"
            case S_IFBLK: kind = "a block device"
            case S_IFSOCK: kind = "a socket"
            default: kind = "of unknown type"
            }
            file.error = DICOMError(.io, offset: 0, "not a regular file (\(kind))")
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
    /// set needs its first element header) without reading it. `fileSize` is the whole file's size;
    /// it is evaluated only when the bytes have no `DICM` prefix and begin like a bare data set, so
    /// a caller need not stat a Part 10 file to recognise it.
    public static func recognize(prefix: [UInt8], fileSize: @autoclosure () -> Int) -> DICOMRecognition {
        var input = ByteInput(bytes: prefix)
        if (try? input.hasDICMPrefix(at: 128)) == true || (try? input.hasDICMPrefix(at: 0)) == true {
            return .part10
        }
        var parser = Parser(input: input, options: ReadOptions())
        return parser.probeBareDataSet(fileSize: { fileSize() }) != nil ? .bareDataSet : .notDICOM
    }
}
