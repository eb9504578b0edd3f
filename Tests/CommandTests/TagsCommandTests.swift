import DICOM
import DICOMTestSupport
import Foundation
import XCTest

final class TagsCommandTests: XCTestCase {
    /// Two DICOM files with nested sequences, several items, private creators, a Latin-1 name,
    /// binary values and multi-valued strings; a non-DICOM file; a truncated DICOM file.
    func makeFixtures(_ t: FixtureTree) throws {
        let a = DataSet([
            .string(.specificCharacterSet, "ISO_IR 100"),
            .string(Tag(0x0008_0008), "ORIGINAL\\PRIMARY"),
            .string(.sopInstanceUID, "1.2.3.1"),
            .string(Tag(0x0008_0050), ""),  // Accession Number: empty in every row, so no column
            .string(.studyDate, "20240101"),
            .sequence(Tag(0x0008_1140), [
                DataSet([.string(Tag(0x0008_1155), "1.2.3.10")]),
                DataSet([.string(Tag(0x0008_1155), "1.2.3.11"),
                         .sequence(Tag(0x0008_9215), [DataSet([.string(Tag(0x0008_0100), "113076"), .string(Tag(0x0008_0104), "Segmentation, \"auto\"")])])]),
            ]),
            .bytes(.patientName, .PN, [0x4D, 0xFC, 0x6C, 0x6C, 0x65, 0x72, 0x5E, 0x4A, 0xF6, 0x72, 0x67], pad: true),
            .string(.patientID, "P1"),
            .string(Tag(0x0009_0010), "ACME 1.0", vr: .LO),
            .string(Tag(0x0009_1001), "hello", vr: .LO),
            .bytes(Tag(0x0009_1002), .OB, (0..<100).map { UInt8($0) }),
            .uint16(Tag(0x0028_0010), [512]),
            .float64(Tag(0x0018_9087), [1000]),
            .bytes(.pixelData, .OW, [UInt8](repeating: 1, count: 64)),
        ])
        let b = DataSet([
            .string(.sopInstanceUID, "1.2.3.2"),
            .string(Tag(0x0008_0050), ""),
            .string(.studyDate, "20240102"),
            .sequence(Tag(0x0008_1140), (0..<4).map { i in DataSet([.string(Tag(0x0008_1155), "1.2.3.2\(i)")]) }),
            .string(.patientID, "P2"),
            .bytes(Tag(0x0011_1001), .UN, [0xDE, 0xAD]),
            .bytes(Tag(0x6000_3000), .OW, [0, 0, 0, 0]),   // overlay data: never a column
        ])
        try t.write("tree/a/IM1.dcm", DICOMWriter().write(a))
        try t.write("tree/b/IM1.dcm", DICOMWriter(transferSyntax: .implicitVRLittleEndian).write(b))
        try t.write("tree/b/notes.txt", text: "not DICOM\n")
        try t.write("tree/b/z-cut.dcm", Array(DICOMWriter().write(a).prefix(300)))
    }

