// What the benchmarks share: running a command as a whole process with its wall time, peak RSS and
// exit status; the raw read floor (walk, then open + read 4 KiB + close every file); options; the
// corpus headers the generated trees carry (CorpusHeaders.swift).
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A finished command: wall seconds, peak RSS (KiB), and how it ended.
public struct Measured {
    public var seconds: Double
    public var maxRSS: Int
    public var status: Int32
    /// User + system CPU seconds of the command and of the children it waited for.
    public var cpu: Double = 0
    /// Killed at the time limit.
    public var killed = false
    public var outcome: String { killed ? "killed at the time limit" : (status < 0 ? "signal \(-status)" : "exit \(status)") }
}

/// Runs a command (stdout and stderr discarded unless `keepOutput`, or both into the file `log`),
/// killed after `limit` seconds. The peak RSS is the child's own only if this process was small when
/// it spawned it (Linux counts a child's peak from its parent's at the fork); with children of its
/// own, the largest of theirs and its.
public func measure(_ argv: [String], keepOutput: Bool = false, log: String? = nil, limit: Double = .infinity) -> Measured {
    var pid = pid_t()
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    if let log {
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
    } else if !keepOutput {
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    }
    let cargs = argv.map { strdup($0) } + [nil]
    defer { cargs.forEach { free($0) } }
    let start = DispatchTime.now().uptimeNanoseconds
    let rc = posix_spawn(&pid, argv[0], &actions, nil, cargs, environ)
    posix_spawn_file_actions_destroy(&actions)
    guard rc == 0 else { return Measured(seconds: 0, maxRSS: 0, status: -1) }
    var status: Int32 = 0
    var usage = rusage()
    var killed = false
    if limit.isFinite {
        while wait4(pid, &status, WNOHANG, &usage) == 0 {
            if Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 > limit {
                kill(pid, SIGKILL)
                killed = true
                wait4(pid, &status, 0, &usage)
                break
            }
            usleep(2_000)
        }
    } else {
        wait4(pid, &status, 0, &usage)
    }
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    let code = (status & 0x7F) != 0 ? -(status & 0x7F) : (status >> 8) & 0xFF
    let cpu = Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    return Measured(seconds: seconds, maxRSS: Int(usage.ru_maxrss), status: code, cpu: cpu, killed: killed)
}

/// The fastest of `n` runs (peak RSS: the largest).
public func best(_ n: Int, _ body: () -> Measured) -> Measured {
    var results = (0..<n).map { _ in body() }
    results.sort { $0.seconds < $1.seconds }
    var b = results[0]
    b.maxRSS = results.map(\.maxRSS).max()!
    return b
}

/// The floor: walk the folders, then open, read 4 KiB and close every file (not the ones `skip`
/// names, nor dot-files), with `threads` threads taking folders and files as they come.
public func floorRun(_ roots: [String], threads: Int, skip: (String) -> Bool = { _ in false }) -> (seconds: Double, files: Int) {
    let lock = NSLock()
    var pending = roots
    var files: [String] = []
    var busy = 0
    let start = DispatchTime.now().uptimeNanoseconds
    // Walk: folders are listed in parallel (listing is I/O on a cold cache too).
    DispatchQueue.concurrentPerform(iterations: threads) { _ in
        var mine: [String] = []
        while true {
            lock.lock()
            guard let d = pending.popLast() else {
                let done = busy == 0
                lock.unlock()
                if done { break }
                usleep(100)
                continue
            }
            busy += 1
            lock.unlock()
            var found: [String] = []
            if let dp = opendir(d) {
                while let ent = readdir(dp) {
                    let name = withUnsafeBytes(of: &ent.pointee.d_name) { String(cString: $0.baseAddress!.assumingMemoryBound(to: CChar.self)) }
                    if name.hasPrefix(".") || skip(name) { continue }
                    let path = d + "/" + name
                    if Int32(ent.pointee.d_type) == Int32(DT_DIR) { found.append(path) } else { mine.append(path) }
                }
                closedir(dp)
            }
            lock.lock()
            pending += found
            busy -= 1
            lock.unlock()
        }
        lock.lock(); files += mine; lock.unlock()
    }
    // Read.
    var next = 0
    DispatchQueue.concurrentPerform(iterations: threads) { _ in
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            lock.lock(); let i = next; next += 1; lock.unlock()
            if i >= files.count { break }
            let fd = open(files[i], O_RDONLY)
            if fd < 0 { continue }
            _ = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, 4096) }
            close(fd)
        }
    }
    return (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9, files.count)
}

/// Drops the page cache (root only); false when this machine does not allow it.
public func dropCaches() -> Bool {
    sync()
    guard let f = fopen("/proc/sys/vm/drop_caches", "w") else { return false }
    defer { fclose(f) }
    return fputs("3\n", f) >= 0 && fflush(f) == 0
}

public func which(_ tool: String) -> String? {
    for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
        let p = "\(dir)/\(tool)"
        if access(p, X_OK) == 0 { return p }
    }
    return nil
}

/// `--name VALUE` from the command line, or the default.
/// Seconds of `clock`: `CLOCK_MONOTONIC` (wall), `CLOCK_PROCESS_CPUTIME_ID` (this process's CPU,
/// user and system, steadier on a machine that others share) or `CLOCK_THREAD_CPUTIME_ID`.
public func clockSeconds(_ clock: clockid_t) -> Double {
    var t = timespec()
    clock_gettime(clock, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}

public func option(_ name: String, _ def: String) -> String {
    let args = CommandLine.arguments
    if let i = args.firstIndex(of: name), i + 1 < args.count { return args[i + 1] }
    return def
}

/// The `dicomcrawler` binary beside this benchmark, or `--binary PATH`.
public var crawlerBinary: String {
    option("--binary", URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("dicomcrawler").path)
}
