// The `dicomcrawler` executable: the root command and its exit-status policy. Commands/ holds one
// ParsableCommand per job, Options/ the shared option groups and option types, Terminal/ messages
// and the progress line. Everything else lives in the libraries.
import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif

@main
struct DicomCrawler: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dicomcrawler",
        abstract: "Turn trees of DICOM files into tables.",
        discussion: """
            Examples:
              dicomcrawler --templates templates/modal-templates.json examples/subj-01
              dicomcrawler tags /archive -o dicom_data.csv
              dicomcrawler series /data/sub-* -o series.tsv
              dicomcrawler sort /media/cdrom --into /data/sorted
              dicomcrawler dump --json IM0001.dcm

            Exit status: 0 success; 1 some input could not be read or some output not written \
            (the rest is done); 2 usage error (bad option, argument, template file or pattern).
            """,
        version: dicomcrawlerVersion,
        subcommands: [CrawlCommand.self, TagsCommand.self, SeriesCommand.self, SortCommand.self, ExportCommand.self, Dump.self],
        defaultSubcommand: CrawlCommand.self)

    /// Like ArgumentParser's `main()`, but usage errors exit with status 2, as Unix tools do, and a
    /// mistyped subcommand (`dicomcrawler tag DIR`) is named rather than taken for a DIR of `crawl`.
    static func main() {
        if let typo = mistypedSubcommand(Array(CommandLine.arguments.dropFirst())) {
            fputs("dicomcrawler: error: unknown command '\(typo.given)'; did you mean '\(typo.meant)'? (see 'dicomcrawler --help')\n", stderr)
            Self.exit(withError: ExitCode(2))
        }
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            let code = exitCode(for: error)
            // ArgumentParser answers `--version` with the configured version alone; the long
            // answer (library versions, the helper's GDCM) is built only then.
            if code == .success, fullMessage(for: error) == dicomcrawlerVersion {
                print(versionReport())
                Self.exit()
            }
            if code == .validationFailure {
                fputs(fullMessage(for: error) + "\n", stderr)
                Self.exit(withError: ExitCode(2))
            }
            exit(withError: error)
        }
    }
}

/// The first argument, when it is not an option, not a subcommand and not a path that exists, but
/// is one edit (a letter added, left out, changed, or two swapped) away from a subcommand, or starts
/// one: what the user meant.
func mistypedSubcommand(_ args: [String]) -> (given: String, meant: String)? {
    guard let first = args.first, !first.hasPrefix("-"), !first.contains("/") else { return nil }
    let names = DicomCrawler.configuration.subcommands.map { $0._commandName }
    if names.contains(first) || access(first, F_OK) == 0 { return nil }
    let word = first.lowercased()
    let ranked = names.map { ($0, editDistance(word, $0)) }.sorted { $0.1 < $1.1 }
    if let best = ranked.first, best.1 <= 1 { return (first, best.0) }
    if word.count >= 2, let prefixed = names.first(where: { $0.hasPrefix(word) }) { return (first, prefixed) }
    return nil
}

/// Edit distance between two short words: insertions, deletions, substitutions and swaps of two
/// neighbours (`sotr` is one step from `sort`).
func editDistance(_ a: String, _ b: String) -> Int {
    let x = Array(a.utf8), y = Array(b.utf8)
    if x.isEmpty || y.isEmpty { return max(x.count, y.count) }
    var d = [[Int]](repeating: [Int](repeating: 0, count: y.count + 1), count: x.count + 1)
    for i in 0...x.count { d[i][0] = i }
    for j in 0...y.count { d[0][j] = j }
    for i in 1...x.count {
        for j in 1...y.count {
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
            if i > 1, j > 1, x[i - 1] == y[j - 2], x[i - 2] == y[j - 1] { d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1) }
        }
    }
    return d[x.count][y.count]
}
