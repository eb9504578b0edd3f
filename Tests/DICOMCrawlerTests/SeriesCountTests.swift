#if canImport(Glibc)
import Glibc
#endif
import DICOM
import XCTest
@testable import DICOMCrawler

/// The series table's Slices and Volumes are the export's: `ScanPlanner.stackShape` gives what
/// `plan` gives for one series, and the packed frames keep what the planner looks at.
final class SeriesCountTests: XCTestCase {
    typealias F = PlanFixture

    /// Series that stack (3-D, 4-D, oblique, with copies) and series that do not (uneven repeats,
    /// a missing position, two orientations, two image sizes, no position at all).
    func cases() -> [(name: String, headers: [SliceHeader])] {
        func stack(_ positions: Int, _ volumes: Int, orientation: [Double] = F.axial) -> [SliceHeader] {
            let normal = F.orientation(orientation)!.normal
            return (0..<(positions * volumes)).map { i in
                F.slice("s\(i)", position: SIMD3(10, -20, 30) + normal * (Double(i % positions) * 1.5), orientation: orientation, instance: i + 1)
            }
        }
        var copies = stack(4, 1)
        copies.append({ var h = copies[0]; h.path = "copy"; return h }())
        var missing = stack(5, 1)
        missing[2].imagePosition = nil
        var twoOrientations = stack(3, 1)
        twoOrientations += stack(3, 1, orientation: F.sagittal).map { var h = $0; h.path += "b"; h.sopInstanceUID! += ".9"; return h }
        var twoSizes = stack(3, 1)
        twoSizes[1].rows = 32
        var uneven = stack(3, 2)
        uneven.removeLast()
        return [
            ("3-D", stack(20, 1)), ("4-D", stack(6, 5)), ("oblique", stack(7, 2, orientation: F.sagittal)), ("copies", copies),
            ("uneven", uneven), ("missing position", missing), ("two orientations", twoOrientations), ("two sizes", twoSizes),
            ("no positions", stack(4, 1).map { var h = $0; h.imagePosition = nil; return h }),
        ]
    }

    func testStackShapeIsWhatPlanGives() {
        var stacked = 0
        for (name, headers) in cases() {
            let plans = ScanPlanner.plan(headers)
            let expected = plans.count == 1 && plans[0].order == .position ? (plans[0].slicesPerVolume, plans[0].volumes) : nil
            let shape = ScanPlanner.stackShape(ofSeries: headers)
            XCTAssertEqual(shape.map { [$0.slices, $0.volumes] }, expected.map { [$0.0, $0.1] }, name)
            if shape != nil { stacked += 1 }
        }
        XCTAssertEqual(stacked, 4)  // 3-D, 4-D, oblique, copies
        XCTAssertEqual(ScanPlanner.stackShape(ofSeries: cases()[1].headers).map { [$0.slices, $0.volumes] }, [6, 5])
        XCTAssertEqual(ScanPlanner.stackShape(ofSeries: cases()[2].headers).map { [$0.slices, $0.volumes] }, [7, 2])
        XCTAssertEqual(ScanPlanner.stackShape(ofSeries: cases()[3].headers).map { [$0.slices, $0.volumes] }, [4, 1])
    }

    /// Packed and unpacked, a series stacks as before (the UIDs and paths the packing drops only
    /// group and order slices).
    func testPackedFramesStackAsTheirHeaders() {
        for (name, headers) in cases() {
            let packed = headers.map { FrameGeometry($0).sliceHeader }
            XCTAssertEqual(ScanPlanner.stackShape(ofSeries: packed).map { [$0.slices, $0.volumes] },
                           ScanPlanner.stackShape(ofSeries: headers).map { [$0.slices, $0.volumes] }, name)
            XCTAssertEqual(packed.map(\.imagePosition), headers.map(\.imagePosition), name)
            XCTAssertEqual(packed.map(\.imageOrientation), headers.map(\.imageOrientation), name)
            XCTAssertEqual(packed.map(\.rows), headers.map(\.rows), name)
        }
        XCTAssertLessThanOrEqual(MemoryLayout<FrameGeometry>.stride, 128)
    }

