// ReleaseTests: Scripts/release.sh's tarball and .deb, built once per test run and run as users
// get them: unpacked anywhere without the Swift toolchain, installed with apt. Compared with the
// development build byte for byte.
import DICOMTestSupport
import Foundation
import XCTest

/// The repository's root (this file is Tests/ReleaseTests/ReleaseSupport.swift).
func repoRoot() -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
}

/// A development build's executable: beside the test bundle, or in .build/debug.
func devTool(_ name: String) -> String {
    let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(name).path
    return FileManager.default.fileExists(atPath: beside) ? beside : repoRoot() + "/.build/debug/" + name
}

struct ReleaseTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The artifacts of one `Scripts/release.sh` run, shared by every test of this test run (the
/// release build takes minutes; its scratch folder, .build-release, makes later runs incremental).
final class ReleaseBuild {
    let tarball: String
    let deb: String
    let seconds: Double

    static let shared: Result<ReleaseBuild, Error> = Result { try ReleaseBuild() }

    static func get() throws -> ReleaseBuild { try shared.get() }

    private init() throws {
        let out = repoRoot() + "/.build-release/test-dist"
        try? FileManager.default.removeItem(atPath: out)
        let start = Date()
        let r = try runProgram("/bin/bash", [repoRoot() + "/Scripts/release.sh", "--out", out])
        seconds = Date().timeIntervalSince(start)
        guard r.status == 0 else { throw ReleaseTestError("Scripts/release.sh failed (\(r.status)):\n\(r.stderr)") }
        let lines = r.stdout.split(separator: "\n").map(String.init)
        guard let tarball = lines.first(where: { $0.hasSuffix(".tar.gz") }), let deb = lines.first(where: { $0.hasSuffix(".deb") }) else {
            throw ReleaseTestError("Scripts/release.sh named no tarball and .deb:\n\(r.stdout)")
        }
        self.tarball = tarball
        self.deb = deb
        let size = { (p: String) in ((try? FileManager.default.attributesOfItem(atPath: p)[.size]) as? Int) ?? -1 }
        print("release.sh: \(String(format: "%.1f", seconds)) s; \(tarball): \(size(tarball)) bytes; \(deb): \(size(deb)) bytes")
    }
}

/// `s` quoted for bash.
func shellQuoted(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }

/// Runs a bash script, with its exit status and output.
func runBash(_ script: String, in dir: String, unshareMounts: Bool = false) throws -> (status: Int32, stdout: String, stderr: String) {
    let file = dir + "/script-\(UUID().uuidString).sh"
    try Data(script.utf8).write(to: URL(fileURLWithPath: file))
    defer { try? FileManager.default.removeItem(atPath: file) }
    return unshareMounts ? try runProgram("/usr/bin/unshare", ["-m", "/bin/bash", file]) : try runProgram("/bin/bash", [file])
}

/// Files below `dir`, relative to it, sorted.
func filesBelow(_ dir: String) -> [String] {
    guard let e = FileManager.default.enumerator(atPath: dir) else { return [] }
    var files: [String] = []
    while let rel = e.nextObject() as? String {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: dir + "/" + rel, isDirectory: &isDir), !isDir.boolValue { files.append(rel) }
    }
    return files.sorted()
}

/// The toolchain's folder as PATH finds `swift` (`/opt/swift` for /opt/swift/usr/bin/swift):
/// what a user's machine does not have.
func toolchainRoot() throws -> String {
    for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
        let candidate = String(dir) + "/swift"
        guard FileManager.default.isExecutableFile(atPath: candidate) else { continue }
        let real = URL(fileURLWithPath: candidate).resolvingSymlinksInPath()
        // <root>/usr/bin/swift
        let root = real.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        guard root != "/" && root != "" else { throw ReleaseTestError("swift is installed in /usr: no toolchain folder to hide") }
        return root
    }
    throw ReleaseTestError("swift is not on PATH")
}

/// `ldd`'s "soname => path" pairs.
func lddPairs(_ output: String) -> [(soname: String, path: String)] {
    output.split(separator: "\n").compactMap { line in
        let parts = line.trimmingCharacters(in: .whitespaces).components(separatedBy: " => ")
        guard parts.count == 2 else { return nil }
        var path = parts[1]
        if let paren = path.range(of: " (0x", options: .backwards) { path = String(path[..<paren.lowerBound]) }
        return (parts[0], path)
    }
}

/// The shared libraries of glibc (never bundled: the system's loader and C library are used).
func isGlibc(_ soname: String) -> Bool {
    ["libc.so.6", "libm.so.6", "libpthread.so.0", "libdl.so.2", "librt.so.1", "libresolv.so.2", "libutil.so.1", "libanl.so.1"].contains(soname)
        || soname.hasPrefix("ld-linux") || soname.hasPrefix("linux-vdso")
}

/// An HDF5 file as text, by h5py (what a user reads): every dataset's name, shape, type, SHA-256 of
/// its values and attributes, external links followed (the file names of parts are random).
func hdf5Summary(_ path: String) throws -> String {
    let script = """
        import sys, hashlib, h5py, numpy
        def attrs(obj):
            return [f"{k}={obj.attrs[k].tolist() if hasattr(obj.attrs[k], 'tolist') else obj.attrs[k]!r}" for k in sorted(obj.attrs)]
        def walk(group, prefix):
            for k in sorted(group.keys()):
                obj = group[k]
                if isinstance(obj, h5py.Group):
                    print(prefix + k, "group", *attrs(obj)); walk(obj, prefix + k + "/")
                else:
                    a = numpy.ascontiguousarray(obj[()])
                    print(prefix + k, obj.shape, obj.dtype, hashlib.sha256(a.tobytes()).hexdigest(), *attrs(obj))
        with h5py.File(sys.argv[1], "r") as f:
            print("/", *attrs(f)); walk(f, "/")
        """
    let r = try runProgram("/usr/bin/python3", ["-c", script, path])
    guard r.status == 0 else { throw ReleaseTestError("h5py cannot read \(path): \(r.stderr)") }
    return r.stdout
}

/// The start of a PNG file: libmagic tells it only with its database (text it tells without one),
/// so a crawl that reports `image/png` loaded a database.
let pngBytes: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, 0x49, 0x48, 0x44, 0x52,
                         0, 0, 0, 8, 0, 0, 0, 8, 8, 0, 0, 0, 0]

/// A copy of the example data at `dir`, with a PNG preview among the DICOM files of subj-02.
func copyExamples(to dir: String) throws {
    try FileManager.default.copyItem(atPath: repoRoot() + "/examples", toPath: dir)
    try Data(pngBytes).write(to: URL(fileURLWithPath: dir + "/subj-02/CT_head/preview.png"))
}
