// Crawl benchmark: generates a tree of DICOM files (once), then times, warm cache, in the same run:
// the crawl (the built `dicomcrawler` binary), a raw floor (walk + open, read 4 KiB, close every
// file, same thread count), GDCM's gdcmscanner reading the same five tags when it is installed, and
// a run on an empty directory. Prints a table.
//   swift build -c release && swift run -c release crawl-bench [--tree DIR] [--subjects N] [--jobs N]
//   crawl-bench --hardlinks [--max-links N] [--corpus DIR]: tags memory on 10^4 ... N hard links of real files
//   crawl-bench --hostile [--binary PATH] [--limit S]: dump and tags on files that claim much, with peak RSS
import DICOM
import DICOMTestSupport
import BenchSupport
import DICOMCrawler
import Foundation
#if canImport(Glibc)
import Glibc
#endif

let args = Array(CommandLine.arguments.dropFirst())
let treeRoot = option("--tree", "/tmp/dicomcrawler-bench-tree-\(option("--stray-every", "1"))")
let subjects = Int(option("--subjects", "200"))!
let seriesPerSubject = 5
let filesPerSeries = Int(option("--files-per-series", "50"))!
/// One stray non-DICOM file in every Nth series folder (libmagic has to name each one).
let strayEvery = Int(option("--stray-every", "1"))!
let jobs = Int(option("--jobs", String(ProcessInfo.processInfo.activeProcessorCount)))!
let repeats = Int(option("--repeats", "3"))!
/// The binary timed: the one built beside this benchmark, or `--binary PATH` (to time an older build
/// on the same inputs).
let crawler = crawlerBinary

let seriesNames = ["01_localizer", "02_t1_mprage_sag", "03_t2_flair_3d", "04_dwi_b1000", "05_rest_bold"]
let templates = #"{"LOC": ["localizer"], "T1": ["t1_mprage"], "T2F": ["t2_flair"], "DWI": ["dwi"], "REST": ["rest_bold"]}"#

// MARK: the tree

func generate() throws {
    let fm = FileManager.default
    let marker = "\(treeRoot)/.complete-v3-\(subjects)-\(filesPerSeries)-\(strayEvery)"
    if fm.fileExists(atPath: marker) { return }
    try? fm.removeItem(atPath: treeRoot)
    print("generating \(subjects * seriesPerSubject * filesPerSeries) DICOM files in \(treeRoot) ...")
    let syntaxes: [TransferSyntax] = [.explicitVRLittleEndian, .implicitVRLittleEndian, .explicitVRLittleEndian,
                                      .explicitVRBigEndian, .deflatedExplicitVRLittleEndian]
    for s in 0..<subjects {
        for (k, series) in seriesNames.enumerated() {
            let dir = String(format: "%@/subj-%03d/%@", treeRoot, s, series)
            try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
            var writer = DICOMWriter(transferSyntax: syntaxes[(s + k) % syntaxes.count])
            if (s + k) % 11 == 0 { writer.preamble = false }
            for f in 0..<filesPerSeries {
                var e: [Element] = [
                    .string(.specificCharacterSet, "ISO_IR 100"),
                    .string(Tag(0x0008_0008), "ORIGINAL\\PRIMARY\\M\\ND"),
                    .string(Tag(0x0008_0016), "1.2.840.10008.5.1.4.1.1.4"),
                    .string(.sopInstanceUID, "1.2.826.0.1.3680043.10.1484.9.\(s).\(k).\(f)"),
                    .string(.studyDate, String(format: "2024%02d%02d", s % 12 + 1, s % 28 + 1)),
                    .string(.acquisitionTime, String(format: "%02d%02d%02d.%06d", 8 + k, f % 60, s % 60, f * 1000)),
                    .string(.modality, "MR"),
                    .string(Tag(0x0008_0070), "SIEMENS"),
                    .string(.seriesDescription, series),
                    .string(.patientName, String(format: "Bench^Subject%03d", s)),
                    .string(.patientID, String(format: "BENCH-%03d", s)),
                    .string(.patientSex, s % 2 == 0 ? "F" : "M"),
                    .string(.patientAge, String(format: "%03dY", 20 + s % 60)),
                    .string(Tag(0x0018_0050), "1.0"),
                    .string(.studyInstanceUID, "1.2.826.0.1.3680043.10.1484.9.\(s)"),
                    .string(.seriesInstanceUID, "1.2.826.0.1.3680043.10.1484.9.\(s).\(k)"),
                    .string(.seriesNumber, String(k + 1)),
                    .string(.instanceNumber, String(f + 1)),
                    .uint16(Tag(0x0028_0010), [16]), .uint16(Tag(0x0028_0011), [16]), .uint16(Tag(0x0028_0100), [16]),
                    .bytes(.pixelData, .OW, [UInt8](repeating: UInt8(f & 0xFF), count: 512)),
                ]
                if (s * 7 + f) % 5 == 0 {
                    // A vendor block of 10-50 KB after the patient module (CSA-like private data).
                    let size = 10_240 + ((s * 31 + f * 17) % 40) * 1024
                    e.append(.string(Tag(0x0029_0010), "SIEMENS CSA HEADER", vr: .LO))
                    e.append(.bytes(Tag(0x0029_1010), .OB, [UInt8](repeating: 0x43, count: size)))
                }
                try Data(writer.write(DataSet(e))).write(to: URL(fileURLWithPath: String(format: "%@/IM%05d.dcm", dir, f)))
            }
            // Stray files, each with its own text (libmagic has to look at every one).
            if (s * seriesPerSubject + k) % strayEvery == 0 {
                try "Notes for subject \(s), series \(series): \(String(repeating: "ok ", count: 1 + (s * 5 + k) % 40))\n"
                    .write(toFile: "\(dir)/notes.txt", atomically: false, encoding: .utf8)
            }
        }
    }
    try templates.write(toFile: "\(treeRoot)/templates.json", atomically: true, encoding: .utf8)
    _ = fm.createFile(atPath: marker, contents: nil)
}

