#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Every folder under some roots, listed by `threads` threads at once, each folder handed (with its
/// open directory) to `visit` on the thread that listed it: a walk sized for storage, with many
/// listings and reads in flight, where `FileWalk` keeps one. Results come back in walk order (depth
/// first, names in byte order, component by component), so they do not depend on timing.
///
/// It does not follow symlinked folders (they are counted, as by `FileWalk`), so no folder can be met
/// twice; a walk that follows them uses `FileWalk`, whose loop detection depends on walk order.
struct ParallelFolderWalk<Result> {
    /// One root's outcome.
    struct Root {
        /// Why the root itself could not be listed.
        var error: Errno?
        /// `visit`'s non-nil results, by relative path, in walk order.
        var results: [(rel: PathBytes, result: Result)] = []
        /// Folders that could not be listed, in walk order.
        var problems: [WalkProblem] = []
        var symlinksNotFollowed = 0
    }

    let options: WalkOptions
    /// Threads that always work (the cores asked for).
    let threads: Int
    /// Threads that join once the storage proves slow (`slowListings` folders each took more than
    /// `slowListing` seconds to list: a cold cache or a network file system), to keep more requests
    /// in flight; on a warm cache they stay idle, so the warm run costs what `threads` threads cost.
    var ioThreads = 0
    /// Hand each root itself to `visit` too (with an empty relative path), not only the folders
    /// below it: for jobs that read the files directly in a DIR.
    var visitsRoots = false
    static var slowListing: Double { 0.001 }
    static var slowListings: Int { 8 }

    private struct Task { let root: Int; let rel: PathBytes }

    /// What one folder gave.
    private struct Found {
        let root: Int
        let rel: PathBytes
        var result: Result? = nil
        var problem: Errno? = nil
        var symlinks = 0
    }

    private final class Shared: @unchecked Sendable {
        var mutex = pthread_mutex_t()
        var available = pthread_cond_t()
        /// Where the I/O helpers wait until the storage proves slow (or the walk ends).
        var helpersWanted = pthread_cond_t()
        var finished = false
        var tasks: [Task]
        var busy = 0
        var found: [Found] = []
        var slow = false
        var slowSeen = 0
        var nextWorker = 0
        init(_ tasks: [Task]) {
            pthread_mutex_init(&mutex, nil)
            pthread_cond_init(&available, nil)
            pthread_cond_init(&helpersWanted, nil)
            self.tasks = tasks
        }
    }

    func walk(_ roots: [PathBytes], visit: @escaping @Sendable (_ root: Int, _ rel: PathBytes, _ dir: OpenDirectory) -> Result?) -> [Root] {
        let shared = Shared(roots.indices.reversed().map { Task(root: $0, rel: []) })
        let includeHidden = options.includeHidden
        let visitsRoots = visitsRoots
        let base = max(1, threads)
        runThreads(max(base, ioThreads)) {
            var mine: [Found] = []
            pthread_mutex_lock(&shared.mutex)
            let worker = shared.nextWorker
            shared.nextWorker += 1
            pthread_mutex_unlock(&shared.mutex)
            pthread_mutex_lock(&shared.mutex)
            // An I/O helper waits, apart, until the storage proves slow or the walk ends.
            while worker >= base && !shared.slow && !shared.finished { pthread_cond_wait(&shared.helpersWanted, &shared.mutex) }
            pthread_mutex_unlock(&shared.mutex)
            while true {
                pthread_mutex_lock(&shared.mutex)
                while shared.tasks.isEmpty && shared.busy > 0 { pthread_cond_wait(&shared.available, &shared.mutex) }
                guard let task = shared.tasks.popLast() else {
                    shared.finished = true
                    pthread_cond_broadcast(&shared.available)
                    pthread_cond_broadcast(&shared.helpersWanted)
                    pthread_mutex_unlock(&shared.mutex)
                    break
                }
                shared.busy += 1
                pthread_mutex_unlock(&shared.mutex)

                let path = joinPath(roots[task.root], task.rel)
                var children: [Task] = []
                var symlinks = 0
                do throws(Errno) {
                    let started = monotonicSeconds()
                    let dir = try OpenDirectory(path)
                    if monotonicSeconds() - started > Self.slowListing {
                        pthread_mutex_lock(&shared.mutex)
                        shared.slowSeen += 1
                        if !shared.slow && shared.slowSeen >= Self.slowListings {
                            shared.slow = true
                            pthread_cond_broadcast(&shared.helpersWanted)
                        }
                        pthread_mutex_unlock(&shared.mutex)
                    }
                    for entry in dir.entries.reversed() where includeHidden || !entry.isHidden {
                        switch entry.kind {
                        case .directory: children.append(Task(root: task.root, rel: joinPath(task.rel, entry.name)))
                        case .symlink:
                            if let st = dir.statEntry(entry), st.st_mode & S_IFMT == S_IFDIR { symlinks += 1 }
                        case .file, .other: break
                        }
                    }
                    let result = task.rel.isEmpty && !visitsRoots ? nil : visit(task.root, task.rel, dir)
                    mine.append(Found(root: task.root, rel: task.rel, result: result, symlinks: symlinks))
                } catch {
                    mine.append(Found(root: task.root, rel: task.rel, problem: error))
                }

                pthread_mutex_lock(&shared.mutex)
                shared.tasks += children
                shared.busy -= 1
                pthread_cond_broadcast(&shared.available)
                pthread_mutex_unlock(&shared.mutex)
            }
            pthread_mutex_lock(&shared.mutex)
            shared.found += mine
            pthread_mutex_unlock(&shared.mutex)
        }

        // Indices are sorted, not the records (each holds a folder's whole result).
        let found = shared.found
        let order = found.indices.sorted { i, j in
            let a = found[i], b = found[j]
            return a.root != b.root ? a.root < b.root : Self.walkOrder(a.rel, b.rel)
        }
        var out = [Root](repeating: Root(), count: roots.count)
        for i in order {
            let f = found[i]
            if f.rel.isEmpty, let e = f.problem {
                out[f.root].error = e  // the root itself
                continue
            }
            out[f.root].symlinksNotFollowed += f.symlinks
            if let e = f.problem { out[f.root].problems.append(.cannotList(joinPath(roots[f.root], f.rel), e)) }
            if let r = f.result { out[f.root].results.append((f.rel, r)) }
        }
        return out
    }

    /// Depth first, names in byte order: component by component.
    static func walkOrder(_ a: PathBytes, _ b: PathBytes) -> Bool {
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                let slash = UInt8(ascii: "/")
                var i = 0
                let n = min(a.count, b.count)
                while i < n && a[i] == b[i] { i += 1 }
                if i < n {
                    if a[i] == slash { return true }   // a's component ended first: a shorter name sorts first
                    if b[i] == slash { return false }
                    return a[i] < b[i]
                }
                return a.count < b.count
            }
        }
    }
}
