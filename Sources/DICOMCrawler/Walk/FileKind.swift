#if canImport(Glibc)
import Glibc
#endif
import DICOM

/// What a file is from its first bytes, without reading it all.
enum FileKind: Equatable {
    /// `DICM` at byte 128, or a data set the reader recognises at byte 0.
    case dicom
    /// Anything else, with libmagic's MIME type (`text/plain`).
    case other(mimeType: String)
}

extension FileTypes {
    /// Reads the first `buffer.count` bytes of an open file and tells its kind. With `notDICOM`
    /// (the reader has already said so), only libmagic is asked.
    func kind(of fd: Int32, buffer: inout [UInt8], notDICOM: Bool = false) throws(Errno) -> FileKind {
        let n = try readPrefix(fd, into: &buffer)
        let prefix = n == buffer.count ? buffer : Array(buffer.prefix(n))  // no copy for the common case
        if !notDICOM && DICOMReader.recognize(prefix: prefix, fileSize: fileSize(fd) ?? n) != .notDICOM {
            return .dicom
        }
        return .other(mimeType: mimeType(of: prefix))
    }
}
