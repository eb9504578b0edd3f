#if canImport(Glibc)
import Glibc
#endif

/// The running executable's own path, symlinks resolved (`/proc/self/exe`): a program installed as
/// a symlink (`~/bin/dicomcrawler -> /opt/dicomcrawler/bin/dicomcrawler`) finds the files shipped
/// beside the real one. nil when it cannot be read.
public func executablePath() -> String? {
    var buffer = [UInt8](repeating: 0, count: 4096)
    let n = buffer.withUnsafeMutableBytes { readlink("/proc/self/exe", $0.baseAddress!.assumingMemoryBound(to: CChar.self), $0.count - 1) }
    guard n > 0, n < buffer.count - 1 else { return nil }
    return String(decoding: buffer[..<n], as: UTF8.self)
}

/// The folder an installation's `bin/` sits in (`/opt/dicomcrawler` for
/// `/opt/dicomcrawler/bin/dicomcrawler`, `/usr` for `/usr/bin/dicomcrawler`, "" for
/// `/bin/dicomcrawler`): the parent of the executable's folder, without a trailing slash. nil for
/// an executable in `/` or a path that is not absolute.
func installationPrefix(ofExecutable path: String) -> String? {
    guard path.hasPrefix("/"), let slash = path.lastIndex(of: "/") else { return nil }
    let dir = path[..<slash]
    guard let parentSlash = dir.lastIndex(of: "/") else { return nil }
    return String(dir[..<parentSlash])
}

/// Whether `path` is a regular file this process may read (symlinks followed).
func isReadableFile(_ path: String) -> Bool {
    var st = stat()
    return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG && access(path, R_OK) == 0
}
