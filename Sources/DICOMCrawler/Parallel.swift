#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Runs `body` on every item with `jobs` threads (each taking the next item when it is free) and
/// returns the results in the items' order.
public func parallelMap<T, R>(_ items: [T], jobs: Int, _ body: @escaping (T) -> R) -> [R] {
    if items.isEmpty { return [] }
    let threads = max(1, min(jobs, items.count))
    if threads == 1 { return items.map(body) }
    let results = UnsafeMutableBufferPointer<R?>.allocate(capacity: items.count)
    results.initialize(repeating: nil)
    defer {
        results.deinitialize()
        results.deallocate()
    }
    let next = Atomic<Int>(0)
    let work = {
        while true {
            let i = next.add(1, ordering: .relaxed).oldValue
            if i >= items.count { return }
            results[i] = body(items[i])
        }
    }
    runThreads(threads, work)
    return results.map { $0! }
}

/// Runs `body` on `count` threads and waits for all of them.
func runThreads(_ count: Int, _ body: @escaping () -> Void) {
    final class Box { let body: () -> Void; init(_ b: @escaping () -> Void) { body = b } }
    var ids: [pthread_t] = []
    for _ in 0..<count {
        var tid = pthread_t()
        var attr = pthread_attr_t()
        pthread_attr_init(&attr)
        pthread_attr_setstacksize(&attr, 8 << 20)
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        let rc = pthread_create(&tid, &attr, { arg in
            let b = Unmanaged<Box>.fromOpaque(arg!).takeRetainedValue()
            b.body()
            return nil
        }, box)
        pthread_attr_destroy(&attr)
        if rc != 0 {
            Unmanaged<Box>.fromOpaque(box).release()
            body()  // could not start a thread: do the work here
            continue
        }
        ids.append(tid)
    }
    for t in ids { pthread_join(t, nil) }
}

/// A fixed set of threads that run jobs submitted from one thread, so that a long run does not
/// create threads (and malloc arenas) per batch, and so that the submitting thread can work on the
/// previous batch's results while the next batch is being processed.
final class WorkerPool: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    private var workAvailable = pthread_cond_t()
    private var workDone = pthread_cond_t()
    private var tasks: [() -> Void] = []
    private var pending = 0
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
            pending -= 1
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
            pending += 1
            start += size
        }
        pthread_cond_broadcast(&workAvailable)
        pthread_mutex_unlock(&mutex)
        return batch
    }
}
