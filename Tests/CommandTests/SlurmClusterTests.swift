import Foundation
import XCTest

/// A one-node Slurm of its own: its munged (own key and socket), slurmctld and slurmd on free ports,
/// with configuration, state, spool, logs and pid files in one temporary folder. Clients reach it
/// through `environment` (SLURM_CONF). A Slurm or munge already running on the machine is left
/// alone: only the processes started here are stopped.
final class PrivateSlurm {
    static let sbin = "/usr/sbin", bin = "/usr/bin"
    static let partition = "dctest"
    let dir: String
    let environment: [String: String]
    private var daemons: [(name: String, pid: pid_t)] = []

    /// Why a one-node Slurm cannot be started here, or nil.
    static func cannotStart() -> String? {
        if getuid() != 0 { return "not root: slurmd runs each job as its user and needs root to start" }
        let missing = ["slurmctld", "slurmd", "munged"].map { sbin + "/" + $0 } + ["sbatch", "sinfo", "squeue", "scontrol", "scancel"].map { bin + "/" + $0 }
        let absent = missing.filter { !FileManager.default.isExecutableFile(atPath: $0) }
        if !absent.isEmpty { return "Slurm is not installed (\(absent.joined(separator: ", ")) missing; Scripts/install-deps.sh installs slurmctld slurmd slurm-client munge)" }
        if !FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") { return "/usr/bin/setpriv (util-linux) is missing" }
        return nil
    }

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("slurm-\(UUID().uuidString.prefix(8))").path
        environment = ["SLURM_CONF": dir + "/slurm.conf"]
        do { try start() } catch {
            stop()
            throw error
        }
    }

    private func start() throws {
        let fm = FileManager.default
        for sub in ["", "/munge", "/state", "/spool"] { try fm.createDirectory(atPath: dir + sub, withIntermediateDirectories: true) }
        try fm.setAttributes([.posixPermissions: 0o711], ofItemAtPath: dir + "/munge")
        let key = dir + "/munge/munge.key"
        var bytes = [UInt8](repeating: 0, count: 1024)
        for i in bytes.indices { bytes[i] = UInt8.random(in: 0...255) }
        _ = fm.createFile(atPath: key, contents: Data(bytes), attributes: [.posixPermissions: 0o600])
        let socket = dir + "/munge/munge.sock"
        let ports = try freeTCPPorts(2)
        var name = [CChar](repeating: 0, count: 256)
        guard gethostname(&name, name.count - 1) == 0 else { throw SlurmError("gethostname: errno \(errno)") }
        // hostname -s: slurmd takes the node whose NodeName is its short host name.
        let host = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self).split(separator: ".").first.map(String.init) ?? ""
        // CPUs: at least 16, beyond the hardware (config_overrides), so that every task of the test's
        // arrays (the crawl's default --cpus-per-task=2) starts at once, even on a 1-core machine:
        // the tasks are small, and `sbatch --wait` returns sooner.
        let cpus = max(16, ProcessInfo.processInfo.activeProcessorCount)
        let conf = """
            ClusterName=dicomcrawlertest
            SlurmctldHost=\(host)
            SlurmctldPort=\(ports[0])
            SlurmdPort=\(ports[1])
            SlurmUser=root
            SlurmdUser=root
            AuthType=auth/munge
            AuthInfo=socket=\(socket)
            CredType=cred/munge
            MpiDefault=none
            ProctrackType=proctrack/linuxproc
            TaskPlugin=task/none
            SelectType=select/cons_tres
            SelectTypeParameters=CR_Core
            SchedulerParameters=batch_sched_delay=0
            SlurmdParameters=config_overrides
            ReturnToService=2
            StateSaveLocation=\(dir)/state
            SlurmdSpoolDir=\(dir)/spool
            SlurmctldPidFile=\(dir)/slurmctld.pid
            SlurmdPidFile=\(dir)/slurmd.pid
            SlurmctldLogFile=\(dir)/slurmctld.log
            SlurmdLogFile=\(dir)/slurmd.log
            NodeName=\(host) CPUs=\(cpus) RealMemory=1000 State=UNKNOWN
            PartitionName=\(Self.partition) Nodes=ALL Default=YES MaxTime=INFINITE State=UP

            """
        try conf.write(toFile: dir + "/slurm.conf", atomically: true, encoding: .utf8)

        try launch("munged", Self.sbin + "/munged", ["-F", "--force", "--socket=\(socket)", "--key-file=\(key)", "--pid-file=\(dir)/munge/munged.pid",
                                                     "--log-file=\(dir)/munge/munged.log", "--seed-file=\(dir)/munge/munged.seed"])
        try waitFor("munged's socket", timeout: 20) { fm.fileExists(atPath: socket) }
        try launch("slurmctld", Self.sbin + "/slurmctld", ["-D"])
        try launch("slurmd", Self.sbin + "/slurmd", ["-D"])
        try waitFor("the node to be idle", timeout: 60) {
            let r = try runWithDeadline(Self.bin + "/sinfo", ["-h", "-o", "%t"], cwd: dir, environment: environment, timeout: 10)
            return r.status == 0 && r.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "idle"
        }
        // The controller schedules nothing in its first seconds, and `sbatch --wait` polls less
        // often as time goes (2 s, then 8): a job that has run says that the arrays will start at once.
        let warmUp = try client("sbatch", ["--parsable", "--output=/dev/null", "--wrap=true"], cwd: dir, timeout: 20)
        guard warmUp.status == 0, let id = warmUp.stdout.split(separator: "\n").first.map(String.init) else {
            throw SlurmError("sbatch of a first job failed: \(warmUp.stderr)\n\(logs())")
        }
        try waitFor("a first job to run", timeout: 60) {
            let r = try client("squeue", ["-h", "-j", id, "-o", "%T"], cwd: dir, timeout: 10)
            return (r.status == 0 && r.stdout.isEmpty) || r.stdout.contains("COMPLETED") || r.stderr.contains("Invalid job id")
        }
    }

    /// Starts a daemon in the foreground, as a child that the kernel kills if this process dies
    /// (setpriv --pdeathsig). Not through Foundation's Process: it waits (blocking, for every child
    /// it started) as soon as a child closes a descriptor it was given, which daemons do at start.
    private func launch(_ name: String, _ program: String, _ args: [String]) throws {
        let argv = ["/usr/bin/setpriv", "--pdeathsig", "KILL", "--", program] + args
        let env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("SLURM_") }.merging(environment) { $1 }.map { "\($0.key)=\($0.value)" }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "\(dir)/\(name).out", O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // The daemon gets none of this process's other descriptors (Foundation's sockets among them).
        for fd in (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd"))?.compactMap({ Int32($0) }) ?? [] where fd > 2 {
            if fcntl(fd, F_GETFD) >= 0 { posix_spawn_file_actions_addclose(&actions, fd) }
        }
        let cArgv = argv.map { strdup($0) } + [nil], cEnv = env.map { strdup($0) } + [nil]
        defer { (cArgv + cEnv).forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, argv[0], &actions, nil, cArgv, cEnv)
        guard rc == 0 else { throw SlurmError("cannot start \(name): posix_spawn: error \(rc)") }
        daemons.append((name, pid))
    }

    /// Whether a daemon started here still runs (reaping it when it has ended).
    private func running(_ pid: pid_t) -> Bool {
        var status: Int32 = 0
        return waitpid(pid, &status, WNOHANG) == 0
    }

    private func waitFor(_ what: String, timeout: TimeInterval, _ done: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try done() { return }
            if let dead = daemons.first(where: { !running($0.pid) }) {
                throw SlurmError("\(dead.name) exited while waiting for \(what)\n\(logs())")
            }
            usleep(100_000)
        }
        throw SlurmError("timed out after \(Int(timeout)) s waiting for \(what)\n\(logs())")
    }

    /// The daemons' logs (for failure messages).
    func logs() -> String {
        ["munged.out", "munge/munged.log", "slurmctld.out", "slurmctld.log", "slurmd.out", "slurmd.log"].map { name in
            "--- \(name)\n" + String(((try? String(contentsOfFile: dir + "/" + name, encoding: .utf8)) ?? "").suffix(3000))
        }.joined(separator: "\n")
    }

    /// Runs a Slurm client (sbatch, scontrol...) against this cluster.
    func client(_ name: String, _ args: [String], cwd: String, environment extra: [String: String] = [:], timeout: TimeInterval = 120) throws -> Finished {
        try runWithDeadline(Self.bin + "/" + name, args, cwd: cwd, environment: environment.merging(extra) { $1 }, timeout: timeout)
    }

    /// Cancels every job of this cluster (all are the test's), stops the daemons started here
    /// (TERM, then KILL after 10 s) and removes the folder.
    func stop() {
        if daemons.contains(where: { $0.name == "slurmctld" && running($0.pid) }) {
            _ = try? client("scancel", ["--partition", Self.partition], cwd: dir, timeout: 20)
            let deadline = Date().addingTimeInterval(20)
            while Date() < deadline {
                guard let r = try? client("squeue", ["-h", "-o", "%A"], cwd: dir, timeout: 10), r.status == 0, !r.stdout.isEmpty else { break }
                usleep(100_000)
            }
        }
        for (_, pid) in daemons.reversed() where running(pid) {
            kill(pid, SIGTERM)
            let deadline = Date().addingTimeInterval(10)
            while running(pid) && Date() < deadline { usleep(20_000) }
            if running(pid) {
                kill(pid, SIGKILL)
                var status: Int32 = 0
                waitpid(pid, &status, 0)
            }
        }
        daemons = []
        try? FileManager.default.removeItem(atPath: dir)
    }
}

