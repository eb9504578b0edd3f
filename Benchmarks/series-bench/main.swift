// series-bench: `dicomcrawler series` against heudiconv's dicominfo.tsv and vtk-dicom's dicomtocsv on
// one generated tree (issue 12), warm page cache, whole processes, runs interleaved (one round runs
// every tool once, each run after the whole tree is read into the page cache again): median wall
// seconds of --repeats rounds, files/s, each peer's time over the series command's from the same
// rounds, peak RSS, and the rows each tool wrote.
//   swift build -c release && .build/release/series-bench [--series 60] [--repeats 5] [--jobs 2]
//       [--root DIR] [--corpus DIR] [--binary PATH] [--only series|heudiconv|dicomtocsv]
// The peers, as their users run them for an inventory of one subject's DICOM folder:
//   heudiconv --files TREE -s bench -f convertall -c none -o OUT --overwrite   (NO_ET=1: no
//       version check over the network; writes OUT/.heudiconv/bench/info/dicominfo.tsv and the
//       heuristic's bookkeeping beside it, converts nothing)
//   dicomtocsv --series --silent -q QUERY -o OUT.csv TREE   (QUERY: the series table's DICOM columns)
// Needs: apt-get install heudiconv vtk-dicom-tools (checked; a peer that is missing is left out with
// a note). The tree: one subject and one study (heudiconv lists one study per subject), a folder per
// series and one flat export folder holding the last four series interleaved (the issue's case);
// T1, fMRI (4-D), DWI (4-D), localizer (three orientations), field map, T2 series; each file's header
// a real scanner's (a single-frame file of ../shared/corpus, --corpus) less what the generator sets,
// 128 x 128 pixels. Another benchmark may share the machine: the load average is printed before and
// after, and interleaved rounds spread any disturbance over all tools.
import BenchSupport
import DICOM
import DICOMTestSupport
import Foundation
#if canImport(Glibc)
import Glibc
#endif

let root = option("--root", "/tmp/dicomcrawler-series")
let seriesCount = Int(option("--series", "60"))!
let repeats = Int(option("--repeats", "5"))!
let jobs = Int(option("--jobs", "2"))!
let only = option("--only", "")
let crawler = crawlerBinary
let fm = FileManager.default
let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
let corpus = option("--corpus", here.deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("shared/corpus").path)
let tree = root + "/tree-v1-\(seriesCount)"
let out = root + "/out"

// MARK: the tree

/// One series of the tree.
struct Series {
    var index: Int
    enum Kind: CaseIterable { case t1, fmri, dwi, localizer, fieldmap, t2 }
    var kind: Kind { Kind.allCases[index % Kind.allCases.count] }
    /// Positions, and how often each repeats (volumes).
    var positions: Int {
        switch kind {
        case .t1: 176
        case .fmri: 32
        case .dwi: 25
        case .localizer: 9
        case .fieldmap: 64
        case .t2: 120
        }
    }
    var volumes: Int { kind == .fmri ? 8 : (kind == .dwi ? 7 : 1) }
    var files: Int { positions * volumes }
    var uid: String { "1.2.826.0.1.3680043.10.1484.79.1.\(index + 1)" }
    var description: String { "\(kind)_\(index + 1)" }
    /// The last four series share one flat folder.
    var flat: Bool { index >= seriesCount - 4 }
    var folder: String { flat ? tree + "/export" : String(format: "%@/%03d_%@", tree, index + 1, description) }
}

let plan = (0..<seriesCount).map { Series(index: $0) }
let totalFiles = plan.map(\.files).reduce(0, +)

func ds(_ values: [Double]) -> String {
    values.map { $0 == $0.rounded() ? String(Int($0)) : String(format: "%.4f", $0) }.joined(separator: "\\")
}

/// The corpus's single-frame little-endian files' headers (`corpusHeaders`), in path order.
func loadTemplates() -> [DataSet] { corpusHeaders(corpus).map(\.dataSet) }

