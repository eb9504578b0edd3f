import XCTest
@testable import DICOM
import DICOMTestSupport

/// Files that break the rules but occur, and files that are broken: read what can be read, report
/// the rest with a byte offset, never crash.
final class RobustnessTests: XCTestCase {
    func bare(_ ts: TransferSyntax, meta: Bool = false) -> [UInt8] {
        var w = DICOMWriter(transferSyntax: ts)
        w.preamble = false
        w.meta = meta
        return w.write(sampleDataSet())
    }

    func testBareDataSetsWithoutPreamble() {
        for ts in [TransferSyntax.explicitVRLittleEndian, .implicitVRLittleEndian, .explicitVRBigEndian] {
            let file = read(bare(ts))
            XCTAssertNil(file.error, ts.name)
            XCTAssertFalse(file.hasPreamble)
            XCTAssertEqual(file.transferSyntax?.isExplicitVR, ts.isExplicitVR, ts.name)
            XCTAssertEqual(file.transferSyntax?.isBigEndian, ts.isBigEndian, ts.name)
            XCTAssertEqual(file.dataSet.string(.patientName), "Doe^John", ts.name)
            XCTAssertEqual(file.dataSet.string(Tag(0x0028_0106)), "-2", ts.name)
        }
        // Meta group at byte 0, no preamble.
        let withMeta = read(bare(.implicitVRLittleEndian, meta: true))
        XCTAssertNil(withMeta.error)
        XCTAssertEqual(withMeta.transferSyntax, .implicitVRLittleEndian)
        XCTAssertEqual(withMeta.dataSet.string(.patientID), "PID-0001")
        // DICM at byte 0 without the preamble.
        let dicm = read(Array("DICM".utf8) + bare(.explicitVRLittleEndian, meta: true))
        XCTAssertNil(dicm.error)
        XCTAssertEqual(dicm.dataSet.string(.patientID), "PID-0001")
    }

    func testMetaWithoutGroupLength() {
        var w = DICOMWriter(transferSyntax: .implicitVRLittleEndian)
        w.metaGroupLength = false
        let file = read(w.write(sampleDataSet()))
        XCTAssertNil(file.error)
        XCTAssertNil(file.meta[.fileMetaInformationGroupLength])
        XCTAssertEqual(file.transferSyntax, .implicitVRLittleEndian)
        XCTAssertEqual(file.dataSet.string(.patientName), "Doe^John")
    }

    /// No (0002,0010): the encoding is detected from the first element, as DCMTK does.
    func testMetaWithoutTransferSyntax() {
        for ts in [TransferSyntax.explicitVRLittleEndian, .implicitVRLittleEndian, .explicitVRBigEndian] {
            var w = DICOMWriter(transferSyntax: ts)
            w.transferSyntaxUID = .some(nil)
            let file = read(w.write(sampleDataSet()))
            XCTAssertNil(file.error, ts.name)
            XCTAssertNil(file.meta[.transferSyntaxUID])
            XCTAssertEqual(file.transferSyntax?.isExplicitVR, ts.isExplicitVR, ts.name)
            XCTAssertEqual(file.transferSyntax?.isBigEndian, ts.isBigEndian, ts.name)
            XCTAssertEqual(file.dataSet.string(.patientName), "Doe^John", ts.name)
            XCTAssertFalse(file.warnings.isEmpty)
        }
    }

    func testUnknownAndPaddedTransferSyntaxUIDs() {
        var w = DICOMWriter(transferSyntax: .explicitVRLittleEndian)
        w.transferSyntaxUID = .some("1.2.3.4.5.6")
        let unknown = read(w.write(sampleDataSet()))
        XCTAssertNil(unknown.error)
        XCTAssertEqual(unknown.transferSyntax?.isExplicitVR, true)
        XCTAssertTrue(unknown.warnings.contains { $0.contains("unknown transfer syntax '1.2.3.4.5.6'") })
        XCTAssertEqual(unknown.dataSet.string(.patientName), "Doe^John")

        var p = DICOMWriter(transferSyntax: .implicitVRLittleEndian)
        p.transferSyntaxUID = .some(" 1.2.840.10008.1.2 \0")
        let padded = read(p.write(sampleDataSet()))
        XCTAssertNil(padded.error)
        XCTAssertEqual(padded.transferSyntax, .implicitVRLittleEndian)
        XCTAssertEqual(padded.dataSet.string(.patientName), "Doe^John")
    }