    func testFixtureTableByteForByte() throws {
        let t = try FixtureTree()
        try makeFixtures(t)
        try t.mkdir("out")
        let r = try runTool(["tags", "--max-value-bytes", "8", "tree", "-o", "out/table.csv"], cwd: t.path)
        XCTAssertEqual(r.status, 1, "an unreadable file makes the status 1: \(r.stderr)")
        XCTAssertTrue(r.stderr.contains("out/table.csv: 2 DICOM files of 4, 19 columns, 1 other file skipped"), r.stderr)
        XCTAssertEqual(try t.read("out/table.csv"), #"""
            DicomPath,"Specific Character Set (0008,0005)","Image Type (0008,0008)","SOP Instance UID (0008,0018)","Study Date (0008,0020)","Referenced Image Sequence (0008,1140) - Number of Items","Referenced Image Sequence (0008,1140) - Referenced SOP Instance UID (0008,1155)","Referenced Image Sequence (0008,1140) [2] - Referenced SOP Instance UID (0008,1155)","Referenced Image Sequence (0008,1140) [2] - Derivation Code Sequence (0008,9215) - Number of Items","Referenced Image Sequence (0008,1140) [2] - Derivation Code Sequence (0008,9215) - Code Value (0008,0100)","Referenced Image Sequence (0008,1140) [2] - Derivation Code Sequence (0008,9215) - Code Meaning (0008,0104)","Referenced Image Sequence (0008,1140) [3] - Referenced SOP Instance UID (0008,1155)","Private Creator (0009,0010)","[ACME 1.0] (0009,1001)","[ACME 1.0] (0009,1002)","Patient's Name (0010,0010)","Patient ID (0010,0020)","Private tag (0011,1001)","Diffusion b-value (0018,9087)","Rows (0028,0010)"
            tree/a/IM1.dcm,ISO_IR 100,ORIGINAL\PRIMARY,1.2.3.1,20240101,2,1.2.3.10,1.2.3.11,1,113076,"Segmentation, ""auto""",,ACME 1.0,hello,0001020304050607...(100 bytes),Müller^Jörg,P1,,1000.0,512
            tree/b/IM1.dcm,,,1.2.3.2,20240102,4,1.2.3.20,1.2.3.21,,,,1.2.3.22,,,,,P2,dead,,

            """#)
        XCTAssertEqual(try t.read("out/table.csv.unreadable.csv"), """
            DicomPath,Reason
            tree/b/z-cut.dcm,"truncated at byte 292: value of (0008,0005) (10 bytes from byte 300) runs past the end of the file (300 bytes)"

            """)
        XCTAssertFalse(t.exists("out/table.csv.progress"), "the progress state is removed on success")

        // Deterministic: again, with another thread count and tiny batches, byte-identical.
        let first = try t.read("out/table.csv")
        _ = try runTool(["tags", "-q", "--jobs", "1", "--batch-size", "1", "--max-value-bytes", "8", "tree", "-o", "out/table.csv"], cwd: t.path)
        XCTAssertEqual(try t.read("out/table.csv"), first)
        _ = try runTool(["tags", "-q", "--jobs", "8", "--max-value-bytes", "8", "tree", "-o", "out/table.csv"], cwd: t.path)
        XCTAssertEqual(try t.read("out/table.csv"), first)
    }

    func testKeywordsNoPrivateAndMaxItems() throws {
        let t = try FixtureTree()
        try makeFixtures(t)
        let r = try runTool(["tags", "-q", "--keywords", "PatientID,ReferencedImageSequence", "--max-items", "1", "tree", "-o", "k.csv"], cwd: t.path)
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(try t.read("k.csv"), #"""
            DicomPath,"Referenced Image Sequence (0008,1140) - Number of Items","Referenced Image Sequence (0008,1140) - Referenced SOP Instance UID (0008,1155)","Patient ID (0010,0020)"
            tree/a/IM1.dcm,2,1.2.3.10,P1
            tree/b/IM1.dcm,4,1.2.3.20,P2

            """#)
        _ = try runTool(["tags", "-q", "--no-private", "tree", "-o", "np.csv"], cwd: t.path)
        let header = try t.read("np.csv").split(separator: "\n")[0]
        XCTAssertFalse(header.contains("Private"), String(header))
        XCTAssertFalse(header.contains("ACME"), String(header))
        XCTAssertTrue(header.contains("Patient ID (0010,0020)"))
        let bad = try runTool(["tags", "--keywords", "PatientID,Nope", "tree"], cwd: t.path)
        XCTAssertEqual(bad.status, 2)
    }

    /// --format jsonl, parsed back: the same values as the CSV, every item, PS3.18 shapes.
    func testJSONLinesParseBackToTheSameValues() throws {
        let t = try FixtureTree()
        try makeFixtures(t)
        _ = try runTool(["tags", "-q", "--max-value-bytes", "200", "tree", "-o", "t.csv"], cwd: t.path)
        let r = try runTool(["tags", "-q", "--format", "jsonl", "--max-value-bytes", "200", "tree"], cwd: t.path)
        XCTAssertEqual(r.status, 1)
        let lines = try t.read("dicom_data.jsonl").split(separator: "\n")
        XCTAssertEqual(lines.count, 2)
        let objs = try lines.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        XCTAssertEqual(objs.map { $0["DicomPath"] as? String }, ["tree/a/IM1.dcm", "tree/b/IM1.dcm"])
        func value(_ o: [String: Any], _ key: String) -> [Any]? { (o[key] as? [String: Any])?["Value"] as? [Any] }
        let a = objs[0]
        XCTAssertEqual(value(a, "00080008") as? [String], ["ORIGINAL", "PRIMARY"])
        XCTAssertEqual((value(a, "00100010")?.first as? [String: String])?["Alphabetic"], "Müller^Jörg")
        XCTAssertEqual(value(a, "00280010") as? [Int], [512])
        XCTAssertEqual(value(a, "00189087") as? [Double], [1000])
        XCTAssertEqual((a["00091002"] as? [String: Any])?["InlineBinary"] as? String, Data((0..<100).map { UInt8($0) }).base64EncodedString())
        XCTAssertNil(a["7FE00010"])
        XCTAssertNil(a["00020010"])
        let items = value(a, "00081140") as? [[String: Any]]
        XCTAssertEqual(items?.count, 2)
        let nested = (items?[1]["00089215"] as? [String: Any])?["Value"] as? [[String: Any]]
        XCTAssertEqual(((nested?.first?["00080104"] as? [String: Any])?["Value"] as? [String]), ["Segmentation, \"auto\""])
        let b = objs[1]
        XCTAssertEqual((value(b, "00081140") as? [[String: Any]])?.count, 4, "jsonl keeps every item")
        XCTAssertEqual((b["00080050"] as? [String: Any])?["vr"] as? String, "SH")
        XCTAssertNil((b["00080050"] as? [String: Any])?["Value"], "an empty value has no Value")
        XCTAssertNil(b["60003000"])

        // Every CSV cell of a top-level string element equals the JSON value joined with backslashes.
        let csv = try parseCSV(try t.read("t.csv"))
        for (row, obj) in zip(csv.rows, objs) {
            for (i, name) in csv.header.enumerated() where name.contains("(0008,0020)") || name.contains("(0010,0020)") || name.contains("(0008,0008)") || name.contains("(0008,0018)") {
                let tagText = name.split(separator: "(").last!.dropLast().replacingOccurrences(of: ",", with: "")
                let json = (value(obj, tagText) as? [String])?.joined(separator: "\\") ?? ""
                XCTAssertEqual(row[i], json, name)
            }
        }
    }

    func testTwoRunsOnOneOutputAndResumeAfterKill() throws {
        let t = try FixtureTree()
        for s in 0..<6 {
            for i in 0..<40 {
                try t.write(String(format: "big/s%02d/IM%03d.dcm", s, i), dicomFile(date: "2024010\(s + 1)", time: String(format: "%06d", i), id: "P\(s)",
                                                                                       raw: [.string(Tag(0x0020_0013), String(i))]))
            }
        }
        let args = ["tags", "-q", "--jobs", "2", "--batch-size", "4", "--commit-interval", "0", "big", "-o", "all.csv"]
        let clean = try runTool(args, cwd: t.path)
        XCTAssertEqual(clean.status, 0, clean.stderr)
        let expected = try t.read("all.csv")
        XCTAssertEqual(expected.split(separator: "\n").count, 241)
        try FileManager.default.removeItem(atPath: t.path + "/all.csv")

        var resumedSomething = false
        for delay in [20_000, 60_000, 120_000, 250_000, 400_000] as [UInt32] {
            // Each commit pauses 40 ms (test hook), so that the kills land inside the run on any machine.
            let p = try startTool(args + ["--resume"], cwd: t.path, environment: ["DICOMCRAWLER_TEST_PAUSE_IN_WRITE_MS": "40"])
            usleep(delay)
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            if p.terminationReason == .exit {
                XCTAssertEqual(try t.read("all.csv"), expected, "finished before the kill at \(delay) µs")
                try FileManager.default.removeItem(atPath: t.path + "/all.csv")
                continue
            }
            if t.exists("all.csv") {  // killed after the rename, before the clean-up: complete anyway
                XCTAssertEqual(try t.read("all.csv"), expected, "the output is either absent or complete")
            }
            let again = try runTool(args.filter { $0 != "-q" } + ["--resume"], cwd: t.path)
            XCTAssertEqual(again.status, 0, again.stderr)
            if again.stderr.contains("resuming after") { resumedSomething = true }
            XCTAssertEqual(try t.read("all.csv"), expected, "resumed after a kill at \(delay) µs")
            XCTAssertFalse(t.exists("all.csv.progress"))
            try FileManager.default.removeItem(atPath: t.path + "/all.csv")
        }
        XCTAssertTrue(resumedSomething, "at least one kill should have left committed progress to resume")

        // A second run on the same output while the first holds it: refused. (The test hook pauses
        // every atomic write; with one commit at the end, the first run holds the lock for ~3 s.)
        let slow = ["tags", "-q", "--commit-interval", "1000", "big", "-o", "all.csv"]
        let first = try startTool(slow, cwd: t.path, environment: ["DICOMCRAWLER_TEST_PAUSE_IN_WRITE_MS": "1500"])
        var locked = false
        for _ in 0..<200 where !locked {
            usleep(20_000)
            locked = t.exists("all.csv.progress/state")
        }
        let second = try runTool(slow, cwd: t.path)
        XCTAssertEqual(second.status, 1)
        XCTAssertTrue(second.stderr.contains("another 'dicomcrawler tags' run is writing all.csv"), second.stderr)
        first.waitUntilExit()
        XCTAssertEqual(first.terminationStatus, 0)
        XCTAssertEqual(try t.read("all.csv"), expected)

        // --resume with other arguments: refused; without --resume: starts over.
        let p = try startTool(slow, cwd: t.path, environment: ["DICOMCRAWLER_TEST_PAUSE_IN_WRITE_MS": "1500"])
        for _ in 0..<200 where !t.exists("all.csv.progress/state") { usleep(20_000) }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        let other = try runTool(["tags", "--resume", "--no-private", "big", "-o", "all.csv"], cwd: t.path)
        XCTAssertEqual(other.status, 2)
        XCTAssertTrue(other.stderr.contains("used other arguments"), other.stderr)
        let over = try runTool(slow.filter { $0 != "-q" }, cwd: t.path)
        XCTAssertEqual(over.status, 0)
        XCTAssertTrue(over.stderr.contains("discarding the state of an interrupted run"), over.stderr)
        XCTAssertEqual(try t.read("all.csv"), expected)
    }
}

func startTool(_ args: [String], cwd: String, environment: [String: String]? = nil) throws -> Process {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: toolPath())
    p.arguments = args
    p.currentDirectoryURL = URL(fileURLWithPath: cwd)
    if let environment { p.environment = environment }
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    try p.run()
    return p
}

/// A small RFC 4180 reader for the tests.
func parseCSV(_ text: String) throws -> (header: [String], rows: [[String]]) {
    var rows: [[String]] = []
    var row: [String] = []
    var field = ""
    var quoted = false
    var chars = Array(text)[...]
    while let c = chars.popFirst() {
        if quoted {
            if c == "\"" {
                if chars.first == "\"" { field.append("\""); chars.removeFirst() } else { quoted = false }
            } else { field.append(c) }
        } else if c == "\"" { quoted = true }
        else if c == "," { row.append(field); field = "" }
        else if c == "\n" { row.append(field); rows.append(row); row = []; field = "" }
        else { field.append(c) }
    }
    return (rows.first ?? [], Array(rows.dropFirst()))
}

final class TagsCorpusTests: XCTestCase {
    var shared: String { URL(fileURLWithPath: repoRoot()).deletingLastPathComponent().appendingPathComponent("shared").path }

    /// Every readable file of the shared corpus: the 13 tags of expected.jsonl equal the columns.
    func testCorpusAgreesWithPydicom() throws {
        let corpus = shared + "/corpus"
        XCTAssertTrue(FileManager.default.fileExists(atPath: corpus + "/expected.jsonl"), "shared corpus missing at \(corpus)")
        let t = try FixtureTree()
        let r = try runTool(["tags", "-q", corpus, "-o", t.path + "/corpus.csv"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let csv = try parseCSV(try t.read("corpus.csv"))
        let rows = Dictionary(uniqueKeysWithValues: csv.rows.map { ($0[0], $0) })
        var compared = 0
        for line in try String(contentsOfFile: corpus + "/expected.jsonl", encoding: .utf8).split(separator: "\n") {
            let exp = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            let path = corpus + "/" + (exp["path"] as! String)
            guard exp["is_dicom"] as! Bool else {
                XCTAssertNil(rows[path], path)
                continue
            }
            let row = try XCTUnwrap(rows[path], path)
            for (keyword, value) in exp["tags"] as! [String: Any] {
                let tag = DataDictionary.tag(forKeyword: keyword)!
                let column = DataDictionary.entry(for: tag)!.name + " " + tag.description
                let cell = csv.header.firstIndex(of: column).map { row[$0] }
                XCTAssertEqual(cell ?? "", (value as? String) ?? "", "\(path) \(keyword)")
                compared += 1
            }
        }
        XCTAssertEqual(compared, 1300)
    }

    /// Column names against the standard's names: one file holding many elements of the dictionary.
    func testColumnNamesFollowTheStandard() throws {
        let tsv = try String(contentsOfFile: shared + "/dicom-standard/elements.tsv", encoding: .utf8)
        var elements: [Element] = []
        var expectedNames: Set<String> = []
        for line in tsv.split(separator: "\n").dropFirst() {
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            // Plain string elements of group 0008-0040 (not retired, not repeating, short VRs).
            guard !f[0].contains("x"), f[5].isEmpty, ["LO", "SH", "CS", "DA", "TM", "UI", "DS", "IS"].contains(f[1]),
                  let tag = Tag(parsing: f[0]), tag.group >= 0x0008, tag.group <= 0x0040, tag != .specificCharacterSet else { continue }
            let value = f[1] == "DA" ? "20240101" : (f[1] == "TM" ? "1200" : (f[1] == "UI" ? "1.2.3" : (["DS", "IS"].contains(f[1]) ? "7" : "X")))
            elements.append(.string(tag, value, vr: VR(f[1])!))
            expectedNames.insert(f[3] + " " + f[0])
        }
        XCTAssertGreaterThan(elements.count, 500)
        let t = try FixtureTree()
        try t.write("d/f.dcm", DICOMWriter().write(DataSet(elements)))
        let r = try runTool(["tags", "-q", "d", "-o", "n.csv"], cwd: t.path)
        XCTAssertEqual(r.status, 0, r.stderr)
        let header = try parseCSV(try t.read("n.csv")).header
        XCTAssertEqual(header.first, "DicomPath")
        XCTAssertEqual(Set(header.dropFirst()), expectedNames)
        XCTAssertEqual(Array(header.dropFirst()), header.dropFirst().sorted { a, b in
            Tag(parsing: String(a.suffix(11)))! < Tag(parsing: String(b.suffix(11)))! }, "columns in tag order")
    }
}
