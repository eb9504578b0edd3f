import XCTest
@testable import DICOM
import DICOMTestSupport

/// Fixtures written by the project's own writer in each transfer syntax, read back.
final class TransferSyntaxTests: XCTestCase {
    let syntaxes: [TransferSyntax] = [
        .implicitVRLittleEndian, .explicitVRLittleEndian, .explicitVRBigEndian, .deflatedExplicitVRLittleEndian,
    ]

    func checkSample(_ file: DicomFile, _ label: String) {
        XCTAssertNil(file.error, label)
        let ds = file.dataSet
        XCTAssertEqual(ds.string(.patientName), "Doe^John", label)
        XCTAssertEqual(ds.string(Tag(0x0008_0008)), "ORIGINAL\\PRIMARY\\AXIAL", label)
        XCTAssertEqual(ds.string(.studyDate), "20240101", label)
        XCTAssertEqual(ds.string(.acquisitionTime), "101530.123000", label)
        XCTAssertEqual(ds.string(.sopInstanceUID), "1.2.826.0.1.3680043.10.1484.1.1", label)
        XCTAssertEqual(ds.string(Tag(0x0028_0010)), "4", label)
        XCTAssertEqual(ds.string(Tag(0x0028_0106)), "-2", label)  // SS (implicit: US or SS resolved by Pixel Representation)
        XCTAssertEqual(ds.string(Tag(0x0018_9087)), "1000.5", label)
        XCTAssertEqual(ds.string(Tag(0x0018_2043)), "0.10000000149011612\\-2.0", label)
        XCTAssertEqual(ds.string(Tag(0x0018_6016)), "7\\70000", label)
        XCTAssertEqual(ds.string(Tag(0x0020_9165)), "(0020,0032)", label)
        XCTAssertEqual(ds.int(.instanceNumber), 17, label)
        XCTAssertEqual(ds.double(Tag(0x0018_0050)), 1.25, label)
        let items = ds[Tag(0x0008_1140)]?.items
        XCTAssertEqual(items?.count, 2, label)
        XCTAssertEqual(items?[1].string(Tag(0x0008_1155)), "1.2.3.4.6", label)
        guard case .notLoaded(_, let n)? = ds[.pixelData]?.value else { return XCTFail("pixel data \(label)") }
        XCTAssertEqual(n, 32, label)
    }

    func testEveryNativeSyntaxRoundTrips() {
        for ts in syntaxes {
            for undefined in [false, true] {
                var w = DICOMWriter(transferSyntax: ts)
                w.undefinedLengthItems = undefined
                let file = read(w.write(sampleDataSet()))
                XCTAssertEqual(file.transferSyntax, ts)
                checkSample(file, "\(ts.name) undefined items: \(undefined)")
            }
        }
    }

    func testFromDiskAsFromMemory() throws {
        for ts in syntaxes {
            let b = DICOMWriter(transferSyntax: ts).write(sampleDataSet())
            let path = try temporaryFile(b)
            let fromDisk = DICOMReader.read(path: path, options: ReadOptions(firstReadSize: 64))
            checkSample(fromDisk, "disk \(ts.name)")
            XCTAssertEqual(fromDisk.dataSet, read(b).dataSet)
        }
    }

    func testBigEndianValuesAreSwapped() {
        let b = DICOMWriter(transferSyntax: .explicitVRBigEndian).write(DataSet([.uint16(Tag(0x0028_0010), [0x0102])]))
        // The value bytes are stored big endian in the file.
        XCTAssertNotNil(b.indices.first { b[$0] == 0x01 && b[$0 + 1] == 0x02 && $0 > 132 })
        XCTAssertEqual(read(b).dataSet.string(Tag(0x0028_0010)), "258")
    }

    func testDeflatedWithWrongZlibHeaderStillReads() {
        var w = DICOMWriter(transferSyntax: .deflatedExplicitVRLittleEndian)
        w.deflateWithZlibHeader = true
        let (_, body) = w.writeParts(sampleDataSet())
        XCTAssertEqual(body.first, 0x78)
        checkSample(read(w.write(sampleDataSet())), "zlib-wrapped deflate")
    }

