#if canImport(Glibc)
import Glibc
#endif

/// A progress line on stderr (a terminal), refreshed five times a second.
final class ProgressTicker: @unchecked Sendable {
    private let line: () -> String
    private var running = true
    private var lock = pthread_mutex_t()
    private var thread = pthread_t()

    init(_ line: @escaping () -> String) {
        self.line = line
        pthread_mutex_init(&lock, nil)
        let me = Unmanaged.passRetained(self).toOpaque()
        pthread_create(&thread, nil, { arg in
            let t = Unmanaged<ProgressTicker>.fromOpaque(arg!).takeRetainedValue()
            t.loop()
            return nil
        }, me)
    }

    private func loop() {
        while true {
            usleep(200_000)
            pthread_mutex_lock(&lock)
            defer { pthread_mutex_unlock(&lock) }
            if !running { return }
            fputs("\r\u{1B}[K" + line(), stderr)
        }
    }

    func clear() {
        pthread_mutex_lock(&lock)
        fputs("\r\u{1B}[K", stderr)
        pthread_mutex_unlock(&lock)
    }

    func stop() {
        pthread_mutex_lock(&lock)
        running = false
        fputs("\r\u{1B}[K", stderr)
        pthread_mutex_unlock(&lock)
        pthread_join(thread, nil)
    }
}

/// Done out of a total (counted ahead by a `Prewalk`, `≥` while it is still counting), the rate
/// since the start, and the time left once the total is known.
struct ProgressMeter {
    let started = monotonicNow()

    func line(done: Int, counted: Int, countFinished: Bool, unit: String) -> String {
        let elapsed = max(monotonicNow() - started, 1e-3)
        let rate = Double(done) / elapsed
        let total = max(counted, done)
        var text = "\(done)/\(countFinished ? "" : "≥")\(total) \(unit)"
        if elapsed >= 1 { text += ", \(Int(rate.rounded())) \(unit)/s" }
        if countFinished && elapsed >= 2 && rate > 0 && total > done {
            let left = Int((Double(total - done) / rate).rounded())
            text += ", " + (left >= 3600 ? "\(left / 3600):" + pad2((left % 3600) / 60) : "\(left / 60)") + ":" + pad2(left % 60) + " left"
        }
        return text
    }

    private func pad2(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
}

func monotonicNow() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}
