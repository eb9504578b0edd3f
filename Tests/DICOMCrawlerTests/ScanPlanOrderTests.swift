import DICOM
import DICOMTestSupport
import XCTest
@testable import DICOMCrawler

/// Slice order, splitting and ids of the scan planner.
final class ScanPlanOrderTests: XCTestCase {
    typealias F = PlanFixture

    /// An axial series written as files whose names and instance numbers run against z: read back
    /// and planned, it comes out ordered by z, with its spacing, shape and per-slice values.
    func testAxialSeriesShuffledOnDiskIsOrderedByZ() {
        let zs: [Double] = [12.5, -5, 0, 7.5, 2.5, 10, -2.5, 5]
        var headers: [SliceHeader] = []
        for (k, z) in zs.enumerated() {
            let ds = F.image(sop: "1.9.\(k)", position: [-100, -120, z], instance: zs.count - k,
                             extra: [.string(Tag(0x0028_1053), k % 2 == 0 ? "1" : "2.5", vr: .DS),
                                     .string(Tag(0x0028_1052), "-1024", vr: .DS),
                                     .string(Tag(0x0028_0030), "0.5\\0.75", vr: .DS),
                                     .string(Tag(0x0018_0050), "2.5", vr: .DS)])
            headers += F.headers(ds, path: "s/IM\(k).dcm")
        }
        let plans = ScanPlanner.plan(headers)
        XCTAssertEqual(plans.count, 1)
        let p = plans[0]
        XCTAssertEqual(p.id, "1.2.3.4")
        XCTAssertEqual(p.order, .position)
        XCTAssertNil(p.volumeOrder)
        XCTAssertEqual(p.shape, [1, 4, 4, 8])
        XCTAssertEqual(p.slices.map { $0.header.imagePosition?.z }, zs.sorted())
        XCTAssertEqual(p.slices.map(\.slice), Array(0..<8))
        XCTAssertEqual(p.slices.map(\.volume), [Int](repeating: 0, count: 8))
        XCTAssertEqual(p.paths, zs.enumerated().sorted { $0.element < $1.element }.map { "s/IM\($0.offset).dcm" })
        XCTAssertEqual(p.spacingBetweenSlices ?? 0, 2.5, accuracy: 1e-9)
        XCTAssertEqual(p.rescaleIntercept, .uniform(-1024))
        let slope: [String: Double] = Dictionary(uniqueKeysWithValues: (0..<8).map { ("s/IM\($0).dcm", $0 % 2 == 0 ? 1 : 2.5) })
        XCTAssertEqual(p.rescaleSlope, .perSlice(p.paths.map { slope[$0] }))
        XCTAssertEqual(p.pixelSpacing, .uniform([0.5, 0.75]))
        XCTAssertEqual(p.sliceThickness, .uniform(2.5))
        XCTAssertNil(p.windowCenter, "absent values stay absent")
        XCTAssertEqual(p.imageOrientation?.values, F.axial)
        XCTAssertEqual(p.notes, [])
    }

