import XCTest
@testable import DICOM
import DICOMTestSupport

/// Damaged files: every element read before the damage stays (at the top level and inside the
/// sequence being read), the error has the byte offset, and reads that stop before the damage are
/// not errors. Behaviour checked against DCMTK 3.6 dcmdump and pydicom 3.0.2 on the same bytes.
final class DamageTests: XCTestCase {
    func encode(_ elements: [Element]) -> [UInt8] {
        var out: [UInt8] = []
        for e in elements { DICOMWriter().encode(e, explicit: true, bigEndian: false, into: &out) }
        return out
    }

    /// Native pixel data cut short (DCMTK: error, elements listed; pydicom: reads the 500 bytes).
    func testCutPixelData() throws {
        let whole = DICOMWriter().write(DataSet([.string(.patientID, "P1"), .string(.studyDate, "20240101"),
                                                 .bytes(.pixelData, .OW, [UInt8](repeating: 7, count: 1000))]))
        let b = Array(whole.prefix(whole.count - 500))
        let pixelOffset = whole.count - 1000 - 12
        for file in [read(b), DICOMReader.read(path: try temporaryFile(b))] {
            XCTAssertEqual(file.error?.kind, .truncated)
            XCTAssertEqual(file.error?.offset, pixelOffset)
            XCTAssertEqual(file.error?.message, "pixel data (7FE0,0010) is cut: 500 of its 1000 bytes (from byte \(pixelOffset + 12)) are in the file (\(b.count) bytes)")
            XCTAssertEqual(file.string(.patientID), "P1")
            XCTAssertEqual(file.dataSet[.pixelData]?.value, .notLoaded(offset: pixelOffset + 12, length: 500))
            XCTAssertEqual(file.dataSet[.pixelData]?.length, 1000)
            XCTAssertFalse(file.isComplete)
            XCTAssertEqual(file.errorTag, .pixelData)
            XCTAssertTrue(file.hasAllElements(of: [.patientID, .studyDate, .transferSyntaxUID]))
            XCTAssertFalse(file.hasAllElements(of: [.patientID, .pixelData]))
        }
        // Header reads and reads of a few tags stop before it: no error at all.
        for options in [ReadOptions.header, ReadOptions(tags: [.patientID, .studyDate])] {
            let file = DICOMReader.read(path: try temporaryFile(b), options: options)
            XCTAssertNil(file.error)
            XCTAssertTrue(file.isComplete)
            XCTAssertTrue(file.stoppedEarly)
            XCTAssertEqual(file.string(.patientID), "P1")
        }
        // Cut at every byte of the pixel data value: always the same header, always the message.
        for cut in stride(from: pixelOffset + 12, to: whole.count, by: 97) {
            let f = read(Array(whole.prefix(cut)))
            XCTAssertEqual(f.error?.offset, pixelOffset)
            XCTAssertTrue(f.error?.message.hasPrefix("pixel data (7FE0,0010) is cut: \(cut - pixelOffset - 12) of its 1000 bytes") == true)
            XCTAssertNil(read(Array(whole.prefix(cut)), .header).error)
        }
    }

    /// Encapsulated pixel data cut inside a fragment: the fragments before it are listed.
    func testCutEncapsulatedPixelData() {
        var w = DICOMWriter(transferSyntax: TransferSyntax(uid: "1.2.840.10008.1.2.4.50")!)
        w.transferSyntaxUID = .some("1.2.840.10008.1.2.4.50")
        let whole = w.write(DataSet([.string(.patientID, "P1"), .encapsulatedPixelData([[1, 2, 3, 4], [UInt8](repeating: 9, count: 100)])]))
        let b = Array(whole.prefix(whole.count - 8 - 50))
        let file = read(b)
        XCTAssertEqual(file.error?.kind, .truncated)
        XCTAssertTrue(file.error?.message.hasPrefix("pixel data (7FE0,0010) is cut: fragment 3 of 100 bytes") == true, "\(String(describing: file.error))")
        guard case .fragments(let f)? = file.dataSet[.pixelData]?.value else { return XCTFail("no fragments") }
        XCTAssertEqual(f.map(\.length), [0, 4])
        XCTAssertEqual(file.string(.patientID), "P1")
        XCTAssertNil(read(b, .header).error)
    }

    /// An explicit VR element whose VR bytes are 00 00: DCMTK reads a 16-bit length (and warns);
    /// pydicom reads it as implicit VR and swallows the rest of the file. We follow DCMTK when the
    /// implicit reading cannot be right.
    func testZeroVRBytesReadWithShortLength() {
        let head = DICOMWriter().write(DataSet([.string(.studyDate, "20240101")]))
        let bad: [UInt8] = [0x10, 0x00, 0x10, 0x00, 0, 0, 4, 0] + Array("AB^C".utf8)
        let b = head + bad + encode([.string(.patientID, "PID1")])
        let file = read(b)
        XCTAssertNil(file.error)
        XCTAssertEqual(file.dataSet[.patientName]?.vr, .PN)
        XCTAssertNil(file.dataSet[.patientName]?.fileVR)
        XCTAssertEqual(file.string(.patientName), "AB^C")
        XCTAssertEqual(file.string(.patientID), "PID1")
        XCTAssertTrue(file.warnings.contains("(0010,0010) at byte \(head.count) has no valid VR (bytes 00 00): read with a 16-bit length and VR PN, as DCMTK does"), "\(file.warnings)")
        // Unknown tag: UN.
        let priv = read(head + [0x11, 0x00, 0x01, 0x10, 0, 0, 2, 0, 1, 2] + encode([.string(Tag(0x0013_0010), "X", vr: .LO)]))
        XCTAssertNil(priv.error)
        XCTAssertEqual(priv.dataSet[Tag(0x0011_1001)]?.vr, .UN)
        XCTAssertEqual(priv.dataSet[Tag(0x0011_1001)]?.bytes, [1, 2])
        // Implicit VR data under an explicit transfer syntax is still read as implicit (32-bit length).
        var implicitBody: [UInt8] = []
        for e in [Element.string(.patientName, "Doe^John"), .string(.patientID, "PID-0001")] {
            DICOMWriter().encode(e, explicit: false, bigEndian: false, into: &implicitBody)
        }
        let implicitFile = read(head + implicitBody)
        XCTAssertNil(implicitFile.error)
        XCTAssertEqual(implicitFile.string(.patientName), "Doe^John")
        XCTAssertEqual(implicitFile.string(.patientID), "PID-0001")
    }