/// What the generator sets itself, the pixel data and the Image Pixel module, and what would
/// contradict its slices (geometry, frames, icons, functional groups), are dropped from a real header.
func replaced(_ tag: Tag, _ own: Set<Tag>) -> Bool {
    if own.contains(tag) || tag.group == 0x0028 || tag.group == 0x7FE0 { return true }
    return [
        0x0008_0018, 0x0020_000D, 0x0020_000E, 0x0020_0052, 0x0020_0013, 0x0020_0032, 0x0020_0037, 0x0020_1041,
        0x0020_0020, 0x0018_0088, 0x0020_1002, 0x0054_0081, 0x0088_0200, 0x5200_9229, 0x5200_9230,
        0x0008_0021, 0x0008_0031, 0x0020_0100, 0x0010_0010, 0x0010_0020,
    ].contains(tag.rawValue)
}

let pixels = [UInt8](repeating: 0x11, count: 128 * 128 * 2)

/// File `k` of a series: slice `k % positions` of volume `k / positions`.
func file(_ s: Series, _ k: Int, header: DataSet) -> [UInt8] {
    let p = k % s.positions, v = k / s.positions
    // Localizers: three orientations of three slices each.
    let orientation: [Double] = s.kind == .localizer ? [[1, 0, 0, 0, 1, 0], [0, 1, 0, 0, 0, -1], [1, 0, 0, 0, 0, -1]][p / 3]
        : (s.kind == .t1 ? [0, 1, 0, 0, 0, -1] : [1, 0, 0, 0, 1, 0])
    let normal = [orientation[1] * orientation[5] - orientation[2] * orientation[4],
                  orientation[2] * orientation[3] - orientation[0] * orientation[5],
                  orientation[0] * orientation[4] - orientation[1] * orientation[3]]
    let position = (0..<3).map { -100 + Double(p) * 1.5 * normal[$0] }
    let own: [Element] = [
        .string(Tag(0x0008_0008), "ORIGINAL\\PRIMARY\\M\\ND"),
        .string(Tag(0x0008_0016), "1.2.840.10008.5.1.4.1.1.4"),
        .string(.sopInstanceUID, "\(s.uid).\(k + 1)"),
        .string(.studyDate, "20240115"),
        .string(Tag(0x0008_0021), "20240115"),
        .string(Tag(0x0008_0031), String(format: "%02d%02d00", 9 + s.index / 30, (s.index * 2) % 60)),
        .string(.modality, "MR"),
        .string(.seriesDescription, s.description),
        .string(.patientName, "BENCH^SUBJECT"),
        .string(.patientID, "SUBJ01"),
        .string(.studyInstanceUID, "1.2.826.0.1.3680043.10.1484.79.1"),
        .string(.seriesInstanceUID, s.uid),
        .string(.seriesNumber, "\(s.index + 1)"),
        .string(.instanceNumber, "\(k + 1)"),
        .string(Tag(0x0020_0032), ds(position)),
        .string(Tag(0x0020_0037), ds(orientation)),
        .string(Tag(0x0020_0052), "1.2.826.0.1.3680043.10.1484.80.1"),
        .string(Tag(0x0020_0100), "\(v + 1)"),
        .uint16(Tag(0x0028_0002), [1]),
        .string(Tag(0x0028_0004), "MONOCHROME2"),
        .uint16(Tag(0x0028_0010), [128]),
        .uint16(Tag(0x0028_0011), [128]),
        .string(Tag(0x0028_0030), "1.5\\1.5"),
        .uint16(Tag(0x0028_0100), [16]),
        .uint16(Tag(0x0028_0101), [12]),
        .uint16(Tag(0x0028_0102), [11]),
        .uint16(.pixelRepresentation, [0]),
        .bytes(.pixelData, .OW, pixels),
    ]
    let ownTags = Set(own.map(\.tag))
    let kept = header.elements.filter { !replaced($0.tag, ownTags) }
    return DICOMWriter().write(DataSet(kept + own, characterSet: header.characterSet))
}

