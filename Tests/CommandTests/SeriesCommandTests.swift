import DICOM
import DICOMTestSupport
import Foundation
import XCTest

/// A file of a series: MR, 4 × 3 pixels of unsigned 16-bit (none with `pixels: false`); nil leaves
/// a value out.
func seriesFile(study: String? = "1.2.3", series: String?, number: String? = "1", description: String = "T1",
                position: [Double]? = nil, orientation: [Double]? = [1, 0, 0, 0, 1, 0], instance: Int = 1,
                studyDate: String? = "20240101", seriesDate: String? = "20240101", seriesTime: String? = "101500",
                modality: String = "MR", extra: [Element] = [], pixels: Bool = true) -> [UInt8] {
    var e: [Element] = [
        .string(.modality, modality), .string(.seriesDescription, description), .string(.patientID, "P1"),
        .string(.sopInstanceUID, "\(series ?? "0").\(instance).\(UInt32.random(in: 1...999_999))"),
        .string(.instanceNumber, String(instance)),
    ]
    if let study { e.append(.string(.studyInstanceUID, study)) }
    if let series { e.append(.string(.seriesInstanceUID, series)) }
    if let number { e.append(.string(.seriesNumber, number)) }
    if let studyDate { e.append(.string(.studyDate, studyDate)) }
    if let seriesDate { e.append(.string(Tag(0x0008_0021), seriesDate)) }
    if let seriesTime { e.append(.string(Tag(0x0008_0031), seriesTime)) }
    func ds(_ v: [Double]) -> String { v.map { String($0) }.joined(separator: "\\") }
    if let position { e.append(.string(Tag(0x0020_0032), ds(position))) }
    if let orientation, position != nil { e.append(.string(Tag(0x0020_0037), ds(orientation))) }
    if pixels {
        e += [.uint16(Tag(0x0028_0002), [1]), .string(Tag(0x0028_0004), "MONOCHROME2"), .uint16(Tag(0x0028_0010), [4]),
              .uint16(Tag(0x0028_0011), [3]), .uint16(Tag(0x0028_0100), [16]), .uint16(Tag(0x0028_0101), [16]),
              .uint16(Tag(0x0028_0102), [15]), .uint16(.pixelRepresentation, [0])]
    }
    let replaced = Set(extra.map(\.tag))
    e.removeAll { replaced.contains($0.tag) }
    e += extra
    if pixels { e.append(.bytes(.pixelData, .OW, [UInt8](repeating: 1, count: 24 * max(1, frames(extra))))) }
    return DICOMWriter().write(DataSet(e))
}

/// Number of Frames among `extra`, if any.
private func frames(_ extra: [Element]) -> Int {
    guard let e = extra.first(where: { $0.tag == Tag(0x0028_0008) }), case .bytes(let b) = e.value else { return 1 }
    return Int(String(decoding: b, as: UTF8.self).trimmingCharacters(in: .whitespaces)) ?? 1
}

/// A plain TSV table (no quoted fields) as its header and rows of cells by column name.
func plainTSV(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> (header: [String], rows: [[String: String]]) {
    XCTAssertFalse(text.contains("\""), "a quoted field: read it with python", file: file, line: line)
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    XCTAssertEqual(lines.last, "", "the table ends with a line break", file: file, line: line)
    let header = lines.first.map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) } ?? []
    let rows = lines.dropFirst().dropLast().map { l -> [String: String] in
        let cells = l.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        XCTAssertEqual(cells.count, header.count, "cells in \(l)", file: file, line: line)
        return Dictionary(zip(header, cells), uniquingKeysWith: { a, _ in a })
    }
    return (header, rows)
}

/// A table as Python's csv module reads it (header row first); when pandas is installed, it must
/// read the same (`read_csv(sep=..., dtype=str, keep_default_na=False)`), else the script fails.
func pythonTable(_ path: String, separator: String) throws -> (rows: [[String]], pandas: Bool) {
    let script = """
        import csv, json, sys
        path, sep = sys.argv[1], sys.argv[2]
        with open(path, newline='', encoding='utf-8') as f:
            rows = list(csv.reader(f, delimiter=sep))
        try:
            import pandas as pd
        except ImportError:
            pd = None
        if pd is not None:
            df = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, encoding='utf-8')
            seen = [list(df.columns)] + [list(r) for r in df.itertuples(index=False)]
            if seen != rows:
                sys.exit('pandas reads otherwise: %r != %r' % (seen, rows))
        print(json.dumps({'rows': rows, 'pandas': pd is not None}))
        """
    let r = try runProcess("/usr/bin/python3", ["-c", script, path, separator], cwd: "/")
    XCTAssertEqual(r.status, 0, r.stderr)
    let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
    return ((json?["rows"] as? [[String]]) ?? [], (json?["pandas"] as? Bool) ?? false)
}

