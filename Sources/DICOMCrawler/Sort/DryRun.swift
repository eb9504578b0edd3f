#if canImport(Glibc)
import Glibc
#endif

extension SortJob {
    /// The dry run: the same rules as `place` against DEST as it is and the files planned before
    /// in this run, without touching anything.
    func plan(_ source: PathBytes, _ dir: PathBytes, _ name: PathBytes, _ uid: String) -> Outcome {
        let (kind, sourceKept, linkRemoved, reason) = intent(for: source)
        if options.mode == .link, let from = statPath(source)?.id.device, let to = deviceOfNearestExisting(dir), from != to {
            // The real run's link(2) fails across file systems.
            return Outcome(dest: [], kind: .failed, renamed: false, placedNew: false, reason: Errno(EXDEV).text)
        }
        var verified: FileIdentity?
        let claim = claimName(dir: dir, name: name, uid: uid, claim: { (candidate: PathBytes) throws(Errno) -> Bool in
            planned.withLock { p in
                if p[candidate] != nil || pathExistsNoFollow(candidate) { return false }
                p[candidate] = source
                return true
            }
        }, same: { candidate in
            if let earlier = planned.withLock({ $0[candidate] }) {
                // What the real run will find there: a link to `earlier` (--symlink), or its file.
                if options.mode == .symlink {
                    let target = symlinkTarget(earlier)
                    return target == absolutePath(source) || target == canonicalPath(source)
                }
                return isSameFile(source, earlier) || sameContent(source, earlier)
            }
            return isAlreadyThere(source, candidate, verified: &verified)
        }, uidAt: { candidate in
            if let earlier = planned.withLock({ $0[candidate] }) { return sopInstanceUID(of: earlier) }
            return sopInstanceUID(of: candidate, followingLinks: options.mode == .symlink)
        })
        switch claim {
        case .failure(let e): return Outcome(dest: [], kind: .failed, renamed: false, placedNew: false, reason: e.text)
        case .success(let (dest, k, exists)):
            if exists { return existing(source, dest, k, verified: verified) }
            return Outcome(dest: dest, kind: kind, renamed: k > 0, placedNew: true, sourceKept: sourceKept, linkRemoved: linkRemoved, reason: reason)
        }
    }
}
