import Foundation
import XCTest
@testable import DICOM
import DICOMTestSupport

/// Inputs the fuzzer found (fuzz/regressions/) and hand-made hostile ones, run through what the fuzz
/// target does: they must read deterministically, render every value, and give valid JSON.
final class FuzzRegressionTests: XCTestCase {
    func exercise(_ b: [UInt8], _ label: String) throws {
        let file = read(b)
        XCTAssertEqual(read(b).dataSet, file.dataSet, label)
        let json = "{" + [file.meta, file.dataSet].map { $0.jsonMembers(maxBinaryBytes: 8) }.filter { !$0.isEmpty }.joined(separator: ", ") + "}"
        XCTAssertNoThrow(try JSONSerialization.jsonObject(with: Data(json.utf8)), label)
        for e in file.dataSet.elements { _ = file.dataSet.render(e); _ = file.dataSet.strings(e.tag) }
        let few = read(b, ReadOptions(tags: [.studyDate, .patientID, .patientName], bulkThreshold: 16))
        for t in [Tag.studyDate, .patientID, .patientName] {
            if few.error == nil && file.error == nil { XCTAssertEqual(few.string(t), file.string(t), label) }
        }
        // The same read with the values left in place: the same elements and verdict, each value
        // where its offset says (in the input, but in a deflated data set).
        var options = ReadOptions(tags: [.studyDate, .patientID, .patientName], bulkThreshold: 16)
        options.loadsValues = false
        let inPlace = read(b, options)
        XCTAssertEqual(inPlace.error?.kind, few.error?.kind, label)
        XCTAssertEqual(inPlace.error?.offset, few.error?.offset, label)
        XCTAssertEqual(inPlace.stoppedEarly, few.stoppedEarly, label)
        for (set, loaded, inflated) in [(inPlace.meta, few.meta, false), (inPlace.dataSet, few.dataSet, few.transferSyntax?.isDeflated == true)] {
            XCTAssertEqual(set.elements.map(\.tag), loaded.elements.map(\.tag), label)
            for (e, l) in zip(set.elements, loaded.elements) {
                guard case .notLoaded(let offset, let length) = e.value, let bytes = l.bytes else { continue }
                XCTAssertEqual(length, bytes.count, label)
                if !inflated {
                    XCTAssertLessThanOrEqual(offset + length, b.count, label)
                    if offset + length <= b.count { XCTAssertEqual(Array(b[offset..<(offset + length)]), bytes, label) }
                }
            }
        }
    }

    func testRecordedRegressions() throws {
        let dir = URL(fileURLWithPath: "\(#filePath)").deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("fuzz/regressions")
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { !$0.hasPrefix(".") }.sorted()
        for name in names {
            try exercise([UInt8](try Data(contentsOf: dir.appendingPathComponent(name))), name)
        }
    }

    func testHandMadeHostileInputs() throws {
        let header = DICOMWriter().writeParts(DataSet()).header
        let cases: [(String, [UInt8])] = [
            ("undefined length on a plain LO", [0x10, 0x00, 0x10, 0x00, 0x4C, 0x4F, 0xFF, 0xFF] + Array("Doe^John".utf8)),
            ("undefined length UT, no items", [0x08, 0x00, 0x81, 0x00, 0x55, 0x54, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3, 4]),
            ("SQ whose item claims 4 GB", [0x08, 0x00, 0x40, 0x11, 0x53, 0x51, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE, 0xFF, 0x00, 0xE0, 0xFE, 0xFF, 0xFF, 0xFF]),
            ("sequence delimiter at top level", [0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0, 0x10, 0x00, 0x20, 0x00, 0x4C, 0x4F, 2, 0, 0x50, 0x31]),
            ("item at top level", [0xFE, 0xFF, 0x00, 0xE0, 0, 0, 0, 0]),
            ("encapsulated pixel data without delimiter", [0xE0, 0x7F, 0x10, 0x00, 0x4F, 0x42, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE, 0xFF, 0x00, 0xE0, 4, 0, 0, 0, 1, 2]),
            ("character set with escape soup", [0x08, 0x00, 0x05, 0x00, 0x43, 0x53, 16, 0] + Array("\\ISO 2022 IR 87 ".utf8)
                + [0x10, 0x00, 0x10, 0x00, 0x50, 0x4E, 8, 0, 0x1B, 0x24, 0x42, 0x1B, 0x24, 0x28, 0x1B, 0xFF]),
            ("zero-length everything", [0x08, 0x00, 0x05, 0x00, 0x43, 0x53, 0, 0, 0x08, 0x00, 0x20, 0x00, 0x44, 0x41, 0, 0, 0x10, 0x00, 0x10, 0x00, 0x50, 0x4E, 0, 0]),
            ("FD with 3 bytes", [0x18, 0x00, 0x87, 0x90, 0x46, 0x44, 3, 0, 1, 2, 3]),
        ]
        for (label, body) in cases {
            try exercise(header + body, label)
            try exercise(body, label + " (bare)")
        }
    }
}