struct SlurmError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// `count` TCP ports that were free a moment ago (bound to port 0 together, then released).
func freeTCPPorts(_ count: Int) throws -> [UInt16] {
    var fds: [Int32] = []
    defer { fds.forEach { close($0) } }
    var ports: [UInt16] = []
    for _ in 0..<count {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw SlurmError("socket: errno \(errno)") }
        fds.append(fd)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = INADDR_ANY
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) { a in
            a.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        guard ok else { throw SlurmError("bind: errno \(errno)") }
        ports.append(UInt16(bigEndian: addr.sin_port))
    }
    return ports
}

/// The shipped batch scripts submitted with `sbatch --wait` to a one-node Slurm started for the
/// test: their outputs equal plain runs'. Skipped, saying why, when Slurm cannot be started here.
final class SlurmClusterTests: XCTestCase {
    var slurm: PrivateSlurm?

    override func setUpWithError() throws {
        if let reason = PrivateSlurm.cannotStart() { throw XCTSkip("no one-node Slurm for the batch scripts: \(reason)") }
        let started = Date()
        slurm = try PrivateSlurm()
        print("SlurmClusterTests: one-node Slurm up in \(String(format: "%.2f", Date().timeIntervalSince(started))) s")
    }

    override func tearDown() {
        slurm?.stop()
        slurm = nil
    }

