import DICOM
import DICOMTestSupport
import XCTest
@testable import DICOMCrawler

/// Multi-frame files: one slice per frame, geometry and values from the functional groups.
final class ScanPlanFrameTests: XCTestCase {
    typealias F = PlanFixture

    static func item(_ elements: [Element]) -> DataSet { DataSet(elements) }

    /// A Per-frame Functional Groups item: position, frame content, pixel value transformation.
    static func frame(z: Double?, temporal: Int?, inStack: Int?, dimension: [UInt32]?, slope: Double?) -> DataSet {
        var content: [Element] = []
        if let temporal { content.append(.uint32(Tag(0x0020_9128), [UInt32(temporal)])) }
        if let inStack { content.append(.uint32(Tag(0x0020_9057), [UInt32(inStack)])) }
        if let dimension { content.append(.uint32(Tag(0x0020_9157), dimension)) }
        content.append(.string(Tag(0x0020_9056), "1", vr: .SH))
        var e: [Element] = [.sequence(Tag(0x0020_9111), [item(content)])]
        if let z { e.append(.sequence(Tag(0x0020_9113), [item([.string(Tag(0x0020_0032), F.ds([-10, -20, z]), vr: .DS)])])) }
        if let slope {
            e.append(.sequence(Tag(0x0028_9145), [item([.string(Tag(0x0028_1053), "\(slope)", vr: .DS),
                                                       .string(Tag(0x0028_1052), "0", vr: .DS)])]))
        }
        return item(e)
    }

    /// An enhanced file: shared orientation and pixel measures, per-frame items as given.
    static func enhanced(frames: [DataSet], claimed: Int? = nil, rows: Int = 4, columns: Int = 4,
                         pixels: Element? = nil) -> DataSet {
        let shared = item([
            .sequence(Tag(0x0020_9116), [item([.string(Tag(0x0020_0037), F.ds(F.axial), vr: .DS)])]),
            .sequence(Tag(0x0028_9110), [item([.string(Tag(0x0028_0030), "0.8\\0.8", vr: .DS),
                                                .string(Tag(0x0018_0050), "3", vr: .DS)])]),
        ])
        let n = claimed ?? frames.count
        return F.image(sop: "1.7.1", position: nil, orientation: nil, instance: 1, rows: rows, columns: columns, extra: [
            .string(Tag(0x0028_0008), "\(n)", vr: .IS),
            .sequence(Tag(0x5200_9229), [shared]),
            .sequence(Tag(0x5200_9230), frames),
            pixels ?? .bytes(.pixelData, .OW, [UInt8](repeating: 0, count: rows * columns * 2 * frames.count)),
        ])
    }

