import DICOM
import DICOMTestSupport
import Foundation
import XCTest
@testable import DICOMCrawler

/// Fixtures for the scan planner: headers made directly, or written as files with `DICOMWriter`
/// and read back the way the export job reads them.
enum PlanFixture {
    static let axial: [Double] = [1, 0, 0, 0, 1, 0]
    static let sagittal: [Double] = [0, 1, 0, 0, 0, -1]   // normal (-1, 0, 0)
    static let coronal: [Double] = [1, 0, 0, 0, 0, -1]    // normal (0, 1, 0)

    static func orientation(_ v: [Double]) -> ImageOrientation? {
        ImageOrientation(row: SIMD3(v[0], v[1], v[2]), column: SIMD3(v[3], v[4], v[5]))
    }

    /// A header as `SliceHeader.headers(of:)` would make it for a plain 64×64 16-bit image.
    static func slice(_ path: String, series: String? = "1.2.3.4", study: String? = "1.2.3", dir: Int = 0,
                      position: SIMD3<Double>? = nil, orientation: [Double]? = axial, instance: Int? = nil,
                      rows: Int = 64, columns: Int = 64) -> SliceHeader {
        var h = SliceHeader(dirIndex: dir, path: path)
        h.seriesInstanceUID = series
        h.studyInstanceUID = study
        h.sopInstanceUID = "2.25.\(ScanKey.hash("\(dir)/\(path)"))"
        h.patientID = "P1"
        h.rows = rows
        h.columns = columns
        h.samplesPerPixel = 1
        h.bitsAllocated = 16
        h.pixelRepresentation = 0
        h.photometricInterpretation = "MONOCHROME2"
        h.imagePosition = position
        h.imageOrientation = orientation.flatMap(Self.orientation)
        h.instanceNumber = instance
        return h
    }

    static func ds(_ values: [Double]) -> String { values.map { "\($0)" }.joined(separator: "\\") }

    /// The elements of a plain image; `extra` is added (and replaces elements with the same tag).
    static func image(series: String = "1.2.3.4", study: String = "1.2.3", sop: String, position: [Double]? = nil,
                      orientation: [Double]? = axial, instance: Int? = nil, rows: Int = 4, columns: Int = 4,
                      extra: [Element] = []) -> DataSet {
        var e: [Element] = [
            .string(Tag(0x0008_0016), "1.2.840.10008.5.1.4.1.1.4", vr: .UI),
            .string(.sopInstanceUID, sop, vr: .UI),
            .string(.patientID, "P1", vr: .LO),
            .string(.studyInstanceUID, study, vr: .UI),
            .string(.seriesInstanceUID, series, vr: .UI),
            .uint16(Tag(0x0028_0002), [1]),
            .string(Tag(0x0028_0004), "MONOCHROME2", vr: .CS),
            .uint16(Tag(0x0028_0010), [UInt16(rows)]),
            .uint16(Tag(0x0028_0011), [UInt16(columns)]),
            .uint16(Tag(0x0028_0100), [16]),
            .uint16(Tag(0x0028_0101), [16]),
            .uint16(Tag(0x0028_0102), [15]),
            .uint16(.pixelRepresentation, [0]),
            .bytes(.pixelData, .OW, [UInt8](repeating: 0, count: rows * columns * 2)),
        ]
        if let position { e.append(.string(Tag(0x0020_0032), ds(position), vr: .DS)) }
        if let orientation { e.append(.string(Tag(0x0020_0037), ds(orientation), vr: .DS)) }
        if let instance { e.append(.string(.instanceNumber, "\(instance)", vr: .IS)) }
        let replaced = Set(extra.map(\.tag))
        return DataSet(e.filter { !replaced.contains($0.tag) } + extra)
    }

    /// Written as a file and read back with `SliceHeader.tags`, as the export job reads headers.
    static func headers(_ dataSet: DataSet, path: String, dir: Int = 0, maxFrames: Int = 100_000,
                        syntax: TransferSyntax = .explicitVRLittleEndian,
                        file: StaticString = #filePath, line: UInt = #line) -> [SliceHeader] {
        let bytes = DICOMWriter(transferSyntax: syntax).write(dataSet)
        let f = DICOMReader.read(bytes: bytes, options: ReadOptions(tags: SliceHeader.tags))
        XCTAssertNil(f.error, file: file, line: line)
        return SliceHeader.headers(of: f.dataSet, dirIndex: dir, path: path, maxFrames: maxFrames)
    }

    /// The shared corpus of real files (`../shared/corpus` beside the checkout, or $DICOM_CORPUS).
    static func corpus(file: StaticString = #filePath, line: UInt = #line) throws -> String {
        if let env = ProcessInfo.processInfo.environment["DICOM_CORPUS"] { return env }
        let root = URL(fileURLWithPath: "\(#filePath)").deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let dir = root.deletingLastPathComponent().appendingPathComponent("shared/corpus").path
        guard FileManager.default.fileExists(atPath: dir + "/expected.jsonl") else {
            XCTFail("shared corpus not found at \(dir) (set DICOM_CORPUS)", file: file, line: line)
            throw XCTSkip("no corpus")
        }
        return dir
    }
}

extension ScanPlan {
    /// Each slice's path, in plan order.
    var paths: [String] { slices.map(\.header.path) }
}