// MARK: measuring (BenchSupport: measure, best, floorRun, which)

func run(_ argv: [String]) -> Measured { measure(argv) }

// libmagic's cost per call, which bounds the crawl where many files are not DICOM.
if args.contains("--magic") {
    let types = FileTypes()
    _ = types.mimeType(of: Array("warm up\n".utf8))
    for (label, text) in [("one-line note", "Notes for subject 3, series 02_t1: ok ok ok ok\n"), ("CSV", "a,b,c\n1,2,3\n4,5,6\n"),
                          ("PDF header", "%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"), ("JSON", "{\"a\": 1}\n")] {
        let bytes = Array(text.utf8)
        var mime = ""
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<1000 { mime = types.mimeType(of: bytes) }
        let us = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e3 / 1000
        print(String(format: "libmagic on a %@: %.1f µs per call (%@)", label, us, mime))
    }
    exit(0)
}

// Memory of `tags` as the number of real scanner files grows: hard links of the shared corpus's
// files (DICOM or not, as they come) in folders of 1,000, up to --max-links (default 1,000,000).
// Peak RSS must stay flat in the file count (one batch, plus the set of columns). Runs alone.
if args.contains("--hardlinks") {
    let corpus = option("--corpus", URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/corpus").path)
    let maxLinks = Int(option("--max-links", "1000000"))!
    let linkRoot = treeRoot + "-links"
    var sources: [String] = []
    if let e = FileManager.default.enumerator(atPath: corpus) {
        for case let rel as String in e where !rel.hasSuffix(".jsonl") && !rel.hasSuffix(".md") {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: corpus + "/" + rel, isDirectory: &isDir), !isDir.boolValue { sources.append(corpus + "/" + rel) }
        }
    }
    sources.sort()
    guard !sources.isEmpty else { print("no corpus files under \(corpus) (--corpus DIR)"); exit(1) }
    print("")
    print("tags memory on hard links of the \(sources.count) corpus files, folders of 1,000 (\(jobs) threads):")
    var made = Int((try? String(contentsOfFile: "\(linkRoot)/.made", encoding: .utf8)) ?? "") ?? 0
    var target = 10_000
    while target <= maxLinks {
        while made < target {
            let dir = String(format: "%@/d%04d", linkRoot, made / 1000)
            if made % 1000 == 0 { try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
            let path = String(format: "%@/f%07d", dir, made)
            if link(sources[made % sources.count], path) != 0 && errno != EEXIST { print("cannot link \(path)"); exit(1) }
            made += 1
        }
        try String(made).write(toFile: "\(linkRoot)/.made", atomically: true, encoding: .utf8)
        let linkDirs = (0..<(target / 1000)).map { String(format: "%@/d%04d", linkRoot, $0) }
        let out = linkRoot + ".csv"
        let r = run([crawler, "tags", "--quiet", "--jobs", String(jobs), "-o", out] + linkDirs)
        let size = (try? FileManager.default.attributesOfItem(atPath: out)[.size] as? Int) ?? 0
        print(String(format: "  %8d files: %7.1f s, %6.0f files/s, peak RSS %6.1f MB, table %6.0f MB, exit %d",
                     target, r.seconds, Double(target) / r.seconds, Double(r.maxRSS) / 1024, Double(size) / 1e6, r.status))
        try? FileManager.default.removeItem(atPath: out)
        target *= 10
    }
    exit(0)
}


// Hostile inputs: files that claim much or hold many elements, a template file of many labels.
// Each is made once, then `dump` and `tags` are timed on it with their peak RSS (a time limit of
// --limit seconds each, default 120: a run past it is killed and shown as such). Runs alone.
if args.contains("--hostile") {
    let root = treeRoot + "-hostile"
    try? FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    let limit = Int(option("--limit", "120"))!
    let header = DICOMWriter().write(DataSet([.string(.sopInstanceUID, "1.2.3"), .string(.patientID, "HOSTILE"),
                                              .string(.studyDate, "20240101")]))
    var madeHere = false
    func make(_ name: String, _ body: (String) throws -> Void) rethrows -> String {
        let path = "\(root)/\(name)"
        if !FileManager.default.fileExists(atPath: path) {
            try body(path)
            madeHere = true
        }
        return path
    }
    /// A header, then `size` bytes of zeros (a sparse file: nothing is written for them).
    func zeros(_ name: String, _ size: Int) throws -> String {
        try make(name) { path in
            try Data(header).write(to: URL(fileURLWithPath: path))
            guard truncate(path, off_t(header.count + size)) == 0 else { throw CocoaError(.fileWriteUnknown) }
        }
    }
    /// `count` private elements in one block of creators (as many blocks as needed).
    func privates(_ count: Int) throws -> String {
        try make("private-\(count).dcm") { path in
            var elements: [Element] = [.string(.patientID, "HOSTILE")]
            var group: UInt32 = 0x0009
            var made = 0
            while made < count {
                for block in 0..<240 where made < count {
                    elements.append(.string(Tag(group << 16 | UInt32(0x10 + block)), "CREATOR \(group)-\(block)"))
                    for e in 0..<min(256, count - made) {
                        elements.append(.string(Tag(group << 16 | UInt32((0x10 + block) << 8 | e)), "v\(made)", vr: .LO))
                        made += 1
                    }
                }
                group += 2
            }
            elements.sort { $0.tag < $1.tag }
            try Data(DICOMWriter().write(DataSet(elements))).write(to: URL(fileURLWithPath: path))
        }
    }
    /// `count` private elements with no creator anywhere (each lookup of a creator finds none).
    func orphans(_ count: Int) throws -> String {
        try make("orphans-\(count).dcm") { path in
            var elements: [Element] = [.string(.patientID, "HOSTILE")]
            for i in 0..<count {
                let group = UInt32(0x0009 + 2 * (i / 0xF000)), element = UInt32(0x1000 + i % 0xF000)
                elements.append(.string(Tag(group << 16 | element), "v\(i)", vr: .LO))
            }
            try Data(DICOMWriter().write(DataSet(elements))).write(to: URL(fileURLWithPath: path))
        }
    }
    var cases: [(String, String)] = []
    cases.append(("header + 100 MB of zeros", try zeros("zeros-100M.dcm", 100 << 20)))
    cases.append(("header + 2 GB of zeros (sparse)", try zeros("zeros-2G.dcm", 2 << 30)))
    for n in [10_000, 20_000, 40_000, 1_000_000] { cases.append(("\(n) private elements", try privates(n))) }
    for n in [10_000, 20_000, 40_000] { cases.append(("\(n) private elements, no creator", try orphans(n))) }
    let labels = try make("templates-20k.json") { path in
        let text = "{" + (0..<20_000).map { "\"L\($0)\": [\"p\($0)\"]" }.joined(separator: ", ") + "}"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }
    if madeHere {
        // A spawned command's peak RSS counts from this process's before its exec: start afresh,
        // small, now that the files exist.
        let cargs = CommandLine.arguments.map { strdup($0) } + [nil]
        execv(CommandLine.arguments[0], cargs)
    }
    func timed(_ argv: [String]) -> String {
        let m = measure(argv, limit: Double(limit))
        return String(format: "%8.2f s %9.1f MB  %@", m.seconds, Double(m.maxRSS) / 1024, m.outcome)
    }
    print("hostile inputs (\(crawler)):")
    print("what".padding(toLength: 36, withPad: " ", startingAt: 0) + "command".padding(toLength: 10, withPad: " ", startingAt: 0) + "     time   peak RSS  outcome")
    for (label, path) in cases {
        // tags reads folders: one holding a hard link of the file.
        let dir = "\(root)/one-\(URL(fileURLWithPath: path).lastPathComponent)"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        _ = link(path, dir + "/file.dcm")
        for (name, argv) in [("dump", [crawler, "dump", path]), ("tags", [crawler, "tags", "-q", "--jobs", "1", dir, "-o", root + "/out.csv"])] {
            print(label.padding(toLength: 36, withPad: " ", startingAt: 0) + name.padding(toLength: 10, withPad: " ", startingAt: 0) + timed(argv))
        }
    }
    try? FileManager.default.createDirectory(atPath: root + "/empty", withIntermediateDirectories: true)
    print("20,000 labels on one line".padding(toLength: 36, withPad: " ", startingAt: 0) + "crawl".padding(toLength: 10, withPad: " ", startingAt: 0)
          + timed([crawler, "-q", "--templates", labels, root + "/empty"]))
    exit(0)
}

try generate()
let dirs = (0..<subjects).map { String(format: "%@/subj-%03d", treeRoot, $0) }
guard FileManager.default.fileExists(atPath: crawler) else {
    print("build the crawler first: swift build -c release (looked for \(crawler))")
    exit(1)
}
let crawlArgs = [crawler, "--quiet", "--jobs", String(jobs), "--templates", "\(treeRoot)/templates.json"] + dirs

// Warm the cache, and count the files.
let warm = floorRun(dirs, threads: jobs, skip: { $0 == "modal_data.csv" })  // not the crawl's own output
_ = run(crawlArgs)
let fileCount = warm.files
print("\(fileCount) files (\(subjects * seriesPerSubject * filesPerSeries) DICOM, \(fileCount - subjects * seriesPerSubject * filesPerSeries) stray text files) in \(subjects) subject folders; jobs \(jobs); best of \(repeats); warm cache")

var rows: [(String, Double, Int?)] = []
let crawl = best(repeats) { run(crawlArgs) }
if crawl.status != 0 { print("warning: the crawl exited with status \(crawl.status)") }
rows.append(("dicomcrawler crawl (\(jobs) threads)", crawl.seconds, crawl.maxRSS))
var floorBest = Double.infinity
for _ in 0..<repeats { floorBest = min(floorBest, floorRun(dirs, threads: jobs, skip: { $0 == "modal_data.csv" }).seconds) }
rows.append(("floor: walk + open/read 4 KiB/close (\(jobs) threads)", floorBest, nil))
if let scanner = which("gdcmscanner") {
    let tags = ["0008,0020", "0008,0032", "0010,0020", "0010,0040", "0010,1010"].flatMap { ["-t", $0] }
    let g = best(repeats) { run([scanner, "-d", treeRoot, "-r"] + tags) }
    rows.append(("gdcmscanner -r, same 5 tags (1 thread)", g.seconds, g.maxRSS))
} else {
    print("gdcmscanner not installed (apt-get install libgdcm-tools): not compared")
}
// The all-tags table over the same tree, and DCMTK's dcmdump over it.
let tagsOut = FileManager.default.temporaryDirectory.appendingPathComponent("crawl-bench-tags.csv").path
let tagsArgs = [crawler, "tags", "--quiet", "--jobs", String(jobs), "-o", tagsOut] + dirs
let tags = best(repeats) { run(tagsArgs) }
rows.append(("dicomcrawler tags, CSV of all elements (\(jobs) threads)", tags.seconds, tags.maxRSS))
let jsonl = best(repeats) { run([crawler, "tags", "--quiet", "--format", "jsonl", "--jobs", String(jobs), "-o", tagsOut + ".jsonl"] + dirs) }
rows.append(("dicomcrawler tags --format jsonl (\(jobs) threads)", jsonl.seconds, jsonl.maxRSS))
if let dcmdump = which("dcmdump") {
    let d = best(repeats) { run([dcmdump, "+sd", "+r", "-q", treeRoot]) }
    rows.append(("dcmdump +sd +r (DCMTK, 1 thread, output discarded)", d.seconds, d.maxRSS))
} else {
    print("dcmdump not installed (apt-get install dcmtk): not compared")
}

let empty = FileManager.default.temporaryDirectory.appendingPathComponent("crawl-bench-empty").path
try? FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
var emptyTimes = (0..<21).map { _ in run([crawler, "--quiet", "--templates", "\(treeRoot)/templates.json", empty]).seconds }
emptyTimes.sort()

print("")
print("what".padding(toLength: 52, withPad: " ", startingAt: 0) + "   seconds      files/s   vs crawl   peak RSS")
for (name, seconds, rss) in rows {
    let rate = Double(fileCount) / seconds
    let line = name.padding(toLength: 52, withPad: " ", startingAt: 0)
        + String(format: "%10.3f %12.0f %9.2fx", seconds, rate, seconds / crawl.seconds)
        + (rss.map { String(format: " %7.1f MB", Double($0) / 1024) } ?? "")
    print(line)
}
print(String(format: "dicomcrawler on an empty directory: median %.1f ms (min %.1f, max %.1f) over 21 runs",
             emptyTimes[10] * 1000, emptyTimes[0] * 1000, emptyTimes[20] * 1000))
let gdcm = rows.first { $0.0.hasPrefix("gdcmscanner") }
print(String(format: "crawl / floor rate: %.2f;  crawl / gdcmscanner rate: %@", floorBest / crawl.seconds,
             gdcm.map { String(format: "%.1f", $0.1 / crawl.seconds) } ?? "n/a"))
let dcm = rows.first { $0.0.hasPrefix("dcmdump") }
print(String(format: "tags: %.0f files/s; dcmdump: %@", Double(fileCount) / tags.seconds,
             dcm.map { String(format: "%.0f files/s (tags is %.1fx faster)", Double(fileCount) / $0.1, $0.1 / tags.seconds) } ?? "n/a"))

// sort --copy and --link against cp -r and cp -rl of the same tree (a fresh destination each time).
if args.contains("--sort") {
    let dest = treeRoot + "-sorted"
    func fresh() { _ = run(["/bin/rm", "-rf", dest]); _ = run(["/bin/sync"]) }
    // Each timing includes a `sync`, so that data still waiting to be written counts for both.
    func timed(_ argv: [String]) -> Double { run(argv).seconds + run(["/bin/sync"]).seconds }
    print("")
    print("sort (\(jobs) threads) against cp, \(fileCount) files, best of \(repeats), each followed by sync:")
    for (label, sortArgs, cpArgs) in [("copy", ["--copy"], ["-r"]), ("link", ["--link"], ["-rl"])] {
        var sortBest = Double.infinity, cpBest = Double.infinity
        for _ in 0..<repeats {
            fresh()
            sortBest = min(sortBest, timed([crawler, "sort", "--quiet", "--jobs", String(jobs)] + sortArgs + [treeRoot, "--into", dest]))
            fresh()
            cpBest = min(cpBest, timed(["/bin/cp"] + cpArgs + [treeRoot, dest]))
        }
        print(String(format: "  sort --%@: %.3f s (%.0f files/s);  cp %@: %.3f s (%.0f files/s);  sort / cp time: %.2f",
                     label, sortBest, Double(fileCount) / sortBest, cpArgs[0], cpBest, Double(fileCount) / cpBest, sortBest / cpBest))
    }
    fresh()
}

// Memory of `tags` on wide files (300 elements each) as the number of files grows: it must not
// grow with rows x columns (the spill is on disk).
if args.contains("--wide") {
    let wideRoot = treeRoot + "-wide"
    let names = DataDictionary.allEntries.filter { e in
        !e.isRetired && e.mask == 0xFFFF_FFFF && ["LO", "SH", "CS", "DS", "IS", "DA", "TM", "UI"].contains(e.vrSpelling)
            && e.tag.group >= 0x0008 && e.tag.group <= 0x0040 && e.tag != .specificCharacterSet
    }.prefix(300)
    print("")
    print("tags memory on files of \(names.count) elements each:")
    var written = 0
    for target in [1_000, 4_000, 16_000] {
        while written < target {
            let dir = String(format: "%@/d%03d", wideRoot, written / 500)
            try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let elements: [Element] = names.map { e in
                let v: String
                switch e.vrSpelling {
                case "DA": v = "20240101"
                case "TM": v = "120000"
                case "UI": v = "1.2.826.0.1.3680043.10.1484.7.\(written)"
                case "DS", "IS": v = String(written % 997)
                default: v = "v\(written % 13)"
                }
                return .string(e.tag, v, vr: VR(e.vrSpelling)!)
            }
            try Data(DICOMWriter().write(DataSet(elements))).write(to: URL(fileURLWithPath: String(format: "%@/f%06d.dcm", dir, written)))
            written += 1
        }
        let wideDirs = (0..<(target / 500)).map { String(format: "%@/d%03d", wideRoot, $0) }
        let w = run([crawler, "tags", "--quiet", "--jobs", String(jobs), "-o", wideRoot + ".csv"] + wideDirs)
        print(String(format: "  %6d files x %d elements: %.2f s, peak RSS %.1f MB", target, names.count, w.seconds, Double(w.maxRSS) / 1024))
    }
}
