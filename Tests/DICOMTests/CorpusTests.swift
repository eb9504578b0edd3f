import Foundation
import XCTest
@testable import DICOM

/// Agreement with pydicom 3.0.2 on the real files of ../shared/corpus (expected.jsonl).
final class CorpusTests: XCTestCase {
    func testThirteenTagsEqualPydicomOnEveryReadableFile() throws {
        let (dir, expected) = try loadExpected()
        XCTAssertGreaterThan(expected.count, 100)
        var compared = 0
        for exp in expected where exp.isDICOM {
            let file = DICOMReader.read(path: dir.appendingPathComponent(exp.path).path)
            XCTAssertNil(file.error, exp.path)
            XCTAssertEqual(file.hasPreamble, exp.hasPreamble, exp.path)
            XCTAssertEqual(file.transferSyntax?.uid, exp.transferSyntax, exp.path)
            XCTAssertEqual(file.dataSet.characterSet.terms, exp.characterSet ?? [], exp.path)
            for (keyword, value) in exp.tags {
                XCTAssertEqual(file.string(keyword), value, "\(exp.path) \(keyword)")
                compared += 1
            }
        }
        XCTAssertEqual(compared, 100 * 13)
    }

    func testNonDICOMFilesAreRejected() throws {
        let (dir, expected) = try loadExpected()
        let others = expected.filter { !$0.isDICOM }
        XCTAssertEqual(others.count, 6)
        for exp in others {
            let file = DICOMReader.read(path: dir.appendingPathComponent(exp.path).path)
            XCTAssertEqual(file.error?.kind, .notDICOM, exp.path)
            XCTAssertFalse(file.isDICOM)
        }
    }

    /// Reading only the crawl's tags gives the same values and touches a few kilobytes.
    func testSelectiveReadMatchesAndReadsLittle() throws {
        let (dir, expected) = try loadExpected()
        let keywords = ["StudyDate", "AcquisitionTime", "PatientID", "PatientSex", "PatientAge"]
        let tags = Set(keywords.map { DataDictionary.tag(forKeyword: $0)! })
        for exp in expected where exp.isDICOM {
            let file = DICOMReader.read(path: dir.appendingPathComponent(exp.path).path, options: ReadOptions(tags: tags))
            XCTAssertNil(file.error, exp.path)
            for k in keywords { XCTAssertEqual(file.string(k), exp.tags[k]!, "\(exp.path) \(k)") }
            XCTAssertLessThanOrEqual(file.bytesRead, 64 * 1024, exp.path)
            XCTAssertTrue(file.stoppedEarly || file.bytesRead < 64 * 1024, exp.path)
        }
    }

    /// Every top-level value renders, and the pixel data is never loaded.
    func testWholeFilesReadWithoutLoadingPixelData() throws {
        let (dir, expected) = try loadExpected()
        for exp in expected where exp.isDICOM {
            let path = dir.appendingPathComponent(exp.path).path
            let file = DICOMReader.read(path: path)
            XCTAssertNil(file.error, exp.path)
            if let pixel = file.dataSet[.pixelData] {
                switch pixel.value {
                case .notLoaded, .fragments: break
                default: XCTFail("pixel data loaded in \(exp.path)")
                }
            }
            let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
            if size > 200_000 {
                XCTAssertLessThan(file.bytesRead, size / 2, exp.path)
            }
            for e in file.dataSet.elements { _ = file.dataSet.render(e) }
        }
    }
}
