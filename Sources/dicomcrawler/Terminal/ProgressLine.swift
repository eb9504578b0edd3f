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
