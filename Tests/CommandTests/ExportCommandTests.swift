import DICOM
import DICOMTestSupport
import Foundation
import XCTest

/// Runs a Python snippet with Debian's h5py (the system interpreter, whatever `python3` is first on
/// PATH); the snippet's standard output is returned.
func h5py(_ script: String, cwd: String = "/") throws -> String {
    let r = try runProcess("/usr/bin/python3", ["-c", script], cwd: cwd)
    XCTAssertEqual(r.status, 0, r.stderr)
    return r.stdout
}

/// One slice of a series: 4 × 3 pixels, all `value`, unsigned 16-bit.
func exportSlice(series: String, study: String = "1.2.3", position: [Double]?, orientation: [Double]? = [1, 0, 0, 0, 1, 0],
                 instance: Int?, temporal: Int? = nil, value: UInt16, rows: Int = 4, columns: Int = 3,
                 extra: [Element] = []) -> [UInt8] {
    var e: [Element] = [
        .string(.modality, "MR"), .string(.seriesDescription, "fixture"),
        .string(.sopInstanceUID, "\(series).\(instance ?? Int(value)).\(temporal ?? 0).\(UInt32.random(in: 1...999999))"),
        .string(.studyInstanceUID, study), .string(.seriesInstanceUID, series), .string(.patientID, "P1"),
        .uint16(Tag(0x0028_0002), [1]), .string(Tag(0x0028_0004), "MONOCHROME2"),
        .uint16(Tag(0x0028_0010), [UInt16(rows)]), .uint16(Tag(0x0028_0011), [UInt16(columns)]),
        .uint16(Tag(0x0028_0100), [16]), .uint16(Tag(0x0028_0101), [16]), .uint16(Tag(0x0028_0102), [15]),
        .uint16(Tag(0x0028_0103), [0]),
    ]
    func ds(_ v: [Double]) -> String { v.map { String($0) }.joined(separator: "\\") }
    if let position { e.append(.string(Tag(0x0020_0032), ds(position))) }
    if let orientation { e.append(.string(Tag(0x0020_0037), ds(orientation))) }
    if let instance { e.append(.string(.instanceNumber, String(instance))) }
    if let temporal { e.append(.string(Tag(0x0020_0100), String(temporal))) }
    let replaced = Set(extra.map(\.tag))
    e.removeAll { replaced.contains($0.tag) }
    e += extra
    e.append(.bytes(.pixelData, .OW, (0..<(rows * columns)).flatMap { _ in [UInt8(value & 0xFF), UInt8(value >> 8)] }))
    return DICOMWriter().write(DataSet(e))
}

final class ExportCommandTests: XCTestCase {
    var corpus: String { URL(fileURLWithPath: repoRoot()).deletingLastPathComponent().appendingPathComponent("shared/corpus").path }

