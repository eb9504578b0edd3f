import DICOMTestSupport
import Foundation
import XCTest

/// What a program run with a deadline printed, and how it ended.
struct Finished {
    var status: Int32
    var stdout: String
    var stderr: String
    var timedOut: Bool
}

/// Runs a program with a deadline (killed when it passes: a hang fails the test instead of CI), in
/// this process's environment without its SLURM_ variables (the tests may run inside a Slurm job),
/// plus `environment`.
func runWithDeadline(_ program: String, _ args: [String], cwd: String, environment: [String: String] = [:],
                     timeout: TimeInterval = 120) throws -> Finished {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: program)
    p.arguments = args
    p.currentDirectoryURL = URL(fileURLWithPath: cwd)
    p.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("SLURM_") }.merging(environment) { $1 }
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("run-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let out = dir.appendingPathComponent("out"), err = dir.appendingPathComponent("err")
    _ = FileManager.default.createFile(atPath: out.path, contents: nil)
    _ = FileManager.default.createFile(atPath: err.path, contents: nil)
    let o = try FileHandle(forWritingTo: out), e = try FileHandle(forWritingTo: err)
    p.standardOutput = o
    p.standardError = e
    p.standardInput = FileHandle.nullDevice
    try p.run()
    let deadline = Date().addingTimeInterval(timeout)
    while p.isRunning && Date() < deadline { usleep(10_000) }
    let timedOut = p.isRunning
    if timedOut { kill(p.processIdentifier, SIGKILL) }
    p.waitUntilExit()
    try o.close()
    try e.close()
    return Finished(status: p.terminationStatus, stdout: try String(contentsOf: out, encoding: .utf8),
                    stderr: try String(contentsOf: err, encoding: .utf8), timedOut: timedOut)
}

/// A shipped batch script: Scripts/slurm/NAME.
func slurmScript(_ name: String) -> String { repoRoot() + "/Scripts/slurm/" + name }

/// The crawl fixture: the example subjects, a DIR with spaces, one with quotes, glob and `$`, and a
/// DIRLIST that also holds a comment, a blank line, a DIR that does not exist and a DIR with a
/// trailing `/`.
let oddDir = #"it's "[a]*" $HOME"#
let crawlDirList = ["examples/subj-01", "with space", "# a comment", "", "examples/subj-02", "missing dir", "examples/subj-03/", oddDir]
/// The DIRs of crawlDirList that exist, each with the table a crawl writes into it.
let crawledDirs = ["examples/subj-01", "with space", "examples/subj-02", "examples/subj-03/", oddDir]

func makeCrawlTree(_ t: FixtureTree) throws {
    try FileManager.default.copyItem(atPath: repoRoot() + "/examples", toPath: t.path + "/examples")
    try FileManager.default.copyItem(atPath: repoRoot() + "/examples/subj-02", toPath: t.path + "/with space")
    try FileManager.default.moveItem(atPath: t.path + "/with space/t1_mprage_sag_p2_iso", toPath: t.path + "/with space/a t1_mprage_sag_p2_iso")
    try FileManager.default.copyItem(atPath: repoRoot() + "/examples/subj-01", toPath: t.path + "/" + oddDir)
    try FileManager.default.copyItem(atPath: repoRoot() + "/templates/modal-templates.json", toPath: t.path + "/templates.json")
    try t.write("dirs.txt", text: crawlDirList.joined(separator: "\n") + "\n")
    // The checkout's examples hold the tables of the README's first command once it has run.
    let fm = FileManager.default
    if let all = fm.enumerator(atPath: t.path) {
        for case let rel as String in all where (rel as NSString).lastPathComponent == "modal_data.csv" {
            try fm.removeItem(atPath: t.path + "/" + rel)
        }
    }
}

/// A plain run over the DIRs that exist, from the tree's folder: the tables the scripts must equal.
func plainCrawl() throws -> FixtureTree {
    let ref = try FixtureTree()
    try makeCrawlTree(ref)
    let r = try runTool(["--templates", "templates.json"] + crawledDirs, cwd: ref.path)
    XCTAssertEqual(r.status, 0, r.stderr)
    return ref
}

