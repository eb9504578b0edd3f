import XCTest
@testable import DICOM
import DICOMTestSupport

final class StructureTests: XCTestCase {
    /// Sequences of undefined length with items of undefined length, nested five deep, mixed with
    /// defined-length ones, in both VR encodings.
    func testNestedUndefinedLengthSequences() {
        func nest(_ level: Int) -> DataSet {
            var elements: [Element] = [.string(Tag(0x0008_0100), "CODE\(level)")]
            if level < 5 {
                elements.append(.sequence(Tag(0x0040_A730), [nest(level + 1), nest(level + 1)], undefinedLength: level % 2 == 0))
            }
            return DataSet(elements)
        }
        for ts in [TransferSyntax.explicitVRLittleEndian, .implicitVRLittleEndian, .explicitVRBigEndian] {
            for undefinedItems in [true, false] {
                var w = DICOMWriter(transferSyntax: ts)
                w.undefinedLengthItems = undefinedItems
                let file = read(w.write(DataSet([.string(.patientID, "X"), .sequence(Tag(0x0040_A730), [nest(1)], undefinedLength: true)])))
                XCTAssertNil(file.error)
                var ds = file.dataSet
                for level in 1...5 {
                    let items = ds[Tag(0x0040_A730)]?.items
                    XCTAssertEqual(items?.count, level == 1 ? 1 : 2, "\(ts) level \(level)")
                    guard let item = items?.last else { return XCTFail("missing level \(level)") }
                    XCTAssertEqual(item.string(Tag(0x0008_0100)), "CODE\(level)")
                    ds = item
                }
                XCTAssertNil(ds[Tag(0x0040_A730)])
                XCTAssertEqual(file.dataSet.string(.patientID), "X")
            }
        }
    }

    func testPrivateTagsAndCreators() {
        let ds = DataSet([
            .string(.patientID, "P"),
            .string(Tag(0x0029_0010), "SIEMENS CSA HEADER", vr: .LO),
            .string(Tag(0x0029_0011), "SIEMENS MEDCOM HEADER", vr: .LO),
            .bytes(Tag(0x0029_1010), .OB, [1, 2, 3, 4]),
            .bytes(Tag(0x0029_1110), .OB, [5, 6]),
            .bytes(Tag(0x0029_1020), .UN, [9, 9]),
        ])
        for ts in [TransferSyntax.explicitVRLittleEndian, .implicitVRLittleEndian] {
            let file = read(DICOMWriter(transferSyntax: ts).write(ds))
            XCTAssertNil(file.error)
            XCTAssertEqual(file.dataSet.privateCreator(of: Tag(0x0029_1010)), "SIEMENS CSA HEADER")
            XCTAssertEqual(file.dataSet.privateCreator(of: Tag(0x0029_1110)), "SIEMENS MEDCOM HEADER")
            XCTAssertEqual(file.dataSet.string(Tag(0x0029_1010)), "01020304")
            XCTAssertEqual(file.dataSet[Tag(0x0029_0010)]?.vr, .LO)
            XCTAssertEqual(file.dataSet[Tag(0x0029_1110)]?.vr, ts.isExplicitVR ? .OB : .UN)
            XCTAssertEqual(file.dataSet.jsonKey(Tag(0x0029_1010)), "00291010")
        }
    }

    func testRepeatingGroupsAreNamed() {
        let ds = DataSet([.uint16(Tag(0x6002_0010), [512]), .bytes(Tag(0x6002_3000), .OW, [0, 0, 0, 0])])
        let file = read(DICOMWriter(transferSyntax: .implicitVRLittleEndian).write(ds))
        XCTAssertEqual(file.dataSet[Tag(0x6002_0010)]?.vr, .US)
        XCTAssertEqual(file.dataSet.string(Tag(0x6002_0010)), "512")
        XCTAssertEqual(file.dataSet[Tag(0x6002_3000)]?.vr, .OW)
        XCTAssertEqual(file.dataSet.jsonKey(Tag(0x6000_0010)), "OverlayRows")
        XCTAssertEqual(file.dataSet.jsonKey(Tag(0x6002_0010)), "60020010")
    }