final class SeriesCommandTests: XCTestCase {
    let standardColumns = [
        "DIR", "Folders", "Files", "Study Date", "Series Date", "Series Time", "Patient ID", "Patient's Sex", "Patient's Age",
        "Modality", "Series Number", "Series Description", "Protocol Name", "Sequence Name", "Image Type", "Rows", "Columns",
        "Slices", "Frames", "Volumes", "Repetition Time", "Echo Time", "Inversion Time", "Flip Angle", "Slice Thickness",
        "Pixel Spacing", "Manufacturer", "Manufacturer's Model Name", "Study Instance UID", "Series Instance UID",
    ]

    func run(_ args: [String], in t: FixtureTree, file: StaticString = #filePath, line: UInt = #line) throws -> (status: Int32, stdout: String, stderr: String) {
        try runTool(["series"] + args, cwd: t.path)
    }

    /// The issue's case: a flat export folder holding two series (24 T1 slices, 14 DTI files of 7
    /// positions × 2 volumes) is two rows, not one folder.
    func testMixedSeriesInAFlatFolderAreTwoRows() throws {
        let t = try FixtureTree()
        for z in 0..<24 {
            try t.write("export/IM\(String(format: "%04d", z * 2 + 1)).dcm",
                        seriesFile(series: "1.2.3.1", number: "2", description: "t1_mprage", position: [0, 0, Double(z)], instance: z + 1,
                                   seriesTime: "101500"))
        }
        for i in 0..<14 {
            try t.write("export/IM\(String(format: "%04d", i * 2 + 2)).dcm",
                        seriesFile(series: "1.2.3.2", number: "3", description: "dti", position: [0, 0, Double(i % 7) * 2], instance: i + 1,
                                   seriesTime: "103000"))
        }
        try t.write("export/DICOMDIR.txt", text: "an index, not DICOM\n")
        let r = try run(["export"], in: t)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("series.tsv: 2 series from 38 DICOM files in 1 directory, 1 other file skipped"), r.stderr)
        XCTAssertTrue(r.stderr.contains("skipped by type: text/plain 1"), r.stderr)
        let table = plainTSV(try t.read("series.tsv"))
        XCTAssertEqual(table.header, standardColumns)
        XCTAssertEqual(table.rows.count, 2)
        let (t1, dti) = (table.rows[0], table.rows[1])
        XCTAssertEqual([t1["DIR"], t1["Folders"], t1["Files"], t1["Series Description"], t1["Series Number"]], ["export", ".", "24", "t1_mprage", "2"])
        XCTAssertEqual([t1["Slices"], t1["Frames"], t1["Volumes"]], ["24", "24", "1"])
        XCTAssertEqual([dti["DIR"], dti["Folders"], dti["Files"], dti["Series Description"]], ["export", ".", "14", "dti"])
        XCTAssertEqual([dti["Slices"], dti["Frames"], dti["Volumes"]], ["7", "14", "2"])
        XCTAssertEqual([t1["Rows"], t1["Columns"], t1["Modality"], t1["Study Date"], t1["Series Time"]], ["4", "3", "MR", "20240101", "101500"])
        XCTAssertEqual([t1["Study Instance UID"], t1["Series Instance UID"], dti["Series Instance UID"]], ["1.2.3", "1.2.3.1", "1.2.3.2"])

        // Past the budget of frames held (16 million; here 5), frames are counted, not stacked.
        let budget = try run(["export", "--max-frames-held", "5", "-o", "budget.tsv"], in: t)
        XCTAssertEqual(budget.status, 0, budget.stderr)
        XCTAssertTrue(budget.stderr.contains("2 series with frames counted but not stacked"), budget.stderr)
        XCTAssertEqual(plainTSV(try t.read("budget.tsv")).rows.map { [$0["Slices"], $0["Frames"], $0["Volumes"]] },
                       [["", "24", ""], ["", "14", ""]])