    /// Sagittal (normal along -x) and coronal (normal along +y) series with Instance Numbers that
    /// contradict the positions: ordered by the projection on the normal, not by x, y or z alone.
    func testSagittalAndCoronalAreOrderedByProjection() {
        // Sagittal: row (0,1,0) × column (0,0,-1) = (-1,0,0): along the normal is decreasing x.
        let xs: [Double] = [-30, 15, 0, -15, 30, 45]
        let instances = [3, 1, 6, 2, 5, 4]
        var sag: [SliceHeader] = []
        for (k, x) in xs.enumerated() {
            sag.append(F.slice("sag/\(k).dcm", series: "1.1", position: SIMD3(x, -100 + Double(k) * 0.001, 80),
                               orientation: F.sagittal, instance: instances[k]))
        }
        // Coronal: row (1,0,0) × column (0,0,-1) = (0,1,0): increasing y.
        let ys: [Double] = [20, -40, 0, 60, -20, 40]
        var cor: [SliceHeader] = []
        for (k, y) in ys.enumerated() {
            cor.append(F.slice("cor/\(k).dcm", series: "1.2", position: SIMD3(-120, y, 90), orientation: F.coronal, instance: k + 1))
        }
        let plans = ScanPlanner.plan((sag + cor).shuffled())
        XCTAssertEqual(plans.map(\.id).sorted(), ["1.1", "1.2"])
        let s = plans.first { $0.id == "1.1" }!, c = plans.first { $0.id == "1.2" }!
        XCTAssertEqual(s.order, .position)
        XCTAssertEqual(s.slices.compactMap { $0.header.imagePosition?.x }, xs.sorted(by: >))
        XCTAssertEqual(s.spacingBetweenSlices ?? 0, 15, accuracy: 1e-9)
        XCTAssertEqual(c.order, .position)
        XCTAssertEqual(c.slices.compactMap { $0.header.imagePosition?.y }, ys.sorted())
        XCTAssertEqual(c.spacingBetweenSlices ?? 0, 20, accuracy: 1e-9)
        XCTAssertEqual(s.imageOrientation?.normal, SIMD3(-1, 0, 0))
        XCTAssertEqual(c.imageOrientation?.normal, SIMD3(0, 1, 0))
    }

    /// A 3-plane localizer in one series: three scans, each ordered along its own normal, with ids
    /// in the order of their first Instance Number; the same whatever order the headers come in.
    func testThreePlaneLocalizerSplitsIntoThreeScansInAFixedOrder() {
        var headers: [SliceHeader] = []
        // Instances 1-3 coronal, 4-6 axial, 7-9 sagittal; file names in another order.
        for k in 0..<3 {
            headers.append(F.slice("loc/\(10 + k).dcm", series: "9.9", position: SIMD3(0, Double(10 * k), 0), orientation: F.coronal, instance: 1 + k))
            headers.append(F.slice("loc/\(1 + k).dcm", series: "9.9", position: SIMD3(0, 0, Double(-10 * k)), orientation: F.axial, instance: 6 - k))
            headers.append(F.slice("loc/\(20 + k).dcm", series: "9.9", position: SIMD3(Double(10 * k), 0, 0), orientation: F.sagittal, instance: 7 + k))
        }
        let plans = ScanPlanner.plan(headers)
        XCTAssertEqual(plans.map(\.id), ["9.9", "9.9_2", "9.9_3"])
        XCTAssertEqual(plans[0].imageOrientation?.values, F.coronal)
        XCTAssertEqual(plans[1].imageOrientation?.values, F.axial)
        XCTAssertEqual(plans[2].imageOrientation?.values, F.sagittal)
        XCTAssertEqual(plans[0].paths, ["loc/10.dcm", "loc/11.dcm", "loc/12.dcm"])
        XCTAssertEqual(plans[1].paths, ["loc/3.dcm", "loc/2.dcm", "loc/1.dcm"], "increasing z")
        XCTAssertEqual(plans[2].paths, ["loc/22.dcm", "loc/21.dcm", "loc/20.dcm"], "decreasing x")
        XCTAssertEqual(Set(plans.map(\.key)), ["9.9"], "one series, one shard key")
        XCTAssertEqual(Set(plans.map(\.keyHash)), [ScanKey.hash("9.9")])
        for _ in 0..<5 { XCTAssertEqual(ScanPlanner.plan(headers.shuffled()), plans) }
        // Orientations within the tolerance are one; beyond it, two.
        var jitter = headers.filter { $0.imageOrientation?.values == F.axial }
        jitter[1].imageOrientation = F.orientation([1, 0.0004, 0, -0.0004, 1, 0])
        XCTAssertEqual(ScanPlanner.plan(jitter).count, 1)
        jitter[1].imageOrientation = F.orientation([1, 0.01, 0, -0.01, 1, 0])
        XCTAssertEqual(ScanPlanner.plan(jitter).map(\.id), ["9.9", "9.9_2"])
    }

