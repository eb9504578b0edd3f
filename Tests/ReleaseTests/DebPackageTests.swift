import DICOMTestSupport
import Foundation
import XCTest

/// The .deb: its control fields and files (dpkg-deb), and, as root, installed with apt, run, and
/// removed again.
final class DebPackageTests: XCTestCase {
    /// The packages of the libraries `executable` names (DT_NEEDED), by where the development
    /// build's ldd finds them and `dpkg-query -S`.
    func packagesNeeded(by executable: String) throws -> Set<String> {
        let d = try runProgram("/usr/bin/readelf", ["-d", executable])
        let needed = d.stdout.split(separator: "\n").compactMap { line -> String? in
            guard line.contains("(NEEDED)"), let open = line.firstIndex(of: "["), let close = line.lastIndex(of: "]") else { return nil }
            return String(line[line.index(after: open)..<close])
        }
        XCTAssertFalse(needed.isEmpty, d.stdout)
        var paths: [String: String] = [:]
        for tool in ["dicomcrawler", "dicomcrawler-decoder"] {
            for (soname, path) in lddPairs(try runProgram("/usr/bin/ldd", [devTool(tool)]).stdout) { paths[soname] = path }
        }
        var packages = Set<String>()
        for soname in needed {
            guard var path = paths[soname] ?? (soname.hasPrefix("ld-linux") ? "/lib64/" + soname : nil) else {
                XCTFail("\(soname): not loaded by the development build"); continue
            }
            var owner = try runProgram("/usr/bin/dpkg-query", ["-S", path])
            if owner.status != 0 {
                path = path.hasPrefix("/usr/") ? String(path.dropFirst(4)) : "/usr" + path
                owner = try runProgram("/usr/bin/dpkg-query", ["-S", path])
            }
            XCTAssertEqual(owner.status, 0, "\(soname) \(path): \(owner.stderr)")
            if let pkg = owner.stdout.split(separator: ":").first { packages.insert(String(pkg)) }
        }
        return packages
    }

