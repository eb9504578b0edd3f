import Foundation
import XCTest
@testable import DICOM
import DICOMTestSupport

/// The shared corpus of real files (`../shared/corpus` beside the checkout, or $DICOM_CORPUS).
func corpusDirectory(file: StaticString = #filePath, line: UInt = #line) throws -> URL {
    if let env = ProcessInfo.processInfo.environment["DICOM_CORPUS"] {
        return URL(fileURLWithPath: env)
    }
    let root = URL(fileURLWithPath: "\(#filePath)").deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let dir = root.deletingLastPathComponent().appendingPathComponent("shared/corpus")
    guard FileManager.default.fileExists(atPath: dir.appendingPathComponent("expected.jsonl").path) else {
        XCTFail("shared corpus not found at \(dir.path) (set DICOM_CORPUS)", file: file, line: line)
        throw XCTSkip("no corpus")
    }
    return dir
}

struct ExpectedFile {
    let path: String
    let isDICOM: Bool
    let hasPreamble: Bool
    let transferSyntax: String?
    let characterSet: [String]?
    let tags: [String: String?]
}

func loadExpected() throws -> (URL, [ExpectedFile]) {
    let dir = try corpusDirectory()
    let text = try String(contentsOf: dir.appendingPathComponent("expected.jsonl"), encoding: .utf8)
    var out: [ExpectedFile] = []
    for line in text.split(separator: "\n") where !line.isEmpty {
        let obj = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
        var tags: [String: String?] = [:]
        for (k, v) in obj["tags"] as? [String: Any] ?? [:] { tags[k] = v as? String }
        out.append(ExpectedFile(path: obj["path"] as! String, isDICOM: obj["is_dicom"] as! Bool,
                                hasPreamble: obj["has_preamble"] as! Bool,
                                transferSyntax: obj["transfer_syntax"] as? String,
                                characterSet: obj["specific_character_set"] as? [String], tags: tags))
    }
    return (dir, out)
}

/// A small but varied data set used by many tests.
func sampleDataSet(characterSet: String? = nil) -> DataSet {
    var elements: [Element] = [
        .string(Tag(0x0008_0008), "ORIGINAL\\PRIMARY\\AXIAL"),
        .string(Tag(0x0008_0016), "1.2.840.10008.5.1.4.1.1.2"),
        .string(.sopInstanceUID, "1.2.826.0.1.3680043.10.1484.1.1"),
        .string(.studyDate, "20240101"),
        .string(.acquisitionTime, "101530.123000"),
        .string(.modality, "CT"),
        .string(.seriesDescription, "Thorax 1.0 B31f"),
        .string(.patientName, "Doe^John"),
        .string(.patientID, "PID-0001"),
        .string(.patientSex, "M"),
        .string(.patientAge, "045Y"),
        .string(.seriesNumber, "3"),
        .string(.instanceNumber, "17"),
        .string(Tag(0x0018_0050), "1.25"),
        .uint16(Tag(0x0028_0010), [4]),
        .uint16(Tag(0x0028_0011), [4]),
        .uint16(Tag(0x0028_0100), [16]),
        .uint16(.pixelRepresentation, [1]),
        .bytes(Tag(0x0028_0106), .SS, [0xFE, 0xFF]),   // Smallest Image Pixel Value = -2
        .float64(Tag(0x0018_9087), [1000.5]),
        .float32(Tag(0x0018_2043), [0.1, -2]),
        .uint32(Tag(0x0018_6016), [7, 70000]),
        .bytes(Tag(0x0020_9165), .AT, [0x20, 0x00, 0x32, 0x00]), // (0020,0032)
        .sequence(Tag(0x0008_1140), [
            DataSet([.string(Tag(0x0008_1150), "1.2.840.10008.5.1.4.1.1.2"), .string(Tag(0x0008_1155), "1.2.3.4.5")]),
            DataSet([.string(Tag(0x0008_1150), "1.2.840.10008.5.1.4.1.1.2"), .string(Tag(0x0008_1155), "1.2.3.4.6")]),
        ]),
        .bytes(.pixelData, .OW, (0..<32).map { UInt8($0) }),
    ]
    if let cs = characterSet { elements.append(.string(.specificCharacterSet, cs)) }
    return DataSet(elements)
}

func bytes(hex: String) -> [UInt8] {
    var out: [UInt8] = []
    var it = hex.makeIterator()
    while let a = it.next(), let b = it.next() { out.append(UInt8(String([a, b]), radix: 16)!) }
    return out
}

func read(_ b: [UInt8], _ options: ReadOptions = ReadOptions()) -> DicomFile {
    DICOMReader.read(bytes: b, options: options)
}

/// Writes bytes to a temporary file and returns its path.
func temporaryFile(_ b: [UInt8], name: String = "f.dcm") throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dicomtests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let url = dir.appendingPathComponent(name)
    try Data(b).write(to: url)
    return url.path
}
