// Concurrency: threads over an array (parallelMap), a fixed worker pool for long runs, and the
// ordered batch pipeline that overlaps reading one batch with handling the previous one.
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Runs `body` on every item with `jobs` threads (each taking the next item when it is free) and
/// returns the results in the items' order.
func parallelMap<T, R>(_ items: [T], jobs: Int, _ body: @escaping (T) -> R) -> [R] {
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