    /// The last item of a sequence runs past the end of the file (DCMTK: error, the item's elements
    /// listed; pydicom: reads them). Its whole elements are kept, then the truncation is reported.
    func testLastItemRunsPastTheEnd() throws {
        for undefinedSequence in [false, true] {
            let items = [DataSet([.string(Tag(0x0008_1150), "1.2.3"), .string(Tag(0x0008_1155), "1.2.3.4")]),
                         DataSet([.string(Tag(0x0008_1150), "1.2.5"), .string(Tag(0x0008_1155), "1.2.5.6")])]
            let whole = DICOMWriter().write(DataSet([.string(.studyDate, "20240101"),
                                                     .sequence(Tag(0x0008_1140), items, undefinedLength: undefinedSequence)]))
            // Cut inside the last element of the last item (and its delimiters if any).
            let cut = whole.count - (undefinedSequence ? 8 : 0) - 4
            let b = Array(whole.prefix(cut))
            for file in [read(b), DICOMReader.read(path: try temporaryFile(b))] {
                XCTAssertEqual(file.error?.kind, .truncated, "\(undefinedSequence)")
                XCTAssertEqual(file.string(.studyDate), "20240101")
                let seq = file.dataSet[Tag(0x0008_1140)]?.items
                XCTAssertEqual(seq?.count, 2)
                XCTAssertEqual(seq?.first?.string(Tag(0x0008_1155)), "1.2.3.4")
                XCTAssertEqual(seq?.last?.string(Tag(0x0008_1150)), "1.2.5")
                XCTAssertNil(seq?.last?[Tag(0x0008_1155)])
                XCTAssertEqual(file.errorTag, Tag(0x0008_1140))
                XCTAssertTrue(file.hasAllElements(of: [.studyDate]))
                XCTAssertFalse(file.hasAllElements(of: [.studyDate, .patientID]))
            }
        }
        // The item's length runs a few bytes past the end, all elements whole: read them, then report.
        let items = [DataSet([.string(Tag(0x0008_1150), "1.2.3")])]
        var b = DICOMWriter().write(DataSet([.sequence(Tag(0x0008_1140), items)]))
        let itemAt = b.indices.last { b[$0] == 0xFE && b[$0 + 1] == 0xFF && b[$0 + 2] == 0x00 && b[$0 + 3] == 0xE0 }!
        b[itemAt + 4] += 6
        b[itemAt - 4] += 6   // the sequence's length too
        let file = read(b)
        XCTAssertEqual(file.error, DICOMError(.truncated, offset: b.count, "file ends inside an item that started at byte \(itemAt)"))
        XCTAssertEqual(file.dataSet[Tag(0x0008_1140)]?.items?.first?.string(Tag(0x0008_1150)), "1.2.3")
    }

    /// Nested sequences: an error deep inside keeps every level read so far.
    func testErrorDeepInsideKeepsEveryLevel() {
        let inner = DataSet([.string(Tag(0x0008_0100), "CODE"), .string(Tag(0x0008_0104), "Meaning")])
        let whole = DICOMWriter().write(DataSet([.string(.studyDate, "20240101"),
            .sequence(Tag(0x0040_A730), [DataSet([.string(Tag(0x0040_A010), "CONTAINS"), .sequence(Tag(0x0040_A043), [inner])])], undefinedLength: true)]))
        let meaning = (0..<whole.count).first { Array(whole[$0..<($0 + 7)]) == Array("Meaning".utf8) }!
        let b = Array(whole.prefix(meaning + 3))
        let file = read(b)
        XCTAssertEqual(file.error?.kind, .truncated)
        let outer = file.dataSet[Tag(0x0040_A730)]?.items?.first
        XCTAssertEqual(outer?.string(Tag(0x0040_A010)), "CONTAINS")
        XCTAssertEqual(outer?[Tag(0x0040_A043)]?.items?.first?.string(Tag(0x0008_0100)), "CODE")
        XCTAssertEqual(file.string(.studyDate), "20240101")
    }

    /// A command group length (0000,0000) far larger than the file: group lengths are never used to
    /// skip or bound anything (pydicom and DCMTK read on too), in explicit and implicit VR.
    func testHugeCommandGroupLengthIsIgnored() {
        for ts in [TransferSyntax.explicitVRLittleEndian, .implicitVRLittleEndian] {
            let ds = DataSet([.uint32(Tag(0x0000_0000), [0x7FFF_FFFF]), .uint16(Tag(0x0000_0100), [1]), .string(.patientID, "PID1")])
            for meta in [true] {
                var w = DICOMWriter(transferSyntax: ts)
                w.preamble = meta
                w.meta = meta
                let file = read(w.write(ds))
                XCTAssertNil(file.error, "\(ts.name) \(meta)")
                XCTAssertEqual(file.string(.patientID), "PID1", "\(ts.name)")
                XCTAssertEqual(file.dataSet[Tag(0x0000_0000)]?.bytes, [0xFF, 0xFF, 0xFF, 0x7F])
            }
        }
    }
}
