import DICOM
import DICOMTestSupport
import Foundation
import XCTest

/// The built `dicomcrawler` binary: beside the test bundle, or in .build/debug.
func toolPath() -> String {
    let bin = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("dicomcrawler")
    return FileManager.default.fileExists(atPath: bin.path) ? bin.path : repoRoot() + "/.build/debug/dicomcrawler"
}

/// Runs the built `dicomcrawler` binary.
func runTool(_ args: [String], cwd: String? = nil, env: [String: String] = [:]) throws -> (status: Int32, stdout: String, stderr: String) {
    try runProcess(toolPath(), args, cwd: cwd, env: env)
}

/// Runs a program to its end, with its exit status and what it printed; `env` is added to this
/// process's environment.
func runProcess(_ program: String, _ args: [String], cwd: String? = nil, env: [String: String] = [:]) throws -> (status: Int32, stdout: String, stderr: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: program)
    p.arguments = args
    if !env.isEmpty { p.environment = ProcessInfo.processInfo.environment.merging(env) { $1 } }
    if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
}

func repoRoot() -> String {
    URL(fileURLWithPath: "\(#filePath)").deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
}

final class DumpCommandTests: XCTestCase {
    var examples: String { repoRoot() + "/examples" }

    func testJSONLinesForGoodAndBadFiles() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dump-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let good = DICOMWriter().write(DataSet([.string(.patientName, "Doe^John"), .string(Tag(0x0008_0008), "ORIGINAL\\PRIMARY"),
                                                .sequence(Tag(0x0008_1140), [DataSet([.string(Tag(0x0008_1155), "1.2.3")])])]))
        try Data(good).write(to: dir.appendingPathComponent("good.dcm"))
        try Data(good.prefix(good.count - 5)).write(to: dir.appendingPathComponent("cut.dcm"))
        try Data("not dicom".utf8).write(to: dir.appendingPathComponent("notes.txt"))
        let r = try runTool(["dump", "--json", "good.dcm", "cut.dcm", "notes.txt", "missing.dcm"], cwd: dir.path)
        XCTAssertEqual(r.status, 1)
        let lines = r.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 4)
        let objs = try lines.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        XCTAssertEqual(objs[0]["path"] as? String, "good.dcm")
        XCTAssertEqual(objs[0]["preamble"] as? Bool, true)
        XCTAssertTrue(objs[0]["error"] is NSNull)
        XCTAssertEqual(objs[0]["transfer_syntax"] as? String, "1.2.840.10008.1.2.1")
        let elements = objs[0]["elements"] as! [String: Any]
        XCTAssertEqual(elements["PatientName"] as? String, "Doe^John")
        XCTAssertEqual(elements["ImageType"] as? String, "ORIGINAL\\PRIMARY")
        XCTAssertEqual(elements["TransferSyntaxUID"] as? String, "1.2.840.10008.1.2.1")
        let seq = elements["ReferencedImageSequence"] as? [[String: Any]]
        XCTAssertEqual(seq?.first?["ReferencedSOPInstanceUID"] as? String, "1.2.3")
        XCTAssertTrue((objs[1]["error"] as? String)?.contains("truncated at byte") == true, "\(objs[1])")
        XCTAssertTrue((objs[2]["error"] as? String)?.hasPrefix("not DICOM") == true)
        XCTAssertTrue((objs[3]["error"] as? String)?.hasPrefix("I/O error") == true)
        XCTAssertTrue(objs[3]["transfer_syntax"] is NSNull)
    }

    func testTextDumpOfTheExamples() throws {
        let r = try runTool(["dump", "subj-02/t2_FLAIR_3D_sag/IM0001.dcm"], cwd: examples)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("# Used TransferSyntax: Explicit VR Big Endian"))
        XCTAssertTrue(r.stdout.contains("(0010,0010) PN [Müller^Jörg]"), r.stdout)
        XCTAssertTrue(r.stdout.contains("(0028,0010) US 8"), r.stdout)
        XCTAssertTrue(r.stdout.contains("(7fe0,0010) OW (not loaded)"), r.stdout)
        XCTAssertTrue(r.stdout.contains("# 174, 1 FileMetaInformationGroupLength") || r.stdout.contains("FileMetaInformationGroupLength"))
    }

    func testExampleTreeReadsBack() throws {
        let r = try runTool(["dump", "--json", "--header", "subj-01/02_t1_mprage_sag_p2_iso/IM0001.dcm",
                             "subj-02/t1_mprage_sag_p2_iso/IM0002.dcm", "subj-03/scans/t1_mprage_sag_p2_iso/IM0003.dcm"], cwd: examples)
        XCTAssertEqual(r.status, 0, r.stderr)
        let objs = try r.stdout.split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        let names = objs.map { ($0["elements"] as! [String: Any])["PatientName"] as? String }
        XCTAssertEqual(names, ["Example^Anna", "Müller^Jörg", "山田^太郎"])
        XCTAssertEqual(objs.map { $0["transfer_syntax"] as? String }, ["1.2.840.10008.1.2.1", "1.2.840.10008.1.2.1.99", "1.2.840.10008.1.2.1"])
        XCTAssertEqual(objs.map { $0["preamble"] as? Bool }, [true, true, false])
    }

    func testVersionAndHelp() throws {
        let v = try runTool(["--version"])
        XCTAssertEqual(v.status, 0)
        let lines = v.stdout.split(separator: "\n").map(String.init)
        let first = lines.first?.split(separator: " ") ?? []
        XCTAssertEqual(first.first, "dicomcrawler", v.stdout)
        XCTAssertTrue(first.count == 2 && first[1].split(separator: ".").count == 3 && first[1].allSatisfy { $0.isNumber || $0 == "." }, v.stdout)
        // The libraries, each as the system reports it.
        let swift = try runProcess("/usr/bin/env", ["swift", "--version"])
        let swiftVersion = swift.stdout.components(separatedBy: "Swift version ").dropFirst().first?.split(separator: ".").prefix(2).joined(separator: ".")
        XCTAssertTrue(lines.contains("Swift \(swiftVersion ?? "?") (compiler)"), "\(v.stdout)\n\(swift.stdout)")
        let file = try runProcess("/usr/bin/file", ["--version"])
        let magic = file.stdout.split(separator: "\n").first.map { $0.replacingOccurrences(of: "file-", with: "libmagic ") }
        XCTAssertTrue(lines.contains(magic ?? "?"), v.stdout)
        let pc = try runProcess("/usr/bin/pkg-config", ["--modversion", "zlib", "hdf5", "libdeflate"]).stdout.split(separator: "\n")
        XCTAssertEqual(pc.count, 3)
        XCTAssertTrue(lines.contains("zlib \(pc[0])"), v.stdout)
        XCTAssertTrue(lines.contains("HDF5 \(pc[1]) (linked statically)"), v.stdout)
        XCTAssertTrue(lines.contains("libdeflate \(pc[2]) (headers)"), v.stdout)
        let configure = try String(contentsOfFile: "/usr/include/gdcm-3.0/gdcmConfigure.h", encoding: .utf8)
        let gdcm = configure.components(separatedBy: "#define GDCM_VERSION \"").dropFirst().first?.split(separator: "\"").first
        XCTAssertTrue(lines.contains("GDCM \(gdcm ?? "?") (in dicomcrawler-decoder)"), v.stdout)
        // A development build ships no database: libmagic's default.
        XCTAssertTrue(lines.contains { $0.hasPrefix("magic database: libmagic's default (") }, v.stdout)
        // `--version` after a subcommand gives the same answer, as ArgumentParser's did.
        XCTAssertEqual(try runTool(["crawl", "--version"]).stdout, v.stdout)
        let h = try runTool(["dump", "--help"])
        XCTAssertEqual(h.status, 0)
        XCTAssertTrue(h.stdout.contains("--json"))
        let bad = try runTool(["dump", "--max-value-bytes", "-3", "x.dcm"])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("--max-value-bytes"), bad.stderr)
        let unknown = try runTool(["dump", "--no-such-option", "x.dcm"])
        XCTAssertEqual(unknown.status, 2)
    }
}