    func testControlFieldsAndFiles() throws {
        let deb = try ReleaseBuild.get().deb
        let info = try runProgram("/usr/bin/dpkg-deb", ["-I", deb])
        XCTAssertEqual(info.status, 0, info.stderr)
        let field = { (name: String) throws -> String in
            try runProgram("/usr/bin/dpkg-deb", ["-f", deb, name]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        XCTAssertEqual(try field("Package"), "dicomcrawler")
        let devVersion = try runProgram(devTool("dicomcrawler"), ["--version"]).stdout.split(separator: "\n").first.map(String.init)
        XCTAssertEqual("dicomcrawler " + (try field("Version")), devVersion)
        XCTAssertEqual(try field("Architecture"), try runProgram("/usr/bin/dpkg", ["--print-architecture"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        XCTAssertTrue(info.stdout.contains(" Description: "), info.stdout)
        XCTAssertTrue(info.stdout.contains(" Maintainer: "), info.stdout)

        // The files, and the executables as they are in the package.
        let extracted = FileManager.default.temporaryDirectory.appendingPathComponent("deb-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: extracted) }
        let x = try runProgram("/usr/bin/dpkg-deb", ["-x", deb, extracted])
        XCTAssertEqual(x.status, 0, x.stderr)
        let contents = try runProgram("/usr/bin/dpkg-deb", ["-c", deb])
        let listed = Set(contents.stdout.split(separator: "\n").compactMap { $0.split(separator: " ").last.map { String($0.dropFirst(1)) } })
        XCTAssertEqual(listed.filter { !$0.hasSuffix("/") }, Set(filesBelow(extracted).map { "/" + $0 }), "dpkg-deb -c and -x agree")

        // Depends: every library's package, with a minimum version; nothing bundled.
        let depends = try field("Depends").components(separatedBy: ", ")
        let names = Set(depends.map { String($0.split(separator: " ")[0]) })
        for entry in depends { XCTAssertTrue(entry.contains(" (>= "), entry) }
        for exe in ["dicomcrawler", "dicomcrawler-decoder"] {
            let path = extracted + "/usr/bin/" + exe
            XCTAssertTrue(FileManager.default.isExecutableFile(atPath: path), exe)
            let needed = try packagesNeeded(by: path)
            XCTAssertTrue(needed.isSubset(of: names), "\(exe) needs \(needed.subtracting(names)), Depends: \(depends)")
            let d = try runProgram("/usr/bin/readelf", ["-d", path])
            XCTAssertFalse(d.stdout.contains("RPATH") || d.stdout.contains("RUNPATH"), "\(exe): \(d.stdout)")
        }
        for pkg in ["libmagic1", "zlib1g", "libgdcm3.0", "libc6"] { XCTAssertTrue(names.contains(pkg), "\(pkg) in \(depends)") }
        XCTAssertFalse(listed.contains { $0.contains(".so.") || $0.hasSuffix(".so") }, "no bundled libraries: \(listed)")
        XCTAssertFalse(listed.contains { $0.hasSuffix("magic.mgc") })

        for name in ["/usr/share/man/man1/dicomcrawler.1.gz", "/usr/share/man/man1/dicomcrawler.crawl.1.gz", "/usr/share/man/man1/dicomcrawler.export.1.gz",
                     "/usr/share/bash-completion/completions/dicomcrawler", "/usr/share/zsh/vendor-completions/_dicomcrawler",
                     "/usr/share/fish/vendor_completions.d/dicomcrawler.fish", "/usr/share/doc/dicomcrawler/copyright"] {
            XCTAssertTrue(listed.contains(name), name)
        }
        let slurm = filesBelow(repoRoot() + "/Scripts/slurm")
        XCTAssertEqual(listed.filter { $0.hasPrefix("/usr/share/dicomcrawler/slurm/") && !$0.hasSuffix("/") }, Set(slurm.map { "/usr/share/dicomcrawler/slurm/" + $0 }))
    }

    /// `apt-get install ./dicomcrawler_VERSION_ARCH.deb` on this machine; the installed command
    /// gives the development build's answers; removed afterwards even when the test fails.
    func testInstallsWithAptRunsAndRemoves() throws {
        let deb = try ReleaseBuild.get().deb
        guard getuid() == 0 else {
            throw XCTSkip("installing the .deb needs root (apt-get install); this test runs as uid \(getuid()): not installed, not tested")
        }
        let status = try runProgram("/usr/bin/dpkg-query", ["-W", "-f=${Status}", "dicomcrawler"])
        if status.stdout.contains("installed") && !status.stdout.contains("not-installed") && !status.stdout.contains("config-files") {
            throw XCTSkip("a dicomcrawler package is installed on this machine already (\(status.stdout)): not replacing it")
        }
        addTeardownBlock {
            let s = try? runProgram("/usr/bin/dpkg-query", ["-W", "-f=${Status}", "dicomcrawler"])
            if s?.stdout.contains("ok installed") == true {
                let r = try? runProgram("/usr/bin/env", ["DEBIAN_FRONTEND=noninteractive", "apt-get", "remove", "-y", "dicomcrawler"])
                if r?.status != 0 { _ = try? runProgram("/usr/bin/dpkg", ["-r", "dicomcrawler"]) }
            }
        }
        let install = try runProgram("/usr/bin/env", ["DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "--no-install-recommends", deb])
        XCTAssertEqual(install.status, 0, install.stdout + install.stderr)
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: "/usr/bin/dicomcrawler"))
        let files = try runProgram("/usr/bin/dpkg", ["-L", "dicomcrawler"]).stdout
        XCTAssertTrue(files.contains("/usr/bin/dicomcrawler-decoder\n") && files.contains("/usr/share/man/man1/dicomcrawler.1.gz"), files)

        // --version: the development build's, the database aside (libmagic's default here).
        let installed = try runProgram("/usr/bin/dicomcrawler", ["--version"])
        let dev = try runProgram(devTool("dicomcrawler"), ["--version"])
        XCTAssertEqual(installed.status, 0, installed.stderr)
        XCTAssertEqual(installed.stdout, dev.stdout)
        XCTAssertTrue(installed.stdout.contains("\nGDCM 3."), installed.stdout)
        XCTAssertTrue(installed.stdout.contains("\nmagic database: libmagic's default ("), installed.stdout)

        // A crawl of the examples: the same tables and summary as the development build's.
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("deb-crawl-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: work) }
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        try copyExamples(to: work + "/data")
        let args = ["--templates", repoRoot() + "/templates/modal-templates.json", "--output-dir"]
        let subjects = ["data/subj-01", "data/subj-02", "data/subj-03"]
        let a = try runProgram("/usr/bin/dicomcrawler", args + ["out"] + subjects, cwd: work)
        try FileManager.default.moveItem(atPath: work + "/out", toPath: work + "/installed")
        let b = try runProgram(devTool("dicomcrawler"), args + ["out"] + subjects, cwd: work)
        XCTAssertEqual(a.status, 0, a.stderr)
        XCTAssertEqual(a.status, b.status)
        XCTAssertEqual(a.stderr, b.stderr)
        XCTAssertTrue(a.stderr.contains("image/png 1"), a.stderr)
        let tables = filesBelow(work + "/out")
        XCTAssertEqual(tables.count, 3, "\(tables)")
        XCTAssertEqual(filesBelow(work + "/installed"), tables)
        for t in tables {
            XCTAssertEqual(FileManager.default.contents(atPath: work + "/installed/" + t), FileManager.default.contents(atPath: work + "/out/" + t), t)
        }

        let remove = try runProgram("/usr/bin/env", ["DEBIAN_FRONTEND=noninteractive", "apt-get", "remove", "-y", "dicomcrawler"])
        XCTAssertEqual(remove.status, 0, remove.stdout + remove.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/usr/bin/dicomcrawler"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/usr/bin/dicomcrawler-decoder"))
    }
}
