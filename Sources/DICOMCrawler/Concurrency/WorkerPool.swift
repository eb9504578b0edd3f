#if canImport(Glibc)
import Glibc
#endif

/// A fixed set of threads that run jobs submitted from one thread, so that a long run does not
/// create threads (and malloc arenas) per batch, and so that the submitting thread can work on the
/// previous batch's results while the next batch is being processed.
final class WorkerPool: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    private var workAvailable = pthread_cond_t()
    private var workDone = pthread_cond_t()
    private var tasks: [() -> Void] = []
    private var stopping = false
    private var threads: [pthread_t] = []

    init(threads count: Int) {
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&workAvailable, nil)
        pthread_cond_init(&workDone, nil)
        for _ in 0..<max(1, count) {
            var tid = pthread_t()
            let me = Unmanaged.passRetained(self).toOpaque()
            if pthread_create(&tid, nil, { arg in
                let pool = Unmanaged<WorkerPool>.fromOpaque(arg!).takeRetainedValue()
                pool.loop()
                return nil
            }, me) == 0 {
                threads.append(tid)
            } else {
                Unmanaged<WorkerPool>.fromOpaque(me).release()
            }
        }
    }

    /// Stops the threads once the queued work is done.
    func shutdown() {
        pthread_mutex_lock(&mutex)
        stopping = true
        pthread_cond_broadcast(&workAvailable)
        pthread_mutex_unlock(&mutex)
        for t in threads { pthread_join(t, nil) }
        threads = []
    }

    private func loop() {
        while true {
            pthread_mutex_lock(&mutex)
            while tasks.isEmpty && !stopping { pthread_cond_wait(&workAvailable, &mutex) }
            if tasks.isEmpty && stopping {
                pthread_mutex_unlock(&mutex)
                return
            }
            let task = tasks.removeFirst()
            pthread_mutex_unlock(&mutex)
            task()
            pthread_mutex_lock(&mutex)
            pthread_cond_broadcast(&workDone)
            pthread_mutex_unlock(&mutex)
        }
    }

    /// A batch being processed: `wait()` returns the results in the items' order.
    final class Batch<R>: @unchecked Sendable {
        fileprivate let results: UnsafeMutableBufferPointer<R?>
        fileprivate var remaining: Int
        fileprivate unowned let pool: WorkerPool
        fileprivate init(count: Int, pool: WorkerPool) {
            results = .allocate(capacity: count)
            results.initialize(repeating: nil)
            remaining = count
            self.pool = pool
        }
        deinit {
            results.deinitialize()
            results.deallocate()
        }

        func wait() -> [R] {
            pthread_mutex_lock(&pool.mutex)
            while remaining > 0 { pthread_cond_wait(&pool.workDone, &pool.mutex) }
            pthread_mutex_unlock(&pool.mutex)
            return results.map { $0! }
        }
    }

    /// Queues `body` over `items`, split into chunks for the threads; returns at once.
    func submit<T, R>(_ items: [T], _ body: @escaping (T) -> R) -> Batch<R> {
        let batch = Batch<R>(count: items.count, pool: self)
        let chunks = max(1, min(items.count, threads.count * 4))
        let size = (items.count + chunks - 1) / max(chunks, 1)
        pthread_mutex_lock(&mutex)
        var start = 0
        while start < items.count {
            let range = start..<min(start + size, items.count)
            tasks.append {
                for i in range { batch.results[i] = body(items[i]) }
                pthread_mutex_lock(&self.mutex)
                batch.remaining -= range.count
                pthread_mutex_unlock(&self.mutex)
            }
            start += size
        }
        pthread_cond_broadcast(&workAvailable)
        pthread_mutex_unlock(&mutex)
        return batch
    }
}
