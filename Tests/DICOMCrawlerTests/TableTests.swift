import DICOM
import XCTest
@testable import DICOMCrawler

/// Column keys, their order and names; the crawl's row order; the table sinks.
final class ColumnOrderTests: XCTestCase {
    func sorted(_ keys: [String]) -> [String] {
        keys.map { ColumnKey($0)! }.sorted().map { key in keys.first { ColumnKey($0)! == key }! }
    }

    func testColumnsAreInTagPathOrder() {
        let keys = [
            "00200013",
            "00081140/2/00081155",
            "00081140/1/00081155",
            "00081140/#",
            "00081140/1/00081150",
            "00081140",
            "00290010",
            "00291010[SIEMENS CSA HEADER]",
            "00291010[ACME]",
            "00291010",
            "00100010",
            "00081140/10/00081150",
        ]
        XCTAssertEqual(sorted(keys), [
            "00081140",                      // an element's own column before anything nested
            "00081140/#",                    // the count before item 1
            "00081140/1/00081150",
            "00081140/1/00081155",
            "00081140/2/00081155",
            "00081140/10/00081150",          // items by number, not text
            "00100010",
            "00200013",
            "00290010",
            "00291010",                      // no creator before named creators
            "00291010[ACME]",
            "00291010[SIEMENS CSA HEADER]",
        ])
    }

    func testNamesFollowPydicom() {
        XCTAssertEqual(ColumnKey("00080020")!.name, "Study Date (0008,0020)")
        XCTAssertEqual(ColumnKey("00081140/1/00081155")!.name,
                       "Referenced Image Sequence (0008,1140) - Referenced SOP Instance UID (0008,1155)")
        XCTAssertEqual(ColumnKey("00081140/2/00081155")!.name,
                       "Referenced Image Sequence (0008,1140) [2] - Referenced SOP Instance UID (0008,1155)")
        XCTAssertEqual(ColumnKey("00081140/#")!.name, "Referenced Image Sequence (0008,1140) - Number of Items")
        XCTAssertEqual(ColumnKey("00291010[SIEMENS CSA HEADER]")!.name, "[SIEMENS CSA HEADER] (0029,1010)")
        XCTAssertEqual(ColumnKey("00291010")!.name, "Private tag (0029,1010)")
        XCTAssertEqual(ColumnKey("00290010")!.name, "Private Creator (0029,0010)")
    }

    func testCreatorsWithKeyCharactersRoundTrip() {
        for creator in ["A/B", "x]y", "100%", "%2F", "a%5D]/%"] {
            let key = ColumnKey.key(prefix: "", tag: Tag(0x0029_1010), creator: creator)
            XCTAssertEqual(ColumnKey(key)?.levels, [ColumnKey.Level(tag: 0x0029_1010, creator: creator, item: nil)], key)
            let nested = ColumnKey.key(prefix: key + "/1/", tag: Tag(0x0010_0010), creator: nil)
            XCTAssertEqual(ColumnKey(nested)?.levels.count, 2, nested)
        }
        XCTAssertNil(ColumnKey(""))
        XCTAssertNil(ColumnKey("0010"))
        XCTAssertNil(ColumnKey("00100010[open"))
        XCTAssertNil(ColumnKey("00081140/x/00100010"))
    }
}

final class CrawlRowOrderTests: XCTestCase {
    func row(_ label: Int, _ path: String, date: String, time: String) -> CrawlRow {
        CrawlRow(labelIndex: label, label: "L\(label)", path: path, pathBytes: Array(path.utf8), dicomCount: 1,
                 values: [date, time, "", "", ""])
    }