    /// Different image sizes and pixel formats in one series are separate scans.
    func testMixedSizesAndPixelFormatsSplit() {
        func stack(_ name: String, from instance: Int, _ change: (inout SliceHeader) -> Void) -> [SliceHeader] {
            (0..<3).map { k in
                var h = F.slice("\(name)\(k).dcm", series: "5.5", position: SIMD3(0, 0, Double(k)), instance: instance + k)
                change(&h)
                return h
            }
        }
        let headers = stack("a", from: 1) { _ in }
            + stack("b", from: 4) { $0.rows = 128; $0.columns = 128 }
            + stack("c", from: 7) { $0.bitsAllocated = 8 }
            + stack("d", from: 10) { $0.samplesPerPixel = 3; $0.photometricInterpretation = "RGB"; $0.bitsAllocated = 8 }
            + stack("e", from: 13) { $0.floatPixels = true; $0.bitsAllocated = 32 }
            + stack("f", from: 16) { $0.pixelRepresentation = 1 }
            + stack("g", from: 19) { $0.photometricInterpretation = "MONOCHROME1" }
        let plans = ScanPlanner.plan(headers.reversed())
        XCTAssertEqual(plans.map(\.id), ["5.5", "5.5_2", "5.5_3", "5.5_4", "5.5_5", "5.5_6", "5.5_7"])
        XCTAssertEqual(plans.map { $0.paths.first?.first }, ["a", "b", "c", "d", "e", "f", "g"])
        XCTAssertEqual(plans[0].shape, [1, 64, 64, 3])
        XCTAssertEqual(plans[1].shape, [1, 128, 128, 3])
        XCTAssertEqual(plans[3].shape, [1, 64, 64, 3, 3], "colour adds a last axis")
        XCTAssertTrue(plans.allSatisfy { $0.order == .position && $0.slices.count == 3 })
    }

    /// One Series Instance UID in two studies: two scans. In two DIRs of different patients: two
    /// scans; in two DIRs of one patient: one, with copies of the same instance left out.
    func testStudiesAndSubjectsSplit() {
        let studyA = (0..<3).map { F.slice("x/\($0).dcm", study: "1.1", position: SIMD3(0, 0, Double($0)), instance: $0 + 1) }
        let studyB = (0..<3).map { F.slice("y/\($0).dcm", study: "1.2", position: SIMD3(0, 0, Double($0)), instance: $0 + 1) }
        var plans = ScanPlanner.plan(studyB + studyA)
        XCTAssertEqual(plans.map(\.id), ["1.2.3.4", "1.2.3.4_2"])
        XCTAssertEqual(plans.map(\.studyInstanceUID), ["1.1", "1.2"], "ties on instance: file-name order, x before y")
        XCTAssertTrue(plans.allSatisfy { $0.volumes == 1 && $0.slicesPerVolume == 3 })

        // Same study and series in two DIRs: patients differ → split; the same patient → one scan.
        let dir0 = (0..<3).map { F.slice("s/\($0).dcm", dir: 0, position: SIMD3(0, 0, Double($0)), instance: $0 + 1) }
        var dir1 = (0..<3).map { F.slice("s/\($0 + 3).dcm", dir: 1, position: SIMD3(0, 0, Double($0 + 3)), instance: $0 + 4) }
        for i in dir1.indices { dir1[i].patientID = "P2" }
        plans = ScanPlanner.plan(dir0 + dir1)
        XCTAssertEqual(plans.map(\.id), ["1.2.3.4", "1.2.3.4_2"])
        XCTAssertEqual(plans.map(\.patientID), ["P1", "P2"])
        for i in dir1.indices { dir1[i].patientID = "P1" }
        plans = ScanPlanner.plan(dir0 + dir1)
        XCTAssertEqual(plans.count, 1)
        XCTAssertEqual(plans[0].slicesPerVolume, 6)
        XCTAssertEqual(plans[0].slices.map(\.header.dirIndex), [0, 0, 0, 1, 1, 1])
        // A copy of dir0's files in a third DIR: the same SOP Instance UIDs, left out, not a 4-D scan.
        let copies = dir0.map { h -> SliceHeader in var c = h; c.dirIndex = 2; return c }
        plans = ScanPlanner.plan(copies + dir0 + dir1)
        XCTAssertEqual(plans.count, 1)
        XCTAssertEqual(plans[0].shape, [1, 64, 64, 6])
        XCTAssertEqual(plans[0].duplicates.map(\.dirIndex), [2, 2, 2])
        XCTAssertEqual(plans[0].slices.map(\.header.dirIndex), [0, 0, 0, 1, 1, 1])
        XCTAssertEqual(plans[0].notes.count, 1)
    }

