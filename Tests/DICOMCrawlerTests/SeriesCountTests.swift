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
}
