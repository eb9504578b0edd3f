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
              dicomcrawler sort /media/cdrom --into /data/sorted
              dicomcrawler dump --json IM0001.dcm

            Exit status: 0 success; 1 some input could not be read or some output not written \
            (the rest is done); 2 usage error (bad option, argument, template file or pattern).
            """,
        version: dicomcrawlerVersion,
        subcommands: [CrawlCommand.self, TagsCommand.self, SortCommand.self, ExportCommand.self, Dump.self],
        defaultSubcommand: CrawlCommand.self)

    /// Like ArgumentParser's `main()`, but usage errors exit with status 2, as Unix tools do.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                fputs(fullMessage(for: error) + "\n", stderr)
                Self.exit(withError: ExitCode(2))
            }
            exit(withError: error)
        }
    }
}

let dicomcrawlerVersion = "0.1.0"
