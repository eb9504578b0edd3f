// Header-parsing benchmark: reads every DICOM file of a directory tree (default: the shared corpus)
// from memory and from disk, and prints time per file and MB/s of header bytes parsed.
//   swift run -c release dicom-bench [DIR] [--iterations N] [--only ROW] [--cpu]
// --cpu: the process's CPU time instead of wall time (steadier on a machine that others share).
import BenchSupport
import DICOM
import Foundation

var args = Array(CommandLine.arguments.dropFirst())
var iterations = 50
var only: String? = nil
let cpuTime = args.contains("--cpu")
args.removeAll { $0 == "--cpu" }
if let i = args.firstIndex(of: "--only"), i + 1 < args.count {
    only = args[i + 1]
    args.removeSubrange(i...(i + 1))
}
if let i = args.firstIndex(of: "--iterations"), i + 1 < args.count {
    iterations = Int(args[i + 1]) ?? iterations
    args.removeSubrange(i...(i + 1))
}
let root = args.first ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/corpus").path

var paths: [String] = []
if let e = FileManager.default.enumerator(atPath: root) {
    for case let rel as String in e { paths.append(root + "/" + rel) }
}
paths.sort()
var files: [(path: String, bytes: [UInt8], header: Int)] = []
for p in paths {
    var isDir: ObjCBool = false
    guard FileManager.default.fileExists(atPath: p, isDirectory: &isDir), !isDir.boolValue,
          let d = FileManager.default.contents(atPath: p) else { continue }
    let b = [UInt8](d)
    let f = DICOMReader.read(bytes: b, options: .header)
    guard f.error == nil, f.isDICOM else { continue }
    // Header bytes: up to the pixel data (or the whole file if it has none).
    let full = DICOMReader.read(bytes: b)
    let header = full.dataSet[.pixelData]?.offset ?? b.count
    files.append((p, b, header))
}
guard !files.isEmpty else {
    print("no DICOM files under \(root)")
    exit(1)
}
let totalBytes = files.reduce(0) { $0 + $1.bytes.count }
let headerBytes = files.reduce(0) { $0 + $1.header }
print("\(files.count) DICOM files under \(root): \(totalBytes / 1024) KiB in all, \(headerBytes / 1024) KiB of headers; \(iterations) iterations")

let crawlTags: Set<Tag> = [.studyDate, .acquisitionTime, .patientID, .patientSex, .patientAge]
/// What `series` reads of every file (its geometry and UIDs): up to (0028,0103), most of a header.
let seriesTags: Set<Tag> = [.sopInstanceUID, .studyInstanceUID, .seriesInstanceUID, Tag(0x0020_0032), Tag(0x0020_0037),
                            Tag(0x0028_0002), Tag(0x0028_0004), Tag(0x0028_0008), Tag(0x0028_0010), Tag(0x0028_0011),
                            Tag(0x0028_0100), .pixelRepresentation]

func measure(_ body: () -> Int) -> (seconds: Double, check: Int) {
    if let only, !currentRow.contains(only) { return (0, 0) }
    var check = 0
    let clock = cpuTime ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC
    let start = clockSeconds(clock)
    for _ in 0..<iterations { check &+= body() }
    return (clockSeconds(clock) - start, check)
}

var currentRow = "memory: header (to pixel data)"
let rowNames = ["memory: header (to pixel data)", "memory: whole file (pixels skipped)", "memory: 5 crawl tags",
                "memory: 12 series tags", "memory: 12 series tags, in place", "disk: header (to pixel data)", "disk: 5 crawl tags"]
var rowIndex = 0

func row(_ name: String, _ seconds: Double, bytesPerIteration: Int) {
    rowIndex += 1
    if rowIndex < rowNames.count { currentRow = rowNames[rowIndex] }
    if seconds == 0 { return }
    let n = Double(files.count * iterations)
    let usPerFile = seconds / n * 1e6
    let mbps = Double(bytesPerIteration) * Double(iterations) / seconds / 1e6
    print(name.padding(toLength: 36, withPad: " ", startingAt: 0)
          + String(format: "%10.1f %12.0f %12.1f", usPerFile, n / seconds, mbps))
}

print("mode".padding(toLength: 36, withPad: " ", startingAt: 0) + "   µs/file      files/s         MB/s")
var r = measure { files.reduce(0) { $0 + DICOMReader.read(bytes: $1.bytes, options: .header).dataSet.count } }
row("memory: header (to pixel data)", r.seconds, bytesPerIteration: headerBytes)
r = measure { files.reduce(0) { $0 + DICOMReader.read(bytes: $1.bytes).dataSet.count } }
row("memory: whole file (pixels skipped)", r.seconds, bytesPerIteration: totalBytes)
r = measure { files.reduce(0) { $0 + DICOMReader.read(bytes: $1.bytes, options: ReadOptions(tags: crawlTags)).dataSet.count } }
row("memory: 5 crawl tags", r.seconds, bytesPerIteration: headerBytes)
r = measure { files.reduce(0) { $0 + DICOMReader.read(bytes: $1.bytes, options: ReadOptions(tags: seriesTags)).dataSet.count } }
row("memory: 12 series tags", r.seconds, bytesPerIteration: headerBytes)
// As `series` reads every file: the values left where they are (ReadOptions.loadsValues false).
var inPlace = ReadOptions(tags: seriesTags)
inPlace.loadsValues = false
r = measure { files.reduce(0) { $0 + DICOMReader.read(bytes: $1.bytes, options: inPlace).dataSet.count } }
row("memory: 12 series tags, in place", r.seconds, bytesPerIteration: headerBytes)
var fetched = 0
r = measure { files.reduce(0) { $0 + DICOMReader.read(path: $1.path, options: .header).dataSet.count } }
row("disk: header (to pixel data)", r.seconds, bytesPerIteration: headerBytes)
r = measure { files.reduce(0) { acc, f in
    let file = DICOMReader.read(path: f.path, options: ReadOptions(tags: crawlTags))
    fetched += file.bytesRead
    return acc + file.dataSet.count
} }
row("disk: 5 crawl tags", r.seconds, bytesPerIteration: headerBytes)
if fetched > 0 { print("disk, 5 crawl tags: \(fetched / (files.count * iterations)) bytes read per file on average (files average \(totalBytes / files.count) bytes)") }
