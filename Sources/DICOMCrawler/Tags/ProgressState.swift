/// The committed progress of a `tags` run, in `OUTPUT.progress/state`: which arguments it ran with
/// (a fingerprint), how many walked files are done, and how long the spill is at that point.
/// Written atomically after the spill is synced, so it never claims more than is on disk.
struct ProgressState: Equatable {
    var fingerprint: String
    var files: Int
    var spillLength: Int

    var text: String {
        "\(Self.header)\nfingerprint \(fingerprint)\nfiles \(files)\nspill \(spillLength)\n"
    }

    /// The first line; its number changes with the spill's record format, so that a state of another
    /// format is never resumed (it is discarded as not a state).
    static let header = "dicomcrawler-tags-state 2"

    /// Nil when the text is not a state of this format (another header, missing fields).
    init?(text: String) {
        guard text.split(separator: "\n", maxSplits: 1).first == Substring(Self.header) else { return nil }
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            if parts.count == 2 { fields[String(parts[0])] = String(parts[1]) }
        }
        guard let fp = fields["fingerprint"], let f = fields["files"].flatMap({ Int($0) }),
              let s = fields["spill"].flatMap({ Int($0) }) else { return nil }
        self.init(fingerprint: fp, files: f, spillLength: s)
    }

    init(fingerprint: String, files: Int, spillLength: Int) {
        self.fingerprint = fingerprint
        self.files = files
        self.spillLength = spillLength
    }
}