    /// Frames stored out of order (2 time points × 3 positions): ordered by position within
    /// volumes by Temporal Position Index; per-frame slopes follow their frames; shared values apply.
    func testPerFrameFunctionalGroups() {
        // (t, z) of frames 1...6.
        let layout: [(Int, Double)] = [(2, 3), (1, 0), (1, 6), (2, 0), (1, 3), (2, 6)]
        let frames = layout.enumerated().map { f, tz in
            Self.frame(z: tz.1, temporal: tz.0, inStack: Int(tz.1 / 3) + 1, dimension: [UInt32(tz.0), UInt32(tz.1 / 3) + 1], slope: Double(f + 1))
        }
        let headers = F.headers(Self.enhanced(frames: frames), path: "enh/1.dcm")
        XCTAssertEqual(headers.map(\.frame), [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(headers.map(\.numberOfFrames), [Int?](repeating: 6, count: 6))
        XCTAssertEqual(headers.map { $0.imagePosition?.z }, layout.map(\.1))
        XCTAssertEqual(headers[0].dimensionIndex, [2, 2])
        XCTAssertEqual(headers[0].stackID, "1")
        XCTAssertEqual(headers[0].inStackPosition, 2)
        XCTAssertEqual(headers[0].imageOrientation?.values, F.axial, "from the shared groups")

        var p = ScanPlanner.plan(headers)[0]
        XCTAssertEqual(p.shape, [2, 4, 4, 3])
        XCTAssertEqual(p.order, .position)
        XCTAssertEqual(p.volumeOrder, .temporalPosition)
        XCTAssertEqual(p.slices.map(\.header.frame), [2, 5, 3, 4, 1, 6])
        XCTAssertEqual(p.rescaleSlope, .perSlice([2, 5, 3, 4, 1, 6]))
        XCTAssertEqual(p.rescaleIntercept, .uniform(0))
        XCTAssertEqual(p.pixelSpacing, .uniform([0.8, 0.8]))
        XCTAssertEqual(p.sliceThickness, .uniform(3))
        XCTAssertEqual(p.spacingBetweenSlices ?? 0, 3, accuracy: 1e-9)
        XCTAssertEqual(Set(p.paths), ["enh/1.dcm"])

        // Without Temporal Position Index: the Dimension Index Values tell the volumes apart.
        let noTime = layout.enumerated().map { f, tz in
            Self.frame(z: tz.1, temporal: nil, inStack: nil, dimension: [UInt32(tz.0), UInt32(tz.1 / 3) + 1], slope: nil)
        }
        p = ScanPlanner.plan(F.headers(Self.enhanced(frames: noTime), path: "enh/2.dcm"))[0]
        XCTAssertEqual(p.volumeOrder, .dimensionIndex)
        XCTAssertEqual(p.slices.map(\.header.frame), [2, 5, 3, 4, 1, 6])
        XCTAssertNil(p.rescaleSlope)
    }

    /// A cine without geometry (ultrasound): frames in frame-number order, colour as a last axis.
    func testFramesWithoutGeometryKeepFrameOrder() {
        let ds = F.image(sop: "1.6.1", position: nil, orientation: nil, instance: 3, rows: 4, columns: 4, extra: [
            .string(Tag(0x0028_0008), "5", vr: .IS),
            .uint16(Tag(0x0028_0002), [3]),
            .string(Tag(0x0028_0004), "RGB", vr: .CS),
            .uint16(Tag(0x0028_0100), [8]),
            .bytes(.pixelData, .OB, [UInt8](repeating: 0, count: 4 * 4 * 3 * 5)),
        ])
        let headers = F.headers(ds, path: "us/cine.dcm")
        XCTAssertEqual(headers.count, 5)
        let p = ScanPlanner.plan(headers.reversed())[0]
        XCTAssertEqual(p.order, .instance)
        XCTAssertEqual(p.slices.map(\.header.frame), [1, 2, 3, 4, 5])
        XCTAssertEqual(p.shape, [1, 4, 4, 5, 3])
        XCTAssertEqual(p.id, "1.2.3.4")
    }

    /// A header that claims more frames than its pixel data holds makes no more headers than the
    /// data holds (native: by length; encapsulated: by fragments), and never more than `maxFrames`.
    func testFrameCountIsBounded() {
        let frames = (0..<3).map { Self.frame(z: Double($0), temporal: nil, inStack: nil, dimension: nil, slope: nil) }
        XCTAssertEqual(F.headers(Self.enhanced(frames: frames, claimed: 2_000_000_000), path: "big").count, 3)
        XCTAssertEqual(F.headers(Self.enhanced(frames: frames, claimed: 2_000_000_000), path: "big", maxFrames: 2).count, 2)
        let rle = TransferSyntax(uid: "1.2.840.10008.1.2.5")!
        let encapsulated = Self.enhanced(frames: frames, claimed: 1_000_000, pixels: .encapsulatedPixelData([[1, 2], [3, 4]]))
        let h = F.headers(encapsulated, path: "rle", syntax: rle)
        XCTAssertEqual(h.count, 2, "two fragments: at most two frames")
        XCTAssertEqual(h.map { $0.imagePosition?.z }, [0, 1])
        // No pixel data (a header read that stopped before it): as many frames as per-frame items.
        var bare = Self.enhanced(frames: frames, claimed: 2_000_000_000)
        bare.elements.removeAll { $0.tag == .pixelData }
        XCTAssertEqual(F.headers(bare, path: "bare").count, 3)
        // Frames past the per-frame items keep the shared values only.
        let more = F.headers(Self.enhanced(frames: Array(frames.prefix(1)), claimed: 2, pixels: .bytes(.pixelData, .OW, [UInt8](repeating: 0, count: 64))), path: "m")
        XCTAssertEqual(more.count, 2)
        XCTAssertEqual(more.map { $0.imagePosition?.z }, [0, nil])
        XCTAssertEqual(more.map { $0.imageOrientation?.values }, [F.axial, F.axial])
    }

    /// The enhanced multi-frame files of ../shared/corpus/dcm_qa_enh, read as the export job reads
    /// headers: Philips' field map file (32 positions × magnitude and field map, 64 frames) is one
    /// 2-volume scan told apart by Dimension Index Values, with per-frame rescale slopes; Siemens'
    /// XA10 series (4 files of 6 frames, one time point each) is one 4-volume scan by Temporal
    /// Position Index.
    func testCorpusEnhancedFiles() throws {
        let root = try F.corpus() + "/dcm_qa_enh/In"
        var headers: [SliceHeader] = []
        for path in ["Siemens/XA10/6_3.dcm", "Philips/IM_0027_fMAP.dcm", "Siemens/XA10/6_1.dcm", "Siemens/XA10/6_4.dcm", "Siemens/XA10/6_2.dcm"] {
            let f = DICOMReader.read(path: root + "/" + path, options: ReadOptions(tags: SliceHeader.tags))
            XCTAssertNil(f.error, path)
            headers += SliceHeader.headers(of: f.dataSet, dirIndex: 0, path: path)
        }
        XCTAssertEqual(headers.count, 64 + 4 * 6)
        let plans = ScanPlanner.plan(headers)
        XCTAssertEqual(plans.count, 2)
        let philips = plans[0], siemens = plans[1]

        XCTAssertEqual(philips.id, "1.3.46.670589.11.17240.5.0.8932.2018052615250908935")
        XCTAssertEqual(philips.shape, [2, 64, 64, 32])
        XCTAssertEqual(philips.order, .position)
        XCTAssertEqual(philips.volumeOrder, .dimensionIndex)
        XCTAssertEqual(philips.spacingBetweenSlices ?? 0, 4, accuracy: 1e-6)
        XCTAssertEqual(philips.slices.map(\.header.frame), Array(1...64), "frames 1-32 magnitude, 33-64 field map, each by z")
        guard case .perSlice(let slopes) = philips.rescaleSlope else { return XCTFail("Philips rescale slopes differ per frame") }
        XCTAssertEqual(Set(slopes.prefix(32)).count, 1)
        XCTAssertEqual(Set(slopes.suffix(32)).count, 1)
        XCTAssertNotEqual(slopes[0], slopes[32])
        XCTAssertEqual(philips.notes, [])

        XCTAssertEqual(siemens.id, "1.3.12.2.1107.5.2.50.175689.2018102208361828588232823.0.0.0")
        XCTAssertEqual(siemens.shape, [4, 64, 64, 6])
        XCTAssertEqual(siemens.volumeOrder, .temporalPosition)
        XCTAssertEqual(siemens.spacingBetweenSlices ?? 0, 2.4, accuracy: 1e-3)
        XCTAssertEqual(siemens.slices.map(\.header.path), (1...4).flatMap { [String](repeating: "Siemens/XA10/6_\($0).dcm", count: 6) })
        XCTAssertEqual(siemens.slices.map(\.header.frame), (1...4).flatMap { _ in Array(1...6) })
        XCTAssertEqual(siemens.pixelSpacing.map { if case .uniform = $0 { true } else { false } }, true)
        XCTAssertEqual(siemens.notes, [])
    }
}
