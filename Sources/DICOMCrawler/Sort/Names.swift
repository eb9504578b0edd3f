#if canImport(Glibc)
import Glibc
#endif
import DICOM

/// Per folder and file name in one run: all suffixes below `next` are taken; which of them were
/// claimed for which SOP Instance UID; which were found taken by files of unknown content.
struct NameState {
    var next = 0
    var byUID: [String: [Int]] = [:]
    var unknown: [Int] = []
}

/// The SOP Instance UID of a DICOM file (nil if it cannot be read or has none, or is not a regular
/// file: a FIFO or a device is never opened for reading; a symbolic link is followed only with
/// `followingLinks`).
func sopInstanceUID(of path: PathBytes, followingLinks: Bool = true) -> String? {
    if followingLinks, statPath(path)?.isFile != true { return nil }
    guard let fd = try? openFile(path, O_RDONLY | O_NONBLOCK | (followingLinks ? 0 : O_NOFOLLOW)) else { return nil }
    defer { close(fd) }
    var st = stat()
    guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG else { return nil }
    let file = DICOMReader.read(fileDescriptor: fd, options: ReadOptions(tags: [.sopInstanceUID]))
    guard file.error == nil, let uid = file.dataSet.string(.sopInstanceUID), !uid.isEmpty else { return nil }
    return uid
}

/// `IM1.dcm`, `IM1_1.dcm`, `IM1_2.dcm`, ...
func suffixed(_ name: PathBytes, _ k: Int) -> PathBytes {
    if k == 0 { return name }
    if let dot = name.lastIndex(of: UInt8(ascii: ".")), dot > name.startIndex {
        return Array(name[..<dot]) + Array("_\(k)".utf8) + Array(name[dot...])
    }
    return name + Array("_\(k)".utf8)
}

/// The name a suffix was added to: `IM1_3.dcm` → `IM1.dcm` (files that may compete for one name
/// are placed one after the other).
func unsuffixed(_ name: PathBytes) -> PathBytes {
    let dot = name.lastIndex(of: UInt8(ascii: ".")).flatMap { $0 > name.startIndex ? $0 : nil } ?? name.endIndex
    var i = dot
    while i > name.startIndex, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(name[i - 1]) { i -= 1 }
    guard i < dot, i > name.startIndex + 1, name[i - 1] == UInt8(ascii: "_") else { return name }
    return Array(name[..<(i - 1)]) + Array(name[dot...])
}