    func testCorruptDeflateIsAnError() {
        let w = DICOMWriter(transferSyntax: .deflatedExplicitVRLittleEndian)
        let (header, body) = w.writeParts(sampleDataSet())
        var broken = body
        for i in 0..<min(40, broken.count) { broken[i] = 0xFF }
        let file = read(header + broken)
        XCTAssertEqual(file.error?.kind, .deflate)
        XCTAssertEqual(file.transferSyntax?.isDeflated, true)
        // Cut short: an error too, never a crash.
        let cut = read(header + body.prefix(body.count / 2))
        XCTAssertNotNil(cut.error)
        XCTAssertEqual(cut.error?.inInflatedData, true)
    }

    func testEncapsulatedPixelData() throws {
        var ds = sampleDataSet()
        ds.elements.removeLast()
        ds.elements.append(.encapsulatedPixelData([[1, 2, 3, 4], [5, 6, 7]]))
        let uid = "1.2.840.10008.1.2.4.70"
        let b = DICOMWriter(transferSyntax: TransferSyntax(uid: uid)!).write(ds)
        let file = read(b)
        XCTAssertNil(file.error)
        XCTAssertEqual(file.transferSyntax?.uid, uid)
        XCTAssertEqual(file.dataSet.string(.patientName), "Doe^John")
        guard case .fragments(let f)? = file.dataSet[.pixelData]?.value else { return XCTFail("no fragments") }
        XCTAssertEqual(f.map(\.length), [0, 4, 4])
        XCTAssertEqual(Array(b[f[1].offset..<(f[1].offset + 4)]), [1, 2, 3, 4])
        // From disk with a tiny first read, fragments are skipped by seeking.
        let disk = DICOMReader.read(path: try temporaryFile(b), options: ReadOptions(firstReadSize: 16))
        XCTAssertEqual(disk.dataSet, file.dataSet)
    }
}


final class SelectiveReadTests: XCTestCase {
    /// The elements inside a sequence that is not wanted are walked (the structure is checked) but
    /// their values never loaded: a 6,000-byte text inside one, nested two deep with undefined
    /// lengths, counts nothing against `maxValueBytesTotal`, which it would exceed if it were loaded
    /// (as a whole read shows). The wanted values after it are the whole read's; damage inside the
    /// sequence is still found.
    func testValuesInsideAnUnwantedSequenceAreNotLoaded() throws {
        let inner = DataSet([.string(.specificCharacterSet, "ISO_IR 100"), .string(Tag(0x0008_1155), "1.2.3.4.5"),
                             .string(Tag(0x0018_1030), String(repeating: "x", count: 6000))])
        let elements: [Element] = [
            .string(.studyDate, "20240101"),
            .sequence(Tag(0x0008_1140), [DataSet([.string(Tag(0x0008_1150), "1.2.840.10008.5.1.4.1.1.4"),
                                                  .sequence(Tag(0x0008_1199), [inner, inner], undefinedLength: true)])],
                      undefinedLength: true),
            .string(.patientID, "PID-7"), .string(.patientSex, "F"), .string(.patientAge, "033Y"),
        ]
        let tags: Set<Tag> = [.studyDate, .patientID, .patientSex, .patientAge]
        for ts in [TransferSyntax.explicitVRLittleEndian, .implicitVRLittleEndian, .explicitVRBigEndian] {
            var writer = DICOMWriter(transferSyntax: ts)
            writer.undefinedLengthItems = true
            let b = writer.write(DataSet(elements))
            let whole = read(b)
            XCTAssertNil(whole.error, ts.name)
            XCTAssertEqual(read(b, ReadOptions(maxValueBytesTotal: 4000)).error?.kind, .tooLarge, ts.name)
            for file in [read(b, ReadOptions(tags: tags, maxValueBytesTotal: 4000)),
                         DICOMReader.read(path: try temporaryFile(b), options: ReadOptions(tags: tags, firstReadSize: 64, maxValueBytesTotal: 4000))] {
                XCTAssertNil(file.error, ts.name)
                for t in tags { XCTAssertEqual(file.string(t), whole.string(t), "\(ts.name) \(t)") }
                XCTAssertEqual(file.string(.patientID), "PID-7")
                XCTAssertNil(file.dataSet[Tag(0x0008_1140)], ts.name)
            }
            // Cut inside the nested sequence: the same kind of error as a whole read gives.
            let cut = Array(b[..<(b.count - 60 - 3 * 2)])
            XCTAssertEqual(read(cut, ReadOptions(tags: tags)).error?.kind, read(cut).error?.kind, ts.name)
            XCTAssertNotNil(read(cut, ReadOptions(tags: tags)).error, ts.name)
        }
    }