    /// Exit codes of an array job's tasks, by task id (scontrol keeps finished jobs for MinJobAge).
    func taskExitCodes(_ slurm: PrivateSlurm, job: String, cwd: String) throws -> [Int: Int] {
        let r = try slurm.client("scontrol", ["-o", "show", "job", job], cwd: cwd, timeout: 20)
        XCTAssertEqual(r.status, 0, r.stderr)
        var codes: [Int: Int] = [:]
        for line in r.stdout.split(separator: "\n") {
            let fields = Dictionary(line.split(separator: " ").compactMap { f -> (String, String)? in
                guard let eq = f.firstIndex(of: "=") else { return nil }
                return (String(f[..<eq]), String(f[f.index(after: eq)...]))
            }, uniquingKeysWith: { a, _ in a })
            if let id = fields["ArrayTaskId"].flatMap({ Int($0) }), let code = fields["ExitCode"]?.split(separator: ":").first.flatMap({ Int($0) }) {
                codes[id] = code
            }
        }
        return codes
    }

    func jobID(_ sbatch: Finished) -> String {
        sbatch.stdout.split(separator: "\n").first { $0.hasPrefix("Submitted batch job ") }.map { String($0.dropFirst(20)) } ?? "?"
    }

    /// One array task per line of DIRLIST, one beyond it: each existing DIR's table equals a plain
    /// run's; the missing DIR's task exits 1, the task beyond the list 2, the others 0, and
    /// `sbatch --wait` the highest; --jobs is the default --cpus-per-task. Then a 4-task export
    /// array (throttled to 2 at a time) into one output equals one unsharded export.
    func testArrayJobsEqualPlainRuns() throws {
        let slurm = try XCTUnwrap(slurm)
        let t = try FixtureTree()
        try makeCrawlTree(t)
        let ref = try plainCrawl()
        var started = Date()
        let crawl = try slurm.client("sbatch", ["--wait", "--array=1-\(crawlDirList.count + 1)", slurmScript("crawl.sbatch"), "templates.json", "dirs.txt"],
                                     cwd: t.path, environment: ["DICOMCRAWLER": toolPath()])
        print("SlurmClusterTests: crawl array of \(crawlDirList.count + 1) tasks in \(String(format: "%.2f", Date().timeIntervalSince(started))) s")
        XCTAssertFalse(crawl.timedOut, "sbatch --wait did not return within 120 s\n\(slurm.logs())")
        XCTAssertEqual(crawl.status, 2, crawl.stderr)
        let job = jobID(crawl)
        try assertTablesEqualPlainRun(t, ref)
        XCTAssertEqual(try taskExitCodes(slurm, job: job, cwd: t.path), [1: 0, 2: 0, 3: 0, 4: 0, 5: 0, 6: 1, 7: 0, 8: 0, 9: 2])
        let log = { (task: Int) in (try? t.read("dicomcrawler-crawl-\(job)_\(task).out")) ?? "no log" }
        XCTAssertTrue(log(2).hasPrefix("crawl.sbatch: task 2: \(toolPath()) crawl --templates templates.json --jobs 2 -- with\\ space\n"), log(2))
        XCTAssertTrue(log(2).contains("with space: 3 folders matched"), log(2))
        XCTAssertTrue(log(6).contains("missing dir: no such directory"), log(6))
        XCTAssertTrue(log(9).contains("crawl.sbatch: task 9, but dirs.txt has 8 lines"), log(9))

        let e = try FixtureTree()
        try makeExportTree(e)
        let plain = try runTool(["export", "-q", "scan dir", "-o", "one/px.h5"], cwd: e.path)
        XCTAssertEqual(plain.status, 0, plain.stderr)
        started = Date()
        let export = try slurm.client("sbatch", ["--wait", "--array=1-4%2", "--cpus-per-task=1", slurmScript("export.sbatch"), "out put/px.h5", "scan dir"],
                                      cwd: e.path, environment: ["DICOMCRAWLER": toolPath()])
        print("SlurmClusterTests: export array of 4 tasks in \(String(format: "%.2f", Date().timeIntervalSince(started))) s")
        XCTAssertFalse(export.timedOut, "sbatch --wait did not return within 120 s\n\(slurm.logs())")
        XCTAssertEqual(export.status, 0, export.stderr)
        let exportJob = jobID(export)
        for task in 1...4 {
            let log = (try? e.read("dicomcrawler-export-\(exportJob)_\(task).out")) ?? "no log"
            XCTAssertTrue(log.hasPrefix("export.sbatch: \(toolPath()) export --shard \(task)/4 -o out\\ put/px.h5 --jobs 1 scan\\ dir\n"), log)
        }
        let one = try exportContents("one/px.h5", cwd: e.path)
        XCTAssertEqual(("\n" + one).components(separatedBy: "\n7.").count - 1, 10, one)
        XCTAssertEqual(try exportContents("out put/px.h5", cwd: e.path), one)
        let parts = try FileManager.default.contentsOfDirectory(atPath: e.path + "/out put/px.h5.parts").filter { $0.hasSuffix(".h5") }
        XCTAssertEqual(Set(parts.map { $0.split(separator: "-")[1] }), ["s1of4", "s2of4", "s3of4", "s4of4"])
    }
}
