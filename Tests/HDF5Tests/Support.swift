import DICOMTestSupport
import Foundation
import XCTest

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
