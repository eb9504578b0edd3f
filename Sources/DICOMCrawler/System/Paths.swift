#if canImport(Glibc)
import Glibc
#endif

/// A path as raw bytes: file names need not be valid UTF-8.
typealias PathBytes = [UInt8]

extension Array where Element == UInt8 {
    /// The path as text; bytes that are not UTF-8 become U+FFFD.
    var pathString: String { String(decoding: self, as: UTF8.self) }
    var isValidUTF8: Bool { String(validating: self, as: UTF8.self) != nil }

    func withCPath<R>(_ body: (UnsafePointer<CChar>) -> R) -> R {
        var c = self.map { CChar(bitPattern: $0) }
        c.append(0)
        return c.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}

func joinPath(_ a: PathBytes, _ b: PathBytes) -> PathBytes {
    if a.isEmpty { return b }
    if b.isEmpty { return a }
    return a.last == UInt8(ascii: "/") ? a + b : a + [UInt8(ascii: "/")] + b
}

/// `DIR` as the user gave it, without trailing slashes (but `/` stays `/`).
func trimTrailingSlashes(_ p: PathBytes) -> PathBytes {
    var p = p
    while p.count > 1, p.last == UInt8(ascii: "/") { p.removeLast() }
    return p
}

/// The last component of a path.
func lastComponent(_ p: PathBytes) -> PathBytes {
    Array(p.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true).last ?? [])
}

/// `name` in the folder of `path`.
func siblingPath(of path: PathBytes, named name: String) -> PathBytes {
    if let slash = path.lastIndex(of: UInt8(ascii: "/")) { return Array(path[...slash]) + Array(name.utf8) }
    return Array(name.utf8)
}

/// The path made absolute against the working directory (not resolved).
func absolutePath(_ path: PathBytes) -> PathBytes {
    if path.first == UInt8(ascii: "/") { return path }
    var buf = [CChar](repeating: 0, count: 4096)
    guard getcwd(&buf, buf.count) != nil else { return path }
    return joinPath(Array(String(cString: buf).utf8), path)
}

/// `realpath(3)`, or the path itself if it cannot be resolved.
func canonicalPath(_ p: PathBytes) -> PathBytes {
    guard let r = p.withCPath({ realpath($0, nil) }) else { return p }
    defer { free(r) }
    return Array(String(cString: r).utf8)
}

/// The target of a symbolic link.
func readLink(_ path: PathBytes) -> PathBytes? {
    var buf = [CChar](repeating: 0, count: 4096)
    let n = path.withCPath { readlink($0, &buf, buf.count) }
    guard n >= 0 else { return nil }
    return buf.prefix(n).map { UInt8(bitPattern: $0) }
}
