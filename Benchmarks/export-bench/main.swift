// export-bench: `dicomcrawler export` against its peers on a generated tree (issue 11): the old
// DICOMDataExtractor algorithm (old_tool.py: pydicom + h5py, one process) and dcm2niix -z y, warm
// page cache, whole processes: wall seconds, MB/s of pixel data, CPU, peak RSS; the floor (the
// export's CPU over its jobs); the largest scan (RSS target); the export's values against the old tool's.
//   swift build -c release && .build/release/export-bench [--series 40] [--repeats 3] [--jobs 2]
//       [--root DIR] [--corpus DIR] [--headers real|tiny] [--binary PATH] [--python /usr/bin/python3]
//       [--only export|old|dcm2niix|floor]   (floor: only the codec floor, no runs)
// Each file's header is a real scanner's (a single-frame file of ../shared/corpus, --corpus), less
// its pixel data and whatever the generator sets itself; `--headers tiny`: only the generator's
// few dozen elements (the first version of this tree, tree-v1: same pixels, same files).
// Needs: apt-get install python3-pydicom python3-gdcm python3-h5py dcm2niix (checked; a peer that is
// missing is left out with a note), and gdcmconv (libgdcm-tools) to make the JPEG 2000 half.
import BenchSupport
import DICOM
import DICOMTestSupport
import Foundation
#if canImport(Glibc)
import Glibc
#endif

let root = option("--root", "/tmp/dicomcrawler-export")
let seriesCount = Int(option("--series", "40"))!
let repeats = Int(option("--repeats", "3"))!
let jobs = Int(option("--jobs", "2"))!
let python = option("--python", "/usr/bin/python3")
let only = option("--only", "")
let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
let oldTool = option("--old-tool", here.appendingPathComponent("old_tool.py").path)
let crawler = crawlerBinary
let fm = FileManager.default
let corpus = option("--corpus", here.deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("shared/corpus").path)
let realHeaders = option("--headers", "real") != "tiny"
/// v2: real scanner headers; v1: the generator's elements only.
let tree = root + (realHeaders ? "/tree-v2-" : "/tree-v1-") + "\(seriesCount)"
let out = root + "/out"

// MARK: the tree: series of synthetic MR and CT slices, half native, half JPEG 2000 lossless

/// One series of the tree.
struct Series {
    var index: Int
    var ct: Bool
    var size: Int
    var slices: Int
    var j2k: Bool
    var subject: Int { index / 5 }
    var uid: String { "1.2.826.0.1.3680043.10.1484.77.\(subject + 1).\(index + 1)" }
    var folder: String { String(format: "%@/subject-%02d/series-%02d-%@", tree, subject + 1, index + 1, j2k ? "j2k" : "native") }
    var pixelBytes: Int { size * size * 2 * slices }
    /// Axial, coronal or sagittal (MR); positions along the normal grow with the instance number.
    var orientation: (row: [Double], col: [Double], step: [Double]) {
        if ct || index % 3 == 1 { return ([1, 0, 0], [0, 1, 0], [0, 0, 1]) }
        if index % 3 == 2 { return ([1, 0, 0], [0, 0, -1], [0, 1, 0]) }
        return ([0, 1, 0], [0, 0, -1], [-1, 0, 0])
    }
}

/// About 500 MB of pixel data: four 512 x 512 CT series of 64-95 slices, two 256 x 256 MR series of
/// 200 slices, the rest 256 x 256 MR of 64-74 slices; odd series JPEG 2000 lossless.
let plan: [Series] = (0..<seriesCount).map { i in
    let ct = i % 20 == 0 || i % 20 == 15
    let slices = ct ? 64 + (i * 13) % 32 : (i % 20 == 7 ? 200 : 64 + (i * 37) % 11)
    return Series(index: i, ct: ct, size: ct ? 512 : 256, slices: slices, j2k: i % 2 == 1)
}
let totalPixelBytes = plan.map(\.pixelBytes).reduce(0, +)
let largest = plan.max { $0.pixelBytes < $1.pixelBytes }!

