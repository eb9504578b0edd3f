#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// A count of what a job will meet, made on a thread of its own while the job runs, so that a
/// progress line can show a total and an estimate of the time left (as rsync's and fd's do). The
/// walk lists folders only: it costs a small part of what the job reads.
public final class Prewalk: Sendable {
    /// Files (or folders, with `folders`) counted so far.
    public let counted = Atomic<Int>(0)
    /// The count is complete.
    public let finished = Atomic<Bool>(false)
    private let stopped = Atomic<Bool>(false)

    /// Starts counting the files below `directories` (the regular files a walk with `options` gives),
    /// or, with `folders`, the folders for which `folders` says yes.
    public init(_ directories: [String], options: WalkOptions, folders: (@Sendable ([UInt8]) -> Bool)? = nil) {
        let box = Unmanaged.passRetained(Runner(self, directories, options, folders)).toOpaque()
        var thread = pthread_t()
        var attr = pthread_attr_t()
        pthread_attr_init(&attr)
        pthread_attr_setdetachstate(&attr, Int32(PTHREAD_CREATE_DETACHED))
        pthread_create(&thread, &attr, { arg in
            Unmanaged<Runner>.fromOpaque(arg!).takeRetainedValue().run()
            return nil
        }, box)
        pthread_attr_destroy(&attr)
    }

    /// Stops counting (the job has finished first).
    public func stop() { stopped.store(true, ordering: .relaxed) }

    private final class Runner {
        let owner: Prewalk
        let directories: [String]
        let options: WalkOptions
        let folders: (@Sendable ([UInt8]) -> Bool)?
        init(_ owner: Prewalk, _ directories: [String], _ options: WalkOptions, _ folders: (@Sendable ([UInt8]) -> Bool)?) {
            self.owner = owner
            self.directories = directories
            self.options = options
            self.folders = folders
        }

        func run() {
            var seen = Set<PathBytes>()
            for dir in directories where !owner.stopped.load(ordering: .relaxed) {
                let root = trimTrailingSlashes(Array(dir.utf8))
                guard seen.insert(canonicalPath(root)).inserted else { continue }
                var walk = FileWalk(root: root, options: options, directories: folders != nil)
                guard walk.start() == nil else { continue }
                while !owner.stopped.load(ordering: .relaxed) {
                    let batch = walk.next(4096)
                    if batch.isEmpty { break }
                    owner.counted.add(folders.map { keep in batch.reduce(0) { $0 + (keep($1) ? 1 : 0) } } ?? batch.count, ordering: .relaxed)
                }
            }
            owner.finished.store(true, ordering: .releasing)
        }
    }
}