    /// UN of undefined length holds an implicit VR little endian sequence (PS3.5 6.2.2); a UN whose
    /// tag the dictionary knows is read with the dictionary's VR, as pydicom does.
    func testUNElements() {
        let inner = DICOMWriter(transferSyntax: .implicitVRLittleEndian)
        var itemBody: [UInt8] = []
        inner.encode(.string(Tag(0x0008_0100), "T-D1100"), explicit: false, bigEndian: false, into: &itemBody)
        let unSequence: [UInt8] = [0xFE, 0xFF, 0x00, 0xE0] + le32(UInt32(itemBody.count)) + itemBody + [0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0]
        let ds = DataSet([
            .bytes(.patientName, .UN, Array("Doe^Jane".utf8)),
            Element(tag: Tag(0x0008_2218), vr: .UN, fileVR: .UN, length: 0xFFFF_FFFF, offset: 0, value: .bytes(unSequence)),
        ])
        let file = read(DICOMWriter(transferSyntax: .explicitVRLittleEndian).write(ds))
        XCTAssertNil(file.error)
        XCTAssertEqual(file.dataSet[.patientName]?.vr, .PN)
        XCTAssertEqual(file.dataSet[.patientName]?.fileVR, .UN)
        XCTAssertEqual(file.dataSet.string(.patientName), "Doe^Jane")
        XCTAssertEqual(file.dataSet[Tag(0x0008_2218)]?.items?.first?.string(Tag(0x0008_0100)), "T-D1100")
    }

    func testOddLengthsAndVRDisagreeingWithDictionary() {
        let ds = DataSet([
            .bytes(.patientID, .LO, Array("ABC".utf8)),          // odd length, no padding
            .bytes(.patientSex, .LO, Array("F ".utf8)),          // CS in the dictionary, LO in the file
            .bytes(.studyDate, .DA, Array("20240101".utf8)),
        ])
        let file = read(DICOMWriter().write(ds))
        XCTAssertNil(file.error)
        XCTAssertEqual(file.dataSet.string(.patientID), "ABC")
        XCTAssertEqual(file.dataSet.string(.patientSex), "F")
        XCTAssertEqual(file.dataSet[.patientSex]?.vr, .LO)
        XCTAssertEqual(file.dataSet.string(.studyDate), "20240101")
    }

    func testPaddingRulesFollowPydicom() {
        let ds = DataSet([
            .bytes(Tag(0x0008_0008), .CS, Array("ORIGINAL \\PRIMARY ".utf8)),
            .bytes(.sopInstanceUID, .UI, Array("1.2.3\0".utf8)),
            .bytes(.seriesNumber, .IS, Array(" 11 ".utf8)),
            .bytes(Tag(0x0018_0050), .DS, Array("1.50\\ 2 ".utf8)),
            .bytes(Tag(0x0008_1030), .LO, Array(" A \\B  ".utf8)),
            .bytes(.patientName, .PN, Array(" A \\B  ".utf8)),
            .bytes(Tag(0x0008_0054), .AE, Array(" AET1 \\AET2 ".utf8)),
            .bytes(Tag(0x0008_0081), .ST, Array("  two lines\r\nof text  ".utf8)),
        ])
        let file = read(DICOMWriter().write(ds))
        XCTAssertEqual(file.dataSet.string(Tag(0x0008_0008)), "ORIGINAL \\PRIMARY")
        XCTAssertEqual(file.dataSet.string(.sopInstanceUID), "1.2.3")
        XCTAssertEqual(file.dataSet.string(.seriesNumber), "11")
        XCTAssertEqual(file.dataSet.string(Tag(0x0018_0050)), "1.50\\2")
        XCTAssertEqual(file.dataSet.string(Tag(0x0008_1030)), " A\\B")
        XCTAssertEqual(file.dataSet.string(.patientName), " A \\B")
        XCTAssertEqual(file.dataSet.string(Tag(0x0008_0054)), "AET1\\AET2")
        XCTAssertEqual(file.dataSet.string(Tag(0x0008_0081)), "  two lines\r\nof text")
        XCTAssertEqual(file.dataSet.strings(Tag(0x0018_0050)), ["1.50", "2"])
    }