/// A slice of smooth synthetic anatomy (body, lungs and spine for CT; head, cortex, ventricles for
/// MR) with noise of about +-12, 12 bits stored in 16, little endian: compresses like real images.
func slice(_ s: Series, _ k: Int) -> [UInt8] {
    let n = s.size
    let z = Double(k) / Double(max(1, s.slices - 1))
    var rng = UInt64(0x9E37_79B9_7F4A_7C15) &* UInt64(s.index * 1000 + k + 1) | 1
    var out = [UInt8](repeating: 0, count: n * n * 2)
    let coord = (0..<n).map { (Double($0) + 0.5) / Double(n) * 2 - 1 }
    // Separable smooth textures, one per slice.
    let tu = coord.map { sin(5 * $0 + 3 * z) }, tv = coord.map { cos(4 * $0 - 2 * z) }
    let fu = coord.map { sin(11 * $0 + z) }, fv = coord.map { sin(9 * $0 + 5 * z) }
    let swell = 0.9 + 0.1 * sin(.pi * z)
    for y in 0..<n {
        let v = coord[y]
        for x in 0..<n {
            let u = coord[x]
            rng = rng &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let noise = Double(Int(rng >> 60)) + Double(Int((rng >> 40) & 15)) - 15  // -15...15, triangular
            var value: Double
            if s.ct {
                let body = (u / (0.85 * swell)) * (u / (0.85 * swell)) + (v / (0.62 * swell)) * (v / (0.62 * swell))
                if body >= 1 {
                    value = 24 + noise
                } else {
                    value = 1064 + 25 * tu[x] * tv[y] + 8 * fu[x] * fv[y] + noise
                    let lungR = 0.2 + 0.15 * sin(.pi * z)
                    for cx in [-0.38, 0.38] {
                        let l = ((u - cx) / lungR) * ((u - cx) / lungR) + ((v + 0.08) / (1.5 * lungR)) * ((v + 0.08) / (1.5 * lungR))
                        if l < 1 { value = 190 + 60 * l + 20 * fu[x] * tv[y] + noise }
                    }
                    let sp = (u * u + (v - 0.42) * (v - 0.42)) / 0.0064
                    if sp < 1 { value = sp < 0.5 ? 1350 + 40 * fv[y] + noise : 1750 + noise }
                }
            } else {
                let head = (u / (0.78 * swell)) * (u / (0.78 * swell)) + (v / (0.9 * swell)) * (v / (0.9 * swell))
                if head >= 1 {
                    value = abs(noise) * 0.7
                } else if head > 0.86 {
                    value = head > 0.94 ? 1150 + 60 * fu[x] + noise : 260 + noise
                } else {
                    value = 720 + 140 * tu[x] * tv[y] + 60 * fu[x] * fv[y] + noise
                    let vent = ((u - 0.12 * fv[y]) / 0.16) * ((u - 0.12 * fv[y]) / 0.16) + (v / 0.3) * (v / 0.3)
                    if vent < 1 { value = 180 + 40 * vent + noise }
                }
            }
            let q = UInt16(max(0, min(4095, value.rounded())))
            out[2 * (y * n + x)] = UInt8(q & 0xFF)
            out[2 * (y * n + x) + 1] = UInt8(q >> 8)
        }
    }
    return out
}

func ds(_ values: [Double]) -> String {
    values.map { $0 == $0.rounded() ? String(Int($0)) : String(format: "%.4f", $0) }.joined(separator: "\\")
}

// MARK: real headers: the corpus's single-frame files, by collection (vendor)

/// A real file's data set before its pixel data, every value loaded (private blobs too).
struct Template {
    var path: String
    var dataSet: DataSet
}