/// Makes the tree once (kept under --root); true when it was made by this process.
func makeTree() throws -> Bool {
    let marker = tree + ".complete"
    if fm.fileExists(atPath: marker) { return false }
    let templates = loadTemplates()
    if templates.isEmpty {
        print("no single-frame little-endian DICOM file with pixel data under \(corpus) (--corpus DIR)")
        exit(1)
    }
    try? fm.removeItem(atPath: tree)
    print("writing \(plan.count) series, \(totalFiles) files into \(tree) ...")
    final class Failures: @unchecked Sendable { var list: [String] = []; let lock = NSLock() }
    let failures = Failures()
    DispatchQueue.concurrentPerform(iterations: plan.count) { i in
        let s = plan[i]
        do {
            try fm.createDirectory(atPath: s.folder, withIntermediateDirectories: true)
            let header = templates[(i * 7) % templates.count]
            for k in 0..<s.files {
                // In the flat folder the series interleave by name (IM00001 of series A, IM00002 of B...).
                let name = s.flat ? String(format: "IM%05d", k * 4 + (s.index - (seriesCount - 4)) + 1) : String(format: "IM%05d", k + 1)
                try Data(file(s, k, header: header)).write(to: URL(fileURLWithPath: s.folder + "/" + name))
            }
        } catch {
            failures.lock.lock(); failures.list.append("\(s.folder): \(error)"); failures.lock.unlock()
        }
    }
    if !failures.list.isEmpty {
        failures.list.prefix(10).forEach { print($0) }
        exit(1)
    }
    _ = fm.createFile(atPath: marker, contents: nil)
    return true
}

if try makeTree() {
    // A spawned command's peak RSS counts from this process's before its exec: start afresh, small.
    fflush(stdout)
    let cargs = CommandLine.arguments.map { strdup($0) } + [nil]
    execv(CommandLine.arguments[0], cargs)
}

// MARK: the tools

setenv("NO_ET", "1", 1)  // heudiconv: no version check over the network
let heudiconv = which("heudiconv")
let dicomtocsv = which("dicomtocsv")
var absent: [String: String] = [:]
if access(crawler, X_OK) != 0 { absent["series"] = "\(crawler) is missing: swift build -c release (or --binary PATH)" }
if heudiconv == nil { absent["heudiconv"] = "heudiconv is missing: apt-get install heudiconv" }
if dicomtocsv == nil { absent["dicomtocsv"] = "dicomtocsv is missing: apt-get install vtk-dicom-tools" }

/// The series table's DICOM columns, for dicomtocsv's query file.
let queryKeywords = ["StudyDate", "SeriesDate", "SeriesTime", "PatientID", "PatientSex", "PatientAge", "Modality", "SeriesNumber",
                     "SeriesDescription", "ProtocolName", "SequenceName", "ImageType", "Rows", "Columns", "RepetitionTime", "EchoTime",
                     "InversionTime", "FlipAngle", "SliceThickness", "PixelSpacing", "Manufacturer", "ManufacturerModelName",
                     "StudyInstanceUID", "SeriesInstanceUID"]
try? fm.createDirectory(atPath: out, withIntermediateDirectories: true)
let query = out + "/query.txt"
try queryKeywords.joined(separator: "\n").appending("\n").write(toFile: query, atomically: true, encoding: .utf8)

struct Tool {
    let key: String
    let label: String
    let args: [String]
    /// The table it wrote, and how many header lines it has.
    let table: String
    let headerLines: Int
    /// Run before each run (a fresh output folder).
    var prepare: () -> Void = {}
}
let heudiconvOut = out + "/heudiconv"
var tools: [Tool] = [
    Tool(key: "series", label: "dicomcrawler series --jobs \(jobs)",
         args: [crawler, "series", "--quiet", "--jobs", String(jobs), tree, "-o", out + "/series.tsv"], table: out + "/series.tsv", headerLines: 1),
    Tool(key: "series", label: "dicomcrawler series --jobs 1",
         args: [crawler, "series", "--quiet", "--jobs", "1", tree, "-o", out + "/series1.tsv"], table: out + "/series1.tsv", headerLines: 1),
    Tool(key: "heudiconv", label: "heudiconv -c none -f convertall",
         args: [heudiconv ?? "heudiconv", "--files", tree, "-s", "bench", "-f", "convertall", "-c", "none", "-o", heudiconvOut, "--overwrite"],
         table: heudiconvOut + "/.heudiconv/bench/info/dicominfo.tsv", headerLines: 1,
         prepare: { try? fm.removeItem(atPath: heudiconvOut) }),
    Tool(key: "dicomtocsv", label: "dicomtocsv --series",
         args: [dicomtocsv ?? "dicomtocsv", "--series", "--silent", "-q", query, "-o", out + "/dicomtocsv.csv", tree],
         table: out + "/dicomtocsv.csv", headerLines: 1),
]
tools = tools.filter { absent[$0.key] == nil && (only.isEmpty || $0.key == only || $0.key == "series") }

