/// Batches of items processed on a worker pool, with their results handed back in submission order
/// on the submitting thread, one batch at a time.
///
/// With `overlap`, `submit` queues the new batch first and then finishes the previous one, so the
/// pool works on batch N+1 while the caller handles batch N (reading the next files while the
/// previous ones are written). Without it, the previous batch is finished before the new one is
/// queued, so batches never run at the same time (placing files whose order must not depend on
/// timing).
final class BatchPipeline<Item, Output, Failure: Error> {
    private let pool: WorkerPool
    private let overlap: Bool
    private let work: (Item) -> Output
    private let completion: ([Item], [Output]) throws(Failure) -> Void
    private var inFlight: (items: [Item], batch: WorkerPool.Batch<Output>)? = nil

    init(pool: WorkerPool, overlap: Bool, work: @escaping (Item) -> Output,
         completion: @escaping ([Item], [Output]) throws(Failure) -> Void) {
        self.pool = pool
        self.overlap = overlap
        self.work = work
        self.completion = completion
    }

    func submit(_ items: [Item]) throws(Failure) {
        if items.isEmpty { return }
        if overlap {
            let next = (items, pool.submit(items, work))
            try finish()
            inFlight = next
        } else {
            try finish()
            inFlight = (items, pool.submit(items, work))
        }
    }

    /// Waits for the batch in flight and hands its results to `completion`.
    func finish() throws(Failure) {
        guard let (items, batch) = inFlight else { return }
        inFlight = nil
        try completion(items, batch.wait())
    }
}