/// The corpus's single-frame little-endian files' headers (`corpusHeaders`), grouped by collection
/// (the first folder under the corpus: one vendor's scanners each), in path order.
func loadTemplates() -> [[Template]] {
    var byCollection: [String: [Template]] = [:]
    for (rel, dataSet) in corpusHeaders(corpus) {
        byCollection[String(rel.split(separator: "/")[0]), default: []].append(Template(path: rel, dataSet: dataSet))
    }
    return byCollection.keys.sorted().map { byCollection[$0]! }
}
let templates = realHeaders ? loadTemplates() : []
if realHeaders && templates.isEmpty {
    print("no single-frame little-endian DICOM file with pixel data under \(corpus) (--corpus DIR)")
    exit(1)
}

extension Series {
    /// The real header of this series: each subject (study) one collection, its series different files.
    var template: Template {
        let collection = templates[subject % templates.count]
        return collection[(index * 7) % collection.count]
    }
}

/// Whether the generator drops an element of a real header: what it sets itself, the pixel data and
/// the Image Pixel module (group 0028), and what would contradict its slices (geometry, the number of
/// frames and images, icons, multi-frame functional groups).
func replaced(_ tag: Tag, _ own: Set<Tag>) -> Bool {
    if own.contains(tag) || tag.group == 0x0028 || tag.group == 0x7FE0 { return true }
    return [
        0x0008_0018, 0x0020_000D, 0x0020_000E, 0x0020_0052,  // SOP Instance, Study, Series, Frame of Reference
        0x0020_0013, 0x0020_0032, 0x0020_0037, 0x0020_1041,  // Instance Number, position, orientation, Slice Location
        0x0020_0020, 0x0018_0088, 0x0020_1002, 0x0054_0081,  // Patient Orientation, Spacing Between Slices, Images in Acquisition, Number of Slices
        0x0088_0200, 0x5200_9229, 0x5200_9230,  // Icon Image Sequence, functional groups
    ].contains(tag.rawValue)
}

/// The file of slice `k` (instance k + 1), explicit VR little endian: the series' real header less
/// what `replaced` drops, plus the generator's elements and pixels; its name is its SOP Instance UID,
/// so that name order is not instance order.
func file(_ s: Series, _ k: Int) -> (name: String, bytes: [UInt8]) {
    let sop = "\(s.uid).\(k + 1)"
    let spacing = s.ct ? 0.7 : 0.9, thickness = s.ct ? 1.25 : 2.0
    let o = s.orientation
    let half = Double(s.size) * spacing / 2
    let origin = (0..<3).map { -half * (o.row[$0] + o.col[$0]) }
    let position = (0..<3).map { origin[$0] + Double(k) * thickness * o.step[$0] }
    var own: [Element] = [
        .string(Tag(0x0008_0008), "ORIGINAL\\PRIMARY\\AXIAL"),
        .string(Tag(0x0008_0016), s.ct ? "1.2.840.10008.5.1.4.1.1.2" : "1.2.840.10008.5.1.4.1.1.4"),
        .string(.sopInstanceUID, sop),
        .string(.studyDate, String(format: "2024%02d%02d", 1 + s.subject % 12, 1 + s.subject)),
        .string(Tag(0x0008_0030), "101500"),
        .string(.modality, s.ct ? "CT" : "MR"),
        .string(Tag(0x0008_0070), "DICOMCRAWLER BENCH"),
        .string(.seriesDescription, s.ct ? "CT synthetic \(s.index + 1)" : "MR synthetic \(s.index + 1)"),
        .string(.patientName, String(format: "BENCH^SUBJECT%02d", s.subject + 1)),
        .string(.patientID, String(format: "SUBJ%02d", s.subject + 1)),
        .string(Tag(0x0018_0050), ds([thickness])),
        .string(.studyInstanceUID, "1.2.826.0.1.3680043.10.1484.77.\(s.subject + 1)"),
        .string(.seriesInstanceUID, s.uid),
        .string(Tag(0x0020_0010), "\(s.subject + 1)"),
        .string(.seriesNumber, "\(s.index + 1)"),
        .string(.instanceNumber, "\(k + 1)"),
        .string(Tag(0x0020_0032), ds(position)),
        .string(Tag(0x0020_0037), ds(o.row + o.col)),
        .string(Tag(0x0020_0052), "1.2.826.0.1.3680043.10.1484.78.\(s.subject + 1)"),
        .uint16(Tag(0x0028_0002), [1]),
        .string(Tag(0x0028_0004), "MONOCHROME2"),
        .uint16(Tag(0x0028_0010), [UInt16(s.size)]),
        .uint16(Tag(0x0028_0011), [UInt16(s.size)]),
        .string(Tag(0x0028_0030), ds([spacing, spacing])),
        .uint16(Tag(0x0028_0100), [16]),
        .uint16(Tag(0x0028_0101), [12]),
        .uint16(Tag(0x0028_0102), [11]),
        .uint16(.pixelRepresentation, [0]),
        .string(Tag(0x0028_1050), s.ct ? "40" : "600"),
        .string(Tag(0x0028_1051), s.ct ? "400" : "1200"),
        .bytes(.pixelData, .OW, slice(s, k)),
    ]
    if s.ct {
        own.append(.string(Tag(0x0028_1052), "-1024"))
        own.append(.string(Tag(0x0028_1053), "1"))
    }
    let ownTags = Set(own.map(\.tag))
    guard realHeaders else { return (sop + ".dcm", DICOMWriter().write(DataSet(own))) }
    let header = s.template.dataSet
    let kept = header.elements.filter { !replaced($0.tag, ownTags) }
    return (sop + ".dcm", DICOMWriter().write(DataSet(kept + own, characterSet: header.characterSet)))
}