        // A second run finds the same table and keeps the file.
        let again = try run(["export"], in: t)
        XCTAssertEqual(again.status, 0)
        XCTAssertTrue(again.stderr.contains("(unchanged)"), again.stderr)
        // -o - writes the same table to standard output; --quiet prints nothing else.
        let out = try run(["-q", "export", "-o", "-"], in: t)
        XCTAssertEqual(out.status, 0)
        XCTAssertEqual(out.stderr, "")
        XCTAssertEqual(out.stdout, try t.read("series.tsv"))
    }

    func testOneSeriesInTwoFoldersIsOneRowListingBoth() throws {
        let t = try FixtureTree()
        for z in 0..<3 { try t.write("d/sub/part_b/\(z).dcm", seriesFile(series: "1.9", position: [0, 0, Double(z + 3)], instance: z + 4)) }
        for z in 0..<3 { try t.write("d/sub/part;a/\(z).dcm", seriesFile(series: "1.9", position: [0, 0, Double(z)], instance: z + 1)) }
        try t.write("d/top.dcm", seriesFile(series: "1.9", position: [0, 0, 6], instance: 7))
        try t.write("d/other/x.dcm", seriesFile(series: "1.10", number: "2"))
        let r = try run(["d", "-o", "out.tsv"], in: t)
        XCTAssertEqual(r.status, 0, r.stderr)
        let rows = plainTSV(try t.read("out.tsv")).rows
        XCTAssertEqual(rows.count, 2)
        // Walk order: DIR's own files first, then folders depth first, names in byte order; a ';'
        // in a name is written \x3B.
        XCTAssertEqual(rows[0]["Folders"], ".;sub/part\\x3Ba;sub/part_b")
        XCTAssertEqual([rows[0]["Files"], rows[0]["Slices"], rows[0]["Frames"], rows[0]["Volumes"]], ["7", "7", "7", "1"])
        XCTAssertEqual([rows[1]["Folders"], rows[1]["Files"], rows[1]["Series Instance UID"]], ["other", "1", "1.10"])
        // A single file without a position: frames known, slices and volumes not.
        XCTAssertEqual([rows[1]["Slices"], rows[1]["Frames"], rows[1]["Volumes"]], ["", "1", ""])
    }

    func testTheSameSeriesUIDUnderTwoStudiesIsTwoRows() throws {
        let t = try FixtureTree()
        for i in 0..<2 { try t.write("d/a/\(i).dcm", seriesFile(study: "1.1", series: "7.7", instance: i)) }
        for i in 0..<3 { try t.write("d/a/b\(i).dcm", seriesFile(study: "1.2", series: "7.7", instance: i)) }
        let r = try run(["d"], in: t)
        XCTAssertEqual(r.status, 0, r.stderr)
        let rows = plainTSV(try t.read("series.tsv")).rows
        XCTAssertEqual(rows.map { $0["Study Instance UID"] }, ["1.1", "1.2"])
        XCTAssertEqual(rows.map { $0["Series Instance UID"] }, ["7.7", "7.7"])
        XCTAssertEqual(rows.map { $0["Files"] }, ["2", "3"])
        XCTAssertEqual(rows.map { $0["Folders"] }, ["a", "a"])
    }

    /// Slices, frames and volumes as the export stacks a series: a 4-D series of single-frame files,
    /// an enhanced multi-frame file (positions per frame, values in the functional groups), and
    /// series where no stack can be told (positions repeating unevenly, missing positions, no pixel
    /// data).
    func testSlicesFramesAndVolumes() throws {
        let t = try FixtureTree()
        // 4 positions × 5 time points, oblique orientation.
        let o = [0.0, 1, 0, 0, 0, -1]
        for time in 0..<5 {
            for z in 0..<4 {
                try t.write("d/fmri/t\(time)z\(z).dcm", seriesFile(series: "4.1", number: "1", position: [Double(z) * 2.5, -10, 20], orientation: o,
                                                                instance: time * 4 + z + 1, extra: [.string(Tag(0x0020_0100), String(time + 1))]))
            }
        }
        // One file of 6 frames: 3 positions × 2 time points, from the per-frame functional groups;
        // Pixel Spacing, Slice Thickness, Repetition Time and Flip Angle only in the shared ones.
        let frameItems = (0..<6).map { f in
            DataSet([.sequence(Tag(0x0020_9113), [DataSet([.string(Tag(0x0020_0032), "0\\0\\\(f % 3)")])]),
                     .sequence(Tag(0x0020_9111), [DataSet([.uint32(Tag(0x0020_9128), [UInt32(f / 3 + 1)])])])])
        }
        let shared = DataSet([
            .sequence(Tag(0x0018_9112), [DataSet([.string(Tag(0x0018_0080), "2000"), .string(Tag(0x0018_1314), "90")])]),
            .sequence(Tag(0x0020_9116), [DataSet([.string(Tag(0x0020_0037), "1\\0\\0\\0\\1\\0")])]),
            .sequence(Tag(0x0028_9110), [DataSet([.string(Tag(0x0018_0050), "1.5"), .string(Tag(0x0028_0030), "0.8\\0.8")])]),
        ])
        try t.write("d/enhanced/mf.dcm", seriesFile(series: "4.2", number: "2", extra: [
            .string(Tag(0x0028_0008), "6"), .sequence(Tag(0x5200_9229), [shared]), .sequence(Tag(0x5200_9230), frameItems),
        ]))
        // Positions repeating unevenly (3 at z=0, 1 at z=1): no stack.
        for (i, z) in [0, 0, 0, 1].enumerated() {
            try t.write("d/uneven/\(i).dcm", seriesFile(series: "4.3", number: "3", position: [0, 0, Double(z)], instance: i + 1))
        }
        // One file without a position.
        try t.write("d/nopos/0.dcm", seriesFile(series: "4.4", number: "4", position: [0, 0, 0]))
        try t.write("d/nopos/1.dcm", seriesFile(series: "4.4", number: "4", position: nil, instance: 2))
        // No pixel data (a report): no frames.
        try t.write("d/sr/0.dcm", seriesFile(series: "4.5", number: "5", modality: "SR", pixels: false))
        let r = try run(["d"], in: t)
        XCTAssertEqual(r.status, 0, r.stderr)
        let rows = plainTSV(try t.read("series.tsv")).rows
        func counts(_ uid: String) -> [String?] {
            guard let row = rows.first(where: { $0["Series Instance UID"] == uid }) else { return ["missing"] }
            return [row["Files"], row["Slices"], row["Frames"], row["Volumes"]]
        }
        XCTAssertEqual(counts("4.1"), ["20", "4", "20", "5"])
        XCTAssertEqual(counts("4.2"), ["1", "3", "6", "2"])
        XCTAssertEqual(counts("4.3"), ["4", "", "4", ""])
        XCTAssertEqual(counts("4.4"), ["2", "", "2", ""])
        XCTAssertEqual(counts("4.5"), ["1", "", "0", ""])
        let enhanced = rows.first { $0["Series Instance UID"] == "4.2" }
        XCTAssertEqual([enhanced?["Pixel Spacing"], enhanced?["Slice Thickness"], enhanced?["Repetition Time"], enhanced?["Flip Angle"]],
                       ["0.8\\0.8", "1.5", "2000", "90"])
    }

    func testRowsAreInChronologicalOrder() throws {
        let t = try FixtureTree()
        // (folder, study date, series date, series time, series number, series UID), written in
        // an order that is not the table's.
        let series: [(String, String?, String?, String?, String?, String)] = [
            ("a", nil, "20240101", "080000", "1", "9.1"),          // no Study Date: last
            ("b", "20240102", "20240102", "090000", "1", "9.2"),   // the later study
            ("c", "20240101", "20240101", "120000", "2", "9.3"),
            ("d", "20240101", "20240101", "080000", "10", "9.4"),  // 10 after 9: numbers, not text
            ("e", "20240101", "20240101", "080000", "9", "9.5"),
            ("f", "20240101", nil, nil, "1", "9.6"),               // no Series Date and Time: after those with
            ("g", "20240101", "20240101", "080000", "9", "9.0"),   // the same as e: by Series Instance UID
            ("h", "20240101", "20240101", "080000", nil, "9.7"),   // no Series Number: after those with
            ("i", "20240101", "20240101", "0800", "3", "9.8"),     // 08:00 as 080000 (a time, not text)
        ]
        for s in series {
            try t.write("d/\(s.0)/1.dcm", seriesFile(series: s.5, number: s.4, studyDate: s.1, seriesDate: s.2, seriesTime: s.3))
        }
        let r = try run(["d"], in: t)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(plainTSV(try t.read("series.tsv")).rows.map { $0["Folders"] }, ["i", "g", "e", "d", "h", "c", "f", "b", "a"])
    }

    func testTemplateLabels() throws {
        let t = try FixtureTree()
        try t.write("T.json", text: #"{"T1": ["anat"], "MR": {"Modality": "MR"}, "CT": {"path": ["ct"], "Modality": "CT"}, "Func": ["func"]}"#)
        // The DIR's own name holds "anat" and "ct": only paths relative to it match.
        let d = "anat_ct_study"
        try t.write("\(d)/anat_1/0.dcm", seriesFile(series: "5.1", number: "1"))
        try t.write("\(d)/func_extra/0.dcm", seriesFile(series: "5.1", number: "1", instance: 2))
        try t.write("\(d)/ct_scan/0.dcm", seriesFile(series: "5.2", number: "2"))                  // CT's path, not its Modality
        try t.write("\(d)/other/0.dcm", seriesFile(series: "5.3", number: "3", modality: "CT"))    // CT's Modality, not its path
        try t.write("\(d)/ct_real/0.dcm", seriesFile(series: "5.4", number: "4", modality: "CT"))
        let r = try run(["--templates", "T.json", d], in: t)
        XCTAssertEqual(r.status, 0, r.stderr)
        let table = plainTSV(try t.read("series.tsv"))
        XCTAssertEqual(Array(table.header.prefix(5)), ["DIR", "Folders", "Files", "Labels", "Study Date"])
        XCTAssertEqual(table.rows.map { $0["Labels"] }, ["T1;MR;Func", "MR", "", "CT"])
        XCTAssertEqual(table.rows.map { $0["Folders"] }, ["anat_1;func_extra", "ct_scan", "other", "ct_real"])

        // --ignore-case, as for the crawl: "ANAT" then matches anat_1.
        try t.write("U.json", text: #"{"T1": ["ANAT"]}"#)
        let cased = try run(["--templates", "U.json", d, "-o", "cased.tsv"], in: t)
        XCTAssertEqual(plainTSV(try t.read("cased.tsv")).rows.map { $0["Labels"] }, ["", "", "", ""], cased.stderr)
        let folded = try run(["--templates", "U.json", "--ignore-case", d, "-o", "folded.tsv"], in: t)
        XCTAssertEqual(plainTSV(try t.read("folded.tsv")).rows.map { $0["Labels"] }, ["T1", "", "", ""], folded.stderr)
        XCTAssertEqual(try run(["--ignore-case", d, "-o", "x.tsv"], in: t).status, 2)

        // A template file that cannot be used is a usage error, before anything is read.
        try t.write("bad.json", text: #"{"T1": []}"#)
        let bad = try run(["--templates", "bad.json", d, "-o", "bad.tsv"], in: t)
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("bad.json:1:"), bad.stderr)
        XCTAssertFalse(t.exists("bad.tsv"))
    }

    func testExtraTags() throws {
        let t = try FixtureTree()
        try t.write("d/a/0.dcm", seriesFile(series: "6.1", extra: [.string(Tag(0x0018_0015), "BRAIN"), .string(Tag(0x0008_0050), "ACC1")]))
        try t.write("d/b/0.dcm", seriesFile(series: "6.2", number: "2"))
        let r = try run(["--tags", "BodyPartExamined, AccessionNumber", "d"], in: t)
        XCTAssertEqual(r.status, 0, r.stderr)
        let table = plainTSV(try t.read("series.tsv"))
        XCTAssertEqual(table.header, standardColumns + ["Body Part Examined", "Accession Number"])
        XCTAssertEqual(table.rows.map { [$0["Body Part Examined"], $0["Accession Number"]] }, [["BRAIN", "ACC1"], ["", ""]])
        let bad = try run(["--tags", "BodyPart", "d", "-o", "bad.tsv"], in: t)
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("'BodyPart' is not a DICOM keyword"), bad.stderr)
        XCTAssertFalse(t.exists("bad.tsv"))
        // A tag number; a column that is already there named with its tag, as the crawl does.
        let again = try run(["--tags", "Modality,0018,0015", "d", "-o", "again.tsv"], in: t)
        XCTAssertEqual(again.status, 0, again.stderr)
        let named = plainTSV(try t.read("again.tsv"))
        XCTAssertEqual(Array(named.header.suffix(2)), ["Modality (0008,0060)", "Body Part Examined"])
        XCTAssertEqual(named.rows.map { [$0["Modality (0008,0060)"], $0["Body Part Examined"]] }, [["MR", "BRAIN"], ["MR", ""]])
    }

    /// Values with a tab, line breaks, quotes, commas and non-ASCII text survive TSV and CSV: Python's
    /// csv module (and pandas with dtype=str, when installed) reads back exactly what the files hold.
    func testTSVAndCSVReadBackWithAwkwardValues() throws {
        let t = try FixtureTree()
        let awkward = "T1\t\"quoted\", a,b\nline two\r\nline three 'x' Müller 日本"
        let folder = "we\"ird\tname, é"
        try t.write("d/\(folder)/0.dcm", seriesFile(series: "8.1", description: awkward,
                                                    extra: [.string(.specificCharacterSet, "ISO_IR 192"), .string(Tag(0x0018_1030), "=1+2\tonly a tab"),
                                                            .string(Tag(0x0018_0024), "only\na line break")]))
        try t.write("d/plain/0.dcm", seriesFile(series: "8.2", number: "2", description: "plain"))
        for (name, sep) in [("s.tsv", "\t"), ("s.csv", ","), ("S.CSV", ",")] {
            let r = try run(["d", "-o", name], in: t)
            XCTAssertEqual(r.status, 0, r.stderr)
            let text = try t.read(name)
            XCTAssertTrue(text.hasPrefix(standardColumns.joined(separator: sep) + "\n"), name)
            let (rows, pandas) = try pythonTable(t.path + "/" + name, separator: sep)
            XCTAssertTrue(pandas, "pandas (python3-pandas, installed by Scripts/install-deps.sh) read \(name) back too")
            XCTAssertEqual(rows.count, 3, name)
            XCTAssertEqual(rows.first, standardColumns, name)
            let row = rows.dropFirst().first { $0.count > 1 && $0[1] == folder }
            XCTAssertEqual(row?[standardColumns.firstIndex(of: "Series Description")!], awkward, name)
            XCTAssertEqual(row?[standardColumns.firstIndex(of: "Protocol Name")!], "=1+2\tonly a tab", name)
            XCTAssertEqual(row?[standardColumns.firstIndex(of: "Sequence Name")!], "only\na line break", name)
            XCTAssertEqual(rows.last?[1], "plain", name)
        }
        // TSV quotes only the fields that need it.
        let tsv = try t.read("s.tsv")
        XCTAssertTrue(tsv.contains("\nd\tplain\t1\t"), tsv)
        XCTAssertTrue(tsv.contains("\"we\"\"ird\tname, é\""), tsv)
    }

    func testUnreadableAndNonDICOMFiles() throws {
        let t = try FixtureTree()
        let good = (0..<3).map { z in seriesFile(series: "3.1", position: [0, 0, Double(z)], instance: z + 1) }
        for (z, bytes) in good.enumerated() { try t.write("d/s/\(z).dcm", bytes) }
        // Cut inside the last element the table reads (Pixel Representation, 4 bytes before the
        // pixel data element's 12-byte header and 24 bytes of pixels): damaged after its Series
        // Instance UID, so still in its series.
        let cut = seriesFile(series: "3.1", position: [0, 0, 3], instance: 4)
        try t.write("d/s/3.dcm", Array(cut.prefix(cut.count - 40)))
        // Cut inside the pixel data, which is not read (as for the crawl): counted as read.
        let cutPixels = seriesFile(series: "3.1", position: [0, 0, 4], instance: 5)
        try t.write("d/s/5.dcm", Array(cutPixels.prefix(cutPixels.count - 10)))
        // Cut inside the file meta group: no series known, listed only.
        try t.write("d/s/4.dcm", Array(good[0].prefix(150)))
        try t.write("d/s/notes.txt", text: "scanner notes\n")
        try t.write("d/s/empty", [])
        try t.write("d/only-damaged/0.dcm", Array(seriesFile(series: "3.2", number: "2", description: "all cut").dropLast(40)))
        let r = try run(["d"], in: t)
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("unreadable: d/s/3.dcm: truncated"), r.stderr)
        XCTAssertTrue(r.stderr.contains("unreadable: d/s/4.dcm: "), r.stderr)
        XCTAssertTrue(r.stderr.contains("unreadable: d/only-damaged/0.dcm: "), r.stderr)
        XCTAssertTrue(r.stderr.contains("values from a damaged file: d/only-damaged/0.dcm"), r.stderr)
        XCTAssertFalse(r.stderr.contains("d/s/5.dcm"), r.stderr)
        XCTAssertTrue(r.stderr.contains("2 series from 7 DICOM files"), r.stderr)
        XCTAssertTrue(r.stderr.contains("text/plain 1"), r.stderr)
        XCTAssertTrue(r.stderr.contains("2 other files skipped"), r.stderr)
        let rows = plainTSV(try t.read("series.tsv")).rows
        XCTAssertEqual(rows.map { $0["Series Instance UID"] }, ["3.1", "3.2"])
        XCTAssertEqual(rows.map { $0["Files"] }, ["5", "1"])
        // Every file has a frame; the damaged one lacks Pixel Representation, so the export would
        // make it a scan of its own: no single stack, no slices or volumes.
        XCTAssertEqual([rows[0]["Slices"], rows[0]["Frames"], rows[0]["Volumes"]], ["", "5", ""])
        XCTAssertEqual(rows[1]["Series Description"], "all cut")
    }

    func testFilesWithoutASeriesUIDAreOneRowPerFolder() throws {
        let t = try FixtureTree()
        for i in 0..<2 { try t.write("d/x/\(i).dcm", seriesFile(series: nil, number: "1", description: "no uid x", instance: i)) }
        try t.write("d/y/0.dcm", seriesFile(series: nil, number: "2", description: "no uid y"))
        try t.write("d/y/1.dcm", seriesFile(series: "2.1", number: "3"))
        let r = try run(["d"], in: t)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("2 rows for files without a Series Instance UID"), r.stderr)
        let rows = plainTSV(try t.read("series.tsv")).rows
        XCTAssertEqual(rows.map { $0["Folders"] }, ["x", "y", "y"])
        XCTAssertEqual(rows.map { $0["Files"] }, ["2", "1", "1"])
        XCTAssertEqual(rows.map { $0["Series Instance UID"] }, ["", "", "2.1"])
        XCTAssertEqual(rows.map { $0["Series Description"] }, ["no uid x", "no uid y", "T1"])
    }

    /// A source tree nobody may write to: the table goes elsewhere, and nothing in the tree changes.
    func testReadOnlySourceTree() throws {
        let t = try FixtureTree()
        for i in 0..<3 { try t.write("ro/a/\(i).dcm", seriesFile(series: "1.5", instance: i)) }
        try t.mkdir("out")
        let fm = FileManager.default
        func listing() throws -> [String] { try fm.subpathsOfDirectory(atPath: t.path + "/ro").sorted() }
        let before = try listing()
        for p in ["ro/a", "ro"] { try fm.setAttributes([.posixPermissions: 0o555], ofItemAtPath: t.path + "/" + p) }
        defer { for p in ["ro", "ro/a"] { try? fm.setAttributes([.posixPermissions: 0o755], ofItemAtPath: t.path + "/" + p) } }
        let r = try runTool(["series", "../ro"], cwd: t.path + "/out")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(plainTSV(try t.read("out/series.tsv")).rows.map { $0["Files"] }, ["3"])
        XCTAssertEqual(try listing(), before)
    }

    func testOutputThatIsAFolderOrInAMissingFolderOrAnInput() throws {
        let t = try FixtureTree()
        try t.write("d/a/0.dcm", seriesFile(series: "1.6"))
        let input = try Data(contentsOf: t.root.appendingPathComponent("d/a/0.dcm"))
        try t.mkdir("folder")
        let folder = try run(["d", "-o", "folder"], in: t)
        XCTAssertEqual(folder.status, 2)
        XCTAssertTrue(folder.stderr.contains("folder is a folder"), folder.stderr)
        let missing = try run(["d", "-o", "missing/s.tsv"], in: t)
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("cannot write missing/s.tsv: the folder missing does not exist"), missing.stderr)
        // Refused before the walk: no summary.
        XCTAssertFalse(missing.stderr.contains("series from"), missing.stderr)
        let over = try run(["d", "-o", "d/a/0.dcm"], in: t)
        XCTAssertEqual(over.status, 2)
        XCTAssertTrue(over.stderr.contains("not replacing it"), over.stderr)
        XCTAssertEqual(try Data(contentsOf: t.root.appendingPathComponent("d/a/0.dcm")), input)
        let empty = try run(["d", "-o", ""], in: t)
        XCTAssertEqual(empty.status, 2)
        XCTAssertEqual(try fm().contentsOfDirectory(atPath: t.path).sorted(), ["d", "folder"])
        // The table inside the tree: written, replaced by the next run, never read as an input.
        for _ in 0..<2 {
            let inside = try run(["d", "-o", "d/series.csv"], in: t)
            XCTAssertEqual(inside.status, 0, inside.stderr)
            XCTAssertTrue(inside.stderr.contains("1 series from 1 DICOM file in 1 directory, 0 other files skipped"), inside.stderr)
        }
    }

    private func fm() -> FileManager { FileManager.default }

    func testTheSameDIRGivenTwiceIsReadOnce() throws {
        let t = try FixtureTree()
        for i in 0..<2 { try t.write("d/a/\(i).dcm", seriesFile(series: "1.7", instance: i)) }
        try t.write("e/b/0.dcm", seriesFile(series: "1.7", number: "2"))
        let r = try run(["d", "e", "d/", "./d"], in: t)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("d/: the same folder as d, given before: read once"), r.stderr)
        XCTAssertTrue(r.stderr.contains("./d: the same folder as d, given before: read once"), r.stderr)
        XCTAssertTrue(r.stderr.contains("2 series from 3 DICOM files in 2 directories"), r.stderr)
        // A series under two DIRs is a row per DIR.
        let rows = plainTSV(try t.read("series.tsv")).rows
        XCTAssertEqual(rows.map { [$0["DIR"], $0["Files"]] }, [["d", "2"], ["e", "1"]])
    }

    /// Symlinked folders are followed only with --follow-symlinks (a loop is reported, not
    /// followed); dot-files and dot-folders only with --hidden.
    func testSymlinksAndHiddenFiles() throws {
        let t = try FixtureTree()
        try t.write("elsewhere/s/0.dcm", seriesFile(series: "1.11", number: "1"))
        try t.write("d/a/0.dcm", seriesFile(series: "1.12", number: "2"))
        try t.write("d/a/.1.dcm", seriesFile(series: "1.12", number: "2", instance: 2))
        try t.write("d/.hidden/0.dcm", seriesFile(series: "1.13", number: "3"))
        t.symlinkRaw(Array("d/link".utf8), to: Array("../elsewhere".utf8))
        t.symlinkRaw(Array("d/a/loop".utf8), to: Array("..".utf8))
        let plain = try run(["d"], in: t)
        XCTAssertEqual(plain.status, 0, plain.stderr)
        XCTAssertTrue(plain.stderr.contains("2 symlinked folder(s) not followed"), plain.stderr)
        XCTAssertEqual(plainTSV(try t.read("series.tsv")).rows.map { [$0["Folders"], $0["Files"]] }, [["a", "1"]])
        let follow = try run(["--follow-symlinks", "--hidden", "d"], in: t)
        XCTAssertEqual(follow.status, 0, follow.stderr)
        XCTAssertTrue(follow.stderr.contains("loop"), follow.stderr)
        XCTAssertEqual(plainTSV(try t.read("series.tsv")).rows.map { [$0["Folders"], $0["Files"]] },
                       [["link/s", "1"], ["a", "2"], [".hidden", "1"]])
    }

    func testAMissingDIRFailsAndTheOthersAreWritten() throws {
        let t = try FixtureTree()
        try t.write("d/a/0.dcm", seriesFile(series: "1.8"))
        try t.write("file", text: "x")
        let r = try run(["nope", "d", "file"], in: t)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("error: nope: no such directory"), r.stderr)
        XCTAssertTrue(r.stderr.contains("error: file: not a directory"), r.stderr)
        XCTAssertEqual(plainTSV(try t.read("series.tsv")).rows.map { $0["DIR"] }, ["d"])
        let none = try run([], in: t)
        XCTAssertEqual(none.status, 2)
    }
}