    /// Every slice of every scan of the shared corpus equals pydicom's pixel_array of its file
    /// (native, deflated, big endian, RLE, JPEG lossless, JPEG-LS, JPEG 2000: dcm_qa_ts holds one
    /// image in nine syntaxes), read back through the index's links from another folder.
    func testCorpusEqualsPydicom() throws {
        XCTAssertTrue(FileManager.default.fileExists(atPath: corpus + "/expected-pixels.jsonl"), "shared corpus missing at \(corpus)")
        let t = try FixtureTree()
        let r = try runTool(["export", "-q", "--jobs", "2", corpus, "-o", t.path + "/out/pixel_data.h5"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let out = try h5py("""
            import h5py, json, hashlib, numpy as np
            exp = {}
            for line in open('\(corpus)/expected-pixels.jsonl'):
                o = json.loads(line); exp[o['path']] = o
            f = h5py.File('\(t.path)/out/pixel_data.h5', 'r')
            checked = 0; bad = []
            for k in f:
                d = f[k]; a = np.asarray(d); files = list(d.attrs['SourceFiles'])
                k_, rows, cols, s = a.shape[:4]
                slices = [a[v, :, :, i] for v in range(k_) for i in range(s)]
                byfile = {}
                for name, sl in zip(files, slices):
                    p, _, fr = name.partition('#')
                    byfile.setdefault(p, []).append((int(fr or 1), sl))
                for p, frames in byfile.items():
                    e = exp[p]
                    if len(frames) != e['frames']: bad.append((p, 'frames', len(frames))); continue
                    arr = np.stack([x for _, x in sorted(frames, key=lambda t: t[0])]) if e['frames'] > 1 else frames[0][1]
                    h = hashlib.sha256(np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder('<')).tobytes()).hexdigest()
                    if h != e['sha256'] or str(arr.dtype) != e['dtype']: bad.append((p, h, str(arr.dtype)))
                    checked += 1
            print(checked, bad)
            """)
        let words = out.split(separator: " ", maxSplits: 1)
        XCTAssertEqual(String(words.last ?? "").trimmingCharacters(in: .whitespacesAndNewlines), "[]", out)
        let expected = try String(contentsOfFile: corpus + "/expected-pixels.jsonl", encoding: .utf8).split(separator: "\n").filter { !$0.contains("\"error\"") }.count
        XCTAssertEqual(Int(words.first ?? ""), expected, "every decodable corpus file is a slice of some scan")
        // The metadata table: a row per scan, named columns of the first file.
        let csv = try parseCSV(try t.read("out/pixel_data.csv"))
        XCTAssertEqual(Array(csv.header.prefix(6)), ["Scan ID", "Dataset", "Shape", "Data Type", "Files", "Order"])
        XCTAssertTrue(csv.header.contains("Series Instance UID (0020,000E)"))
        XCTAssertEqual(try parseCSV(try t.read("out/pixel_data.unreadable.csv")).rows.count, 0)
    }

    /// Sagittal slices (normal along -x) whose Instance Numbers run against their positions are
    /// stacked by position; a 4-D series (3 positions × 2 time points) by time, then position;
    /// slices without positions by Instance Number.
    func testOrderAndShape() throws {
        let t = try FixtureTree()
        let sagittal = [0, 1, 2, 3, 4].shuffled()
        for x in sagittal {
            try t.write("in/sag/\(x).dcm", exportSlice(series: "1.1", position: [Double(x) * 2.5, -10, 20], orientation: [0, 1, 0, 0, 0, -1],
                                                        instance: 10 - x, value: UInt16(100 + x)))
        }
        for z in 0..<3 { for time in 1...2 {
            try t.write("in/fmri/t\(time)z\(z).dcm", exportSlice(series: "1.2", position: [0, 0, Double(z)], instance: time * 10 + z,
                                                               temporal: time, value: UInt16(time * 100 + z)))
        } }
        for i in [3, 1, 2] {
            try t.write("in/nopos/f\(i).dcm", exportSlice(series: "1.3", position: nil, orientation: nil, instance: i, value: UInt16(i)))
        }
        let r = try runTool(["export", "-q", t.path + "/in", "-o", t.path + "/px.h5"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let out = try h5py("""
            import h5py, numpy as np
            f = h5py.File('\(t.path)/px.h5', 'r')
            for k in sorted(f):
                d = f[k]; a = np.asarray(d)
                print(k, d.shape, d.attrs['Order'], [int(a[v, 0, 0, s]) for v in range(a.shape[0]) for s in range(a.shape[3])], d.attrs.get('SpacingBetweenSlices'))
            """)
        let lines = out.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 3, out)
        // Row (0,1,0) × column (0,0,-1) = (-1,0,0): stacked along -x, so x falls from slice to slice.
        XCTAssertEqual(lines[0], "1.1 (1, 4, 3, 5) position [104, 103, 102, 101, 100] 2.5")
        XCTAssertTrue(lines[1].hasPrefix("1.2 (2, 4, 3, 3) position [100, 101, 102, 200, 201, 202]"), lines[1])
        XCTAssertTrue(lines[2].hasPrefix("1.3 (1, 4, 3, 3) instance [1, 2, 3]"), lines[2])
    }

    /// A scan with a file whose pixel data is cut is left out whole and listed; the others are
    /// exported; exit status 1. The same command again changes nothing and skips what is there.
    func testUnreadableFileLeavesItsScanOutAndRerunSkips() throws {
        let t = try FixtureTree()
        for z in 0..<3 { try t.write("in/good/\(z).dcm", exportSlice(series: "2.1", position: [0, 0, Double(z)], instance: z, value: 5)) }
        for z in 0..<3 {
            var bytes = exportSlice(series: "2.2", position: [0, 0, Double(z)], instance: z, value: 6)
            if z == 1 { bytes.removeLast(10) }
            try t.write("in/cut/\(z).dcm", bytes)
        }
        let args = ["export", t.path + "/in", "-o", t.path + "/o.h5"]
        let r = try runTool(args)
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("1 scan exported"), r.stderr)
        XCTAssertTrue(r.stderr.contains("1 left out"), r.stderr)
        let list = try parseCSV(try t.read("o.unreadable.csv"))
        XCTAssertEqual(list.header, ["Scan ID", "Path", "Reason"])
        XCTAssertEqual(list.rows.count, 1)
        XCTAssertEqual(list.rows.first?[0], "2.2")
        XCTAssertTrue(list.rows.first?[1].hasSuffix("in/cut/1.dcm") == true)
        XCTAssertEqual(try h5py("import h5py; print(sorted(h5py.File('\(t.path)/o.h5', 'r')))").trimmingCharacters(in: .whitespacesAndNewlines), "['2.1']")
        let csvBefore = try t.read("o.csv")
        let again = try runTool(args)
        XCTAssertEqual(again.status, 1)
        XCTAssertTrue(again.stderr.contains("0 scans exported, 1 already there"), again.stderr)
        XCTAssertEqual(try t.read("o.csv"), csvBefore)
    }

    /// Three shards run at once by GNU parallel fill one folder with the datasets one run writes.
    func testShardsInParallelEqualOneRun() throws {
        let t = try FixtureTree()
        for s in 0..<12 { for z in 0..<2 {
            try t.write("in/s\(s)/\(z).dcm", exportSlice(series: "3.\(s)", position: [0, 0, Double(z)], instance: z, value: UInt16(s * 10 + z)))
        } }
        XCTAssertEqual(try runTool(["export", "-q", t.path + "/in", "-o", t.path + "/one/p.h5"]).status, 0)
        let r = try runProcess("/usr/bin/parallel", ["--will-cite", toolPath(), "export", "-q", "--shard", "{}/3", t.path + "/in", "-o", t.path + "/many/p.h5", ":::", "1", "2", "3"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let dump = """
            import h5py, numpy as np, sys
            f = h5py.File(sys.argv[1], 'r')
            for k in sorted(f): print(k, np.asarray(f[k]).tolist())
            """
        let one = try runProcess("/usr/bin/python3", ["-c", dump, t.path + "/one/p.h5"], cwd: "/")
        let many = try runProcess("/usr/bin/python3", ["-c", dump, t.path + "/many/p.h5"], cwd: "/")
        XCTAssertEqual(one.stdout.split(separator: "\n").count, 12)
        XCTAssertEqual(one.stdout, many.stdout)
        XCTAssertEqual(try parseCSV(try t.read("one/p.csv")).rows.map { $0[0] }, try parseCSV(try t.read("many/p.csv")).rows.map { $0[0] })
        let parts = try FileManager.default.contentsOfDirectory(atPath: t.path + "/many/p.h5.parts").filter { $0.hasSuffix(".h5") }
        XCTAssertEqual(Set(parts.map { $0.split(separator: "-")[1] }), ["s1of3", "s2of3", "s3of3"])
    }

    /// kill -9 while part files are being written, then the same command: the same datasets and
    /// metadata as a run never interrupted (one thread, and two).
    func testKilledRunFinishedByRunningAgain() throws {
        let t = try FixtureTree()
        for s in 0..<40 { for z in 0..<2 {
            try t.write("in/s\(s)/\(z).dcm", exportSlice(series: "4.\(s)", position: [0, 0, Double(z)], instance: z, value: UInt16(s), rows: 64, columns: 64))
        } }
        XCTAssertEqual(try runTool(["export", "-q", t.path + "/in", "-o", t.path + "/ref/p.h5"]).status, 0)
        // One thread, and two sharing out the slices of each scan.
        for jobs in ["1", "2"] {
            let k = "k\(jobs)"
            let args = ["export", "-q", "--jobs", jobs, "--part-bytes", "1", t.path + "/in", "-o", t.path + "/\(k)/p.h5"]
            let p = try startTool(args, cwd: t.path, environment: ["DICOMCRAWLER_TEST_PAUSE_PER_SCAN_MS": "30"])
            // Wait for a few complete parts, then kill.
            let deadline = Date().addingTimeInterval(20)
            while Date() < deadline {
                let parts = (try? FileManager.default.contentsOfDirectory(atPath: t.path + "/\(k)/p.h5.parts"))?.filter { $0.hasPrefix("part-") && $0.hasSuffix(".h5") } ?? []
                if parts.count >= 5 { break }
                usleep(10_000)
            }
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            XCTAssertEqual(p.terminationReason, .uncaughtSignal, "--jobs \(jobs)")
            let again = try runTool(Array(args.filter { $0 != "-q" }))
            XCTAssertEqual(again.status, 0, again.stderr)
            XCTAssertTrue(again.stderr.contains("already there"), again.stderr)
            let dump = """
                import h5py, numpy as np, sys
                f = h5py.File(sys.argv[1], 'r')
                for k in sorted(f): print(k, f[k].shape, np.asarray(f[k]).sum(), dict(f[k].attrs)['SourceFiles'].tolist())
                """
            let ref = try runProcess("/usr/bin/python3", ["-c", dump, t.path + "/ref/p.h5"], cwd: "/")
            let killed = try runProcess("/usr/bin/python3", ["-c", dump, t.path + "/\(k)/p.h5"], cwd: "/")
            XCTAssertEqual(ref.stdout.split(separator: "\n").count, 40)
            XCTAssertEqual(ref.stdout, killed.stdout, "--jobs \(jobs)")
            // The killed run's temporary part is gone.
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: t.path + "/\(k)/p.h5.parts").filter { $0.hasSuffix(".tmp") }, [])
            XCTAssertEqual(try t.read("ref/p.csv"), try t.read("\(k)/p.csv"))
        }
    }

    /// --slices: one dataset per file named by its SOP Instance UID, shaped (Rows, Columns); a row
    /// per file in the metadata table.
    func testSlicesModeOneDatasetPerFile() throws {
        let t = try FixtureTree()
        for z in 0..<3 {
            try t.write("in/\(z).dcm", exportSlice(series: "5.1", position: [0, 0, Double(z)], instance: z, value: UInt16(40 + z),
                                                 extra: [.string(.sopInstanceUID, "5.1.9.\(z)")]))
        }
        let r = try runTool(["export", "-q", "--slices", t.path + "/in", "-o", t.path + "/s.h5"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let out = try h5py("""
            import h5py, numpy as np
            f = h5py.File('\(t.path)/s.h5', 'r')
            for k in sorted(f): print(k, f[k].shape, int(np.asarray(f[k]).max()))
            """)
        XCTAssertEqual(out, "5.1.9.0 (4, 3) 40\n5.1.9.1 (4, 3) 41\n5.1.9.2 (4, 3) 42\n")
        XCTAssertEqual(try parseCSV(try t.read("s.csv")).rows.map { $0[0] }, ["5.1.9.0", "5.1.9.1", "5.1.9.2"])
    }

    /// A decoder that aborts on a frame (GDCM asserts on some hostile ones) costs that file's scan
    /// only: the file is listed with the signal, the other scans (one of them JPEG, decoded by a
    /// new helper) are exported, exit status 1.
    func testADecoderAbortCostsOneScan() throws {
        let t = try FixtureTree()
        // A JPEG baseline frame holding the marker that makes the helper abort.
        var elements: [Element] = []
        for e in DICOMReader.read(bytes: exportSlice(series: "7.1", position: [0, 0, 0], instance: 1, value: 1)).dataSet.elements where e.tag != .pixelData {
            elements.append(e)
        }
        elements.append(Element.encapsulatedPixelData([[0xFF, 0xD8] + Array("ABORT-HERE".utf8) + [0xFF, 0xD9]]))
        try t.write("in/bad/1.dcm", DICOMWriter(transferSyntax: TransferSyntax(uid: "1.2.840.10008.1.2.4.50")!).write(DataSet(elements)))
        // A real JPEG lossless series and a native one.
        try t.write("in/native/1.dcm", exportSlice(series: "7.2", position: [0, 0, 0], instance: 1, value: 9))
        try t.mkdir("in/jpeg")
        try t.write("src/1.dcm", exportSlice(series: "7.3", position: [0, 0, 0], instance: 1, value: 300))
        let enc = try runProcess("/usr/bin/gdcmconv", ["--jpeg", t.path + "/src/1.dcm", t.path + "/in/jpeg/1.dcm"])
        XCTAssertEqual(enc.status, 0, enc.stderr)
        let r = try runTool(["export", "--jobs", "1", t.path + "/in", "-o", t.path + "/a.h5"],
                            env: ["DICOMCRAWLER_TEST_DECODER_ABORT_MARKER": "ABORT-HERE"])
        XCTAssertEqual(r.status, 1, r.stderr)
        let list = try parseCSV(try t.read("a.unreadable.csv"))
        XCTAssertEqual(list.rows.map { $0[0] }, ["7.1"])
        XCTAssertTrue(list.rows.first?[2].contains("crashed (signal 6)") == true, "\(list.rows)")
        XCTAssertEqual(try datasetMaxima(t.path + "/a.h5"), "7.2 9\n7.3 300\n")
    }

    /// The threads share out the slices of a scan (every slice is a task; the thread that finishes
    /// a scan's last slice writes it): with 1, 2 or 3 jobs, a JPEG 2000 scan and a native one come
    /// out the same, slice for slice; a decoder that aborts on slices of a scan leaves that whole
    /// scan out (no dataset, no metadata row) and lists the first such file, whichever thread met it.
    func testThreadsShareTheSlicesOfAScan() throws {
        let t = try FixtureTree()
        for z in 0..<16 {
            try t.write("src/j2k/\(z).dcm", exportSlice(series: "8.1", position: [0, 0, Double(z)], instance: z + 1,
                                                         value: UInt16(1000 + 7 * z), rows: 48, columns: 40))
            try t.write("in/native/\(z).dcm", exportSlice(series: "8.2", position: [0, 0, Double(-z)], instance: z + 1,
                                                           value: UInt16(50 + z), rows: 48, columns: 40))
        }
        try t.mkdir("in/j2k")
        try t.mkdir("in/bad")
        for z in 0..<16 {
            let enc = try runProcess("/usr/bin/gdcmconv", ["--j2k", t.path + "/src/j2k/\(z).dcm", t.path + "/in/j2k/\(z).dcm"])
            XCTAssertEqual(enc.status, 0, enc.stderr)
        }
        // Series 8.3: JPEG frames, the eighth and the eleventh of twelve holding the marker that makes
        // the helper abort: the list names the eighth (the first a run on one thread meets), always.
        for z in 0..<12 {
            let plain = exportSlice(series: "8.3", position: [0, 0, Double(z)], instance: z + 1, value: UInt16(z))
            try t.write("src/bad/\(z).dcm", plain)
            if z == 7 || z == 10 {
                var elements: [Element] = []
                for e in DICOMReader.read(bytes: plain).dataSet.elements where e.tag != .pixelData {
                    elements.append(e)
                }
                elements.append(Element.encapsulatedPixelData([[0xFF, 0xD8] + Array("ABORT-HERE".utf8) + [0xFF, 0xD9]]))
                try t.write("in/bad/\(z).dcm", DICOMWriter(transferSyntax: TransferSyntax(uid: "1.2.840.10008.1.2.4.70")!).write(DataSet(elements)))
            } else {
                let enc = try runProcess("/usr/bin/gdcmconv", ["--jpeg", t.path + "/src/bad/\(z).dcm", t.path + "/in/bad/\(z).dcm"])
                XCTAssertEqual(enc.status, 0, enc.stderr)
            }
        }
        var dumps: [String] = []
        for jobs in ["1", "2", "3"] {
            let r = try runTool(["export", "-q", "--jobs", jobs, t.path + "/in", "-o", t.path + "/j\(jobs)/px.h5"],
                                env: ["DICOMCRAWLER_TEST_DECODER_ABORT_MARKER": "ABORT-HERE"])
            XCTAssertEqual(r.status, 1, "--jobs \(jobs): \(r.stderr)")
            let list = try parseCSV(try t.read("j\(jobs)/px.unreadable.csv"))
            XCTAssertEqual(list.rows.count, 1, "--jobs \(jobs): \(list.rows)")
            XCTAssertEqual(list.rows.first?[0], "8.3")
            XCTAssertTrue(list.rows.first?[1].hasSuffix("in/bad/7.dcm") == true, "--jobs \(jobs): \(list.rows)")
            XCTAssertTrue(list.rows.first?[2].contains("crashed (signal 6)") == true, "--jobs \(jobs): \(list.rows)")
            XCTAssertEqual(try parseCSV(try t.read("j\(jobs)/px.csv")).rows.map { $0[0] }, ["8.1", "8.2"], "--jobs \(jobs)")
            dumps.append(try h5py("""
                import h5py, numpy as np
                f = h5py.File('\(t.path)/j\(jobs)/px.h5', 'r')
                for k in sorted(f):
                    d = f[k]; a = np.asarray(d)
                    print(k, d.shape, d.dtype, [int(a[0, 0, 0, s]) for s in range(a.shape[3])], bool((a == a[:, :1, :1, :]).all()),
                          [x.split('/')[-1] for x in d.attrs['SourceFiles']])
                """))
        }
        func names(_ zs: [Int]) -> String { "[" + zs.map { "'\($0).dcm'" }.joined(separator: ", ") + "]" }
        XCTAssertEqual(dumps[0], """
            8.1 (1, 48, 40, 16) uint16 \((0..<16).map { 1000 + 7 * $0 }) True \(names(Array(0..<16)))
            8.2 (1, 48, 40, 16) uint16 \((0..<16).reversed().map { 50 + $0 }) True \(names((0..<16).reversed()))

            """)
        XCTAssertEqual(dumps[1], dumps[0])
        XCTAssertEqual(dumps[2], dumps[0])
    }

    /// `dicomcrawler` without `dicomcrawler-decoder` beside it (GDCM lives only in the helper): a
    /// warning says so up front, the JPEG scan is listed as unreadable with the helper's path, the
    /// native scan is exported, exit status 1.
    func testAMissingDecoderHelperIsNamedAndCostsOnlyCompressedScans() throws {
        let t = try FixtureTree()
        try t.write("in/native/1.dcm", exportSlice(series: "7.5", position: [0, 0, 0], instance: 1, value: 9))
        try t.mkdir("in/jpeg")
        try t.write("src/1.dcm", exportSlice(series: "7.6", position: [0, 0, 0], instance: 1, value: 300))
        let enc = try runProcess("/usr/bin/gdcmconv", ["--jpeg", t.path + "/src/1.dcm", t.path + "/in/jpeg/1.dcm"])
        XCTAssertEqual(enc.status, 0, enc.stderr)
        try t.mkdir("bin")
        try FileManager.default.copyItem(atPath: toolPath(), toPath: t.path + "/bin/dicomcrawler")
        let r = try runProcess(t.path + "/bin/dicomcrawler", ["export", t.path + "/in", "-o", t.path + "/a.h5"])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("warning: the decoder helper \(t.path)/bin/dicomcrawler-decoder is missing"), r.stderr)
        let list = try parseCSV(try t.read("a.unreadable.csv"))
        XCTAssertEqual(list.rows.map { $0[0] }, ["7.6"])
        XCTAssertTrue(list.rows.first?[2].contains("cannot start the decoder \(t.path)/bin/dicomcrawler-decoder: No such file or directory") == true, "\(list.rows)")
        XCTAssertEqual(try datasetMaxima(t.path + "/a.h5"), "7.5 9\n")
        // `--version` names the missing helper instead of GDCM's version.
        let version = try runProcess(t.path + "/bin/dicomcrawler", ["--version"])
        XCTAssertEqual(version.status, 0, version.stderr)
        XCTAssertTrue(version.stdout.contains("\nGDCM: not available (\(t.path)/bin/dicomcrawler-decoder is missing"), version.stdout)
        // The helper itself, run by hand, says what it is and exits 2 (it serves only its parent).
        let helper = URL(fileURLWithPath: toolPath()).deletingLastPathComponent().appendingPathComponent("dicomcrawler-decoder").path
        let byHand = try runProcess(helper, ["--help"])
        XCTAssertEqual(byHand.status, 2)
        XCTAssertTrue(byHand.stderr.contains("the helper process of `dicomcrawler export`"), byHand.stderr)
    }

    /// Each dataset of an export, by h5py: "name max" lines in name order.
    func datasetMaxima(_ path: String) throws -> String {
        try h5py("""
            import h5py, numpy as np
            f = h5py.File('\(path)', 'r')
            for k in sorted(f): print(k, int(np.asarray(f[k]).max()))
            """)
    }

    /// What each executable loads: `dicomcrawler` neither GDCM (~20 ms of start-up, every command)
    /// nor a shared HDF5 (which brings libcurl, GnuTLS and Kerberos, ~6 ms); the decoder helper has
    /// GDCM. Start-up time is measured in BENCHMARKS.md; this keeps the cause from coming back.
    func testTheMainExecutableLoadsNeitherGDCMNorSharedHDF5() throws {
        let main = try runProcess("/usr/bin/ldd", [toolPath()])
        XCTAssertEqual(main.status, 0, main.stderr)
        XCTAssertTrue(main.stdout.contains("libmagic"), main.stdout)
        for library in ["libgdcm", "libhdf5", "libcurl", "libgnutls", "libkrb5", "libopenjp2", "not found"] {
            XCTAssertFalse(main.stdout.contains(library), "\(library) in\n\(main.stdout)")
        }
        let helperPath = URL(fileURLWithPath: toolPath()).deletingLastPathComponent().appendingPathComponent("dicomcrawler-decoder").path
        let helper = try runProcess("/usr/bin/ldd", [helperPath])
        XCTAssertEqual(helper.status, 0, helper.stderr)
        XCTAssertTrue(helper.stdout.contains("libgdcmMSFF"), helper.stdout)
        XCTAssertFalse(helper.stdout.contains("not found"), helper.stdout)
    }

    /// A second run adds the scans that are new; the index still opens after the output folder is
    /// moved.
    func testRerunAddsNewScansAndOutputFolderMoves() throws {
        let t = try FixtureTree()
        try t.write("in/a/1.dcm", exportSlice(series: "8.1", position: [0, 0, 0], instance: 1, value: 1))
        XCTAssertEqual(try runTool(["export", "-q", t.path + "/in", "-o", t.path + "/out/p.h5"]).status, 0)
        try t.write("in/b/1.dcm", exportSlice(series: "8.2", position: [0, 0, 0], instance: 1, value: 2))
        let r = try runTool(["export", t.path + "/in", "-o", t.path + "/out/p.h5"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("1 scan exported, 1 already there"), r.stderr)
        XCTAssertEqual(try parseCSV(try t.read("out/p.csv")).rows.map { $0[0] }, ["8.1", "8.2"])
        try FileManager.default.moveItem(atPath: t.path + "/out", toPath: t.path + "/moved")
        XCTAssertEqual(try h5py("""
            import h5py, numpy as np
            f = h5py.File('\(t.path)/moved/p.h5', 'r')
            print([(k, int(np.asarray(f[k]).max())) for k in sorted(f)])
            """), "[('8.1', 1), ('8.2', 2)]\n")
    }

    /// RGB slices: a last axis of 3, one chunk per slice, values as written.
    func testColourScan() throws {
        let t = try FixtureTree()
        for z in 0..<2 {
            var e = DICOMReader.read(bytes: exportSlice(series: "9.1", position: [0, 0, Double(z)], instance: z, value: 0)).dataSet.elements
                .filter { ![Tag(0x0028_0002), Tag(0x0028_0004), Tag(0x0028_0100), Tag(0x0028_0101), Tag(0x0028_0102), .pixelData].contains($0.tag) }
            e += [.uint16(Tag(0x0028_0002), [3]), .string(Tag(0x0028_0004), "RGB"), .uint16(Tag(0x0028_0006), [0]),
                  .uint16(Tag(0x0028_0100), [8]), .uint16(Tag(0x0028_0101), [8]), .uint16(Tag(0x0028_0102), [7]),
                  .bytes(.pixelData, .OB, (0..<12).flatMap { i in [UInt8(10 + z), UInt8(i), 200] })]
            try t.write("in/\(z).dcm", DICOMWriter().write(DataSet(e.sorted { $0.tag < $1.tag })))
        }
        XCTAssertEqual(try runTool(["export", "-q", t.path + "/in", "-o", t.path + "/c.h5"]).status, 0)
        XCTAssertEqual(try h5py("""
            import h5py
            d = h5py.File('\(t.path)/c.h5', 'r')['9.1']
            print(d.shape, d.dtype, d.chunks, d[0, 0, 1, 1].tolist(), d.attrs['PhotometricInterpretation'])
            """), "(1, 4, 3, 2, 3) uint8 (1, 4, 3, 1, 3) [11, 1, 200] RGB\n")
    }

    /// -o naming a folder, or a file that is not HDF5 (it would be replaced), is refused (exit 2) and
    /// left as it was.
    func testOutputThatIsNotOursIsRefused() throws {
        let t = try FixtureTree()
        try t.write("in/1.dcm", exportSlice(series: "10.1", position: nil, instance: 1, value: 1))
        try t.write("notes.h5", text: "my notes")
        let r = try runTool(["export", t.path + "/in", "-o", t.path + "/notes.h5"])
        XCTAssertEqual(r.status, 2, r.stderr)
        XCTAssertTrue(r.stderr.contains("not an HDF5 file"), r.stderr)
        XCTAssertEqual(try t.read("notes.h5"), "my notes")
        XCTAssertEqual(try runTool(["export", t.path + "/in", "-o", t.path + "/in"]).status, 2)
    }

    /// A full disk: a clear one-line error, exit 1, no crash (HDF5's exit handler crashed after a
    /// failed close), no temporary part left behind.
    func testFullDisk() throws {
        let t = try FixtureTree()
        for s in 0..<6 {
            for z in 0..<4 { try t.write("in/s\(s)/\(z).dcm", exportSlice(series: "11.\(s)", position: [0, 0, Double(z)], instance: z, value: UInt16(z), rows: 256, columns: 256)) }
        }
        try t.mkdir("full")
        let script = "mount -t tmpfs -o size=300k tmpfs '\(t.path)/full' && '\(toolPath())' export -q '\(t.path)/in' -o '\(t.path)/full/p.h5' --compression none; echo \"status $?\"; ls -a '\(t.path)/full/p.h5.parts'"
        let r = try runProcess("/usr/bin/unshare", ["-m", "sh", "-c", script])
        XCTAssertTrue(r.stdout.contains("status 1"), r.stdout + r.stderr)
        XCTAssertTrue(r.stderr.contains("No space left on device"), r.stderr)
        XCTAssertLessThan(r.stderr.count, 600, r.stderr)
        XCTAssertFalse(r.stdout.contains(".tmp"), r.stdout)
    }

    /// Two runs of one shard on one output at once: the second refuses (exit 1) and leaves the
    /// first's work alone.
    func testSecondRunOfAShardRefuses() throws {
        let t = try FixtureTree()
        for s in 0..<20 { try t.write("in/s\(s)/1.dcm", exportSlice(series: "12.\(s)", position: nil, instance: 1, value: UInt16(s))) }
        let first = try startTool(["export", "-q", "--jobs", "1", t.path + "/in", "-o", t.path + "/p.h5"], cwd: t.path,
                                  environment: ["DICOMCRAWLER_TEST_PAUSE_PER_SCAN_MS": "100"])
        let deadline = Date().addingTimeInterval(10)
        while !FileManager.default.fileExists(atPath: t.path + "/p.h5.parts/.run-s1of1.lock") && Date() < deadline { usleep(10_000) }
        usleep(200_000)
        let second = try runTool(["export", t.path + "/in", "-o", t.path + "/p.h5"])
        XCTAssertEqual(second.status, 1, second.stderr)
        XCTAssertTrue(second.stderr.contains("another export of shard 1/1"), second.stderr)
        first.waitUntilExit()
        XCTAssertEqual(first.terminationStatus, 0)
        XCTAssertEqual(try parseCSV(try t.read("p.csv")).rows.count, 20)
    }

    func testBadArgumentsAreUsageErrors() throws {
        for args in [["--shard", "4/3"], ["--shard", "x"], ["--compression", "zstd"], ["--compression", "gzip:12"]] {
            let r = try runTool(["export", "/nonexistent"] + args)
            XCTAssertEqual(r.status, 2, "\(args): \(r.stderr)")
        }
    }
}