/// Makes the tree once (kept under --root); true when it was made by this process.
func makeTree() throws -> Bool {
    let marker = tree + ".complete"
    if fm.fileExists(atPath: marker) { return false }
    guard access("/usr/bin/gdcmconv", X_OK) == 0 else {
        print("gdcmconv is missing: apt-get install libgdcm-tools")
        exit(1)
    }
    try? fm.removeItem(atPath: tree)
    let staging = tree + ".staging"
    try? fm.removeItem(atPath: staging)
    print(String(format: "writing %d series (%.0f MB of pixel data) into %@ ...", plan.count, Double(totalPixelBytes) / 1e6, tree))
    final class Failures: @unchecked Sendable { var list: [String] = []; let lock = NSLock() }
    let failures = Failures()
    DispatchQueue.concurrentPerform(iterations: plan.count) { i in
        let s = plan[i]
        do {
            try fm.createDirectory(atPath: s.folder, withIntermediateDirectories: true)
            let dir = s.j2k ? staging + "/\(s.index)" : s.folder
            try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
            for k in 0..<s.slices {
                let (name, bytes) = file(s, k)
                try Data(bytes).write(to: URL(fileURLWithPath: dir + "/" + name))
            }
        } catch {
            failures.lock.lock(); failures.list.append("\(s.folder): \(error)"); failures.lock.unlock()
        }
    }
    // The JPEG 2000 half: the writer's files re-encoded by gdcmconv, two at a time.
    var conversions: [(String, String)] = []
    for s in plan where s.j2k {
        for name in (try? fm.contentsOfDirectory(atPath: staging + "/\(s.index)")) ?? [] {
            conversions.append((staging + "/\(s.index)/" + name, s.folder + "/" + name))
        }
    }
    print("re-encoding \(conversions.count) files with gdcmconv --j2k ...")
    DispatchQueue.concurrentPerform(iterations: 2) { w in
        for (src, dst) in stride(from: w, to: conversions.count, by: 2).map({ conversions[$0] }) {
            let m = measure(["/usr/bin/gdcmconv", "--j2k", src, dst])
            if m.status != 0 { failures.lock.lock(); failures.list.append("gdcmconv --j2k \(src): \(m.outcome)"); failures.lock.unlock() }
        }
    }
    try? fm.removeItem(atPath: staging)
    if !failures.list.isEmpty {
        failures.list.prefix(10).forEach { print($0) }
        exit(1)
    }
    _ = fm.createFile(atPath: marker, contents: nil)
    return true
}