/// Each DIR's table in `t` has the bytes of the plain run's; the missing DIR got none.
func assertTablesEqualPlainRun(_ t: FixtureTree, _ ref: FixtureTree, file: StaticString = #filePath, line: UInt = #line) throws {
    for dir in crawledDirs {
        let table = dir.hasSuffix("/") ? dir + "modal_data.csv" : dir + "/modal_data.csv"
        XCTAssertTrue(t.exists(table), "no table in \(dir)", file: file, line: line)
        let expected = try ref.read(table)
        // Path cells start with the DIR as given (in quotes, doubled, when it holds a quote).
        let given = dir.hasSuffix("/") ? String(dir.dropLast()) : dir
        XCTAssertTrue(expected.contains(given.contains("\"") ? ",\"" + given.replacingOccurrences(of: "\"", with: "\"\"") + "/" : "," + given + "/"),
                      expected, file: file, line: line)
        XCTAssertEqual(try t.read(table), expected, dir, file: file, line: line)
    }
    XCTAssertFalse(t.exists("missing dir"), file: file, line: line)
}

/// The export fixture: 10 series of 2 slices in a DIR with a space.
func makeExportTree(_ t: FixtureTree) throws {
    for s in 0..<10 { for z in 0..<2 {
        try t.write("scan dir/s\(s)/\(z).dcm", exportSlice(series: "7.\(s)", position: [0, 0, Double(z)], instance: z + 1, value: UInt16(s * 10 + z)))
    } }
}

/// Every dataset of an export (name, shape, type, values, attributes) and its metadata table's rows
/// without the Dataset column (which names the part file), sorted.
func exportContents(_ h5: String, cwd: String) throws -> String {
    let r = try runProcess("/usr/bin/python3", ["-c", """
        import h5py, numpy as np, sys, csv
        f = h5py.File(sys.argv[1], 'r')
        for k in sorted(f):
            d = f[k]
            print(k, d.shape, d.dtype, np.asarray(d).tolist())
            for a in sorted(d.attrs):
                v = d.attrs[a]
                print('  ', a, v.tolist() if hasattr(v, 'tolist') else v)
        rows = list(csv.reader(open(sys.argv[1][:-3] + '.csv', newline='')))
        i = rows[0].index('Dataset')
        print(rows[0])
        for row in sorted(r[:i] + r[i + 1:] for r in rows[1:]): print(row)
        print('unreadable', open(sys.argv[1][:-3] + '.unreadable.csv').read())
        """, h5], cwd: cwd)
    XCTAssertEqual(r.status, 0, r.stderr)
    return r.stdout
}

/// The scripts run outside a real Slurm, with the variables Slurm sets for an array task.
final class ClusterScriptTests: XCTestCase {
    /// Task i crawls line i of DIRLIST as written (spaces, trailing `/`): its table equals a plain
    /// run's; comment and blank lines crawl nothing; a missing DIR is that task's exit 1; a task
    /// beyond the list or 0 is exit 2; --jobs comes from SLURM_CPUS_PER_TASK unless given.
    func testCrawlTaskIsALineOfTheList() throws {
        let t = try FixtureTree()
        try makeCrawlTree(t)
        let ref = try plainCrawl()
        var statuses: [Int32] = []
        for task in 0...(crawlDirList.count + 1) {
            let r = try runWithDeadline(slurmScript("crawl.sbatch"), ["templates.json", "dirs.txt"], cwd: t.path,
                                        environment: ["SLURM_ARRAY_TASK_ID": String(task), "SLURM_CPUS_PER_TASK": "3", "DICOMCRAWLER": toolPath()])
            XCTAssertFalse(r.timedOut)
            statuses.append(r.status)
            switch task {
            case 0, crawlDirList.count + 1:
                XCTAssertTrue(r.stderr.contains("crawl.sbatch: task \(task), but dirs.txt has 8 lines: array task ids are line numbers, 1 to 8"), r.stderr)
            case 1:
                XCTAssertTrue(r.stderr.contains("crawl.sbatch: task 1: \(toolPath()) crawl --templates templates.json --jobs 3 -- examples/subj-01\n"), r.stderr)
            case 3, 4:
                XCTAssertTrue(r.stderr.contains("line \(task) of dirs.txt is blank or a comment: nothing to crawl"), r.stderr)
            case 6:
                XCTAssertTrue(r.stderr.contains("missing dir: no such directory"), r.stderr)
            default: break
            }
        }
        XCTAssertEqual(statuses, [2, 0, 0, 0, 0, 0, 1, 0, 0, 2])
        try assertTablesEqualPlainRun(t, ref)

        // TEMPLATES '' crawls without templates: with --all, the table of a plain --all run.
        let all = try runWithDeadline(slurmScript("crawl.sbatch"), ["", "dirs.txt", "--all"], cwd: t.path,
                                      environment: ["SLURM_ARRAY_TASK_ID": "1", "DICOMCRAWLER": toolPath()])
        XCTAssertEqual(all.status, 0, all.stderr)
        XCTAssertEqual(try runTool(["--all", "examples/subj-01"], cwd: ref.path).status, 0)
        XCTAssertTrue(try ref.read("examples/subj-01/modal_data.csv").contains(",examples/subj-01/01_localizer,"))
        XCTAssertEqual(try t.read("examples/subj-01/modal_data.csv"), try ref.read("examples/subj-01/modal_data.csv"))

        // --jobs given (long or short, grouped) wins; extra options are passed through.
        for jobs in [["--jobs", "1"], ["-qj", "1"], ["--jobs=1"]] {
            let r = try runWithDeadline(slurmScript("crawl.sbatch"), ["templates.json", "dirs.txt"] + jobs + ["--tags", "Modality"], cwd: t.path,
                                        environment: ["SLURM_ARRAY_TASK_ID": "2", "SLURM_CPUS_PER_TASK": "3", "DICOMCRAWLER": toolPath()])
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertFalse(r.stderr.contains("--jobs 3"), r.stderr)
            XCTAssertTrue(try t.read("with space/modal_data.csv").hasPrefix("Modality,Path,DCM_Count,Study Date,Acquisition Time,Subject_ID,Subject_Sex,Subject_Age,\"Modality (0008,0060)\"\n"))
        }
    }