    /// Frames of one path (a multi-frame file's, or packed frames, which have none) plan as in any
    /// other order: in ascending frame order the planner takes them as they come, in another it
    /// sorts them.
    func testFramesOfOnePathPlanAsShuffled() {
        let frames: [SliceHeader] = (0..<12).map { i in
            var h = F.slice("multi.dcm", position: SIMD3(0, 0, Double(i % 4) * 2), instance: 1)
            h.frame = i + 1
            h.sopInstanceUID = "1.2.3.9"
            return h
        }
        let ordered = ScanPlanner.plan(frames)
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<5 {
            XCTAssertEqual(ScanPlanner.plan(frames.shuffled(using: &generator)), ordered)
        }
        XCTAssertEqual(ordered.count, 1)
        XCTAssertEqual(ordered.first.map { [$0.slicesPerVolume, $0.volumes] }, [4, 3])
        XCTAssertEqual(ordered.first?.slices.map { $0.header.frame ?? 0 }, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])
        XCTAssertEqual(ScanPlanner.stackShape(ofSeries: frames).map { [$0.slices, $0.volumes] }, [4, 3])
    }

    /// The hashes' text for the planner: 13 characters, equal for equal hashes, different for
    /// different ones.
    func testHashText() {
        let hashes: [UInt64] = [1, 2, 31, 32, 0xCBF2_9CE4_8422_2325, .max, .max - 1, 1 << 63] + (0..<2000).map { _ in .random(in: 1...UInt64.max) }
        let texts = hashes.map(FrameGeometry.text)
        XCTAssertTrue(texts.allSatisfy { $0.utf8.count == 13 })
        XCTAssertEqual(Set(texts).count, Set(hashes).count)
        XCTAssertEqual(FrameGeometry.text(0xCBF2_9CE4_8422_2325), FrameGeometry.text(0xCBF2_9CE4_8422_2325))
    }

    /// Plain decimals are read as `strtod` reads them, bit for bit (signed zeros too); other text
    /// is left to `strtod`.
    func testPlainDecimalIsStrtod() {
        var texts = ["0", "-0", "0.0", "-0.000", "1", "-1", "1.", ".5", "-.5", "00012.50", "-100", "-100.123456",
                     "0.1", "0.2", "0.3", "1999.99975585937", "30.001", "9007199254740992", "9007199254740993",
                     "123456789012345678", "0.0000000000000000000001", "0.00000000000000000000001", "1e3", "+1", "-",
                     ".", "1.2.3", "1-2", " 1", "0x10", "inf", "nan", "1,5"]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<5000 {
            let whole = String(UInt64.random(in: 0...999_999, using: &generator))
            let fraction = String(UInt64.random(in: 0...999_999_999, using: &generator))
            texts.append((Bool.random(using: &generator) ? "-" : "") + whole.prefix(Int.random(in: 1...6, using: &generator))
                         + "." + fraction.prefix(Int.random(in: 0...9, using: &generator)))
        }
        var plain = 0
        for text in texts {
            let bytes = Array(text.utf8)
            let v = bytes.withUnsafeBufferPointer { SeriesJob.plainDecimal($0, 0, $0.count) }
            guard let v else { continue }
            plain += 1
            var end: UnsafeMutablePointer<CChar>?
            let expected = text.withCString { strtod($0, &end) }
            XCTAssertEqual(v.bitPattern, expected.bitPattern, text)
        }
        XCTAssertGreaterThan(plain, 5000)
        for text in ["1e3", "+1", "-", ".", "1.2.3", "1-2", " 1", "0x10", "inf", "nan", "1,5", "123456789012345678", "9007199254740993"] {
            XCTAssertNil(Array(text.utf8).withUnsafeBufferPointer { SeriesJob.plainDecimal($0, 0, $0.count) }, text)
        }
    }
}