    func testChronologicalThenLabelThenPath() {
        let rows = [
            row(0, "neither", date: "", time: ""),
            row(0, "time-only", date: "", time: "0900"),
            row(0, "date-only", date: "20240101", time: ""),
            row(1, "b", date: "20240102", time: "1015"),       // 10:15:00
            row(1, "a", date: "20240102", time: "101500"),      // the same time: then label, then path
            row(0, "c", date: "20240102", time: "101500.5"),
            row(0, "z", date: "20240102", time: "101500"),
            row(0, "early", date: "20231231", time: "235959"),
            row(0, "bad-date", date: "2024-01-02", time: "1015"),  // not a DICOM date: time only, 10:15 after 09:00
        ]
        let expected = ["early", "z", "a", "b", "c", "date-only", "time-only", "bad-date", "neither"]
        XCTAssertEqual(rows.sorted(by: CrawlTable.rowOrder).map(\.path), expected)
        var sorted = rows
        CrawlTable.sort(&sorted)  // what the crawl runs
        XCTAssertEqual(sorted.map(\.path), expected)
    }

    /// Ties broken by the path's bytes: a prefix first, then byte by byte (`/` is 0x2F, `-` 0x2D).
    func testPathTiesInByteOrder() {
        let paths = ["a/b", "a", "a-b", "a/b/c", "", "a/b0", "A", "\u{e9}", "a/b-"]
        var rows = paths.reversed().map { row(0, $0, date: "20240101", time: "1200") }
        CrawlTable.sort(&rows)
        XCTAssertEqual(rows.map(\.path), ["", "A", "a", "a-b", "a/b", "a/b-", "a/b/c", "a/b0", "\u{e9}"])
    }

    /// 10^5 rows of random dates, times (valid, shortened, fractional, invalid, missing), labels and
    /// paths, against a reference that orders by the parsed date and time values themselves.
    func testAHundredThousandRowsInTheReferenceOrder() {
        var rng = SystemRandomNumberGenerator()
        func pick<T>(_ a: [T]) -> T { a.randomElement(using: &rng)! }
        let rows: [CrawlRow] = (0..<100_000).map { i in
            let date = pick(["", "2024-01-02", "20240230",
                             String(format: "%04d%02d%02d", Int.random(in: 1990...2030, using: &rng), Int.random(in: 1...12, using: &rng), Int.random(in: 1...28, using: &rng))])
            let hh = String(format: "%02d", Int.random(in: 0...23, using: &rng)), mm = String(format: "%02d", Int.random(in: 0...59, using: &rng))
            let ss = String(format: "%02d", Int.random(in: 0...60, using: &rng))
            let time = pick(["", "25", hh, hh + mm, hh + mm + ss, hh + mm + ss + "." + String(Int.random(in: 0...999999, using: &rng)), hh + ":" + mm + ":" + ss])
            let path = "d/\(Int.random(in: 0...999, using: &rng))/\(i)"
            return CrawlRow(labelIndex: Int.random(in: 0...3, using: &rng), label: "L", path: path, pathBytes: Array(path.utf8), dicomCount: 1,
                            values: [date, time, "", "", ""])
        }
        struct Reference: Comparable {
            let group: Int, date: DICOMDate?, time: DICOMTime?, label: Int, path: [UInt8]
            static func < (a: Reference, b: Reference) -> Bool {
                if a.group != b.group { return a.group < b.group }
                if let x = a.date, let y = b.date, x != y { return x < y }
                if let x = a.time, let y = b.time, x != y { return x < y }
                if a.label != b.label { return a.label < b.label }
                return a.path.lexicographicallyPrecedes(b.path)
            }
        }
        let referenceOrder = rows.map { r -> (Reference, String) in
            let d = DICOMDate(r.values[0]), t = DICOMTime(r.values[1])
            let group = d != nil && t != nil ? 0 : (d != nil ? 1 : (t != nil ? 2 : 3))
            return (Reference(group: group, date: d, time: t, label: r.labelIndex, path: r.pathBytes), r.path)
        }.sorted { $0.0 < $1.0 }.map(\.1)
        XCTAssertEqual(rows.sorted(by: CrawlTable.rowOrder).map(\.path), referenceOrder)
        var sorted = rows
        CrawlTable.sort(&sorted)
        XCTAssertEqual(sorted.map(\.path), referenceOrder)

        // The table: the header, then each row's line (rendered when the row was made) in order,
        // the same bytes as rendering the sorted rows' cells one by one.
        var reference = CSVSink()
        reference.begin(columns: CrawlTable.header)
        for r in sorted { reference.row([r.label, r.path, String(r.dicomCount)] + r.values) }
        let table = CrawlTable.csv(sorted, extraTags: [])
        XCTAssertEqual(table, reference.bytes)
        let lines = String(decoding: table, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertEqual(lines.count, rows.count + 2)  // header, rows, the empty string after the last LF
        XCTAssertEqual(lines.dropFirst().dropLast().map { $0.split(separator: ",", omittingEmptySubsequences: false)[1] },
                       referenceOrder.map { Substring($0) })
    }

    func testCSVHeaderAndQuoting() {
        let r = CrawlRow(labelIndex: 0, label: "T1", path: "d/a,b", pathBytes: Array("d/a,b".utf8), dicomCount: 2,
                         values: ["20240101", "101530", "P\"1", "M", "045Y", "line\nbreak"])
        XCTAssertEqual(String(decoding: CrawlTable.csv([r], extraTags: [.seriesDescription]), as: UTF8.self), """
            Modality,Path,DCM_Count,Study Date,Acquisition Time,Subject_ID,Subject_Sex,Subject_Age,Series Description
            T1,"d/a,b",2,20240101,101530,"P""1",M,045Y,"line
            break"

            """)
    }
}

final class TableSinkTests: XCTestCase {
    func text(_ sink: some TableSink) -> String { String(decoding: sink.bytes, as: UTF8.self) }

