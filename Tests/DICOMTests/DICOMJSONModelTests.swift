import XCTest
@testable import DICOM
import DICOMTestSupport

/// The DICOM JSON model of PS3.18 F.2 (`DataSet.dicomJSON`), one VR branch at a time.
final class DICOMJSONModelTests: XCTestCase {
    func json(_ elements: [Element], characterSet: SpecificCharacterSet = .default, max: Int = 8,
              include: @escaping (Tag, Bool) -> Bool = { _, _ in true }) -> String {
        DataSet(elements, characterSet: characterSet).dicomJSON(DICOMJSONOptions(maxValueBytes: max, include: include))
    }

    func testPersonNameGroups() {
        let utf8 = SpecificCharacterSet(terms: ["ISO_IR 192"])
        XCTAssertEqual(json([.string(.specificCharacterSet, "ISO_IR 192"), .string(.patientName, "Yamada^Tarou=山田^太郎=やまだ^たろう")], characterSet: utf8),
                       #"{"00080005":{"vr":"CS","Value":["ISO_IR 192"]},"00100010":{"vr":"PN","Value":[{"Alphabetic":"Yamada^Tarou","Ideographic":"山田^太郎","Phonetic":"やまだ^たろう"}]}}"#)
        // Several values; missing groups are left out; an empty value is an empty object.
        XCTAssertEqual(json([.string(.patientName, "Doe^John\\=Ide^O\\Ph==P^H\\")]),
                       #"{"00100010":{"vr":"PN","Value":[{"Alphabetic":"Doe^John"},{"Ideographic":"Ide^O"},{"Alphabetic":"Ph","Phonetic":"P^H"},{}]}}"#)
    }

    func testNumbers() {
        XCTAssertEqual(json([.string(Tag(0x0018_0050), " 1.25\\2e3 \\abc\\\\+1\\.5")]),
                       #"{"00180050":{"vr":"DS","Value":[1.25,2e3,"abc",null,"+1",".5"]}}"#)
        XCTAssertEqual(json([.string(.instanceNumber, "17\\-0005\\-3")]),
                       #"{"00200013":{"vr":"IS","Value":[17,"-0005",-3]}}"#)
        XCTAssertEqual(json([.uint16(Tag(0x0028_0010), [4, 512]), .bytes(Tag(0x0028_0106), .SS, [0xFE, 0xFF]),
                             .uint32(Tag(0x0018_6016), [7, 70000]), .float64(Tag(0x0018_9087), [1000.5]), .float32(Tag(0x0018_2043), [0.5, -2])]),
                       #"{"00182043":{"vr":"FL","Value":[0.5,-2.0]},"00186016":{"vr":"UL","Value":[7,70000]},"# +
                       #""00189087":{"vr":"FD","Value":[1000.5]},"00280010":{"vr":"US","Value":[4,512]},"00280106":{"vr":"SS","Value":[-2]}}"#)
    }

    func testAttributeTags() {
        XCTAssertEqual(json([.bytes(Tag(0x0020_9165), .AT, [0x20, 0x00, 0x32, 0x00, 0x10, 0x00, 0x10, 0x00])]),
                       #"{"00209165":{"vr":"AT","Value":["00200032","00100010"]}}"#)
    }

    func testBinaryInlineOrLength() {
        XCTAssertEqual(json([.bytes(Tag(0x0042_0011), .OB, [0, 1, 2, 3, 4]), .bytes(.pixelData, .OW, [0xFF, 0xFE])], max: 5),
                       #"{"00420011":{"vr":"OB","InlineBinary":"AAECAwQ="},"7FE00010":{"vr":"OW","InlineBinary":"//4="}}"#)
        XCTAssertEqual(json([.bytes(Tag(0x0042_0011), .OB, [0, 1, 2, 3, 4]), .bytes(Tag(0x0008_0009), .UN, [1, 2, 3, 4, 5, 6])], max: 4),
                       #"{"00080009":{"vr":"UN","Length":6},"00420011":{"vr":"OB","Length":5}}"#)
        // Not loaded, or loaded only in part (bulkPrefix): the length; encapsulated of undefined length: -1.
        let ds = DataSet([.string(.modality, "MR"), .bytes(Tag(0x0042_0011), .OB, Array(repeating: 7, count: 40)),
                          .encapsulatedPixelData([[1, 2, 3, 4]])])
        let bytes = DICOMWriter(transferSyntax: TransferSyntax(uid: "1.2.840.10008.1.2.4.50")!).write(ds)
        var options = ReadOptions(bulkThreshold: 16)
        XCTAssertEqual(DICOMReader.read(bytes: bytes, options: options).dataSet.dicomJSON(DICOMJSONOptions(maxValueBytes: 64)),
                       #"{"00080060":{"vr":"CS","Value":["MR"]},"00420011":{"vr":"OB","Length":40},"7FE00010":{"vr":"OB","Length":-1}}"#)
        options.bulkPrefix = 4
        XCTAssertEqual(DICOMReader.read(bytes: bytes, options: options).dataSet.dicomJSON(DICOMJSONOptions(maxValueBytes: 64, include: { t, _ in t.group == 0x0042 })),
                       #"{"00420011":{"vr":"OB","Length":40}}"#)
    }

    func testSequencesAndTheIncludePredicate() {
        let item = { (uid: String) in DataSet([.string(Tag(0x0008_1150), "1.2.840.10008.5.1.4.1.1.2"), .string(Tag(0x0008_1155), uid)]) }
        let elements: [Element] = [
            .string(.modality, "CT"),
            .sequence(Tag(0x0008_1140), [item("1.2.3"), item("1.2.4"), DataSet([])]),
            .string(Tag(0x0029_0010), "ACME", vr: .LO),
        ]
        XCTAssertEqual(json(elements),
                       #"{"00080060":{"vr":"CS","Value":["CT"]},"00081140":{"vr":"SQ","Value":["# +
                       #"{"00081150":{"vr":"UI","Value":["1.2.840.10008.5.1.4.1.1.2"]},"00081155":{"vr":"UI","Value":["1.2.3"]}},"# +
                       #"{"00081150":{"vr":"UI","Value":["1.2.840.10008.5.1.4.1.1.2"]},"00081155":{"vr":"UI","Value":["1.2.4"]}},"# +
                       #"{}]},"00290010":{"vr":"LO","Value":["ACME"]}}"#)
        // The predicate sees whether an element is at the top level.
        var seen: [(Tag, Bool)] = []
        let filtered = json(elements, include: { tag, top in
            seen.append((tag, top))
            return top ? !tag.isPrivate && tag != .modality : tag != Tag(0x0008_1150)
        })
        XCTAssertEqual(filtered, #"{"00081140":{"vr":"SQ","Value":[{"00081155":{"vr":"UI","Value":["1.2.3"]}},{"00081155":{"vr":"UI","Value":["1.2.4"]}},{}]}}"#)
        XCTAssertEqual(seen.map { "\($0.0)\($0.1)" }, ["(0008,0060)true", "(0008,1140)true", "(0008,1150)false", "(0008,1155)false",
                                                     "(0008,1150)false", "(0008,1155)false", "(0029,0010)true"])
        XCTAssertEqual(json([]), "{}")
    }

    func testEmptyValuesAndStrings() {
        XCTAssertEqual(json([.string(.studyDate, ""), .string(.modality, "MR\\\\CT"), .string(Tag(0x0008_0008), "\\")]),
                       #"{"00080008":{"vr":"CS","Value":[null,null]},"00080020":{"vr":"DA"},"00080060":{"vr":"CS","Value":["MR",null,"CT"]}}"#)
        // Single-valued text keeps its backslashes; quotes, backslashes and control characters are escaped.
        XCTAssertEqual(json([.string(Tag(0x0010_4000), "say \"hi\"\\ back\u{01}\ttab\r\nend")]),
                       #"{"00104000":{"vr":"LT","Value":["say \"hi\"\\ back\u0001\ttab\r\nend"]}}"#)
    }

    func testNumberGrammarAndBase64() {
        for s in ["0", "-0", "1", "-12", "1.5", "1e5", "1E+5", "1.25e-3"] { XCTAssertTrue(isJSONNumber(s), s) }
        for s in ["", "-", "01", "1.", ".5", "+1", "1e", "1e+", "0x1", " 1", "1 ", "NaN", "inf"] { XCTAssertFalse(isJSONNumber(s), s) }
        XCTAssertEqual(base64([]), "")
        XCTAssertEqual(base64(Array("f".utf8)), "Zg==")
        XCTAssertEqual(base64(Array("fo".utf8)), "Zm8=")
        XCTAssertEqual(base64(Array("foobar".utf8)), "Zm9vYmFy")
    }

    /// The recursive writer this model had before it became iterative: the reference for output.
    func recursiveReference(_ ds: DataSet, _ options: DICOMJSONOptions, topLevel: Bool = true) -> String {
        var out = "{"
        var first = true
        for e in ds.elements where options.include(e.tag, topLevel) {
            if !first { out += "," }
            first = false
            out += "\"" + e.tag.hexString + "\":{\"vr\":\"" + e.vr.description + "\""
            switch e.value {
            case .sequence(let items):
                out += ",\"Value\":[" + items.map { recursiveReference($0, options, topLevel: false) }.joined(separator: ",") + "]"
            case .fragments, .notLoaded:
                out += ",\"Length\":\(e.hasUndefinedLength ? -1 : Int(e.length))"
            case .truncated(_, _, let length):
                out += ",\"Length\":\(length)"
            case .bytes(let b):
                out += ds.dicomJSONValue(e, b, options)
            }
            out += "}"
        }
        return out + "}"
    }

    /// Byte-identical to the recursive writer on the corpus, the examples and nested fixtures, with
    /// and without a predicate.
    func testIterativeOutputMatchesTheRecursiveOne() throws {
        var files: [DicomFile] = []
        let (dir, expected) = try loadExpected()
        for e in expected where e.isDICOM { files.append(DICOMReader.read(path: dir.appendingPathComponent(e.path).path)) }
        let nested = DataSet([.string(.patientID, "P"), .sequence(Tag(0x0040_A730), [
            DataSet([.sequence(Tag(0x0040_A730), [DataSet([]), DataSet([.string(Tag(0x0040_A010), "CONTAINS"),
                     .sequence(Tag(0x0040_A043), [DataSet([.string(Tag(0x0008_0100), "C")])])])]), .string(Tag(0x0040_A040), "TEXT")]),
            DataSet([]),
        ]), .sequence(Tag(0x0040_A731), []), .bytes(Tag(0x0009_1001), .OB, [1, 2, 3])])
        files.append(read(DICOMWriter().write(nested)))
        XCTAssertGreaterThan(files.count, 50)
        for f in files {
            for options in [DICOMJSONOptions(), DICOMJSONOptions(maxValueBytes: 4, include: { tag, top in top ? !tag.isPrivate : tag.element % 2 == 0 })] {
                XCTAssertEqual(f.dataSet.dicomJSON(options), recursiveReference(f.dataSet, options), f.path ?? "")
            }
        }
    }

    /// Nesting far deeper than a small stack allows for recursion: written on a thread with a 256 KiB stack.
    func testDeepNestingNeedsNoStack() {
        var ds = DataSet([.string(Tag(0x0008_0100), "leaf")])
        for _ in 0..<5000 { ds = DataSet([.sequence(Tag(0x0040_A730), [ds])]) }
        final class Box: @unchecked Sendable { var result = "" }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        let thread = Thread { [ds] in
            box.result = ds.dicomJSON(DICOMJSONOptions())
            done.signal()
        }
        thread.stackSize = 256 << 10
        thread.start()
        done.wait()
        let result = box.result
        XCTAssertEqual(result.components(separatedBy: #""vr":"SQ""#).count - 1, 5000)
        XCTAssertTrue(result.hasSuffix(#"{"00080100":{"vr":"SH","Value":["leaf"]}}"# + String(repeating: "]}}", count: 5000)))
    }
}