// MARK: the peers

/// A peer that cannot run here: what to install.
func missing() -> [String: String] {
    var m: [String: String] = [:]
    if access(crawler, X_OK) != 0 { m["export"] = "\(crawler) is missing: swift build -c release (or --binary PATH)" }
    if measure([python, "-c", "import pydicom, h5py, gdcm, numpy"]).status != 0 {
        m["old"] = "\(python) cannot import pydicom, h5py, gdcm: apt-get install python3-pydicom python3-gdcm python3-h5py"
    }
    if which("dcm2niix") == nil { m["dcm2niix"] = "dcm2niix is missing: apt-get install dcm2niix" }
    return m
}

let madeHere = try makeTree()
if madeHere {
    // A spawned command's peak RSS counts from this process's before its exec: start afresh, small.
    fflush(stdout)  // what was printed so far, before exec replaces the buffer
    let cargs = CommandLine.arguments.map { strdup($0) } + [nil]
    execv(CommandLine.arguments[0], cargs)
}
let absent = missing()
if only == "floor" {
    printCodecFloor(exportBest: nil, oldBest: nil)
    exit(0)
}
let dcm2niix = which("dcm2niix") ?? "dcm2niix"

func fresh(_ dir: String) -> String {
    try? fm.removeItem(atPath: dir)
    try? fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

func exportArgs(_ dir: String, compression: String = "gzip:4") -> [String] {
    [crawler, "export", "--quiet", "--jobs", String(jobs), "--compression", compression, tree, "-o", dir + "/px.h5"]
}
let peers: [(key: String, label: String, args: (String) -> [String])] = [
    ("export", "dicomcrawler export --jobs \(jobs)", { exportArgs($0) }),
    ("old", "old_tool.py (pydicom + h5py)", { [python, oldTool, tree, "-o", $0 + "/px.h5"] }),
    ("dcm2niix", "dcm2niix -z y", { [dcm2niix, "-z", "y", "-o", $0, tree] }),
].filter { only.isEmpty || $0.key == only || $0.key == "export" }

print(String(format: "tree: %d series, %d files, %.1f MB of pixel data (uncompressed), half JPEG 2000 lossless; %@",
             plan.count, plan.map(\.slices).reduce(0, +), Double(totalPixelBytes) / 1e6, tree))
for (k, why) in absent.sorted(by: { $0.key < $1.key }) { print("left out (\(k)): \(why)") }
/// The headers as written (gdcmconv's for the JPEG 2000 half): bytes before the pixel data element
/// (preamble and file meta included), and elements at every depth (private ones, meta excluded).
func headerStatistics() -> (files: Int, bytes: Double, elements: Double, privateElements: Double, minBytes: Int, maxBytes: Int) {
    var files = 0, bytes = 0, elements = 0, privates = 0, lo = Int.max, hi = 0
    for s in plan {
        for name in (try? fm.contentsOfDirectory(atPath: s.folder)) ?? [] {
            let f = DICOMReader.read(path: s.folder + "/" + name)
            guard let px = f.dataSet[.pixelData] else { continue }
            files += 1
            bytes += px.offset
            lo = min(lo, px.offset)
            hi = max(hi, px.offset)
            var stack = [f.dataSet]
            while let d = stack.popLast() {
                for e in d.elements where e.tag != .pixelData {
                    elements += 1
                    if e.tag.group % 2 == 1 { privates += 1 }
                    stack += e.items ?? []
                }
            }
        }
    }
    let n = Double(max(files, 1))
    return (files, Double(bytes) / n, Double(elements) / n, Double(privates) / n, lo, hi)
}
let headers = headerStatistics()
print(String(format: "headers: %@%@; per file on average %.0f bytes before the pixel data (%d-%d), %.0f elements at all depths, %.0f of them private (%d files)",
             realHeaders ? "real scanner headers from " + corpus : "the generator's elements only (--headers tiny)",
             templates.isEmpty ? "" : " (" + templates.map { "\($0.count) \($0[0].path.split(separator: "/")[0])" }.joined(separator: ", ") + ")",
             headers.bytes, headers.minBytes, headers.maxBytes, headers.elements, headers.privateElements, headers.files))
/// The machine is shared: the load before and after says how much the figures can be trusted.
func loadAverage() -> String { ((try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? "?").split(separator: " ").prefix(3).joined(separator: " ") }
print("load average before: \(loadAverage())")
fflush(stdout)

// Warm-up (page cache), and the outputs kept for the checks below.
var warm: [String: Measured] = [:]
for p in peers where absent[p.key] == nil {
    let dir = fresh(out + "/check-" + p.key)
    warm[p.key] = measure(p.args(dir), log: out + "/check-\(p.key).log", limit: 3600)
    if warm[p.key]!.status != 0 { print("\(p.label): \(warm[p.key]!.outcome) (see \(out)/check-\(p.key).log)") }
}

// Timed runs, the peers in turn.
var runs: [String: [Measured]] = [:]
for _ in 0..<repeats {
    for p in peers where absent[p.key] == nil {
        let dir = fresh(out + "/run-" + p.key)
        runs[p.key, default: []].append(measure(p.args(dir), limit: 3600))
    }
}
var noneRuns: [Measured] = []
if absent["export"] == nil {
    for _ in 0..<repeats { noneRuns.append(measure(exportArgs(fresh(out + "/run-none"), compression: "none"), limit: 3600)) }
}
try? fm.removeItem(atPath: out + "/run-none")

func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}
print("load average after: \(loadAverage())")
let mb = Double(totalPixelBytes) / 1e6
/// KiB (ru_maxrss) as MB of 10^6 bytes, like the pixel data.
func megabytes(_ kib: Int) -> Double { Double(kib) * 1024 / 1e6 }
print("")
print("tool".padding(toLength: 36, withPad: " ", startingAt: 0) + "  best s  median s   MB/s  CPU s  peak RSS MB  export faster by (best, median)         outcome")
let exportRuns = runs["export"] ?? []
for p in peers {
    guard let r = runs[p.key], !r.isEmpty else {
        print(p.label.padding(toLength: 36, withPad: " ", startingAt: 0) + "  left out: \(absent[p.key] ?? "no run")")
        continue
    }
    let b = r.map(\.seconds).min()!, m = median(r.map(\.seconds))
    var ratio = ""
    if p.key != "export", !exportRuns.isEmpty {
        let target = p.key == "old" ? 4.0 : 1.5
        let rb = b / exportRuns.map(\.seconds).min()!, rm = m / median(exportRuns.map(\.seconds))
        ratio = String(format: "%.2fx, %.2fx (target %.1fx: %@)", rb, rm, target, rb >= target ? "met" : "missed")
    }
    let failed = r.filter { $0.status != 0 }
    print(p.label.padding(toLength: 36, withPad: " ", startingAt: 0)
          + String(format: "%8.2f %9.2f %6.1f %6.1f %12.1f  ", b, m, mb / b, r.map(\.cpu).min()!, megabytes(r.map(\.maxRSS).max()!))
          + ratio.padding(toLength: 40, withPad: " ", startingAt: 0)
          + (failed.isEmpty ? "exit 0" : failed[0].outcome))
}

// The floor: the export's CPU (decoder helpers included) over its jobs, against its wall time.
if let g = exportRuns.min(by: { $0.seconds < $1.seconds }), let n = noneRuns.min(by: { $0.seconds < $1.seconds }) {
    let gCPU = exportRuns.map(\.cpu).min()!, nCPU = noneRuns.map(\.cpu).min()!
    print("")
    print(String(format: "export --compression none: wall %.2f s, CPU %.2f s (user + sys, decoder helpers included), peak RSS %.1f MB",
                 n.seconds, nCPU, megabytes(noneRuns.map(\.maxRSS).max()!)))
    if noneRuns.contains(where: { $0.status != 0 }) { print("  (--compression none: \(noneRuns.first { $0.status != 0 }!.outcome))") }
    print(String(format: "export gzip:4 (default):   wall %.2f s, CPU %.2f s; compression %.2f CPU s", g.seconds, gCPU, gCPU - nCPU))
    print(String(format: "floor = CPU / %d jobs = %.2f s; floor / wall = %.2f (1 = both cores busy all the time)",
                 jobs, gCPU / Double(jobs), gCPU / Double(jobs) / g.seconds))
}

// The codec floor: the codecs' own CPU for the tree (one thread, in this process), over the jobs.
if absent["export"] == nil { printCodecFloor(exportBest: exportRuns.map(\.seconds).min(), oldBest: runs["old"]?.map(\.seconds).min()) }
let largestMB = Double(largest.pixelBytes) / 1e6
let targetMB = 2 * largestMB + 64
print("")
print(String(format: "largest scan: %.1f MB uncompressed (%@, %d x %d x %d); RSS target < 2 x largest + 64 MB = %.1f MB",
             largestMB, largest.uid, largest.size, largest.size, largest.slices, targetMB))
if !exportRuns.isEmpty {
    let peak = megabytes(exportRuns.map(\.maxRSS).max()!)
    print(String(format: "export peak RSS %.1f MB: %@", peak, peak < targetMB ? "met" : "missed"))
}

// dcm2niix: how it compressed, and what it wrote.
if warm["dcm2niix"] != nil {
    let log = (try? String(contentsOfFile: out + "/check-dcm2niix.log", encoding: .utf8)) ?? ""
    let lines = log.split(separator: "\n")
    let pigzLines = lines.filter { $0.lowercased().contains("pigz") || $0.contains("Compress") }
    let written = ((try? fm.contentsOfDirectory(atPath: out + "/check-dcm2niix")) ?? []).filter { $0.hasSuffix(".nii.gz") }.count
    print("")
    print("dcm2niix: \(written) .nii.gz written; pigz on PATH: \(which("pigz") ?? "no")")
    pigzLines.prefix(2).forEach { print("  log: \($0)") }
    if pigzLines.isEmpty { print("  log: nothing about pigz or compression (\(lines.count) lines)") }
}

// The export's values against the old tool's, per series.
if warm["export"]?.status == 0, warm["old"]?.status == 0 {
    let check = """
        import h5py, numpy as np, sys
        a, b = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
        native = set(sys.argv[3].split(","))
        counts = {}
        for uid in sorted(b):
            kind = "native" if uid in native else "JPEG 2000"
            if uid not in a:
                result = "missing from the export"
            else:
                x, y = a[uid][()], b[uid][()]
                result = "same" if x.dtype == y.dtype and x.shape == y.shape and np.array_equal(x, y) else f"DIFFERENT ({x.dtype} {x.shape} vs {y.dtype} {y.shape})"
            if result != "same":
                print(f"  {uid} ({kind}): {result}")
            counts[(kind, result == "same")] = counts.get((kind, result == "same"), 0) + 1
        extra = [u for u in a if u not in b]
        for kind in ("native", "JPEG 2000"):
            print(f"  {kind} series: {counts.get((kind, True), 0)} same values, {counts.get((kind, False), 0)} not")
        print(f"  datasets only in the export: {len(extra)}")
        """
    print("")
    print("export vs old_tool.py, per series (values, dtype, shape (1, rows, cols, slices)):")
    let scriptPath = out + "/compare.py"
    try check.write(toFile: scriptPath, atomically: true, encoding: .utf8)
    fflush(stdout)
    _ = measure([python, scriptPath, out + "/check-export/px.h5", out + "/check-old/px.h5",
                 plan.filter { !$0.j2k }.map(\.uid).joined(separator: ",")], keepOutput: true)
}
