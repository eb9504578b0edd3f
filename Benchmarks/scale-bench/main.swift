// The crawl at archive scale, against the raw read floor measured in the same run (issue 14):
//   1. cold page cache: copies of the shared corpus (real files), caches dropped before each run
//      (root only; skipped with a note otherwise); the floor at 2, 8 and 32 threads;
//   2. the same tree warm: real files in small folders, about one file in seven without DICM; quiet
//      (as a script runs it: nothing shows the types of those files, so libmagic is not asked) and
//      with the summary (every distinct file without DICM through libmagic, 0.1-0.4 ms each);
//   3. the archive root as one DIR: 50,000 series folders of one real file each, varied dates.
//   swift build -c release && .build/release/scale-bench [--copies 86] [--series 50000] [--jobs N]
//       [--repeats 3] [--root DIR] [--corpus DIR] [--binary PATH] [--only cold|warm|root]
import BenchSupport
import DICOM
import DICOMTestSupport
import Foundation
#if canImport(Glibc)
import Glibc
#endif

let root = option("--root", "/tmp/dicomcrawler-scale")
let corpus = option("--corpus", URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/corpus").path)
let copies = Int(option("--copies", "86"))!
let seriesCount = Int(option("--series", "50000"))!
let jobs = Int(option("--jobs", String(ProcessInfo.processInfo.activeProcessorCount)))!
let repeats = Int(option("--repeats", "3"))!
let only = option("--only", "")
let crawler = crawlerBinary
let fm = FileManager.default

func files(under dir: String) -> [String] {
    var out: [String] = []
    if let e = fm.enumerator(atPath: dir) {
        for case let rel as String in e {
            var isDir: ObjCBool = false
            if fm.fileExists(atPath: dir + "/" + rel, isDirectory: &isDir), !isDir.boolValue { out.append(rel) }
        }
    }
    return out.sorted()
}

// MARK: the mixed tree: copies of the corpus, with stray files of common kinds added to each copy

let mixed = root + "/mixed"
func makeMixed() throws {
    let marker = "\(mixed)/.complete-\(copies)"
    if fm.fileExists(atPath: marker) { return }
    try? fm.removeItem(atPath: mixed)
    let sources = files(under: corpus)
    print("copying the corpus (\(sources.count) files) \(copies) times into \(mixed) ...")
    let bare: [UInt8] = {
        var w = DICOMWriter()
        w.preamble = false
        w.meta = false
        return w.write(DataSet([.string(.studyDate, "20240101"), .string(.patientID, "BARE"), .string(.modality, "OT")]))
    }()
    let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13] + Array("IHDR".utf8) + [0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0, 0x90, 0x77, 0x53, 0xDE]
    for c in 0..<copies {
        let copy = String(format: "%@/copy-%03d", mixed, c)
        for rel in sources {
            let dst = copy + "/" + rel
            try fm.createDirectory(atPath: (dst as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try fm.copyItem(atPath: corpus + "/" + rel, toPath: dst)  // a real copy: its own blocks and cache pages
        }
        // Stray files of common kinds (a compressed dump, an image, JSON, a bare data set).
        let series = copy + "/dcm_qa_ts/In"
        try Data([0x1F, 0x8B, 0x08, 0x00] + Array(repeating: UInt8(c % 251), count: 60)).write(to: URL(fileURLWithPath: series + "/dump.txt.gz"))
        try Data(png).write(to: URL(fileURLWithPath: series + "/preview.png"))
        try "{\"copy\": \(c), \"series\": \"dcm_qa_ts\"}\n".write(toFile: series + "/series.json", atomically: false, encoding: .utf8)
        try Data(bare).write(to: URL(fileURLWithPath: series + "/bare"))
    }
    try #"{"QA": ["dcm_qa"]}"#.write(toFile: root + "/templates-mixed.json", atomically: true, encoding: .utf8)
    _ = fm.createFile(atPath: marker, contents: nil)
}

// MARK: one root of series folders, one real file each, with varied dates and times

let oneRoot = root + "/oneroot"
func makeOneRoot() throws {
    let marker = "\(oneRoot)/.complete-\(seriesCount)"
    if fm.fileExists(atPath: marker) { return }
    try? fm.removeItem(atPath: oneRoot)
    // The corpus's small real files (Philips, 16 KB), their date and time rewritten in place.
    var templates: [(bytes: [UInt8], date: Int, time: Int)] = []
    for rel in files(under: corpus) {
        guard let data = fm.contents(atPath: corpus + "/" + rel), data.count <= 64 << 10 else { continue }
        let bytes = [UInt8](data)
        let file = DICOMReader.read(bytes: bytes)
        guard file.error == nil, let d = file.dataSet[.studyDate], let t = file.dataSet[.acquisitionTime],
              d.bytes?.count == 8, (t.bytes?.count ?? 0) >= 6 else { continue }
        func at(_ e: Element) -> Int? {
            let v = e.bytes!
            return (e.offset..<(bytes.count - v.count)).first { bytes[$0..<($0 + v.count)].elementsEqual(v) }
        }
        guard let dOff = at(d), let tOff = at(t) else { continue }
        templates.append((bytes, dOff, tOff))
    }
    guard !templates.isEmpty else { print("no small real file with a date and time in \(corpus)"); exit(1) }
    print("writing \(seriesCount) series folders of one real file each into \(oneRoot) ...")
    for i in 0..<seriesCount {
        var (bytes, dOff, tOff) = templates[i % templates.count]
        let date = String(format: "%04d%02d%02d", 2000 + (i * 7919) % 25, 1 + (i * 31) % 12, 1 + (i * 17) % 28)
        let time = String(format: "%02d%02d%02d", (i * 13) % 24, (i * 7) % 60, (i * 11) % 60)
        bytes.replaceSubrange(dOff..<(dOff + 8), with: Array(date.utf8))
        bytes.replaceSubrange(tOff..<(tOff + 6), with: Array(time.utf8))
        let dir = String(format: "%@/s%02d/series-%06d", oneRoot, i % 100, i)
        try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: dir + "/IM0001.dcm"))
    }
    try #"{"SERIES": ["series-"]}"#.write(toFile: root + "/templates-oneroot.json", atomically: true, encoding: .utf8)
    _ = fm.createFile(atPath: marker, contents: nil)
}

