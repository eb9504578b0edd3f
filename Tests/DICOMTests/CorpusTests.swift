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

    /// A read of chosen tags, values loaded or left in place, gives exactly the full read's
    /// elements for those tags, on every corpus file and on copies cut short: the tight skipping of
    /// unwanted elements must agree with the element loop. Tag sets: what `series` reads of every
    /// file, every third top-level tag of the file (private ones and sequences included), its
    /// sequences alone.
    func testSelectiveReadsAgreeWithTheFullReadOnEveryFile() throws {
        let (dir, expected) = try loadExpected()
        let series: Set<Tag> = [.sopInstanceUID, .studyInstanceUID, .seriesInstanceUID, Tag(0x0020_0032), Tag(0x0020_0037),
                                Tag(0x0028_0002), Tag(0x0028_0004), Tag(0x0028_0008), Tag(0x0028_0010), Tag(0x0028_0011),
                                Tag(0x0028_0100), .pixelRepresentation]
        var compared = 0
        for exp in expected where exp.isDICOM {
            let whole = try [UInt8](Data(contentsOf: dir.appendingPathComponent(exp.path)))
            for cut in [whole.count, whole.count * 2 / 3, 3000, 700] where cut <= whole.count {
                let bytes = Array(whole[..<cut])
                let full = DICOMReader.read(bytes: bytes)
                let top = full.dataSet.elements.map(\.tag)
                let sets: [Set<Tag>] = [series, Set(top.enumerated().filter { $0.offset % 3 == 1 }.map(\.element)),
                                        Set(full.dataSet.elements.filter { $0.vr == .SQ }.map(\.tag))]
                for tags in sets where !tags.isEmpty {
                    for loads in [true, false] {
                        var options = ReadOptions(tags: tags)
                        options.loadsValues = loads
                        let chosen = DICOMReader.read(bytes: bytes, options: options)
                        let place = "\(exp.path) cut at \(cut), \(tags.count) tags, loadsValues \(loads)"
                        for e in chosen.dataSet.elements {
                            // Decoding needs these two: a read of chosen tags always keeps them.
                            XCTAssertTrue(tags.contains(e.tag) || e.tag == .specificCharacterSet || e.tag == .pixelRepresentation,
                                          "\(place): \(e.tag) not asked for")
                            guard let f = full.dataSet[e.tag] else { XCTFail("\(place): \(e.tag) not in the full read"); continue }
                            XCTAssertEqual(e.vr, f.vr, "\(place): \(e.tag)")
                            // A value left in place (or, in the full read, beyond its size limit) is
                            // rendered from the file's bytes where it says it is.
                            func rendered(_ x: Element, _ ds: DataSet) -> String {
                                if case .notLoaded(let offset, let length) = x.value, full.transferSyntax?.isDeflated != true,
                                   offset >= 0, offset + length <= bytes.count {
                                    return ds.renderBytes(Array(bytes[offset..<(offset + length)]), vr: x.vr)
                                }
                                return ds.render(x)
                            }
                            if e.tag != .pixelData { XCTAssertEqual(rendered(e, chosen.dataSet), rendered(f, full.dataSet), "\(place): \(e.tag)") }
                            compared += 1
                        }
                        // Whatever the full read found, a read that did not fail finds too.
                        if chosen.error == nil {
                            for t in tags where full.dataSet[t] != nil {
                                XCTAssertNotNil(chosen.dataSet[t], "\(place): \(t) missing")
                            }
                        }
                    }
                }
            }
        }
        XCTAssertGreaterThan(compared, 10_000)
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