    /// Without positions: Instance Number order; without those either: the numbers in the file
    /// names (`2.dcm` before `10.dcm`), then the names.
    func testInstanceNumberThenFileNameOrder() {
        let byInstance = [5, 1, 4, 2, 3].map { F.slice("f\(10 - $0).dcm", position: nil, orientation: nil, instance: $0) }
        var p = ScanPlanner.plan(byInstance)[0]
        XCTAssertEqual(p.order, .instance)
        XCTAssertEqual(p.slices.map(\.header.instanceNumber), [1, 2, 3, 4, 5])
        XCTAssertNil(p.spacingBetweenSlices)
        XCTAssertEqual(p.shape, [1, 64, 64, 5])

        // Positions on some slices only: still Instance Number order.
        var partial = byInstance.map { var h = $0; h.imageOrientation = F.orientation(F.axial); return h }
        partial[0].imagePosition = SIMD3(0, 0, 1)
        let q = ScanPlanner.plan(partial)
        XCTAssertEqual(q.count, 1)
        XCTAssertEqual(q[0].order, .instance)
        XCTAssertEqual(q[0].slices.map(\.header.instanceNumber), [1, 2, 3, 4, 5])

        let names = ["10.dcm", "2.dcm", "1.dcm", "IM_0002_0010", "IM_0002_0009", "IM_0001_0100", "b3", "a3", "x/002", "y/2"]
        let byName = names.map { F.slice($0, position: nil, orientation: nil, instance: nil) }
        p = ScanPlanner.plan(byName)[0]
        XCTAssertEqual(p.order, .filename)
        // Numbers first ([1] < [1, 100] < [2] < [2, 9] < [2, 10] < [3] < [10]), then the name, then the path.
        XCTAssertEqual(p.paths, ["1.dcm", "IM_0001_0100", "x/002", "y/2", "2.dcm", "IM_0002_0009", "IM_0002_0010", "a3", "b3", "10.dcm"])

        // Some with, some without Instance Numbers: those with first, the rest by file name.
        var mixed = byName
        mixed[0].instanceNumber = 2
        mixed[3].instanceNumber = 1
        p = ScanPlanner.plan(mixed)[0]
        XCTAssertEqual(p.order, .instance)
        XCTAssertEqual(Array(p.paths.prefix(4)), ["IM_0002_0010", "10.dcm", "1.dcm", "IM_0001_0100"])
    }

