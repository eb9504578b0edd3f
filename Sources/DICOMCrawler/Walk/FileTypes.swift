import CMagic
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// MIME types of non-DICOM files through libmagic. The database is loaded once, only when the first
/// file needs it; libmagic handles are not thread-safe, so each thread borrows one from a pool.
///
/// libmagic's answer depends only on the bytes it is given, and it costs about 0.2 ms a file (its
/// text tests are regular expressions), so answers are remembered by those bytes: a prefix met
/// before (the same notes, licences, exports copied into many series folders) is answered from the
/// memo, compared byte for byte, so the answer is always libmagic's own. The memo holds at most
/// `memoLimit` prefixes.
///
/// A job whose caller shows no types (a quiet run) makes one with `identifying: false`: every file is
/// then `notIdentified` and libmagic is never loaded. A distinct file costs libmagic 0.1-0.4 ms
/// (binary files without a strong signature are the slowest: every soft test runs), far more than
/// opening and reading it.
///
/// The database is the one an installation ships beside its executable when there is one
/// (`bundledDatabase`: a release tarball carries its own libmagic, which may not find the
/// system's database, or find one of another version), else libmagic's default.
public final class FileTypes: Sendable {
    private let pool = Mutex<[OpaquePointer]>([])
    private let failed = Mutex<String?>(nil)
    private let memo = Mutex<[Int: [(prefix: [UInt8], type: String)]]>([:])
    private let memoCount = Mutex<Int>(0)
    /// `database`'s bytes, read on first use and kept until the cookies that use them are closed
    /// (libmagic does not copy a buffer it is given).
    private let databaseBytes = Mutex<UnsafeMutableRawBufferPointer?>(nil)
    static let memoLimit = 4096
    /// Whether libmagic is asked at all.
    public let identifying: Bool
    /// The type of every file without DICM when `identifying` is false.
    public static let notIdentified = "not identified"
    /// The compiled magic database (`magic.mgc`) loaded; nil: libmagic's default
    /// (`defaultDatabase`).
    public let database: String?

    /// `database`: the compiled magic file to load; nil for libmagic's default.
    public init(identifying: Bool = true, database: String? = FileTypes.bundledDatabase()) {
        self.identifying = identifying
        self.database = database
    }

    /// `<installation>/share/dicomcrawler/magic.mgc` for the executable at `executable` (by
    /// default this process's own, symlinks resolved), when that is a file this process can read;
    /// an installation is the parent of the executable's folder (`bin/`). Nil when `magicVariable`
    /// (by default libmagic's `MAGIC` environment variable) names a database: the user's choice
    /// wins, as it does for libmagic's default.
    public static func bundledDatabase(executable: String? = executablePath(),
                                       magicVariable: String? = getenv("MAGIC").map { String(cString: $0) }) -> String? {
        if let m = magicVariable, !m.isEmpty { return nil }
        guard let executable, let prefix = installationPrefix(ofExecutable: executable) else { return nil }
        let path = prefix + "/share/dicomcrawler/magic.mgc"
        return isReadableFile(path) ? path : nil
    }

    /// Where libmagic looks when given no database: its `MAGIC` environment variable, else the
    /// path it was built with (Debian: /usr/lib/file/magic.mgc).
    public static var defaultDatabase: String { magic_getpath(nil, 0).map { String(cString: $0) } ?? "" }

    /// The version of the libmagic loaded, e.g. "5.44".
    public static var libraryVersion: String {
        let v = magic_version()
        return "\(v / 100).\(v % 100 < 10 ? "0" : "")\(v % 100)"
    }

    deinit {
        pool.withLock { cookies in for c in cookies { magic_close(c) } }
        databaseBytes.withLock { if let b = $0 { b.deallocate() } }
    }

    /// The MIME type of a file from its first bytes, e.g. `text/plain`; `unknown` when libmagic
    /// cannot be loaded.
    public func mimeType(of prefix: [UInt8]) -> String {
        guard identifying else { return Self.notIdentified }
        // Hashed and compared as raw bytes: Array's own Hashable and == go element by element.
        let key = prefix.withUnsafeBytes { raw -> Int in
            var hasher = Hasher()
            hasher.combine(bytes: raw)
            return hasher.finalize()
        }
        let known = memo.withLock { memo -> String? in
            memo[key]?.first { Self.sameBytes($0.prefix, prefix) }?.type
        }
        if let known { return known }
        guard let cookie = borrow() else { return "unknown" }
        let result = prefix.withUnsafeBytes { magic_buffer(cookie, $0.baseAddress, $0.count) }
        let type = result.map { String(cString: $0) } ?? "unknown"
        pool.withLock { $0.append(cookie) }
        if result != nil && memoCount.withLock({ n in n < Self.memoLimit ? { n += 1; return true }() : false }) {
            memo.withLock { $0[key, default: []].append((prefix, type)) }
        }
        return type
    }

    private static func sameBytes(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        a.count == b.count && a.withUnsafeBytes { x in
            b.withUnsafeBytes { y in x.count == 0 || memcmp(x.baseAddress!, y.baseAddress!, x.count) == 0 }
        }
    }

    /// Why libmagic could not be loaded, if it could not.
    public var loadError: String? { failed.withLock { $0 } }

    private func borrow() -> OpaquePointer? {
        if let c = pool.withLock({ $0.popLast() }) { return c }
        if failed.withLock({ $0 }) != nil { return nil }
        guard let cookie = magic_open(MAGIC_MIME_TYPE | MAGIC_ERROR) else {
            failed.withLock { $0 = "magic_open failed" }
            return nil
        }
        if let message = load(cookie) {
            failed.withLock { $0 = message }
            magic_close(cookie)
            return nil
        }
        return cookie
    }

    /// Loads the database into a new cookie; nil when it is loaded, else why not. A given database
    /// is handed over as bytes: libmagic reads a path as a list of paths separated by `:`, so an
    /// installation unpacked under `a:b/` would name two files that do not exist.
    private func load(_ cookie: OpaquePointer) -> String? {
        guard let database else {
            return magic_load(cookie, nil) == 0 ? nil : magic_error(cookie).map { String(cString: $0) } ?? "magic_load failed"
        }
        let bytes: UnsafeMutableRawBufferPointer
        do throws(Errno) {
            bytes = try databaseBytes.withLock { (held: inout UnsafeMutableRawBufferPointer?) throws(Errno) in
                if let held { return held }
                let content = try readWholeFile(Array(database.utf8))
                let b = UnsafeMutableRawBufferPointer.allocate(byteCount: max(content.count, 1), alignment: 16)
                content.withUnsafeBytes { b.copyMemory(from: $0) }
                let kept = UnsafeMutableRawBufferPointer(start: b.baseAddress, count: content.count)
                held = kept
                return kept
            }
        } catch {
            return "cannot read \(database): \(error.text)"
        }
        var buffers: [UnsafeMutableRawPointer?] = [bytes.baseAddress]
        var sizes: [Int] = [bytes.count]
        guard magic_load_buffers(cookie, &buffers, &sizes, 1) == 0 else {
            return magic_error(cookie).map { String(cString: $0) } ?? "magic_load_buffers failed"
        }
        return nil
    }
}
