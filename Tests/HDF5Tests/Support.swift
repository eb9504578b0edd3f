import Foundation
import XCTest

/// Runs a program, returning its status and output (kept in temporary files, so no pipe can fill).
func runProgram(_ program: String, _ args: [String], cwd: String? = nil) throws -> (status: Int32, stdout: String, stderr: String) {
    let dir = FileManager.default.temporaryDirectory
    let outURL = dir.appendingPathComponent("out-\(UUID().uuidString)"), errURL = dir.appendingPathComponent("err-\(UUID().uuidString)")
    guard FileManager.default.createFile(atPath: outURL.path, contents: nil),
          FileManager.default.createFile(atPath: errURL.path, contents: nil) else { throw CocoaError(.fileWriteUnknown) }
    defer {
        try? FileManager.default.removeItem(at: outURL)
        try? FileManager.default.removeItem(at: errURL)
    }
    let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
    let p = Process()
    p.executableURL = URL(fileURLWithPath: program)
    p.arguments = args
    if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
    p.standardOutput = out
    p.standardError = err
    p.standardInput = FileHandle.nullDevice
    try p.run()
    p.waitUntilExit()
    try out.close()
    try err.close()
    return (p.terminationStatus, try String(contentsOf: outURL, encoding: .utf8), try String(contentsOf: errURL, encoding: .utf8))
}

/// A fresh temporary folder, removed when the test ends.
func temporaryFolder(_ test: XCTestCase, _ name: String = "hdf5") throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
    return dir
}

/// Runs a Python script with Debian's python3 and h5py (python3-h5py, from Scripts/install-deps.sh)
/// and parses the JSON it prints.
func h5py(_ script: String, _ args: [String] = [], cwd: String? = nil, file: StaticString = #filePath, line: UInt = #line) throws -> Any {
    let python = "/usr/bin/python3"
    let r = try runProgram(python, ["-c", script] + args, cwd: cwd)
    guard r.status == 0 else {
        XCTFail("python3/h5py failed (run Scripts/install-deps.sh): \(r.stderr)", file: file, line: line)
        throw XCTSkip("no h5py")
    }
    return try JSONSerialization.jsonObject(with: Data(r.stdout.utf8))
}
