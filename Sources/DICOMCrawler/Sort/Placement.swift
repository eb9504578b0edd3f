#if canImport(Glibc)
import Glibc
#endif
import DICOM

extension SortJob {
    /// A file read: where it goes, or what became of it already.
    enum Resolved {
        case place(source: PathBytes, dir: PathBytes, name: PathBytes, uid: String)
        case done(SortAction)
    }

    /// Reads a file's header and works out its destination (on a worker thread).
    func resolve(_ source: PathBytes) -> Resolved {
        let fd: Int32
        do { fd = try openFile(source, O_RDONLY) } catch { return .done(record(source, [], .failed, reason: "cannot open: \(error.text)")) }
        let file = DICOMReader.read(fileDescriptor: fd, options: readOptions)
        close(fd)
        if let e = file.error {
            return .done(record(source, [], e.kind == .notDICOM ? .notDICOM : .failed, reason: e.kind == .notDICOM ? "" : e.description))
        }
        let uid = file.dataSet.string(.sopInstanceUID) ?? ""
        var destDir = destRoot
        for f in options.pattern.folders({ file.dataSet.string($0) }) { destDir = joinPath(destDir, Array(f.utf8)) }
        return .place(source: source, dir: destDir, name: lastComponent(source), uid: uid)
    }

    /// Places a resolved file (on a worker thread; files that want one name, one after the other).
    func finish(_ resolved: Resolved) -> SortAction {
        switch resolved {
        case .done(let action):
            return action
        case .place(let source, let destDir, let name, let uid):
            if options.dryRun { return planOnly(source, destDir, name, uid) }
            if let e = ensureDirectory(destDir) {
                return record(source, [], .failed, uid, reason: "cannot create \(destDir.pathString): \(e.text)")
            }
            cleanStaleTemporaries(destDir)
            do {
                let (dest, kind, renamed) = try place(source, in: destDir, name: name)
                return record(source, dest, kind, uid, renamed: renamed)
            } catch {
                return record(source, [], .failed, uid, reason: error.text)
            }
        }
    }

    /// The dry run: what would happen, without touching anything.
    private func planOnly(_ source: PathBytes, _ dir: PathBytes, _ name: PathBytes, _ uid: String) -> SortAction {
        let kind: SortAction.Kind = switch options.mode {
        case .copy: .copied
        case .move: .moved
        case .link: .linked
        case .symlink: .symlinked
        }
        for k in 0..<10_000 {
            let candidate = joinPath(dir, suffixed(name, k))
            let taken = planned.withLock { !$0.insert(candidate).inserted }
            if taken { continue }
            if statPath(candidate) != nil {
                if sameContent(source, candidate) { return record(source, candidate, .exists, uid, renamed: k > 0) }
                continue
            }
            return record(source, candidate, kind, uid, renamed: k > 0)
        }
        return record(source, [], .failed, uid, reason: "no free name")
    }

    /// Places a file without ever overwriting: `link(2)` fails on an existing name, so each
    /// candidate name is claimed atomically; a taken name with identical content means the file is
    /// already there.
    private func place(_ source: PathBytes, in dir: PathBytes, name: PathBytes) throws(Errno) -> (PathBytes, SortAction.Kind, Bool) {
        var temp: PathBytes? = nil
        defer { if let temp { removeFile(temp) } }
        var crossDevice = false
        for k in 0..<10_000 {
            let candidate = joinPath(dir, suffixed(name, k))
            // Try to claim the name first (one system call when it is free); a taken name is then
            // looked at: the same file, or identical content, means the file is already there.
            // A copy looks first, so that a re-run does not copy what is already in place.
            if options.mode == .copy || crossDevice, pathExistsNoFollow(candidate) {
                if let done = alreadyThere(source, candidate, k) { return done }
                continue
            }
            switch options.mode {
            case .link:
                if linkPath(source, candidate) { return (candidate, .linked, k > 0) }
                if errno != EEXIST { throw Errno.current }
            case .symlink:
                let target = absolutePath(source)
                if target.withCPath({ t in candidate.withCPath { symlink(t, $0) } }) == 0 { return (candidate, .symlinked, k > 0) }
                if errno != EEXIST { throw Errno.current }
            case .move where !crossDevice:
                if linkPath(source, candidate) {
                    removeFile(source)
                    return (candidate, .moved, k > 0)
                }
                if errno == EXDEV || errno == EPERM {
                    crossDevice = true
                    if pathExistsNoFollow(candidate) {
                        if let done = alreadyThere(source, candidate, k) { return done }
                        continue
                    }
                    fallthrough
                }
                if errno != EEXIST { throw Errno.current }
            case .copy, .move:
                if temp == nil {
                    // Across file systems a move copies, syncs and verifies before removing the source.
                    temp = try copyToTemporary(source, in: dir, sync: options.mode == .move)
                    if options.mode == .move && !sameContent(source, temp!) { throw Errno(EIO) }
                }
                if linkPath(temp!, candidate) {
                    if options.mode == .move { removeFile(source) }
                    return (candidate, options.mode == .move ? .moved : .copied, k > 0)
                }
                if errno != EEXIST { throw Errno.current }
            }
            if let done = alreadyThere(source, candidate, k) { return done }
        }
        throw Errno(EEXIST)
    }