    /// The meta says one VR encoding and the data set uses the other: follow the data.
    func testTransferSyntaxContradictedByTheData() {
        var liar = DICOMWriter(transferSyntax: .implicitVRLittleEndian)
        liar.transferSyntaxUID = .some(TransferSyntax.explicitVRLittleEndian.uid)
        let a = read(liar.write(sampleDataSet()))
        XCTAssertNil(a.error)
        XCTAssertEqual(a.dataSet.string(.patientName), "Doe^John")
        XCTAssertEqual(a.dataSet[Tag(0x0008_1140)]?.items?.count, 2)

        var liar2 = DICOMWriter(transferSyntax: .explicitVRLittleEndian)
        liar2.transferSyntaxUID = .some(TransferSyntax.implicitVRLittleEndian.uid)
        let b = read(liar2.write(sampleDataSet()))
        XCTAssertNil(b.error)
        XCTAssertEqual(b.dataSet.string(.patientName), "Doe^John")
        XCTAssertEqual(b.dataSet.string(Tag(0x0028_0106)), "-2")
    }

    /// A TIFF header in the preamble (dual-personality files): DICM at 128 decides.
    func testTIFFPreamble() {
        var w = DICOMWriter()
        w.preambleBytes = [0x49, 0x49, 0x2A, 0x00, 0x08, 0x00, 0x00, 0x00]
        let file = read(w.write(sampleDataSet()))
        XCTAssertNil(file.error)
        XCTAssertTrue(file.hasPreamble)
        XCTAssertEqual(file.dataSet.string(.patientName), "Doe^John")
    }

    func testNotDICOM() {
        for junk in [[], Array("hello, world\n".utf8), Array("a,b,c\n1,2,3\n".utf8), [UInt8](repeating: 0, count: 300),
                     [0x50, 0x4B, 0x03, 0x04] + [UInt8](repeating: 7, count: 200)] {
            let file = read(junk)
            XCTAssertEqual(file.error?.kind, .notDICOM, "\(junk.prefix(8))")
            XCTAssertTrue(file.dataSet.isEmpty)
        }
        let missing = DICOMReader.read(path: "/nonexistent/file.dcm")
        XCTAssertEqual(missing.error?.kind, .io)
    }

    /// Cut a file at every byte: an error (or a shorter, valid read at element boundaries), never
    /// a crash, and the elements read before the cut are those of the whole file.
    func testTruncationAtEveryOffset() {
        for ts in [TransferSyntax.explicitVRLittleEndian, .implicitVRLittleEndian, .explicitVRBigEndian, .deflatedExplicitVRLittleEndian] {
            var w = DICOMWriter(transferSyntax: ts)
            w.undefinedLengthItems = true
            var ds = sampleDataSet()
            ds.elements.insert(.sequence(Tag(0x0040_0275), [DataSet([.string(Tag(0x0040_0009), "SPS1")])], undefinedLength: true), at: ds.elements.count - 1)
            ds.elements.sort { $0.tag < $1.tag }
            let full = w.write(ds)
            let whole = read(full)
            XCTAssertNil(whole.error)
            let allTags = whole.dataSet.elements.map(\.tag)
            var errors = 0
            for cut in 0..<full.count {
                let file = read(Array(full.prefix(cut)))
                if let e = file.error {
                    errors += 1
                    XCTAssertLessThanOrEqual(e.offset, cut + (ts.isDeflated ? full.count * 4 : 0), "\(ts.name) cut \(cut)")
                }
                let tags = file.dataSet.elements.map(\.tag)
                XCTAssertEqual(Array(allTags.prefix(tags.count)), tags, "\(ts.name) cut \(cut)")
                if cut > 132 + 200, !ts.isDeflated {
                    XCTAssertTrue(file.isDICOM, "\(ts.name) cut \(cut)")
                }
            }
            XCTAssertGreaterThan(errors, full.count / 2, ts.name)
        }
    }

    func testTruncatedValueReportsOffset() {
        let full = DICOMWriter().write(DataSet([.string(.patientID, "P1"), .string(Tag(0x0008_1030), String(repeating: "x", count: 100))]))
        // The file ends with (0008,1030) (8 + 100 bytes), then (0010,0020) (8 + 2 bytes): cut inside the first.
        let file = read(Array(full.prefix(full.count - 20)))
        XCTAssertEqual(file.error?.kind, .truncated)
        XCTAssertNil(file.dataSet.string(.patientID))
        XCTAssertTrue(file.error?.description.contains("(0008,1030)") == true, "\(String(describing: file.error))")
        XCTAssertEqual(file.error?.offset, full.count - 10 - 108)
    }

