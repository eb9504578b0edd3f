#if canImport(Glibc)
import Glibc
#endif

/// A path as raw bytes: file names need not be valid UTF-8.
typealias PathBytes = [UInt8]

extension Array where Element == UInt8 {
    /// The path as text; bytes that are not UTF-8 become U+FFFD (for messages; tables use
    /// `escapedPath`, which can be undone).
    var pathString: String { String(decoding: self, as: UTF8.self) }

    /// The path as text that can be turned back into the same bytes: a path that is valid UTF-8
    /// and has no backslash is itself; in any other path each backslash is doubled and each byte
    /// that is not part of valid UTF-8 is written `\xHH` (two uppercase hex digits). So a written
    /// path with no backslash is the path; one with a backslash is undone by reading `\\` as `\`
    /// and `\xHH` as the byte HH (`unescapePath`).
    var escapedPath: String {
        if !contains(UInt8(ascii: "\\")), let s = String(validating: self, as: UTF8.self) { return s }
        var out = ""
        var rest = self[...]
        while !rest.isEmpty {
            // The longest valid UTF-8 prefix (at most 4 bytes per scalar are tried).
            var taken = 0
            for n in stride(from: Swift.min(4, rest.count), through: 1, by: -1) {
                if let s = String(validating: rest.prefix(n), as: UTF8.self), s.unicodeScalars.count == 1 {
                    out += s == "\\" ? "\\\\" : s
                    taken = n
                    break
                }
            }
            if taken == 0 {
                let b = rest.first!
                out += (b < 0x10 ? "\\x0" : "\\x") + String(b, radix: 16, uppercase: true)
                taken = 1
            }
            rest = rest.dropFirst(taken)
        }
        return out
    }
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

/// Whether `path` is `folder` or below it (both canonical).
func isInside(_ path: PathBytes, _ folder: PathBytes) -> Bool {
    if path == folder { return true }
    let prefix = folder.last == UInt8(ascii: "/") ? folder : folder + [UInt8(ascii: "/")]
    return path.starts(with: prefix)
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
    return joinPath(buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, path)
}

/// `realpath(3)`, or the path itself if it cannot be resolved; bytes as they are (a name need not
/// be UTF-8, and two names must never become one).
func canonicalPath(_ p: PathBytes) -> PathBytes {
    guard let r = p.withCPath({ realpath($0, nil) }) else { return p }
    defer { free(r) }
    return Array(UnsafeRawBufferPointer(start: r, count: strlen(r)))
}

/// The target of a symbolic link.
func readLink(_ path: PathBytes) -> PathBytes? {
    var buf = [CChar](repeating: 0, count: 4096)
    let n = path.withCPath { readlink($0, &buf, buf.count) }
    guard n >= 0 else { return nil }
    return buf.prefix(n).map { UInt8(bitPattern: $0) }
}

/// The bytes of a path written with `escapedPath`.
func unescapePath(_ text: String) -> PathBytes? {
    let u = Array(text.utf8)
    if !u.contains(UInt8(ascii: "\\")) { return u }
    var out: PathBytes = []
    var i = 0
    while i < u.count {
        if u[i] != UInt8(ascii: "\\") {
            out.append(u[i])
            i += 1
        } else if i + 1 < u.count, u[i + 1] == UInt8(ascii: "\\") {
            out.append(u[i])
            i += 2
        } else if i + 3 < u.count, u[i + 1] == UInt8(ascii: "x"),
                  let b = UInt8(String(decoding: u[(i + 2)...(i + 3)], as: UTF8.self), radix: 16) {
            out.append(b)
            i += 4
        } else {
            return nil
        }
    }
    return out
}

/// Byte order (`lexicographicallyPrecedes`: a prefix first), compared with memcmp.
func bytesPrecede(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    let n = min(a.count, b.count)
    let c = n == 0 ? 0 : a.withUnsafeBytes { x in b.withUnsafeBytes { y in memcmp(x.baseAddress!, y.baseAddress!, n) } }
    return c != 0 ? c < 0 : a.count < b.count
}