    /// fMRI: positions × temporal position identifiers make volumes ordered by time; without the
    /// identifiers, by Acquisition Number.
    func testFourDimensionalTimeSeries() {
        var headers: [SliceHeader] = []
        var instance = 1
        for t in 1...4 {
            for z in 0..<5 {
                var h = F.slice("bold/\(instance).dcm", position: SIMD3(1, 2, Double(z) * 3), instance: 100 - instance)
                h.temporalPosition = t
                h.acquisitionNumber = 5 - t
                h.acquisitionTime = Double(t * 100 + z)
                headers.append(h)
                instance += 1
            }
        }
        var p = ScanPlanner.plan(headers.shuffled())[0]
        XCTAssertEqual(p.shape, [4, 64, 64, 5])
        XCTAssertEqual(p.volumeOrder, .temporalPosition)
        XCTAssertEqual(p.order, .position)
        XCTAssertEqual(p.slices.map(\.header.temporalPosition), (1...4).flatMap { [Int](repeating: $0, count: 5) })
        XCTAssertEqual(p.slices.map { $0.header.imagePosition?.z }, (0..<4).flatMap { _ in (0..<5).map { Double($0) * 3 } })
        XCTAssertEqual(p.slices.map(\.volume), (0..<4).flatMap { [Int](repeating: $0, count: 5) })
        XCTAssertEqual(p.slices.map(\.slice), (0..<4).flatMap { _ in Array(0..<5) })
        XCTAssertEqual(p.spacingBetweenSlices ?? 0, 3, accuracy: 1e-9)

        // No temporal ids: Acquisition Number (here running backwards in time) orders them.
        p = ScanPlanner.plan(headers.map { var h = $0; h.temporalPosition = nil; return h }.shuffled())[0]
        XCTAssertEqual(p.volumeOrder, .acquisitionNumber)
        XCTAssertEqual(p.slices.map(\.header.acquisitionNumber), (1...4).flatMap { [Int](repeating: $0, count: 5) })
        // Temporal ids on all but one slice: not usable; the next key is.
        headers[7].temporalPosition = nil
        XCTAssertEqual(ScanPlanner.plan(headers)[0].volumeOrder, .acquisitionNumber)
        // Nothing but Acquisition Time.
        p = ScanPlanner.plan(headers.map { var h = $0; h.temporalPosition = nil; h.acquisitionNumber = nil; return h })[0]
        XCTAssertEqual(p.volumeOrder, .acquisitionTime)
        XCTAssertEqual(p.slices.map { Int($0.header.acquisitionTime!) / 100 }, (1...4).flatMap { [Int](repeating: $0, count: 5) })
        // Nothing but Instance Numbers (running backwards here).
        p = ScanPlanner.plan(headers.map { var h = $0; h.temporalPosition = nil; h.acquisitionNumber = nil; h.acquisitionTime = nil; return h })[0]
        XCTAssertEqual(p.volumeOrder, .instanceNumber)
        // Volume v is time point 4 - v (the lowest instance numbers), slice z at instance 100 - (5 (t - 1) + z + 1).
        var expected: [Int?] = []
        for t in (1...4).reversed() { for z in 0..<5 { expected.append(100 - (5 * (t - 1) + z + 1)) } }
        XCTAssertEqual(p.slices.map(\.header.instanceNumber), expected)
    }

    /// Multi-echo: one acquisition, echoes told apart by Echo Number (the acquisition number is the
    /// same for all and so does not count).
    func testMultiEchoVolumesByEchoNumber() {
        var headers: [SliceHeader] = []
        for z in 0..<4 {
            for e in [3, 1, 2] {
                var h = F.slice("me/\(z)_\(e).dcm", position: SIMD3(0, 0, Double(z) * 1.5), instance: z * 3 + e)
                h.echoNumber = e
                h.acquisitionNumber = 1
                h.rescaleSlope = Double(e)
                headers.append(h)
            }
        }
        let p = ScanPlanner.plan(headers)[0]
        XCTAssertEqual(p.shape, [3, 64, 64, 4])
        XCTAssertEqual(p.volumeOrder, .echoNumber)
        XCTAssertEqual(p.slices.map(\.header.echoNumber), [1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3])
        XCTAssertEqual(p.rescaleSlope, .perSlice([1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3]))
    }

    /// Positions repeated unevenly (an interrupted fMRI run): one stack in Instance Number order,
    /// no spacing, and a note saying so; positions that coincide along the normal but not in the
    /// plane likewise.
    func testUnevenRepeatsFallBackToInstanceOrder() {
        var headers: [SliceHeader] = []
        var instance = 1
        for t in 1...3 {
            for z in 0..<(t == 3 ? 2 : 4) {
                var h = F.slice("run/\(instance).dcm", position: SIMD3(0, 0, Double(z)), instance: instance)
                h.temporalPosition = t
                headers.append(h)
                instance += 1
            }
        }
        var p = ScanPlanner.plan(headers.shuffled())[0]
        XCTAssertEqual(p.order, .instance)
        XCTAssertNil(p.volumeOrder)
        XCTAssertEqual(p.shape, [1, 64, 64, 10])
        XCTAssertEqual(p.slices.map(\.header.instanceNumber), Array(1...10))
        XCTAssertNil(p.spacingBetweenSlices)
        XCTAssertEqual(p.notes, ["positions repeat unevenly (2 to 3 times): one stack in instance order"])

        // Same distance along the normal, 20 mm apart in the plane.
        let apart = [F.slice("a1", position: SIMD3(0, 0, 0), instance: 2), F.slice("a2", position: SIMD3(20, 0, 0), instance: 1)]
        p = ScanPlanner.plan(apart)[0]
        XCTAssertEqual(p.order, .instance)
        XCTAssertEqual(p.paths, ["a2", "a1"])
        XCTAssertEqual(p.notes.count, 1)
    }