func loadAverage() -> String { ((try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? "?").split(separator: " ").prefix(3).joined(separator: " ") }
/// Lines of the table less its header (dicomtocsv ends its lines with CR LF).
func rows(_ t: Tool) -> Int {
    let data = (try? Data(contentsOf: URL(fileURLWithPath: t.table))) ?? Data()
    return max(0, data.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) } - t.headerLines)
}
func pad(_ s: String, _ n: Int, left: Bool = false) -> String {
    let fill = String(repeating: " ", count: max(0, n - s.count))
    return left ? fill + s : s + fill
}
func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

print("tree: \(plan.count) series, \(totalFiles) files (one study; \(plan.filter(\.flat).count) series in one flat folder), real headers from \(corpus)")
print("load average before: \(loadAverage()); \(repeats) rounds after a warm-up round")
for (k, why) in absent.sorted(by: { $0.key < $1.key }) { print("left out (\(k)): \(why)") }

/// Reads every file of the tree whole (two threads), so that each timed run starts with the tree
/// in the page cache: another benchmark on the machine may drop the cache at any time.
let treeFiles: [String] = (fm.enumerator(atPath: tree)?.allObjects as? [String] ?? []).map { tree + "/" + $0 }
    .filter { var d: ObjCBool = false; return fm.fileExists(atPath: $0, isDirectory: &d) && !d.boolValue }
func warmTree() {
    DispatchQueue.concurrentPerform(iterations: 2) { w in
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        for i in stride(from: w, to: treeFiles.count, by: 2) {
            let fd = open(treeFiles[i], O_RDONLY)
            guard fd >= 0 else { continue }
            while buffer.withUnsafeMutableBytes({ read(fd, $0.baseAddress, $0.count) }) > 0 {}
            close(fd)
        }
    }
}

// Warm-up (also reads the tree into the page cache), and what each tool wrote.
var warm: [Measured] = []
for t in tools {
    t.prepare()
    warmTree()
    let m = measure(t.args, log: out + "/warm-\(t.key).log", limit: 3600)
    warm.append(m)
    if m.status != 0 { print("warning: \(t.label): \(m.outcome) (see \(out)/warm-\(t.key).log)") }
}
var times = [[Double]](repeating: [], count: tools.count)
var rss = [Int](repeating: 0, count: tools.count)
for _ in 0..<repeats {
    for (i, t) in tools.enumerated() {
        t.prepare()
        warmTree()
        let m = measure(t.args, limit: 3600)
        times[i].append(m.seconds)
        rss[i] = max(rss[i], m.maxRSS)
    }
}
let base = median(times[0])
print("")
print(pad("tool", 36) + pad("seconds", 10, left: true) + pad("files/s", 10, left: true) + pad("/ series -j\(jobs)", 17, left: true)
      + pad("peak MB", 9, left: true) + pad("rows", 6, left: true))
for (i, t) in tools.enumerated() {
    let s = median(times[i])
    print(pad(t.label, 36) + pad(String(format: "%.3f", s), 10, left: true) + pad(String(format: "%.0f", Double(totalFiles) / s), 10, left: true)
          + pad(String(format: "%.1f", s / base), 17, left: true) + pad(String(format: "%.1f", Double(rss[i]) / 1024), 9, left: true)
          + pad(String(rows(t)), 6, left: true))
}
print("(median of \(repeats); min..max seconds: " + tools.indices.map { String(format: "%.3f..%.3f", times[$0].min() ?? 0, times[$0].max() ?? 0) }.joined(separator: ", ") + ")")
print("load average after: \(loadAverage()); expected rows: \(plan.count)")