    /// A DIRLIST whose last line has no newline still has that line; a CRLF line, a line with a NUL
    /// byte or longer than a path, --combined and --report (which every task would overwrite) and a
    /// missing binary are exit 2 with the reason.
    func testCrawlScriptRefusals() throws {
        let t = try FixtureTree()
        try makeCrawlTree(t)
        try t.write("last.txt", text: "examples/subj-01\nexamples/subj-02")
        try t.write("dos.txt", text: "examples/subj-01\r\n")
        // The shell would drop the NUL (crawling examples/subj-01); exec cannot pass 200 000 bytes.
        try t.write("nul.txt", text: "examples/\u{0}subj-01\n")
        try t.write("long.txt", text: String(repeating: "x", count: 200_000) + "\n")
        let env = ["SLURM_ARRAY_TASK_ID": "2", "DICOMCRAWLER": toolPath()]
        let last = try runWithDeadline(slurmScript("crawl.sbatch"), ["templates.json", "last.txt"], cwd: t.path, environment: env)
        XCTAssertEqual(last.status, 0, last.stderr)
        XCTAssertTrue(t.exists("examples/subj-02/modal_data.csv"))
        var cases: [([String], [String: String], String)] = [
            (["templates.json", "dos.txt"], ["SLURM_ARRAY_TASK_ID": "1"], "line 1 of dos.txt ends with a carriage return"),
            (["templates.json", "nul.txt"], ["SLURM_ARRAY_TASK_ID": "1"], "line 1 of nul.txt holds NUL bytes (a find -print0 list?)"),
            (["templates.json", "long.txt"], ["SLURM_ARRAY_TASK_ID": "1"], "line 1 of long.txt is 200000 bytes long: longer than a path can be"),
            (["templates.json", "dirs.txt", "--combined", "all.csv"], [:], "--combined: every task would overwrite the one file"),
            (["templates.json", "dirs.txt", "-q", "--report=r.json"], [:], "--report=r.json: every task would overwrite the one file"),
            (["templates.json", "nolist.txt"], [:], "cannot read the directory list 'nolist.txt'"),
            (["templates.json", "dirs.txt"], ["DICOMCRAWLER": t.path + "/nowhere"], "/nowhere: not found (set DICOMCRAWLER"),
            (["templates.json"], [:], "usage: sbatch --array=1-N crawl.sbatch TEMPLATES DIRLIST [crawl options]"),
            (["templates.json", "dirs.txt"], ["SLURM_ARRAY_TASK_ID": "1x"], "SLURM_ARRAY_TASK_ID is not a number: '1x'"),
        ]
        if !["/usr/bin", "/bin"].contains(where: { FileManager.default.fileExists(atPath: $0 + "/dicomcrawler") }) {
            cases.append((["templates.json", "dirs.txt"], ["DICOMCRAWLER": "", "PATH": "/usr/bin:/bin"], "dicomcrawler: not found (set DICOMCRAWLER"))
        }
        for (args, extra, message) in cases {
            let r = try runWithDeadline(slurmScript("crawl.sbatch"), args, cwd: t.path, environment: env.merging(extra) { $1 })
            XCTAssertEqual(r.status, 2, "\(args) \(extra): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("crawl.sbatch: " + message) || r.stderr.contains(message), "\(args) \(extra): \(r.stderr)")
        }
        XCTAssertFalse(t.exists("examples/subj-01/modal_data.csv"))
        XCTAssertFalse(t.exists("all.csv"))
    }

    /// Outside Slurm (no SLURM_ variables) both scripts stop with exit 2 and say how to submit.
    func testOutsideSlurmIsAClearError() throws {
        let t = try FixtureTree()
        try makeCrawlTree(t)
        let crawl = try runWithDeadline(slurmScript("crawl.sbatch"), ["templates.json", "dirs.txt"], cwd: t.path, environment: ["DICOMCRAWLER": toolPath()])
        XCTAssertEqual(crawl.status, 2)
        XCTAssertEqual(crawl.stderr, "crawl.sbatch: not a Slurm array task (SLURM_ARRAY_TASK_ID is not set): submit with sbatch --array=1-$(wc -l < dirs.txt) crawl.sbatch ...\n")
        let export = try runWithDeadline(slurmScript("export.sbatch"), ["px.h5", "examples"], cwd: t.path, environment: ["DICOMCRAWLER": toolPath()])
        XCTAssertEqual(export.status, 2)
        XCTAssertTrue(export.stderr.hasPrefix("export.sbatch: not in a Slurm job (SLURM_JOB_ID is not set)"), export.stderr)
        XCTAssertFalse(t.exists("px.h5"))
        XCTAssertFalse(t.exists("examples/subj-01/modal_data.csv"))
    }

    /// Task K of an array of N exports shard K/N (ids counted from the array's first); the shards
    /// together equal one plain run. An array that is not a range, --shard and -o are exit 2.
    func testExportTasksAreShards() throws {
        let t = try FixtureTree()
        try makeExportTree(t)
        let plain = try runTool(["export", "-q", "scan dir", "-o", "one/px.h5"], cwd: t.path)
        XCTAssertEqual(plain.status, 0, plain.stderr)
        for id in 0..<3 {
            let r = try runWithDeadline(slurmScript("export.sbatch"), ["out put/px.h5", "scan dir", "-q"], cwd: t.path, environment: [
                "SLURM_JOB_ID": "9", "SLURM_ARRAY_TASK_ID": String(id), "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_MAX": "2",
                "SLURM_ARRAY_TASK_COUNT": "3", "SLURM_CPUS_PER_TASK": "1", "DICOMCRAWLER": toolPath()])
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertTrue(r.stderr.contains("export.sbatch: \(toolPath()) export --shard \(id + 1)/3 -o out\\ put/px.h5 --jobs 1 scan\\ dir -q\n"), r.stderr)
        }
        let one = try exportContents("one/px.h5", cwd: t.path)
        XCTAssertEqual(("\n" + one).components(separatedBy: "\n7.").count - 1, 10, one)
        XCTAssertEqual(try exportContents("out put/px.h5", cwd: t.path), one)
        let parts = try FileManager.default.contentsOfDirectory(atPath: t.path + "/out put/px.h5.parts").filter { $0.hasSuffix(".h5") }
        XCTAssertEqual(Set(parts.map { $0.split(separator: "-")[1] }), ["s1of3", "s2of3", "s3of3"])

        let array = ["SLURM_JOB_ID": "9", "SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_MAX": "3",
                     "SLURM_ARRAY_TASK_COUNT": "3", "DICOMCRAWLER": toolPath()]
        let cases: [([String], [String: String], String)] = [
            (["x.h5", "scan dir"], ["SLURM_ARRAY_TASK_COUNT": "2"], "the array 1-3 has 2 tasks, not every id between: give a plain range"),
            (["x.h5", "scan dir", "--shard", "1/2"], [:], "--shard: the script sets it"),
            (["x.h5", "scan dir", "-o", "y.h5"], [:], "-o: the script sets -o"),
            (["x.h5", "-foo"], [:], "-foo: the script sets -o (OUT.h5 is its first argument; a DIR whose name starts with - goes after --)"),
            (["x.h5", "scan dir", "--output=y.h5"], [:], "--output=y.h5: the script sets it"),
            (["x.h5"], [:], "usage: sbatch --array=1-N export.sbatch OUT.h5 DIR... [export options]"),
        ]
        for (args, extra, message) in cases {
            let r = try runWithDeadline(slurmScript("export.sbatch"), args, cwd: t.path, environment: array.merging(extra) { $1 })
            XCTAssertEqual(r.status, 2, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("export.sbatch: " + message), "\(args): \(r.stderr)")
        }
        XCTAssertFalse(t.exists("x.h5"))
        XCTAssertFalse(t.exists("y.h5"))
        // A job without --array exports everything; dicomcrawler's exit status is the script's.
        let whole = try runWithDeadline(slurmScript("export.sbatch"), ["whole/px.h5", "scan dir", "nothing here"], cwd: t.path,
                                        environment: ["SLURM_JOB_ID": "9", "DICOMCRAWLER": toolPath()])
        XCTAssertEqual(whole.status, 1, whole.stderr)
        XCTAssertTrue(whole.stderr.contains("export.sbatch: \(toolPath()) export -o whole/px.h5 scan\\ dir nothing\\ here\n"), whole.stderr)
        XCTAssertEqual(try exportContents("whole/px.h5", cwd: t.path), one)
    }

    /// The README's GNU parallel one-liners, run as written (dicomcrawler on PATH), equal plain runs.
    func testREADMEParallelOneLiners() throws {
        let readme = try String(contentsOfFile: repoRoot() + "/README.md", encoding: .utf8)
        guard let cluster = readme.components(separatedBy: "\n## Cluster").dropFirst().first?.components(separatedBy: "\n## ").first else {
            return XCTFail("README has no Cluster section")
        }
        let lines = cluster.split(separator: "\n").map(String.init)
        guard let crawlLine = lines.first(where: { $0.contains("| parallel") && $0.contains("dirs.txt") }),
              let exportLine = lines.first(where: { $0.hasPrefix("parallel ") && $0.contains("--shard {}/") }) else {
            return XCTFail("no parallel one-liners in README's Cluster section")
        }
        let bin = try FixtureTree()
        for tool in ["dicomcrawler", "dicomcrawler-decoder"] {
            try FileManager.default.createSymbolicLink(atPath: bin.path + "/" + tool,
                                                       withDestinationPath: URL(fileURLWithPath: toolPath()).deletingLastPathComponent().path + "/" + tool)
        }
        let path = bin.path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")

        let t = try FixtureTree()
        try makeCrawlTree(t)
        // A DIR starting with `-` (and holding an h: read as options, `-h dir` prints the help
        // and exits 0) is a DIR too.
        let dashDir = "-h dash"
        try FileManager.default.copyItem(atPath: t.path + "/examples/subj-03", toPath: t.path + "/" + dashDir)
        try t.write("dirs.txt", text: (crawlDirList + [dashDir]).joined(separator: "\n") + "\n")
        let ref = try plainCrawl()
        try FileManager.default.copyItem(atPath: ref.path + "/examples/subj-03", toPath: ref.path + "/" + dashDir)
        let dashRef = try runTool(["--templates", "templates.json", "--", dashDir], cwd: ref.path)
        XCTAssertEqual(dashRef.status, 0, dashRef.stderr)
        let crawl = try runWithDeadline("/bin/bash", ["-c", crawlLine], cwd: t.path, environment: ["PATH": path])
        XCTAssertFalse(crawl.timedOut)
        XCTAssertEqual(crawl.status, 1, "one DIR is missing: \(crawlLine)\n\(crawl.stderr)")
        XCTAssertTrue(crawl.stderr.contains("missing dir: no such directory"), crawl.stderr)
        try assertTablesEqualPlainRun(t, ref)
        XCTAssertTrue(t.exists(dashDir + "/modal_data.csv"), "\(crawlLine)\n\(crawl.stdout)")
        XCTAssertEqual(try? t.read(dashDir + "/modal_data.csv"), try ref.read(dashDir + "/modal_data.csv"))

        let e = try FixtureTree()
        try makeExportTree(e)
        XCTAssertTrue(exportLine.contains(" study "), exportLine)
        try FileManager.default.moveItem(atPath: e.path + "/scan dir", toPath: e.path + "/study")
        let plain = try runTool(["export", "-q", "study", "-o", "one/px.h5"], cwd: e.path)
        XCTAssertEqual(plain.status, 0, plain.stderr)
        let export = try runWithDeadline("/bin/bash", ["-c", exportLine], cwd: e.path, environment: ["PATH": path])
        XCTAssertEqual(export.status, 0, "\(exportLine)\n\(export.stderr)")
        let parts = try FileManager.default.contentsOfDirectory(atPath: e.path + "/px.h5.parts").filter { $0.hasSuffix(".h5") }
        XCTAssertGreaterThan(Set(parts.map { $0.split(separator: "-")[1] }).count, 1, "\(parts)")
        XCTAssertEqual(try exportContents("px.h5", cwd: e.path), try exportContents("one/px.h5", cwd: e.path))
    }
}