final class DeepNestingCommandTests: XCTestCase {
    /// A file nested to the reader's depth limit prints as text and JSON; one level more is an error.
    func testDeepNestingPrintsAndTooDeepIsAnError() throws {
        func nested(_ depth: Int) -> [UInt8] {
            var body: [UInt8] = []
            let open: [UInt8] = [0x40, 0x00, 0x30, 0xA7, 0x53, 0x51, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF,
                                 0xFE, 0xFF, 0x00, 0xE0, 0xFF, 0xFF, 0xFF, 0xFF]
            let close: [UInt8] = [0xFE, 0xFF, 0x0D, 0xE0, 0, 0, 0, 0, 0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0]
            for _ in 0..<depth { body += open }
            for _ in 0..<depth { body += close }
            return DICOMWriter().write(DataSet([.string(.patientID, "P")])) + body
        }
        let limit = ReadOptions().maxDepth
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("deep-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try Data(nested(limit)).write(to: dir.appendingPathComponent("deep.dcm"))
        try Data(nested(limit + 1)).write(to: dir.appendingPathComponent("deeper.dcm"))
        let json = try runTool(["dump", "--json", "deep.dcm"], cwd: dir.path)
        XCTAssertEqual(json.status, 0, json.stderr)
        XCTAssertEqual(json.stdout.components(separatedBy: "\"ContentSequence\": [").count - 1, limit)
        let text = try runTool(["dump", "deep.dcm"], cwd: dir.path)
        XCTAssertEqual(text.status, 0)
        let deeper = try runTool(["dump", "--json", "deeper.dcm"], cwd: dir.path)
        XCTAssertEqual(deeper.status, 1)
        XCTAssertTrue(deeper.stdout.contains("nesting too deep"), String(deeper.stdout.prefix(300)))
        XCTAssertTrue(deeper.stdout.contains("\"PatientID\": \"P\""))
    }
}

/// Runs the binary with a deadline (a regression that blocks must fail the test, not hang the suite).
func runTool(_ args: [String], cwd: String, timeout: TimeInterval) throws -> (status: Int32, stdout: String, stderr: String, timedOut: Bool) {
    let r = try runWithDeadline(toolPath(), args, cwd: cwd, timeout: timeout)
    return (r.status, r.stdout, r.stderr, r.timedOut)
}

final class DumpTrustCommandTests: XCTestCase {
    func temporaryDirectory() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dump-trust-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.path
    }

