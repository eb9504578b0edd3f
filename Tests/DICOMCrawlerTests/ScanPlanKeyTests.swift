import DICOM
import XCTest
@testable import DICOMCrawler

/// The shard hash, and planning at scale.
final class ScanPlanKeyTests: XCTestCase {
    typealias F = PlanFixture

    /// Values computed independently (Python: FNV-1a 64 over the UTF-8 bytes, then fmix64; see
    /// `ScanKey.hash`), so they hold in every process and on every machine.
    func testHashIsPinned() {
        XCTAssertEqual(ScanKey.hash("1.2.840.113619.2.55.3.604688119.969.1268071029.320"), 0xe9a6_d2b3_0d04_b106)
        XCTAssertEqual(ScanKey.hash(""), 0xefd0_1f60_ba99_2926)
        XCTAssertEqual(ScanKey.hash("a/b/IM_0001.dcm"), 0xb661_f2de_9e28_3002)
        XCTAssertEqual(ScanKey.hash("山田"), 0x24da_efc2_e6fb_26c4)
        XCTAssertEqual(ScanKey.shard(of: "1.2.840.113619.2.55.3.604688119.969.1268071029.320", count: 7), 2)
        XCTAssertEqual(ScanKey.shard(of: "a/b/IM_0001.dcm", count: 7), 5)
        XCTAssertEqual(ScanKey.shard(of: "anything", count: 1), 1)
        XCTAssertEqual(ScanKey.hex(0xab), "00000000000000ab")
    }

    /// Shards spread: 10^4 series UIDs over 8 shards, none far from an eighth.
    func testShardsSpread() {
        var counts = [Int](repeating: 0, count: 8)
        for i in 0..<10_000 { counts[ScanKey.shard(of: "1.2.826.0.1.3680043.2.1125.\(i)", count: 8) - 1] += 1 }
        for c in counts { XCTAssertTrue((1_100...1_400).contains(c), "\(counts)") }
    }

    /// 10^5 headers in several shapes plan in time linear-ish in their number: many 4-D series in
    /// shuffled order, one huge series, and a series of all-different orientations.
    func testManyHeadersPlanFast() {
        var many: [SliceHeader] = []
        many.reserveCapacity(100_000)
        for s in 0..<500 {
            for t in 0..<10 {
                for z in 0..<20 {
                    var h = F.slice("p\(s % 7)/s\(s)/IM_\(t * 20 + z).dcm", series: "1.2.\(s)", position: SIMD3(0, 0, Double(z)), instance: t * 20 + z + 1)
                    h.temporalPosition = t + 1
                    many.append(h)
                }
            }
        }
        many.shuffle()
        let start = ContinuousClock.now
        let plans = ScanPlanner.plan(many)
        let manyTime = ContinuousClock.now - start
        XCTAssertEqual(plans.count, 500)
        XCTAssertTrue(plans.allSatisfy { $0.shape == [10, 64, 64, 20] && $0.volumeOrder == .temporalPosition })

        let huge = (0..<100_000).map { F.slice("big/\($0).dcm", position: SIMD3(0, 0, Double($0) * 0.5), instance: 100_000 - $0) }
        let start2 = ContinuousClock.now
        let one = ScanPlanner.plan(huge.reversed())
        let hugeTime = ContinuousClock.now - start2
        XCTAssertEqual(one.count, 1)
        XCTAssertEqual(one.first?.shape, [1, 64, 64, 100_000])
        XCTAssertEqual(one.first?.slices.last?.header.path, "big/99999.dcm")

        // Every slice a different orientation: each its own scan, compared with at most 256 others.
        let spun = (0..<20_000).map { k -> SliceHeader in
            let a = Double(k % 200) * 0.03, b = Double(k / 200) * 0.03
            var h = F.slice("spin/\(k).dcm", position: SIMD3(0, 0, 0), instance: k + 1)
            h.imageOrientation = ImageOrientation(row: SIMD3(cos(a), sin(a), 0), column: SIMD3(-sin(a) * cos(b), cos(a) * cos(b), sin(b)))
            return h
        }
        let start3 = ContinuousClock.now
        let spunPlans = ScanPlanner.plan(spun)
        let spunTime = ContinuousClock.now - start3
        XCTAssertEqual(spunPlans.count, 20_000)
        XCTAssertEqual(spunPlans[1].id, "1.2.3.4_2")
        // Generous bounds (a debug build on a busy machine): quadratic work would take minutes.
        XCTAssertLessThan(manyTime, .seconds(20))
        XCTAssertLessThan(hugeTime, .seconds(20))
        XCTAssertLessThan(spunTime, .seconds(20))
    }
}
