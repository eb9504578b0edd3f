#if canImport(Glibc)
import Glibc
#endif

extension FileWalk {
    /// The symbolic links under `root` whose target does not exist (or cannot be reached), in the
    /// folders a `FileWalk` with the same options enters (relative paths, in walk order of their
    /// folders). `FileWalk` itself passes them over silently; a job that must account for every
    /// entry (sort) reports them.
    static func danglingSymlinks(under root: PathBytes, options: WalkOptions, excluded: Set<FileIdentity>) -> [PathBytes] {
        var walker = FileWalk(root: root, options: options, directories: true)
        walker.excluded = excluded
        guard walker.start() == nil else { return [] }
        var out: [PathBytes] = []
        func scan(_ rel: PathBytes) {
            guard case .success(let entries) = listDirectory(joinPath(root, rel)) else { return }
            for e in entries where e.kind == .symlink && (options.includeHidden || !e.isHidden) {
                if statPath(joinPath(root, joinPath(rel, e.name))) == nil { out.append(joinPath(rel, e.name)) }
            }
        }
        scan([])
        while true {
            let batch = walker.next(1024)
            if batch.isEmpty { break }
            batch.forEach(scan)
        }
        return out
    }
}