    /// Irregular spacing is measured (median) and noted; garbage values are no values.
    func testSpacingAndGarbage() {
        let zs: [Double] = [0, 2, 4, 6, 10, 12]
        let p = ScanPlanner.plan(zs.enumerated().map { F.slice("g\($0.offset)", position: SIMD3(0, 0, $0.element)) })[0]
        XCTAssertEqual(p.spacingBetweenSlices, 2)
        XCTAssertEqual(p.notes.count, 1, "a gap of 4 mm among 2 mm steps")

        let bad = F.image(sop: "1.8.1", position: nil, orientation: nil, extra: [
            .string(Tag(0x0020_0032), "1\\abc\\3", vr: .DS), .string(Tag(0x0020_0037), "0\\0\\0\\0\\0\\0", vr: .DS),
            .string(Tag(0x0028_1053), "NaN", vr: .DS), .string(Tag(0x0028_1052), "", vr: .DS),
            .string(.instanceNumber, "x7", vr: .IS), .string(Tag(0x0028_0030), "0.5", vr: .DS)])
        let h = F.headers(bad, path: "bad.dcm")
        XCTAssertEqual(h.count, 1)
        XCTAssertNil(h[0].imagePosition)
        XCTAssertNil(h[0].imageOrientation)
        XCTAssertNil(h[0].rescaleSlope)
        XCTAssertNil(h[0].rescaleIntercept)
        XCTAssertNil(h[0].instanceNumber)
        XCTAssertNil(h[0].pixelSpacing, "Pixel Spacing needs two values")
        XCTAssertNil(h[0].frame)
        let q = ScanPlanner.plan(h)[0]
        XCTAssertEqual(q.order, .filename)
        XCTAssertNil(q.rescaleSlope)
        XCTAssertEqual(q.shape, [1, 4, 4, 1])
    }

    /// Files without a Series Instance UID: one scan each, keyed (and sharded) by path; odd UIDs
    /// get a hashed id.
    func testFilesWithoutSeriesAndOddUIDs() {
        let a = F.slice("one/x.dcm", series: nil, position: SIMD3(0, 0, 0))
        let b = F.slice("two/x.dcm", series: nil, position: SIMD3(0, 0, 0))
        let c = F.slice("one/x.dcm", series: nil, dir: 1, position: SIMD3(0, 0, 0))
        let odd = F.slice("z.dcm", series: "1.2/../3 4", position: SIMD3(0, 0, 0))
        let plans = ScanPlanner.plan([odd, c, b, a])
        XCTAssertEqual(plans.map(\.key), ["one/x.dcm", "two/x.dcm", "1.2/../3 4", "one/x.dcm"])
        let hx = ScanKey.hex(ScanKey.hash("one/x.dcm"))
        XCTAssertEqual(plans.map(\.id), ["file_" + hx, "file_" + ScanKey.hex(ScanKey.hash("two/x.dcm")),
                                         "series_" + ScanKey.hex(ScanKey.hash("1.2/../3 4")), "file_" + hx + "_2"])
        XCTAssertEqual(Set(plans.map(\.id)).count, 4)
        XCTAssertEqual(plans[0].shard(of: 7), ScanKey.shard(of: a.shardKey, count: 7))
        XCTAssertEqual(plans[0].keyHash, plans[3].keyHash, "one relative path, one shard")
    }
}