// MARK: running

let skipOutputs: (String) -> Bool = { $0 == "modal_data.csv" }
var lines: [String] = []
func row(_ what: String, _ crawl: Measured, _ floors: [(Int, Double)], files: Int) {
    let bestFloor = floors.map(\.1).min()!
    let floorText = floors.map { String(format: "%d: %.3f", $0.0, $0.1) }.joined(separator: "  ")
    lines.append(what.padding(toLength: 44, withPad: " ", startingAt: 0)
                 + String(format: "%8.3f %9.0f  %-34@ %6.2f   %@", crawl.seconds, Double(files) / crawl.seconds, floorText, bestFloor / crawl.seconds, crawl.outcome))
}

try fm.createDirectory(atPath: root, withIntermediateDirectories: true)
if only.isEmpty || only == "cold" || only == "warm" {
    try makeMixed()
    let dirs = (0..<copies).map { String(format: "%@/copy-%03d", mixed, $0) }
    let args = [crawler, "--quiet", "--templates", root + "/templates-mixed.json"] + dirs
    let defaults = args.filter { $0 != "--quiet" }  // the summary shown: its types through libmagic
    let count = floorRun(dirs, threads: jobs, skip: skipOutputs).files
    print("mixed tree: \(count) files in \(copies) copies of the corpus")
    if only.isEmpty || only == "cold" {
        if dropCaches() {
            var crawlCold: Measured? = nil
            var floors: [(Int, Double)] = []
            for _ in 0..<repeats {
                _ = dropCaches()
                let m = measure(defaults)  // default options: --jobs = cores, the summary shown
                if crawlCold == nil || m.seconds < crawlCold!.seconds { crawlCold = m }
            }
            for threads in [2, 8, 32] {
                var b = Double.infinity
                for _ in 0..<repeats {
                    _ = dropCaches()
                    b = min(b, floorRun(dirs, threads: threads, skip: skipOutputs).seconds)
                }
                floors.append((threads, b))
            }
            row("cold cache, default options", crawlCold!, floors, files: count)
        } else {
            lines.append("cold cache: skipped (the page cache cannot be dropped here: needs root and a writable /proc/sys/vm/drop_caches)")
        }
    }
    if only.isEmpty || only == "warm" {
        _ = measure(args)  // warm: everything the crawl reads (more than the floor's 4 KiB of a first file)
        _ = floorRun(dirs, threads: jobs, skip: skipOutputs)
        let m = best(repeats) { measure(args + ["--jobs", "2"]) }
        var b = Double.infinity
        for _ in 0..<repeats { b = min(b, floorRun(dirs, threads: 2, skip: skipOutputs).seconds) }
        row("warm, mixed real files, --jobs 2", m, [(2, b)], files: count)
        let shown = defaults + ["--jobs", "2"]
        _ = measure(shown)
        let s = best(repeats) { measure(shown) }
        row("warm, the same with the summary (libmagic)", s, [(2, b)], files: count)
    }
}
if only.isEmpty || only == "root" {
    try makeOneRoot()
    let args = [crawler, "--quiet", "--jobs", "2", "--templates", root + "/templates-oneroot.json", oneRoot]
    _ = measure(args)  // warm
    let count = floorRun([oneRoot], threads: 2, skip: skipOutputs).files
    let m = best(repeats) { measure(args) }
    var b = Double.infinity
    for _ in 0..<repeats { b = min(b, floorRun([oneRoot], threads: 2, skip: skipOutputs).seconds) }
    row("one root of \(seriesCount) series folders, --jobs 2", m, [(2, b)], files: count)
}
// What the crawl pays that the in-process floor does not: starting the process (an empty DIR).
let empty = root + "/empty"
try? fm.createDirectory(atPath: empty, withIntermediateDirectories: true)
try #"{"T1": ["t1"]}"#.write(toFile: root + "/templates-empty.json", atomically: true, encoding: .utf8)
let startup = best(max(repeats, 11)) { measure([crawler, "--quiet", "--templates", root + "/templates-empty.json", empty]) }
print("")
print("case".padding(toLength: 44, withPad: " ", startingAt: 0) + " crawl s  files/s  floor s by threads                   floor/crawl")
lines.forEach { print($0) }
print(String(format: "start-up (the crawl of an empty DIR, best of %d): %.1f ms; binary %@", max(repeats, 11), startup.seconds * 1000, crawler))
