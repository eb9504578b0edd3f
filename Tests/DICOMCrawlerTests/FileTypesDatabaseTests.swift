import DICOMTestSupport
import Foundation
import Synchronization
import XCTest
@testable import DICOMCrawler

/// Which libmagic database `FileTypes` loads: the one shipped beside the executable
/// (`<installation>/share/dicomcrawler/magic.mgc`) when it is there, else libmagic's default.
final class FileTypesDatabaseTests: XCTestCase {
    var root: URL!

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("magicdb-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: root)
    }

    /// A compiled magic database that knows one made-up type (and nothing else), by `file -C`.
    func compileTestDatabase(in dir: URL) throws -> String {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let source = "0\tstring\tDCTESTMAGIC\tdicomcrawler test data\n!:mime\tapplication/x-dicomcrawler-test\n"
        try Data(source.utf8).write(to: dir.appendingPathComponent("test.magic"))
        let r = try runProgram("/usr/bin/file", ["-C", "-m", "test.magic"], cwd: dir.path)
        XCTAssertEqual(r.status, 0, r.stderr)
        return dir.appendingPathComponent("test.magic.mgc").path
    }

    func testInstallationPrefix() {
        XCTAssertEqual(installationPrefix(ofExecutable: "/opt/dc/bin/dicomcrawler"), "/opt/dc")
        XCTAssertEqual(installationPrefix(ofExecutable: "/usr/bin/dicomcrawler"), "/usr")
        XCTAssertEqual(installationPrefix(ofExecutable: "/bin/dicomcrawler"), "")
        XCTAssertEqual(installationPrefix(ofExecutable: "/a b/x y/bin/dicomcrawler"), "/a b/x y")
        XCTAssertNil(installationPrefix(ofExecutable: "/dicomcrawler"))
        XCTAssertNil(installationPrefix(ofExecutable: "bin/dicomcrawler"))
        XCTAssertNil(installationPrefix(ofExecutable: "dicomcrawler"))
    }

    func testBundledDatabaseIsFoundBesideTheExecutableOnlyWhenItIsAReadableFile() throws {
        let install = root.appendingPathComponent("unpacked here/dicomcrawler-1")
        let exe = install.appendingPathComponent("bin/dicomcrawler").path
        try FileManager.default.createDirectory(at: install.appendingPathComponent("bin"), withIntermediateDirectories: true)
        XCTAssertNil(FileTypes.bundledDatabase(executable: exe))
        let share = install.appendingPathComponent("share/dicomcrawler")
        try FileManager.default.createDirectory(at: share.appendingPathComponent("magic.mgc"), withIntermediateDirectories: true)
        XCTAssertNil(FileTypes.bundledDatabase(executable: exe), "a folder named magic.mgc is no database")
        try FileManager.default.removeItem(at: share.appendingPathComponent("magic.mgc"))
        try Data([1, 2, 3]).write(to: share.appendingPathComponent("magic.mgc"))
        XCTAssertEqual(FileTypes.bundledDatabase(executable: exe, magicVariable: nil), install.path + "/share/dicomcrawler/magic.mgc")
        XCTAssertEqual(FileTypes.bundledDatabase(executable: exe, magicVariable: ""), install.path + "/share/dicomcrawler/magic.mgc")
        // MAGIC set: libmagic's default, which honours it.
        XCTAssertNil(FileTypes.bundledDatabase(executable: exe, magicVariable: "/elsewhere/magic.mgc"))
        XCTAssertNil(FileTypes.bundledDatabase(executable: nil))
        // The test runner is not an installation with a database.
        XCTAssertNil(FileTypes.bundledDatabase())
        XCTAssertNil(FileTypes().database)
    }

    func testTheGivenDatabaseIsTheOneLoaded() throws {
        let db = try compileTestDatabase(in: root.appendingPathComponent("db"))
        let bytes = Array("DCTESTMAGIC and then some text\n".utf8)
        let custom = FileTypes(database: db)
        XCTAssertEqual(custom.mimeType(of: bytes), "application/x-dicomcrawler-test")
        XCTAssertNil(custom.loadError)
        // The system's database does not know it: plain text.
        let system = FileTypes(database: nil)
        XCTAssertEqual(system.mimeType(of: bytes), "text/plain")
        XCTAssertNil(system.loadError)
    }

    /// A database under a folder whose name holds `:` (libmagic splits a path it is given there) is
    /// loaded, by several cookies at once (one per thread), and outlives none of them.
    func testADatabaseUnderAPathWithAColonIsLoaded() throws {
        let db = try compileTestDatabase(in: root.appendingPathComponent("unpacked a:b/share"))
        let bytes = Array("DCTESTMAGIC and then some text\n".utf8)
        var types: FileTypes? = FileTypes(database: db)
        let answers = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 8) { i in
            let a = types!.mimeType(of: bytes + Array(String(i).utf8))
            answers.withLock { $0.append(a) }
        }
        XCTAssertEqual(answers.withLock { $0 }, Array(repeating: "application/x-dicomcrawler-test", count: 8))
        XCTAssertNil(types!.loadError)
        types = nil
        let again = FileTypes(database: db)
        XCTAssertEqual(again.mimeType(of: bytes), "application/x-dicomcrawler-test")
    }

    /// A database that cannot be loaded is an error value (every file "unknown"), not a crash or
    /// a message.
    func testAnUnloadableDatabaseIsAnErrorValue() throws {
        let bad = root.appendingPathComponent("bad.mgc")
        try Data(repeating: 0x41, count: 64).write(to: bad)
        let types = FileTypes(database: bad.path)
        XCTAssertEqual(types.mimeType(of: Array("hello\n".utf8)), "unknown")
        XCTAssertNotNil(types.loadError)
        let missing = FileTypes(database: root.appendingPathComponent("missing.mgc").path)
        XCTAssertEqual(missing.mimeType(of: Array("hello\n".utf8)), "unknown")
        XCTAssertNotNil(missing.loadError)
    }

    func testLibraryVersionsAreTheInstalledOnes() throws {
        // `file --version` prints "file-5.44" for the libmagic it uses (the same package).
        let file = try runProgram("/usr/bin/file", ["--version"])
        XCTAssertEqual(file.stdout.split(separator: "\n").first.map(String.init), "file-\(LibraryVersions.libmagic)")
        let pc = try runProgram("/usr/bin/pkg-config", ["--modversion", "zlib", "hdf5", "libdeflate"])
        XCTAssertEqual(pc.status, 0, pc.stderr)
        XCTAssertEqual(pc.stdout, "\(LibraryVersions.zlib)\n\(LibraryVersions.hdf5)\n\(LibraryVersions.libdeflate)\n")
    }
}
