#if canImport(Glibc)
import Glibc
#endif

/// Hooks the end-to-end tests set through the environment, read once at start-up.
enum TestHooks {
    /// `DICOMCRAWLER_TEST_PAUSE_IN_WRITE_MS`: pause half-way through each atomic write, so that a
    /// test can kill the process there.
    static let pauseInWriteMS: Int? = getenv("DICOMCRAWLER_TEST_PAUSE_IN_WRITE_MS").flatMap { Int(String(cString: $0)) }
}

extension TestHooks {
    /// `DICOMCRAWLER_TEST_PAUSE_PER_SCAN_MS`: `export` sleeps this long before each scan, so that a
    /// test can kill it while part files are being written.
    static let pausePerScanMS: Int? = getenv("DICOMCRAWLER_TEST_PAUSE_PER_SCAN_MS").flatMap { Int(String(cString: $0)) }
}