    func testDatesAndTimes() {
        XCTAssertEqual(DICOMDate("20240131"), DICOMDate("2024.01.31"))
        XCTAssertNil(DICOMDate("2024013"))
        XCTAssertNil(DICOMDate("20241301"))
        XCTAssertEqual(DICOMTime("101530.123")?.microsecond, 123_000)
        XCTAssertEqual(DICOMTime("10")?.hour, 10)
        XCTAssertEqual(DICOMTime("1015")?.minute, 15)
        XCTAssertEqual(DICOMTime("10:15:30")?.second, 30)
        XCTAssertNil(DICOMTime("1015.5"))
        XCTAssertNil(DICOMTime("2500"))
        XCTAssertLessThan(DICOMTime("0959")!, DICOMTime("095900.000001")!)
        XCTAssertLessThan(DICOMDate("20231231")!, DICOMDate("20240101")!)
        XCTAssertEqual(DICOMTime("1015")?.second, 0)
        XCTAssertEqual(DICOMTime("101530.5")?.microsecond, 500_000)
        XCTAssertEqual(DICOMTime("235960.999999")?.microsecond, 999_999)
        XCTAssertNil(DICOMTime("101530.1234567"))
        XCTAssertNil(DICOMTime("1015301"))
        XCTAssertEqual(DICOMDate(" 20240229 ")?.day, 29)
    }

    /// The parsers against the rules written out plainly (digits collected, then checked), on
    /// 20,000 random strings of digits, dots, colons, spaces and other bytes.
    func testDatesAndTimesAgainstAPlainReference() {
        func referenceDate(_ text: String) -> [Int]? {
            let t = text.trimmingCharacters(in: .init(charactersIn: " ")).filter { $0 != "." }
            guard t.count == 8, t.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            let d = t.map { Int(String($0))! }
            let y = d[0] * 1000 + d[1] * 100 + d[2] * 10 + d[3], m = d[4] * 10 + d[5], day = d[6] * 10 + d[7]
            return (1...12).contains(m) && (1...31).contains(day) ? [y, m, day] : nil
        }
        func referenceTime(_ text: String) -> [Int]? {
            let t = text.trimmingCharacters(in: .init(charactersIn: " ")).filter { $0 != ":" }
            let parts = t.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
            let main = String(parts[0]), fraction = parts.count > 1 ? String(parts[1]) : ""
            guard (main + fraction).allSatisfy({ $0.isASCII && $0.isNumber }), [2, 4, 6].contains(main.count), fraction.count <= 6 else { return nil }
            if parts.count > 1 && main.count != 6 { return nil }
            let d = main.map { Int(String($0))! }
            let h = d[0] * 10 + d[1], m = d.count >= 4 ? d[2] * 10 + d[3] : 0, s = d.count >= 6 ? d[4] * 10 + d[5] : 0
            let us = Int((fraction + String(repeating: "0", count: 6 - fraction.count)))!
            return h < 24 && m < 60 && s < 61 ? [h, m, s, us] : nil
        }
        var rng = SystemRandomNumberGenerator()
        let alphabet = Array("0123456789012345678901234567890123456789.: x")
        var validDates = 0, validTimes = 0
        for _ in 0..<20_000 {
            let text = String((0..<Int.random(in: 0...15, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
            let d = DICOMDate(text), t = DICOMTime(text)
            XCTAssertEqual(d.map { [$0.year, $0.month, $0.day] }, referenceDate(text), "date \(text)")
            XCTAssertEqual(t.map { [$0.hour, $0.minute, $0.second, $0.microsecond] }, referenceTime(text), "time \(text)")
            if d != nil { validDates += 1 }
            if t != nil { validTimes += 1 }
        }
        for text in ["20240131", "2024.01.31", "19991231", "00010101", "101530", "1015", "10", "101530.1", "23:59:60.999999", "000000.000000"] {
            XCTAssertEqual(DICOMDate(text).map { [$0.year, $0.month, $0.day] }, referenceDate(text), text)
            XCTAssertEqual(DICOMTime(text).map { [$0.hour, $0.minute, $0.second, $0.microsecond] }, referenceTime(text), text)
            if DICOMDate(text) != nil { validDates += 1 }
            if DICOMTime(text) != nil { validTimes += 1 }
        }
        XCTAssertGreaterThan(validDates, 3)
        XCTAssertGreaterThan(validTimes, 50)
    }
}