    /// A FIFO, a directory and a character device are refused (not read, never blocking); the other
    /// files are printed; exit status 1.
    func testNonRegularFilesAreRefused() throws {
        let dir = try temporaryDirectory()
        XCTAssertEqual(mkfifo(dir + "/fifo", 0o644), 0)
        try FileManager.default.createDirectory(atPath: dir + "/sub", withIntermediateDirectories: true)
        try Data(DICOMWriter().write(DataSet([.string(.patientID, "P1")]))).write(to: URL(fileURLWithPath: dir + "/good.dcm"))
        for json in [false, true] {
            let r = try runTool(["dump"] + (json ? ["--json"] : []) + ["fifo", "sub", "/dev/zero", "good.dcm"], cwd: dir, timeout: 20)
            XCTAssertFalse(r.timedOut, "dump blocked on a non-regular file")
            XCTAssertEqual(r.status, 1)
            XCTAssertTrue(r.stdout.contains("P1"), r.stdout)
            if json {
                let objs = try r.stdout.split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
                XCTAssertEqual(objs.map { $0["error"] as? String }, ["I/O error at byte 0: not a regular file (a FIFO)",
                                                                     "I/O error at byte 0: not a regular file (a directory)",
                                                                     "I/O error at byte 0: not a regular file (a character device)", nil])
            } else {
                XCTAssertTrue(r.stderr.contains("dicomcrawler dump: fifo: I/O error at byte 0: not a regular file (a FIFO)"), r.stderr)
                XCTAssertTrue(r.stderr.contains("dicomcrawler dump: sub: I/O error at byte 0: not a regular file (a directory)"), r.stderr)
                XCTAssertTrue(r.stderr.contains("dicomcrawler dump: /dev/zero: I/O error at byte 0: not a regular file (a character device)"), r.stderr)
            }
        }
    }

    /// Control characters from values, private creators and file names are escaped in text output
    /// (ESC as \x1B, CR and LF as \r and \n, C1 as \u{9B}); backslashes stay; JSON escapes them too.
    func testControlCharactersAreEscapedInTextOutput() throws {
        let dir = try temporaryDirectory()
        let name = "evil\nname\u{1B}[2J.dcm"
        let ds = DataSet([.string(.specificCharacterSet, "ISO_IR 192"), .string(.patientName, "Doe^\u{1B}[31mRed\r\nLine"), .string(Tag(0x0008_1030), "A\\B\u{9B}C\u{7F}"),
                          .string(Tag(0x0009_0010), "CREATOR\u{7}", vr: .LO), .string(Tag(0x0009_1001), "x", vr: .LO)])
        try Data(DICOMWriter().write(ds)).write(to: URL(fileURLWithPath: dir + "/" + name))
        let r = try runTool(["dump", name, "missing\u{1B}]0;title\u{7}.dcm"], cwd: dir, timeout: 60)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stdout.contains("# evil\\nname\\x1B[2J.dcm\n"), r.stdout)
        XCTAssertTrue(r.stdout.contains("(0010,0010) PN [Doe^\\x1B[31mRed\\r\\nLine]"), r.stdout)
        XCTAssertTrue(r.stdout.contains("(0008,1030) LO [A\\B\\u{9B}C\\x7F]"), r.stdout)
        XCTAssertTrue(r.stdout.contains("(0009,0010) LO [CREATOR\\x07]"), r.stdout)
        XCTAssertTrue(r.stdout.contains("# missing\\x1B]0;title\\x07.dcm\n"), r.stdout)
        XCTAssertTrue(r.stderr.contains("dicomcrawler dump: missing\\x1B]0;title\\x07.dcm: I/O error"), r.stderr)
        for text in [r.stdout, r.stderr] {
            XCTAssertFalse(text.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" || (0x7F...0x9F).contains($0.value) }, text)
        }
        // Every output line is one element or a comment: no value broke a line.
        for line in r.stdout.split(separator: "\n") {
            XCTAssertTrue(line.hasPrefix("(") || line.hasPrefix("#"), String(line))
        }
        let j = try runTool(["dump", "--json", name], cwd: dir, timeout: 60)
        XCTAssertEqual(j.status, 0, j.stderr)
        XCTAssertTrue(j.stdout.contains(#""path": "evil\nname\u001b[2J.dcm""#), j.stdout)
        XCTAssertTrue(j.stdout.contains(#""PatientName": "Doe^\u001b[31mRed\r\nLine""#), j.stdout)
        XCTAssertTrue(j.stdout.contains(#""StudyDescription": "A\\B\u009bC\u007f""#), j.stdout)
        let obj = try JSONSerialization.jsonObject(with: Data(j.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(obj["path"] as? String, name)
        XCTAssertEqual((obj["elements"] as? [String: Any])?["StudyDescription"] as? String, "A\\B\u{9B}C\u{7F}")
    }
}