/// Matching that says what it did, for series: those no label took and those several took, in the
/// summary, `--report` (JSON) and `--strict`.
final class SeriesMatchingTests: XCTestCase {
    func testUnmatchedAndAmbiguousSeries() throws {
        let t = try FixtureTree()
        // A flat export of three series: T1, a resting-state series ("REST1" holds "T1"), a localizer.
        try t.write("d/flat/1.dcm", seriesFile(series: "1.1", description: "T1_MPRAGE"))
        try t.write("d/flat/2.dcm", seriesFile(series: "1.2", description: "REST1_SMS"))
        try t.write("d/flat/3.dcm", seriesFile(series: "1.3", description: "localizer"))
        try t.write("t.json", text: #"{"T1": {"SeriesDescription": ["*T1*"]}, "REST": {"SeriesDescription": ["rest*"]}}"#)
        let r = try runTool(["series", "--templates", "t.json", "--report", "m.json", "d", "-o", "s.tsv"], cwd: t.path)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("1 series matched no label: d: flat (localizer)"), r.stderr)
        XCTAssertTrue(r.stderr.contains("1 series matched several labels: d: flat (REST1_SMS) [T1, REST]"), r.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(try t.read("m.json").utf8)) as! [String: Any]
        XCTAssertEqual((json["unmatched"] as! [[String: Any]]).map { $0["seriesInstanceUID"] as! String }, ["1.3"])
        XCTAssertEqual((json["ambiguous"] as! [[String: Any]]).map { $0["labels"] as! [String] }, [["T1", "REST"]])
        let strict = try runTool(["series", "-q", "--strict", "--templates", "t.json", "d", "-o", "s.tsv"], cwd: t.path)
        XCTAssertEqual(strict.status, 1, strict.stderr)
        XCTAssertTrue(strict.stderr.contains("--strict: 1 series got no label, 1 got several"), strict.stderr)
        try t.write("u.json", text: #"{"T1": {"SeriesDescription": ["*T1*"], "exclude": {"SeriesDescription": ["rest*"]}}, "REST": {"SeriesDescription": ["rest*"]}, "LOC": {"SeriesDescription": ["loc*"]}}"#)
        let fixed = try runTool(["series", "-q", "--strict", "--templates", "u.json", "d", "-o", "s.tsv"], cwd: t.path)
        XCTAssertEqual(fixed.status, 0, fixed.stderr)
        let bad = try runTool(["series", "--strict", "d", "-o", "s.tsv"], cwd: t.path)
        XCTAssertEqual(bad.status, 2, bad.stderr)
        // --report never replaces an input, the template file or the table.
        let dicom = try Data(contentsOf: t.root.appendingPathComponent("d/flat/1.dcm"))
        for (args, message) in [(["--report", "d/flat/1.dcm"], "--report d/flat/1.dcm is inside d, which is being read"),
                                (["--report", "t.json"], "--report t.json is the template file"),
                                (["--report", "s.tsv"], "--report s.tsv is the table (-o)")] {
            let r = try runTool(["series", "--templates", "t.json"] + args + ["d", "-o", "s.tsv"], cwd: t.path)
            XCTAssertEqual(r.status, 2, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(message), "\(args): \(r.stderr)")
        }
        XCTAssertEqual(try Data(contentsOf: t.root.appendingPathComponent("d/flat/1.dcm")), dicom)
    }
}