    /// With `loadsValues` false, the top-level values and the file meta information's are left where
    /// they are: each kept element is `.notLoaded` at the offset and length of the bytes a loaded read
    /// gives, but Transfer Syntax UID, Specific Character Set and Pixel Representation (loaded, and
    /// applied: the character set, the pixel representation's VRs) and the values inside a kept
    /// sequence. The rest of the file (elements, errors, where it stopped) is the loaded read's.
    func testValuesLeftInPlace() throws {
        let elements: [Element] = [
            .string(.specificCharacterSet, "ISO_IR 192"),
            .string(.studyDate, "20240101"),
            .sequence(Tag(0x0008_1140), [DataSet([.string(Tag(0x0008_1150), "1.2.840.10008.5.1.4.1.1.4")])], undefinedLength: true),
            .string(.patientName, "Müller^Jürgen"), .string(.patientID, "PID-7"),
            .uint16(.pixelRepresentation, [1]), .bytes(Tag(0x0028_0106), .US, [0xFE, 0xFF]),
        ]
        for ts in [TransferSyntax.explicitVRLittleEndian, .implicitVRLittleEndian, .explicitVRBigEndian] {
            let b = DICOMWriter(transferSyntax: ts).write(DataSet(elements))
            for tags in [nil, Set([.studyDate, Tag(0x0008_1140), .patientName, Tag(0x0028_0106)])] as [Set<Tag>?] {
                var options = ReadOptions(tags: tags)
                let loaded = read(b, options)
                options.loadsValues = false
                let file = read(b, options)
                XCTAssertNil(file.error, ts.name)
                XCTAssertEqual(file.stoppedEarly, loaded.stoppedEarly, ts.name)
                XCTAssertEqual(file.transferSyntax, ts)
                XCTAssertEqual(file.dataSet.characterSet, loaded.dataSet.characterSet, ts.name)
                for (set, loadedSet) in [(file.meta, loaded.meta), (file.dataSet, loaded.dataSet)] {
                    XCTAssertEqual(set.elements.map(\.tag), loadedSet.elements.map(\.tag), ts.name)
                    XCTAssertEqual(set.elements.map(\.vr), loadedSet.elements.map(\.vr), ts.name)
                    for (e, l) in zip(set.elements, loadedSet.elements) {
                        if [Tag.transferSyntaxUID, .specificCharacterSet, .pixelRepresentation].contains(e.tag) || e.vr == .SQ {
                            XCTAssertEqual(e, l, "\(ts.name) \(e.tag)")
                        } else if case .notLoaded(let offset, let length) = e.value {
                            XCTAssertEqual(Array(b[offset..<(offset + length)]), l.bytes, "\(ts.name) \(e.tag)")
                        } else {
                            XCTFail("\(ts.name) \(e.tag): \(e.value)")
                        }
                    }
                }
                // Pixel Representation 1 made the implicit VR of Smallest Image Pixel Value SS.
                XCTAssertEqual(file.dataSet[Tag(0x0028_0106)]?.vr, ts == .implicitVRLittleEndian ? .SS : .US, ts.name)
            }
        }
    }

    /// Reading only some tags gives the same values as reading everything, in every syntax, and
    /// stops early.
    func testSelectiveReadInEverySyntax() throws {
        let tags: Set<Tag> = [.studyDate, .acquisitionTime, .patientID, .patientSex, .patientAge]
        for ts in [TransferSyntax.explicitVRLittleEndian, .implicitVRLittleEndian, .explicitVRBigEndian, .deflatedExplicitVRLittleEndian] {
            let b = DICOMWriter(transferSyntax: ts).write(sampleDataSet())
            for file in [read(b, ReadOptions(tags: tags)), DICOMReader.read(path: try temporaryFile(b), options: ReadOptions(tags: tags, firstReadSize: 64))] {
                XCTAssertNil(file.error, ts.name)
                XCTAssertTrue(file.stoppedEarly, ts.name)
                XCTAssertEqual(file.meta.string(.transferSyntaxUID), ts.uid, ts.name)
                XCTAssertEqual(file.transferSyntax, ts)
                for t in tags { XCTAssertEqual(file.string(t), read(b).string(t), "\(ts.name) \(t)") }
                XCTAssertNil(file.dataSet[.modality], ts.name)
                XCTAssertNil(file.dataSet[.instanceNumber], ts.name)
            }
        }
    }
}
