import Synchronization
import XCTest
@testable import DICOMCrawler

final class ConcurrencyTests: XCTestCase {
    func testParallelMapKeepsOrder() {
        for jobs in [1, 2, 7] {
            XCTAssertEqual(parallelMap(Array(0..<1000), jobs: jobs) { $0 * 2 }, (0..<1000).map { $0 * 2 })
        }
        XCTAssertEqual(parallelMap([Int](), jobs: 4) { $0 }, [])
    }

    /// Results come back in submission order, batch by batch, on the submitting thread.
    func testPipelineHandsBackBatchesInOrder() {
        for overlap in [true, false] {
            let pool = WorkerPool(threads: 3)
            var seen: [Int] = []
            var batches = 0
            let pipeline = BatchPipeline<Int, Int, Never>(pool: pool, overlap: overlap, work: { i in
                if i % 7 == 0 { usleep(200) }  // uneven work
                return i * i
            }) { items, results in
                XCTAssertEqual(results, items.map { $0 * $0 })
                seen += items
                batches += 1
            }
            for start in stride(from: 0, to: 500, by: 50) { pipeline.submit(Array(start..<(start + 50))) }
            pipeline.submit([])
            pipeline.finish()
            pool.shutdown()
            XCTAssertEqual(seen, Array(0..<500), "overlap \(overlap)")
            XCTAssertEqual(batches, 10)
        }
    }

    /// Without overlap, a batch starts only after the previous one has been handled (placements whose
    /// order must not depend on timing); with overlap, the next batch runs while one is handled.
    func testOverlapDecidesWhetherBatchesRunTogether() {
        for overlap in [false, true] {
            let pool = WorkerPool(threads: 2)
            let log = Mutex<[String]>([])
            let pipeline = BatchPipeline<Int, Int, Never>(pool: pool, overlap: overlap, work: { i in
                log.withLock { $0.append("work \(i)") }
                return i
            }) { items, _ in
                usleep(100_000)  // a slow handler: with overlap, the next batch is read meanwhile
                log.withLock { $0.append("handled \(items[0])") }
            }
            for i in 0..<3 { pipeline.submit([i]) }
            pipeline.finish()
            pool.shutdown()
            let events = log.withLock { $0 }
            XCTAssertEqual(Set(events), ["work 0", "work 1", "work 2", "handled 0", "handled 1", "handled 2"])
            func at(_ event: String) -> Int { events.firstIndex(of: event)! }
            if overlap {
                // Batch N+1 runs while batch N is handled (the order of two running batches is free).
                XCTAssertLessThan(at("work 1"), at("handled 0"), "\(events)")
                XCTAssertLessThan(at("work 2"), at("handled 1"), "\(events)")
                XCTAssertEqual(events.filter { $0.hasPrefix("handled") }, ["handled 0", "handled 1", "handled 2"])
            } else {
                XCTAssertEqual(events, ["work 0", "handled 0", "work 1", "handled 1", "work 2", "handled 2"])
            }
        }
    }
}