    /// A taken name: is it this file already (nil: a different file, try the next name)?
    private func alreadyThere(_ source: PathBytes, _ candidate: PathBytes, _ k: Int) -> (PathBytes, SortAction.Kind, Bool)? {
        if options.mode == .symlink, let target = readLink(candidate), target == absolutePath(source) {
            return (candidate, .exists, k > 0)
        }
        if isSameFile(source, candidate) {
            // A hard link of the source: a move that was killed after linking and before removing
            // the source is finished now. (When the source path is the destination path itself,
            // there is nothing to do, and it is never removed.)
            if options.mode == .move && canonicalPath(source) != canonicalPath(candidate) { removeFile(source) }
            return (candidate, .exists, k > 0)
        }
        if sameContent(source, candidate) {
            if options.mode == .move { removeFile(source) }
            return (candidate, .exists, k > 0)
        }
        return nil
    }

    /// A copy of `source` in a new temporary file `.dicomcrawler-PID-N.tmp` in `dir` (synced with `sync`).
    private func copyToTemporary(_ source: PathBytes, in dir: PathBytes, sync: Bool) throws(Errno) -> PathBytes {
        let temp = joinPath(dir, Array(".dicomcrawler-\(getpid())-\(tempCounter.add(1, ordering: .relaxed).oldValue).tmp".utf8))
        let src = try openFile(source, O_RDONLY)
        defer { close(src) }
        let dst = try openFile(temp, O_WRONLY | O_CREAT | O_EXCL)
        var ok = false
        defer {
            close(dst)
            if !ok { removeFile(temp) }
        }
        try copyContents(from: src, to: dst)
        if sync { try nothingOrErrno { fsync(dst) } }
        ok = true
        return temp
    }

    /// Removes temporary files that killed runs left in a folder (their process is gone), once per
    /// folder and run.
    private func cleanStaleTemporaries(_ dir: PathBytes) {
        guard cleanedDirs.withLock({ $0.insert(dir).inserted }) else { return }
        guard case .success(let entries) = listDirectory(dir) else { return }
        for e in entries where e.kind == .file {
            let name = e.name.pathString
            guard name.hasPrefix(".dicomcrawler-"), name.hasSuffix(".tmp") else { continue }
            let parts = name.dropFirst(".dicomcrawler-".count).split(separator: "-")
            if let pid = parts.first.flatMap({ Int32($0) }), pid != getpid(), kill(pid, 0) != 0, errno == ESRCH {
                removeFile(joinPath(dir, e.name))
            }
        }
    }

    /// `mkdir -p`, remembering what exists.
    private func ensureDirectory(_ path: PathBytes) -> Errno? {
        if createdDirs.withLock({ $0.contains(path) }) { return nil }
        if let e = makeDirectories(path) { return e }
        createdDirs.withLock { _ = $0.insert(path) }
        return nil
    }
}

/// `IM1.dcm`, `IM1_1.dcm`, `IM1_2.dcm`, ...
func suffixed(_ name: PathBytes, _ k: Int) -> PathBytes {
    if k == 0 { return name }
    if let dot = name.lastIndex(of: UInt8(ascii: ".")), dot > name.startIndex {
        return Array(name[..<dot]) + Array("_\(k)".utf8) + Array(name[dot...])
    }
    return name + Array("_\(k)".utf8)
}
