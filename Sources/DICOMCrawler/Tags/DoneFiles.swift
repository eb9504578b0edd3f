/// The files an interrupted run did, read back from its spill in walk order, to check a resumed run's
/// walk against: the same paths in the same order, each with the same size, modification time and
/// inode. Any difference means the table would not be what a fresh run on the tree makes, so the
/// resume is refused (`TagsError.Kind.treeChanged`) with the first difference named.
struct DoneFiles: ~Copyable {
    private var reader: SpillReader
    private let job: TagsJob
    private var checked = 0
    private let expected: Int

    init(spill: PathBytes, length: Int, job: TagsJob) throws(TagsError) {
        do { reader = try SpillReader(spill, length: length) } catch {
            throw job.damagedState(error)
        }
        self.job = job
        expected = job.report.resumedFiles
    }

    /// The next walked file, one the interrupted run did.
    mutating func check(_ path: PathBytes) throws(TagsError) {
        guard let (donePath, stamp) = try nextFile() else {
            throw changed("\(path.pathString) is new")
        }
        if donePath != path[...] {
            throw changed("\(path.pathString) is where it did \(Array(donePath).pathString): files were added, removed or renamed")
        }
        let now = FileStamp.of(path)
        if now != stamp {
            throw changed("\(path.pathString) was \(now == .unknown ? "removed or cannot be read" : "modified")")
        }
        checked += 1
    }

    /// After the walk: every file the interrupted run did was met again.
    mutating func checkNoneMissing() throws(TagsError) {
        if checked < expected, let (donePath, _) = try nextFile() {
            throw changed("\(Array(donePath).pathString) was removed")
        }
    }

    private mutating func nextFile() throws(TagsError) -> (ArraySlice<UInt8>, FileStamp)? {
        do {
            while let record = try reader.next() {
                if case .file(let path, let stamp) = record { return (path, stamp) }
            }
            return nil
        } catch {
            throw job.damagedState(error)
        }
    }

    private func changed(_ what: String) -> TagsError {
        TagsError(kind: .treeChanged, message: "the tree changed since the interrupted run on \(job.options.output) (\(what)): its table would not match the tree; run again without --resume to start over")
    }
}
