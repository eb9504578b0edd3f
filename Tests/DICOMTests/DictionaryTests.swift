import Foundation
import XCTest
@testable import DICOM

final class DictionaryTests: XCTestCase {
    func standardFile(_ name: String) throws -> [[String]] {
        let dir = try corpusDirectory().deletingLastPathComponent().appendingPathComponent("dicom-standard")
        let text = try String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8)
        return text.split(separator: "\n").dropFirst().map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
    }

    /// Every row of elements.tsv is found by tag (with its first concrete group for repeating
    /// groups) and by keyword, with the same VR, VM, name and retired flag.
    func testEveryElementOfTheStandardIsFound() throws {
        let rows = try standardFile("elements.tsv")
        XCTAssertGreaterThan(rows.count, 5000)
        let plain = Set(rows.filter { !$0[0].contains("x") }.map { $0[0] })
        for row in rows {
            // A repeating-group row is looked up with a concrete tag that no plain row has.
            let concrete = "2468ace13579bdf".map { row[0].replacingOccurrences(of: "x", with: String($0)).uppercased() }
                .first { !plain.contains($0) && !(Tag(parsing: $0)?.isPrivate ?? true) } ?? row[0]
            let tag = try XCTUnwrap(Tag(parsing: concrete), row[0])
            let entry = try XCTUnwrap(DataDictionary.entry(for: tag), row[0])
            XCTAssertEqual(entry.vrSpelling, row[1], row[0])
            XCTAssertEqual(entry.vm, row[2], row[0])
            XCTAssertEqual(entry.name, row[3], row[0])
            XCTAssertEqual(entry.keyword, row[4], row[0])
            XCTAssertEqual(entry.isRetired, row[5] == "retired", row[0])
            if !row[4].isEmpty {
                // A keyword of a repeating group names its first group: (60xx,3000) is (6000,3000).
                let byKeyword = try XCTUnwrap(DataDictionary.entry(forKeyword: row[4]), row[4])
                XCTAssertEqual(byKeyword.tag.rawValue & entry.mask, tag.rawValue & entry.mask, row[4])
                XCTAssertEqual(byKeyword, entry, row[4])
            }
        }
    }

    /// The 34 VRs of PS3.5 6.2 (table 6.2-1) are the only known ones of all 65536 pairs of bytes, and
    /// the 13 with a 32-bit length in explicit VR (PS3.5 7.1.2) the only long ones.
    func testKnownVRsAndLongLengths() {
        let known = Set("AE AS AT CS DA DS DT FD FL IS LO LT OB OD OF OL OV OW PN SH SL SQ SS ST SV TM UC UI UL UN UR US UT UV".split(separator: " ").map(String.init))
        let long = Set("OB OD OF OL OV OW SQ SV UC UN UR UT UV".split(separator: " ").map(String.init))
        var foundKnown: Set<String> = [], foundLong: Set<String> = []
        for raw in 0...UInt16.max {
            let vr = VR(rawValue: raw)
            if vr.isKnown { foundKnown.insert(vr.description) }
            if vr.hasLongLength { foundLong.insert(vr.description) }
        }
        XCTAssertEqual(foundKnown, known)
        XCTAssertEqual(foundLong, long)
        XCTAssertNil(VR("XX"))
        XCTAssertEqual(VR("UV"), .UV)
    }

    func testRepeatingGroupsAndMisses() {
        XCTAssertEqual(DataDictionary.entry(for: Tag(0x6002_3000))?.keyword, "OverlayData")
        XCTAssertEqual(DataDictionary.entry(for: Tag(0x601E_0010))?.keyword, "OverlayRows")
        XCTAssertEqual(DataDictionary.entry(for: Tag(0x5004_3000))?.keyword, "CurveData")
        XCTAssertEqual(DataDictionary.entry(for: Tag(0x0020_3105))?.name, "Source Image IDs")
        XCTAssertNil(DataDictionary.entry(for: Tag(0x0029_1010)))
        XCTAssertNil(DataDictionary.entry(for: Tag(0x0008_0002)))
        XCTAssertNil(DataDictionary.entry(forKeyword: "NoSuchKeyword"))
        XCTAssertNil(DataDictionary.entry(forKeyword: ""))
        XCTAssertEqual(DataDictionary.tag(forKeyword: "PatientSex"), Tag(0x0010_0040))
        XCTAssertEqual(DataDictionary.entry(for: Tag(0x0028_0106))?.vrSpelling, "US or SS")
        XCTAssertEqual(DataDictionary.vr(for: Tag(0x0010_0010))?.vr, .PN)
    }

    func testUIDRegistry() throws {
        let rows = try standardFile("uids.tsv")
        for row in rows {
            let e = try XCTUnwrap(DataDictionary.uid(row[0]), row[0])
            XCTAssertEqual(e.name, row[1])
            XCTAssertEqual(e.type, row[2])
            XCTAssertEqual(e.keyword, row[4])
        }
        XCTAssertNil(DataDictionary.uid("1.2.3.4"))
    }

    func testTransferSyntaxes() {
        XCTAssertEqual(TransferSyntax(uid: "1.2.840.10008.1.2.4.70")?.isEncapsulated, true)
        XCTAssertEqual(TransferSyntax(uid: "1.2.840.10008.1.2.4.70")?.isExplicitVR, true)
        XCTAssertEqual(TransferSyntax(uid: "1.2.840.10008.1.2.1.99")?.isDeflated, true)
        XCTAssertEqual(TransferSyntax(uid: "1.2.840.10008.1.2.4.95")?.isDeflated, true)
        XCTAssertEqual(TransferSyntax(uid: "1.2.840.10008.1.2.2")?.isBigEndian, true)
        XCTAssertEqual(TransferSyntax(uid: "1.2.840.10008.1.2\0")?.isExplicitVR, false)
        XCTAssertEqual(TransferSyntax(uid: "1.2.840.10008.1.2.1 ")?.name, "Explicit VR Little Endian")
        XCTAssertNil(TransferSyntax(uid: "1.2.840.10008.5.1.4.1.1.2")) // a SOP class, not a syntax
        XCTAssertNil(TransferSyntax(uid: "1.2.3"))
    }
}
