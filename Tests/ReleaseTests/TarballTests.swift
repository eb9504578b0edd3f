import DICOMTestSupport
import Foundation
import XCTest

/// The release tarball, unpacked into a folder whose path has a space, run where the Swift
/// toolchain is not visible (a mount namespace with an empty folder over it), with the system's
/// copies of the bundled libraries and its magic database replaced by empty files, so only what the
/// tarball carries can be loaded. Its outputs must equal the development build's byte for byte.
final class TarballTests: XCTestCase {
    var work: String!
    /// The unpacked installation (`.../unpacked here/dicomcrawler-VERSION-linux-ARCH`).
    var unpacked: String!

    override func setUpWithError() throws {
        let build = try ReleaseBuild.get()
        work = FileManager.default.temporaryDirectory.appendingPathComponent("release test \(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: work + "/unpacked here", withIntermediateDirectories: true)
        unpacked = try unpack(build.tarball, into: work + "/unpacked here")
        // The inputs: the example data (with a PNG file), and one of its files re-encoded as JPEG lossless (export
        // decodes it in dicomcrawler-decoder, through the bundled GDCM).
        try copyExamples(to: work + "/data")
        try FileManager.default.copyItem(atPath: repoRoot() + "/templates/modal-templates.json", toPath: work + "/templates.json")
        try FileManager.default.createDirectory(atPath: work + "/data-jpeg", withIntermediateDirectories: true)
        let enc = try runProgram("/usr/bin/gdcmconv", ["--jpeg", work + "/data/subj-01/02_t1_mprage_sag_p2_iso/IM0001.dcm", work + "/data-jpeg/IM0001.dcm"])
        XCTAssertEqual(enc.status, 0, enc.stderr)
        // Readable by anyone (one scenario runs as nobody).
        _ = try runProgram("/bin/chmod", ["-R", "a+rX", work])
    }

    override func tearDownWithError() throws {
        if let work {
            _ = try? runProgram("/bin/chmod", ["-R", "u+w", work])
            try? FileManager.default.removeItem(atPath: work)
        }
    }

    /// Unpacks a tarball into `dir`; the one folder it holds.
    func unpack(_ tarball: String, into dir: String) throws -> String {
        let r = try runProgram("/bin/tar", ["-xzf", tarball, "-C", dir])
        XCTAssertEqual(r.status, 0, r.stderr)
        let top = try FileManager.default.contentsOfDirectory(atPath: dir)
        guard top.count == 1 else { throw ReleaseTestError("the tarball holds \(top), not one folder") }
        return dir + "/" + top[0]
    }

    // MARK: Scenarios

    /// The commands every scenario runs, from `work`: a name (results NAME.out, NAME.err,
    /// NAME.status) and the arguments after the executable. Outputs go to `work/out`.
    let allCommands: [(name: String, args: [String])] = [
        ("version", ["--version"]),
        ("crawl", ["--templates", "templates.json", "--output-dir", "out/crawl", "data/subj-01", "data/subj-02", "data/subj-03"]),
        ("tags", ["tags", "data", "-o", "out/tags.csv"]),
        ("sort", ["sort", "data", "--into", "out/sorted"]),
        ("export", ["export", "data", "-o", "out/px.h5"]),
        ("export-jpeg", ["export", "data-jpeg", "-o", "out/jpeg.h5"]),
    ]

    /// How a scenario hides the system: the toolchain folder, the magic database folder and the
    /// system's copies of the bundled libraries.
    struct Hiding {
        var toolchain = true
        var systemMagic = true
        var systemLibraries = true
        var readOnly: [String] = []
    }

    /// The scenarios hide files with mounts in a mount namespace (`unshare -m`) and switch users:
    /// root only. Elsewhere the test says so rather than passing.
    func requireRoot() throws {
        guard getuid() == 0 else {
            throw XCTSkip("hiding the toolchain needs root (unshare -m, mount --bind); this test runs as uid \(getuid()): not tested")
        }
    }

    /// The mounts of a scenario (run first in its namespace; a failed mount ends it with 90).
    func prelude(_ hiding: Hiding) throws -> String {
        var s = ""
        let empty = work + "/empty"
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        func mount(_ source: String, _ target: String) {
            s += "mount --bind \(shellQuoted(source)) \(shellQuoted(target)) || { echo 'cannot hide \(target)' >&2; exit 90; }\n"
        }
        if hiding.toolchain { mount(empty, try toolchainRoot()) }
        if hiding.systemMagic && FileManager.default.fileExists(atPath: "/usr/lib/file") { mount(empty, "/usr/lib/file") }
        if hiding.systemLibraries {
            for (soname, path) in try systemCopiesOfBundledLibraries() { mount("/dev/null", path); _ = soname }
        }
        for dir in hiding.readOnly {
            mount(dir, dir)
            s += "mount -o remount,bind,ro \(shellQuoted(dir)) || { echo 'cannot make \(dir) read-only' >&2; exit 90; }\n"
        }
        return s + "unset LD_LIBRARY_PATH\n"
    }

    /// Where the system keeps each library the tarball bundles (by the development build's ldd).
    func systemCopiesOfBundledLibraries() throws -> [(String, String)] {
        let bundled = Set(try FileManager.default.contentsOfDirectory(atPath: unpacked + "/lib"))
        var pairs: [String: String] = [:]
        for tool in ["dicomcrawler", "dicomcrawler-decoder"] {
            let r = try runProgram("/usr/bin/ldd", [devTool(tool)])
            for (soname, path) in lddPairs(r.stdout) where bundled.contains(soname) { pairs[soname] = path }
        }
        XCTAssertEqual(Set(pairs.keys), bundled, "every bundled library has a system copy to hide")
        return pairs.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// Runs `commands` with `executable` from `work` (in a mount namespace when `hiding` is given),
    /// then moves `work/out` into the results folder `name`. Returns that folder.
    @discardableResult
    func run(_ name: String, executable: String, hiding: Hiding? = nil, asNobody: Bool = false,
             commands: [String]? = nil, extra: String = "") throws -> String {
        let results = work + "/results/" + name
        try FileManager.default.createDirectory(atPath: results, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: work + "/out", withIntermediateDirectories: true)
        if asNobody { _ = try runProgram("/bin/chmod", ["0777", work + "/out"]) }
        var script = "set -u\ncd \(shellQuoted(work)) || exit 91\n"
        if let hiding { script += try prelude(hiding) }
        let runAs = asNobody ? "setpriv --reuid=65534 --regid=65534 --clear-groups " : ""
        for c in allCommands where commands == nil || commands!.contains(c.name) {
            let r = results + "/" + c.name
            script += "\(runAs)\(shellQuoted(executable)) \(c.args.map(shellQuoted).joined(separator: " "))"
                + " > \(shellQuoted(r + ".out")) 2> \(shellQuoted(r + ".err")); echo $? > \(shellQuoted(r + ".status"))\n"
        }
        script += extra
        let r = try runBash(script, in: work, unshareMounts: hiding != nil)
        XCTAssertEqual(r.status, 0, "scenario \(name): \(r.stderr)")
        try FileManager.default.moveItem(atPath: work + "/out", toPath: results + "/out")
        return results
    }

    /// A result file's text ("" when missing).
    func text(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }

    /// The two scenarios' results are the same: each command's status, standard output and error
    /// (the `magic database:` line of `--version` aside: checked by the caller), and every file
    /// written: byte for byte, except HDF5 files (by h5py: their parts' names are random) and the
    /// sort manifest (its time column; its row order follows the threads).
    func assertSameResults(_ dev: String, _ release: String, commands: [String]? = nil, file: StaticString = #filePath, line: UInt = #line) throws {
        for c in allCommands where commands == nil || commands!.contains(c.name) {
            XCTAssertEqual(text(release + "/\(c.name).status"), text(dev + "/\(c.name).status"), "\(c.name): status; stderr:\n\(text(release + "/\(c.name).err"))", file: file, line: line)
            XCTAssertEqual(text(dev + "/\(c.name).status"), "0\n", "\(c.name) (development build): \(text(dev + "/\(c.name).err"))", file: file, line: line)
            let withoutDatabase = { (s: String) in s.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.hasPrefix("magic database:") }.joined(separator: "\n") }
            XCTAssertEqual(withoutDatabase(text(release + "/\(c.name).out")), withoutDatabase(text(dev + "/\(c.name).out")), "\(c.name): stdout", file: file, line: line)
            XCTAssertEqual(text(release + "/\(c.name).err"), text(dev + "/\(c.name).err"), "\(c.name): stderr", file: file, line: line)
        }
        let devFiles = filesBelow(dev + "/out").filter { !$0.contains(".h5.parts/") }
        let releaseFiles = filesBelow(release + "/out").filter { !$0.contains(".h5.parts/") }
        XCTAssertEqual(releaseFiles, devFiles, file: file, line: line)
        for f in devFiles where releaseFiles.contains(f) {
            let a = dev + "/out/" + f, b = release + "/out/" + f
            if f.hasSuffix(".h5") {
                XCTAssertEqual(try hdf5Summary(b), try hdf5Summary(a), f, file: file, line: line)
            } else if f.hasSuffix("sort_manifest.csv") {
                let rows = { (p: String) in self.text(p).split(separator: "\n").map { $0.drop { $0 != "," } }.sorted() }
                XCTAssertEqual(rows(b), rows(a), f, file: file, line: line)
                XCTAssertGreaterThan(rows(a).count, 20, f, file: file, line: line)
            } else {
                XCTAssertEqual(FileManager.default.contents(atPath: b), FileManager.default.contents(atPath: a), f, file: file, line: line)
            }
        }
        XCTAssertFalse(devFiles.isEmpty, file: file, line: line)
    }

    /// The `magic database:` line of a scenario's `--version`.
    func databaseLine(_ results: String) -> String? {
        text(results + "/version.out").split(separator: "\n").first { $0.hasPrefix("magic database:") }.map(String.init)
    }

    // MARK: Tests

    /// The whole tarball where the toolchain, the system's magic database and the system's copies
    /// of the bundled libraries are hidden: every command gives the development build's output, and
    /// ldd resolves every library that is not glibc's into the unpacked lib/.
    func testUnpackedTarballRunsWithoutTheToolchainAndMatchesTheDevelopmentBuild() throws {
        try requireRoot()
        let dev = try run("dev", executable: devTool("dicomcrawler"))
        let release = try run("release", executable: unpacked + "/bin/dicomcrawler", hiding: Hiding(), extra: """
            ldd \(shellQuoted(unpacked + "/bin/dicomcrawler")) > results/release/ldd-main.out 2>&1
            ldd \(shellQuoted(unpacked + "/bin/dicomcrawler-decoder")) > results/release/ldd-decoder.out 2>&1
            ls -A \(shellQuoted(try toolchainRoot())) > results/release/toolchain.out 2>&1
            \(shellQuoted(devTool("dicomcrawler"))) --version > results/release/control.out 2>&1; echo $? > results/release/control.status

            """)
        // The namespace hid the toolchain: the development build cannot even start there.
        XCTAssertEqual(text(release + "/toolchain.out"), "")
        XCTAssertNotEqual(text(release + "/control.status"), "0\n", text(release + "/control.out"))
        XCTAssertTrue(text(release + "/control.out").contains("error while loading shared libraries"), text(release + "/control.out"))

        try assertSameResults(dev, release)
        XCTAssertEqual(databaseLine(release), "magic database: \(unpacked!)/share/dicomcrawler/magic.mgc")
        XCTAssertTrue(text(release + "/version.out").contains("\nGDCM 3."), text(release + "/version.out"))
        // The crawl told a PNG file from DICOM with the bundled database (the system's was hidden).
        XCTAssertTrue(text(release + "/crawl.err").contains("image/png 1"), text(release + "/crawl.err"))

        let bundled = Set(try FileManager.default.contentsOfDirectory(atPath: unpacked + "/lib"))
        var used = Set<String>()
        for name in ["ldd-main", "ldd-decoder"] {
            let out = text(release + "/\(name).out")
            XCTAssertFalse(out.contains("not found"), out)
            let pairs = lddPairs(out)
            XCTAssertGreaterThan(pairs.count, 5, out)
            for (soname, path) in pairs {
                if isGlibc(soname) {
                    XCTAssertFalse(path.hasPrefix(unpacked), "\(soname) is glibc's: \(path)")
                } else {
                    XCTAssertEqual(URL(fileURLWithPath: path).standardized.path, unpacked + "/lib/" + soname, "\(name): \(soname)")
                    used.insert(soname)
                }
            }
        }
        XCTAssertEqual(used, bundled, "lib/ holds what the executables load, nothing else")
        for library in ["libmagic.so.1", "libz.so.1", "libsz.so.2", "libgdcmMSFF.so.3.0", "libstdc++.so.6", "libopenjp2.so.7", "libcharls.so.2"] {
            XCTAssertTrue(bundled.contains(library), library)
        }
    }

    /// Started through a symlink elsewhere: the run path ($ORIGIN), the magic database and the
    /// decoder helper are all found beside the real executable.
    func testStartedThroughASymlink() throws {
        try requireRoot()
        let dev = try run("dev", executable: devTool("dicomcrawler"), commands: ["version", "crawl", "export-jpeg"])
        try FileManager.default.createDirectory(atPath: work + "/elsewhere/bin", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: work + "/elsewhere/bin/dc", withDestinationPath: unpacked + "/bin/dicomcrawler")
        let release = try run("symlink", executable: work + "/elsewhere/bin/dc", hiding: Hiding(), commands: ["version", "crawl", "export-jpeg"])
        try assertSameResults(dev, release, commands: ["version", "crawl", "export-jpeg"])
        XCTAssertEqual(databaseLine(release), "magic database: \(unpacked!)/share/dicomcrawler/magic.mgc")
        XCTAssertTrue(text(release + "/crawl.err").contains("image/png 1"), text(release + "/crawl.err"))
    }

    /// Run by another user (nobody) from a read-only installation.
    func testRunByAnotherUserFromAReadOnlyLocation() throws {
        try requireRoot()
        let commands = ["version", "crawl", "tags", "export-jpeg"]
        let dev = try run("dev", executable: devTool("dicomcrawler"), commands: commands)
        let release = try run("nobody", executable: unpacked + "/bin/dicomcrawler", hiding: Hiding(readOnly: [unpacked]),
                              asNobody: true, commands: commands, extra: """
            touch \(shellQuoted(unpacked + "/probe")) 2> results/nobody/probe.err; echo $? > results/nobody/probe.status
            setpriv --reuid=65534 --regid=65534 --clear-groups id -u > results/nobody/id.out

            """)
        XCTAssertNotEqual(text(release + "/probe.status"), "0\n", "the installation was not read-only")
        XCTAssertTrue(text(release + "/probe.err").contains("Read-only file system"), text(release + "/probe.err"))
        XCTAssertEqual(text(release + "/id.out"), "65534\n")
        try assertSameResults(dev, release, commands: commands)
        XCTAssertEqual(databaseLine(release), "magic database: \(unpacked!)/share/dicomcrawler/magic.mgc")
    }

    /// Without share/dicomcrawler/magic.mgc, libmagic's default database is used (here the
    /// system's, which this scenario leaves visible): the same file types.
    func testAMissingBundledDatabaseFallsBackToTheSystemDefault() throws {
        try requireRoot()
        let dev = try run("dev", executable: devTool("dicomcrawler"), commands: ["version", "crawl"])
        try FileManager.default.removeItem(atPath: unpacked + "/share/dicomcrawler/magic.mgc")
        let release = try run("nomagic", executable: unpacked + "/bin/dicomcrawler", hiding: Hiding(systemMagic: false), commands: ["version", "crawl"])
        try assertSameResults(dev, release, commands: ["version", "crawl"])
        XCTAssertEqual(databaseLine(release), databaseLine(dev))
        XCTAssertTrue(databaseLine(release)?.hasPrefix("magic database: libmagic's default") == true, "\(databaseLine(release) ?? "none")")
        XCTAssertTrue(text(release + "/crawl.err").contains("image/png 1"), text(release + "/crawl.err"))
    }

    /// libmagic's `MAGIC` variable names the database to load, as for a system install: the bundled
    /// one is not forced on a user who chose another.
    func testTheMAGICVariableWinsOverTheBundledDatabase() throws {
        let bundled = try runProgram(unpacked + "/bin/dicomcrawler", ["--version"])
        XCTAssertTrue(bundled.stdout.contains("magic database: " + unpacked + "/share/dicomcrawler/magic.mgc"), bundled.stdout)
        let chosen = try runProgram("/usr/bin/env", ["MAGIC=/elsewhere/magic.mgc", unpacked + "/bin/dicomcrawler", "--version"])
        XCTAssertEqual(chosen.status, 0, chosen.stderr)
        XCTAssertTrue(chosen.stdout.contains("magic database: libmagic's default (/elsewhere/magic.mgc)"), chosen.stdout)
    }

    /// What the tarball carries besides the executables: man pages for the command and each
    /// subcommand, completions, README, the copyright of every bundled library's package, the
    /// Slurm scripts when the repository has them; no glibc library.
    func testLayout() throws {
        let files = Set(filesBelow(unpacked))
        let dump = try runProgram(devTool("dicomcrawler"), ["--experimental-dump-help"])
        let info = try JSONSerialization.jsonObject(with: Data(dump.stdout.utf8)) as? [String: Any]
        let subcommands = ((info?["command"] as? [String: Any])?["subcommands"] as? [[String: Any]] ?? [])
            .compactMap { $0["commandName"] as? String }.filter { $0 != "help" }
        XCTAssertTrue(subcommands.contains("crawl") && subcommands.contains("export"), "\(subcommands)")
        for page in ["dicomcrawler"] + subcommands.map({ "dicomcrawler.\($0)" }) {
            XCTAssertTrue(files.contains("share/man/man1/\(page).1"), page)
        }
        let man = text(unpacked + "/share/man/man1/dicomcrawler.tags.1")
        XCTAssertTrue(man.contains(".Dt DICOMCRAWLER.TAGS 1") && man.contains("Fl -output"), String(man.prefix(400)))
        // Each page renders without a warning (`man` shows groff's warnings on the terminal).
        for page in files.filter({ $0.hasPrefix("share/man/man1/") }) {
            let r = try runProgram("/usr/bin/groff", ["-mdoc", "-Tutf8", "-ww", "-z", unpacked + "/" + page])
            XCTAssertEqual(r.status, 0, page)
            XCTAssertEqual(r.stderr, "", page)
        }
        for completion in ["share/bash-completion/completions/dicomcrawler", "share/zsh/site-functions/_dicomcrawler",
                           "share/fish/vendor_completions.d/dicomcrawler.fish"] {
            XCTAssertTrue(files.contains(completion), completion)
            XCTAssertTrue(text(unpacked + "/" + completion).contains("sort"), completion)
        }
        let bash = try runProgram("/bin/bash", ["-n", unpacked + "/share/bash-completion/completions/dicomcrawler"])
        XCTAssertEqual(bash.status, 0, bash.stderr)
        XCTAssertEqual(FileManager.default.contents(atPath: unpacked + "/README.md"), FileManager.default.contents(atPath: repoRoot() + "/README.md"))
        XCTAssertEqual(FileManager.default.contents(atPath: unpacked + "/share/dicomcrawler/magic.mgc"), FileManager.default.contents(atPath: "/usr/lib/file/magic.mgc"))
        // Each bundled library is listed with its package, whose copyright file is there.
        let listed = text(unpacked + "/share/doc/dicomcrawler/third-party/LIBRARIES").split(separator: "\n")
        let bundled = try FileManager.default.contentsOfDirectory(atPath: unpacked + "/lib").sorted()
        XCTAssertEqual(listed.map { String($0.split(separator: ":")[0]) }.sorted(), bundled.map { "lib/" + $0 })
        for entry in listed {
            let pkg = String(entry.split(separator: " ")[1])
            XCTAssertTrue(files.contains("share/doc/dicomcrawler/third-party/\(pkg)/copyright"), pkg)
        }
        for licence in ["libhdf5-dev/copyright", "libmagic-mgc/copyright", "swift-argument-parser.LICENSE.txt"] {
            XCTAssertTrue(files.contains("share/doc/dicomcrawler/third-party/" + licence), licence)
        }
        XCTAssertFalse(bundled.contains { isGlibc($0) }, "\(bundled)")
        // The Slurm scripts, when the repository has them, byte for byte.
        let slurm = repoRoot() + "/Scripts/slurm"
        let slurmFiles = filesBelow(slurm)
        XCTAssertEqual(files.filter { $0.hasPrefix("share/dicomcrawler/slurm/") }.sorted(), slurmFiles.map { "share/dicomcrawler/slurm/" + $0 })
        for f in slurmFiles {
            XCTAssertEqual(FileManager.default.contents(atPath: unpacked + "/share/dicomcrawler/slurm/" + f), FileManager.default.contents(atPath: slurm + "/" + f), f)
        }
        // The executables find their libraries through a run path relative to themselves.
        for exe in ["dicomcrawler", "dicomcrawler-decoder"] {
            let d = try runProgram("/usr/bin/readelf", ["-d", unpacked + "/bin/" + exe])
            XCTAssertTrue(d.stdout.contains("$ORIGIN/../lib"), d.stdout)
            XCTAssertFalse(d.stdout.contains("/opt/") || d.stdout.contains(repoRoot()), d.stdout)
        }
    }
}