    func testHostileNestingDepth() {
        func nested(_ depth: Int, closed: Bool) -> [UInt8] {
            var body: [UInt8] = []
            let open: [UInt8] = [0x40, 0x00, 0x30, 0xA7, 0x53, 0x51, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF,
                                 0xFE, 0xFF, 0x00, 0xE0, 0xFF, 0xFF, 0xFF, 0xFF]
            let close: [UInt8] = [0xFE, 0xFF, 0x0D, 0xE0, 0, 0, 0, 0, 0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0]
            body.reserveCapacity(depth * 36)
            for _ in 0..<depth { body += open }
            if closed { for _ in 0..<depth { body += close } }
            let (header, first) = DICOMWriter().writeParts(DataSet([.string(.patientID, "P")]))
            return header + first + body
        }
        let ok = read(nested(200, closed: true))
        XCTAssertNil(ok.error)
        var ds = ok.dataSet
        var depth = 0
        while let next = ds[Tag(0x0040_A730)]?.items?.first { ds = next; depth += 1 }
        XCTAssertEqual(depth, 200)

        let hostile = read(nested(100_000, closed: false))
        XCTAssertEqual(hostile.error?.kind, .nestingTooDeep)
        XCTAssertEqual(hostile.dataSet.string(.patientID), "P")

        let custom = read(nested(50, closed: true), ReadOptions(maxDepth: 10))
        XCTAssertEqual(custom.error?.kind, .nestingTooDeep)
    }

    func testBadItemTagInSequence() {
        var b = DICOMWriter().write(DataSet([.sequence(Tag(0x0008_1140), [DataSet([.string(Tag(0x0008_1150), "1.2")])])]))
        // Replace the item tag (FFFE,E000) by (0008,0001).
        let i = b.indices.first { b[$0] == 0xFE && b[$0 + 1] == 0xFF && b[$0 + 2] == 0x00 && b[$0 + 3] == 0xE0 }!
        b[i] = 0x08; b[i + 1] = 0x00; b[i + 2] = 0x01
        let file = read(b)
        XCTAssertEqual(file.error?.kind, .badItem)
        XCTAssertEqual(file.error?.offset, i)
    }

    func testLengthPastEndOfFile() {
        // (0011,1001) so that the OB is the last element (the data set is written in tag order).
        var b = DICOMWriter().write(DataSet([.string(.patientID, "P1"), .bytes(Tag(0x0011_1001), .OB, [1, 2, 3, 4])]))
        // Make the OB's length huge.
        b[b.count - 8] = 0xF0; b[b.count - 7] = 0xFF; b[b.count - 6] = 0xFF; b[b.count - 5] = 0x7F
        let file = read(b)
        XCTAssertEqual(file.error?.kind, .truncated)
        let disk = DICOMReader.read(path: try! temporaryFile(b))
        XCTAssertEqual(disk.error?.kind, .truncated)
        XCTAssertEqual(disk.error?.offset, b.count - 16)
        XCTAssertEqual(disk.string(.patientID), "P1")
    }

    /// What this test's bytes were before (0009,1001) sorted first: the same bytes written into
    /// the tag and VR of PatientID, leaving a VR that is no VR (FF 7F) before a 16-bit length that
    /// fits: read as DCMTK does (16-bit length, the dictionary's VR), with a warning.
    func testInvalidVRWithShortLengthThatFits() {
        var b = DICOMWriter().write(DataSet([.string(.patientID, "P1"), .bytes(Tag(0x0009_1001), .OB, [1, 2, 3, 4])]))
        b[b.count - 8] = 0xF0; b[b.count - 7] = 0xFF; b[b.count - 6] = 0xFF; b[b.count - 5] = 0x7F
        let file = read(b)
        XCTAssertNil(file.error)
        XCTAssertEqual(file.dataSet.elements.last?.tag, Tag(0x0010_FFF0))
        XCTAssertEqual(file.dataSet.elements.last?.bytes, Array("P1".utf8))
        XCTAssertEqual(file.dataSet.elements.last?.vr, .UN)
        XCTAssertTrue(file.warnings.contains { $0.contains("(0010,FFF0) at byte \(b.count - 10) has no valid VR (bytes ff 7f)") }, "\(file.warnings)")
    }

    func testStrayDelimitersAreIgnoredAtTopLevel() {
        let (header, body) = DICOMWriter().writeParts(DataSet([.string(.patientID, "P1"), .string(.patientSex, "F")]))
        let split = DICOMWriter().writeParts(DataSet([.string(.patientID, "P1")])).body.count
        let b = header + body.prefix(split) + [0xFE, 0xFF, 0x0D, 0xE0, 0, 0, 0, 0] + body.dropFirst(split)
        let file = read(b)
        XCTAssertNil(file.error)
        XCTAssertEqual(file.dataSet.string(.patientSex), "F")
        XCTAssertFalse(file.warnings.isEmpty)
    }
}
