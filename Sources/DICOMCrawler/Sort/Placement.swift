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

    /// What placing one file did, before it is recorded.
    struct Outcome {
        var dest: PathBytes
        var kind: SortAction.Kind
        var renamed: Bool
        /// A new name was made in DEST (to be undone if its manifest line cannot be written).
        var placedNew: Bool
        /// `--move`: the source entry is to be removed once the manifest line is written.
        var removeSource = false
        /// The kind to report if the source cannot be removed after all (a hard link or a copy).
        var keptKind: SortAction.Kind = .copied
        var sourceKept = false
        var linkRemoved = false
        var reason = ""
        /// The regular file at `dest` found to hold the source's content (the same file, a verified
        /// copy): a moved source is removed only while `dest` is still this file.
        var verified: FileIdentity?
    }

    /// Reads a file's header and works out its destination (on a worker thread).
    func resolve(_ source: PathBytes) -> Resolved {
        if isSymlink(source), statPath(source) == nil {
            return .done(record(source, [], .failed, reason: "dangling symbolic link (its target \(readLink(source)?.pathString ?? "?") does not exist)"))
        }
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

    /// Places a resolved file and records it (on a worker thread; files that want one name, one
    /// after the other). The manifest line is written before a moved source is removed; when it
    /// cannot be written, what was placed is taken back and the run stops.
    func finish(_ resolved: Resolved) -> SortAction {
        switch resolved {
        case .done(let action):
            return action
        case .place(let source, let destDir, let name, let uid):
            // A file that a link left out of the sources names: what becomes of it is remembered.
            let target = linkTargets.withLock { $0.isEmpty } ? nil : statPath(source).flatMap { id in linkTargets.withLock { $0.contains(id.id) } ? id.id : nil }
            let action = placeAndRecord(source, destDir, name, uid)
            if let target, let dest = unescapePath(action.destination) { targetActions.withLock { $0[target] = (dest, action) } }
            return action
        }
    }

    /// Places (or plans) one file and records it.
    private func placeAndRecord(_ source: PathBytes, _ destDir: PathBytes, _ name: PathBytes, _ uid: String) -> SortAction {
        if let why = stopped.withLock({ $0 }) {
            return SortAction(source: source.escapedPath, destination: "", kind: .failed, sopInstanceUID: uid, reason: "not sorted: the run stopped (\(why))")
        }
        let outcome: Outcome
        if options.dryRun {
            outcome = plan(source, destDir, name, uid)
        } else {
            if let e = ensureDirectory(destDir) {
                return record(source, [], .failed, uid, reason: "cannot create \(destDir.pathString): \(e.text)")
            }
            do { outcome = try place(source, in: destDir, name: name, uid: uid) } catch {
                return record(source, [], .failed, uid, reason: error.text)
            }
        }
        var action = SortAction(source: source.escapedPath, destination: outcome.dest.escapedPath, kind: outcome.kind, renamed: outcome.renamed,
                                sourceKept: outcome.sourceKept, linkRemoved: outcome.linkRemoved, sopInstanceUID: uid, reason: outcome.reason)
        if options.dryRun { return action }
        do { try writeLine(action) } catch {
            if outcome.placedNew { removeFile(outcome.dest) }
            return SortAction(source: source.escapedPath, destination: "", kind: .failed, sopInstanceUID: uid,
                              reason: "not sorted: the manifest could not be written (\(error.text))")
        }
        if outcome.removeSource {
            var why: String?
            if outcome.verified == nil || regularFileIdentity(outcome.dest) != outcome.verified {
                // Never remove a source unless DEST holds its content in a regular file (not a link).
                why = "not removed: \(outcome.dest.pathString) is not a verified regular copy of it"
            } else if let e = syncEntryAcrossFileSystems(outcome.dest, from: source) {
                why = "not removed: the folder of \(outcome.dest.pathString) could not be synced: \(e.text)"
            } else if source.withCPath({ unlink($0) }) != 0 {
                why = "cannot remove the source: \(Errno.current.text)"
            }
            if let why {
                // The line said the source goes; it stays: a second line says so (the later line counts).
                action = SortAction(source: action.source, destination: action.destination, kind: outcome.kind == .exists ? .exists : outcome.keptKind,
                                    renamed: outcome.renamed, sourceKept: true, sopInstanceUID: uid, reason: why)
                try? writeLine(action)
            }
        }
        return action
    }

    /// How `--move` treats a source: a symbolic link is never moved (its target's content is
    /// copied and the link removed); a source that cannot be removed (its folder cannot be
    /// written, or it is another user's file in a sticky folder) is copied and kept. The dry run
    /// asks the same question.
    func moveStrategy(_ source: PathBytes) -> (isLink: Bool, removable: Errno?) {
        var st = stat()
        guard source.withCPath({ lstat($0, &st) }) == 0 else { return (false, Errno.current) }
        let isLink = st.st_mode & S_IFMT == S_IFLNK
        let parent = parentPath(source)
        if parent.withCPath({ faccessat(AT_FDCWD, $0, W_OK | X_OK, AT_EACCESS) }) != 0 { return (isLink, Errno.current) }
        // unlink(2) in a sticky folder: only the file's owner, the folder's owner, or CAP_FOWNER.
        var folder = stat()
        if parent.withCPath({ stat($0, &folder) }) == 0, folder.st_mode & mode_t(S_ISVTX) != 0,
           geteuid() != st.st_uid, geteuid() != folder.st_uid, !processHasCapFowner {
            return (isLink, Errno(EPERM))
        }
        return (isLink, nil)
    }

    /// The outcome for a file found already at `dest` (`k > 0`: a suffixed name).
    func existing(_ source: PathBytes, _ dest: PathBytes, _ k: Int, verified: FileIdentity?) -> Outcome {
        var o = Outcome(dest: dest, kind: .exists, renamed: k > 0, placedNew: false, verified: verified)
        // A source found at its own destination (DEST sorted into itself) stays.
        guard options.mode == .move, !isSameEntry(source, dest) else { return o }
        let (isLink, removable) = moveStrategy(source)
        if let removable {
            o.sourceKept = true
            o.reason = "cannot remove the source: \(removable.text)"
        } else {
            o.removeSource = true
            o.linkRemoved = isLink
        }
        return o
    }

    /// What placing `source` will do, before any name is claimed: the action, whether a move keeps
    /// its source (it cannot be removed) or removes only a link (the file it names is copied), and why.
    func intent(for source: PathBytes) -> (kind: SortAction.Kind, sourceKept: Bool, linkRemoved: Bool, reason: String) {
        switch options.mode {
        case .copy: return (.copied, false, false, "")
        case .link: return (.linked, false, false, "")
        case .symlink: return (.symlinked, false, false, "")
        case .move:
            let (isLink, removable) = moveStrategy(source)
            if let removable { return (.copied, true, false, "cannot remove the source: \(removable.text)") }
            return isLink ? (.copied, false, true, "") : (.moved, false, false, "")
        }
    }

    /// Places a file without ever overwriting: each candidate name is claimed with `link(2)` (or
    /// `symlink(2)`), which fails when the name exists; a taken name holding this file or identical
    /// content means the file is already there.
    private func place(_ source: PathBytes, in dir: PathBytes, name: PathBytes, uid: String) throws(Errno) -> Outcome {
        var temp: PathBytes? = nil
        defer { if let temp { removeFile(temp) } }
        let (kind, sourceKept, linkRemoved, reason) = intent(for: source)
        // A copy: asked for, or a move that cannot remove the source or moves what a link names.
        var viaCopy = options.mode == .copy || sourceKept || linkRemoved
        // A symbolic link is never placed itself: --symlink points at what it points to.
        let linkTarget = options.mode == .symlink ? symlinkTarget(source) : []
        // Moving a regular file: the copy is synced and verified before the source goes.
        let syncCopy = options.mode == .move && !sourceKept && !linkRemoved
        // What the name placed (or found) holds: the source's own file (a hard link) or the copy.
        var verified: FileIdentity?
        let sourceFile = regularFileIdentity(source)

        let claim = claimName(dir: dir, name: name, uid: uid, claim: { (candidate: PathBytes) throws(Errno) -> Bool in
            if !viaCopy {
                switch options.mode {
                case .symlink:
                    if linkTarget.withCPath({ t in candidate.withCPath { symlink(t, $0) } }) == 0 { return true }
                    if errno == EEXIST { return false }
                    throw Errno.current
                default:
                    // --link and --move: a hard link of the file (of a symlink's target for --link).
                    let follow = options.mode == .link ? AT_SYMLINK_FOLLOW : 0
                    if source.withCPath({ s in candidate.withCPath { linkat(AT_FDCWD, s, AT_FDCWD, $0, follow) } }) == 0 {
                        verified = sourceFile
                        return true
                    }
                    if errno == EEXIST { return false }
                    guard options.mode == .move, errno == EXDEV || errno == EPERM else { throw Errno.current }
                    viaCopy = true  // across file systems: copy, sync, verify, then remove the source
                }
            }
            // A copy looks first, so that a re-run does not copy what is already in place.
            if pathExistsNoFollow(candidate) { return false }
            if temp == nil {
                temp = try copyToTemporary(source, for: dir, sync: syncCopy)
                if syncCopy && !sameContent(source, temp!) { throw Errno(EIO) }
            }
            if linkPath(temp!, candidate) {
                verified = regularFileIdentity(temp!)
                return true
            }
            if errno == EXDEV {
                // The folder is on another file system than DEST's temporary folder: copy beside it.
                removeFile(temp!)
                temp = try copyToTemporary(source, for: dir, sync: syncCopy, beside: true)
                if syncCopy && !sameContent(source, temp!) { throw Errno(EIO) }
                if linkPath(temp!, candidate) {
                    verified = regularFileIdentity(temp!)
                    return true
                }
            }
            if errno == EEXIST { return false }
            throw Errno.current
        }, same: { isAlreadyThere(source, $0, verified: &verified) }, uidAt: { sopInstanceUID(of: $0, followingLinks: options.mode == .symlink) })
        switch claim {
        case .failure(let e): throw e
        case .success(let (dest, k, exists)):
            if exists { return existing(source, dest, k, verified: verified) }
            return Outcome(dest: dest, kind: kind, renamed: k > 0, placedNew: true, removeSource: options.mode == .move && !sourceKept,
                           keptKind: viaCopy ? .copied : .linked, sourceKept: sourceKept, linkRemoved: linkRemoved, reason: reason, verified: verified)
        }
    }

    /// Finds the name for a file: the first free one of `name`, `name_1`, ... (claimed with
    /// `claim`, which returns false when the name is taken), or a taken one holding the same file
    /// (`same`). The next free suffix and the names claimed per SOP Instance UID are remembered per
    /// folder and name for the run, so the k-th file with one name costs O(1) attempts, not O(k).
    func claimName(dir: PathBytes, name: PathBytes, uid: String, claim: (PathBytes) throws(Errno) -> Bool,
                           same: (PathBytes) -> Bool, uidAt: (PathBytes) -> String?) -> Result<(PathBytes, Int, Bool), Errno> {
        let key = joinPath(dir, name)
        // Files with one name are placed one after the other (grouped by name), so no other thread
        // changes this entry meanwhile.
        var state = names.withLock { $0[key] } ?? NameState()
        defer {
            // A name that no other file wanted is not remembered (memory does not grow with the
            // files): a later file with that name finds it taken and reads its UID.
            let trivial = state.next == 1 && state.unknown.isEmpty && state.byUID.count == 1 && state.byUID.first?.value == [0]
            names.withLock { $0[key] = trivial ? nil : state }
        }
        // Earlier names that may hold identical content: those claimed for this UID, and taken
        // names whose content is not known.
        for k in (state.byUID[uid] ?? []) + state.unknown {
            nameAttempts.add(1, ordering: .relaxed)
            let candidate = joinPath(dir, suffixed(name, k))
            if same(candidate) {
                if let i = state.unknown.firstIndex(of: k) {
                    state.unknown.remove(at: i)
                    state.byUID[uid, default: []].append(k)
                }
                return .success((candidate, k, true))
            }
        }
        var k = state.next
        while k < state.next + 100_000 {
            nameAttempts.add(1, ordering: .relaxed)
            let candidate = joinPath(dir, suffixed(name, k))
            do {
                if try claim(candidate) {
                    state.byUID[uid, default: []].append(k)
                    state.next = k + 1
                    return .success((candidate, k, false))
                }
            } catch { return .failure(error) }
            state.next = k + 1
            if same(candidate) {
                state.byUID[uid, default: []].append(k)
                return .success((candidate, k, true))
            }
            // Taken by another file: remembered by its UID (read once), or as unknown content.
            if let other = uidAt(candidate), other != uid { state.byUID[other, default: []].append(k) } else { state.unknown.append(k) }
            k += 1
        }
        return .failure(Errno(EEXIST))
    }

    /// What `--symlink` makes a link to: the source's absolute path, or, for a source that is a
    /// link, the file it names.
    func symlinkTarget(_ source: PathBytes) -> PathBytes {
        isSymlink(source) ? canonicalPath(source) : absolutePath(source)
    }

    /// A taken name: does it hold this file already? For `--symlink`, a link to it; for every
    /// mode, a regular file (never followed through a link: a link left by a `--symlink` run is not
    /// the file) that is the same file or has identical content, whose identity goes to `verified`.
    func isAlreadyThere(_ source: PathBytes, _ candidate: PathBytes, verified: inout FileIdentity?) -> Bool {
        if let target = readLink(candidate) {
            return options.mode == .symlink && (target == absolutePath(source) || target == canonicalPath(source))
        }
        // The same file: a move killed after linking and before removing the source, or a hard
        // link of it; identical content: a copy.
        guard let id = regularFileMatching(source, candidate) else { return false }
        verified = id
        return true
    }

    /// A copy of `source` in a new temporary file `.dicomcrawler-PID-N-RANDOM.tmp` (created
    /// exclusively) in DEST's temporary folder, or with `beside` in `dir` (synced with `sync`).
    private func copyToTemporary(_ source: PathBytes, for dir: PathBytes, sync: Bool, beside: Bool = false) throws(Errno) -> PathBytes {
        let n = tempCounter.add(1, ordering: .relaxed).oldValue
        let temp = joinPath(beside ? dir : tempDir, Array(".dicomcrawler-\(getpid())-\(n)-\(String(UInt32.random(in: 0...UInt32.max), radix: 16)).tmp".utf8))
        let src = try openFile(source, O_RDONLY)
        defer { close(src) }
        let dst = try openFile(temp, O_WRONLY | O_CREAT | O_EXCL)
        var ok = false
        defer {
            close(dst)
            if !ok { removeFile(temp) }
        }
        if let ms = options.testPauseInCopyMS { usleep(UInt32(ms) * 1000) }
        try copyContents(from: src, to: dst)
        if sync { try nothingOrErrno { fsync(dst) } }
        ok = true
        return temp
    }

    /// `mkdir -p`, remembering what exists.
    private func ensureDirectory(_ path: PathBytes) -> Errno? {
        if createdDirs.withLock({ $0.contains(path) }) { return nil }
        if let e = makeDirectories(path) { return e }
        createdDirs.withLock { _ = $0.insert(path) }
        return nil
    }
}
