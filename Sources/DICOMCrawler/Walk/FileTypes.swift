import CMagic
import Synchronization

/// MIME types of non-DICOM files through libmagic. The database is loaded once, only when the first
/// file needs it; libmagic handles are not thread-safe, so each thread borrows one from a pool.
public final class FileTypes: Sendable {
    private let pool = Mutex<[OpaquePointer]>([])
    private let failed = Mutex<String?>(nil)

    public init() {}

    deinit {
        pool.withLock { cookies in for c in cookies { magic_close(c) } }
    }

    /// The MIME type of a file from its first bytes, e.g. `text/plain`; `unknown` when libmagic
    /// cannot be loaded.
    public func mimeType(of prefix: [UInt8]) -> String {
        guard let cookie = borrow() else { return "unknown" }
        defer { pool.withLock { $0.append(cookie) } }
        let result = prefix.withUnsafeBytes { magic_buffer(cookie, $0.baseAddress, $0.count) }
        guard let result else { return "unknown" }
        return String(cString: result)
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
        if magic_load(cookie, nil) != 0 {
            let message = magic_error(cookie).map { String(cString: $0) } ?? "magic_load failed"
            failed.withLock { $0 = message }
            magic_close(cookie)
            return nil
        }
        return cookie
    }
}
