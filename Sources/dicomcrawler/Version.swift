// The version: the one place it is written (Scripts/release.sh reads it from here), and the long
// `--version` answer.
import DICOMCrawler
#if canImport(Glibc)
import Glibc
#endif

let dicomcrawlerVersion = "0.1.0"

/// `dicomcrawler --version`: the version on the first line (`dicomcrawler 0.1.0`), then one line
/// per library it runs with, the magic database it loads, and GDCM's version as the decoder helper
/// reports it (the helper is started only here: GDCM costs ~20 ms to load).
func versionReport() -> String {
    var lines = ["dicomcrawler \(dicomcrawlerVersion)",
                 "Swift \(LibraryVersions.swiftCompiler) (compiler)",
                 "libmagic \(LibraryVersions.libmagic)",
                 "zlib \(LibraryVersions.zlib)",
                 "HDF5 \(LibraryVersions.hdf5) (linked statically)",
                 "libdeflate \(LibraryVersions.libdeflate) (headers)"]
    lines.append("magic database: " + (FileTypes.bundledDatabase() ?? "libmagic's default (\(FileTypes.defaultDatabase))"))
    lines.append(helperVersion(decoderHelperPath()))
    return lines.joined(separator: "\n")
}

/// `dicomcrawler-decoder` in the folder of this executable (symlinks resolved).
func decoderHelperPath() -> String {
    let me = executablePath() ?? CommandLine.arguments[0]
    guard let slash = me.lastIndex(of: "/") else { return "dicomcrawler-decoder" }
    return String(me[...slash]) + "dicomcrawler-decoder"
}

/// The first line the helper prints for `--version` (`GDCM 3.0.21`), or why there is none.
private func helperVersion(_ helper: String) -> String {
    guard access(helper, X_OK) == 0 else { return "GDCM: not available (\(helper) is missing: export cannot decode JPEG, JPEG-LS, JPEG 2000)" }
    var pipeEnds: [Int32] = [-1, -1]
    guard pipe(&pipeEnds) == 0 else { return "GDCM: unknown (pipe: \(String(cString: strerror(errno))))" }
    // Only the helper's standard output (dup2 below) may stay open in it.
    _ = fcntl(pipeEnds[0], F_SETFD, FD_CLOEXEC)
    _ = fcntl(pipeEnds[1], F_SETFD, FD_CLOEXEC)
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, pipeEnds[1], 1)
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    let argv: [UnsafeMutablePointer<CChar>?] = [strdup(helper), strdup("--version"), nil]
    defer { for a in argv { free(a) } }
    var child: pid_t = 0
    let rc = posix_spawn(&child, helper, &actions, nil, argv, environ)
    close(pipeEnds[1])
    defer { close(pipeEnds[0]) }
    guard rc == 0 else { return "GDCM: unknown (cannot start \(helper): \(String(cString: strerror(rc))))" }
    // At most 4 KiB, for at most 10 s: the helper prints one line and exits; one that does not
    // is killed.
    var output: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    var pfd = pollfd(fd: pipeEnds[0], events: Int16(POLLIN), revents: 0)
    var ended = false
    while !ended && output.count < 4096 {
        let ready = poll(&pfd, 1, 10_000)
        if ready < 0 && errno == EINTR { continue }
        if ready <= 0 { break }
        let n = buffer.withUnsafeMutableBytes { read(pipeEnds[0], $0.baseAddress, $0.count) }
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { ended = true } else { output += buffer[..<n] }
    }
    if !ended { kill(child, SIGKILL) }
    var status: Int32 = 0
    while waitpid(child, &status, 0) < 0 && errno == EINTR {}
    guard ended else { return "GDCM: unknown (\(helper) --version did not finish)" }
    let line = String(decoding: output.prefix { $0 != 0x0A }, as: UTF8.self)
    guard (status & 0x7F) == 0, (status >> 8) & 0xFF == 0, line.hasPrefix("GDCM ") else {
        return "GDCM: unknown (\(helper) --version failed)"
    }
    return line + " (in dicomcrawler-decoder)"
}