    func testCSVSinkQuotesOnlyWhatNeedsIt() {
        var csv = CSVSink()
        csv.begin(columns: ["DicomPath", "A"])
        csv.row(["plain", "with,comma"])
        csv.row(["q\"uote", "cr\rlf\n"])
        csv.row(["", ""])
        XCTAssertEqual(text(csv), "DicomPath,A\nplain,\"with,comma\"\n\"q\"\"uote\",\"cr\rlf\n\"\n,\n")
        csv.removeAll()
        XCTAssertEqual(csv.bytes, [])
    }

    func testTSVSinkQuotesTabsLineBreaksAndQuotesOnly() {
        var tsv = TSVSink()
        tsv.begin(columns: ["DIR", "A"])
        tsv.row(["with,comma", "tab\there"])
        tsv.row(["q\"uote", "cr\rlf\n"])
        tsv.row(["", "\u{00E9}t\u{00E9} 'x'"])
        XCTAssertEqual(text(tsv), "DIR\tA\nwith,comma\t\"tab\there\"\n\"q\"\"uote\"\t\"cr\rlf\n\"\n\t\u{00E9}t\u{00E9} 'x'\n")
        XCTAssertFalse(TSVSink.holdsDocuments)
        tsv.removeAll()
        XCTAssertEqual(tsv.bytes, [])
    }

    func testJSONLinesSinkRowsAndDocuments() {
        var sink = JSONLinesSink()
        sink.begin(columns: ["DicomPath", "Patient ID (0010,0020)", "Empty"])
        sink.row(["a/b.dcm", "P\"1", ""])
        sink.row(path: "x\ty", document: ArraySlice("{\"00100020\":{\"vr\":\"LO\",\"Value\":[\"P1\"]}}".utf8))
        sink.row(path: "e", document: ArraySlice("{}".utf8))
        XCTAssertEqual(text(sink), """
            {"DicomPath":"a/b.dcm","Patient ID (0010,0020)":"P\\"1"}
            {"DicomPath":"x\\ty","00100020":{"vr":"LO","Value":["P1"]}}
            {"DicomPath":"e"}

            """)
        XCTAssertTrue(JSONLinesSink.holdsDocuments)
        XCTAssertFalse(CSVSink.holdsDocuments)
        XCTAssertEqual(TableFormat.allCases.map(\.rawValue), ["csv", "jsonl"])
    }
}
