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
            Subcommands:
              crawl   (default) write DIR/modal_data.csv from template-named series folders
              tags    every element of every DICOM file under directories into one CSV or JSON-lines table
              sort    file DICOM files into {Patient}/{Series} folders, never overwriting
              dump    print the elements of DICOM files (like dcmdump), or one JSON object per file

            Example: dicomcrawler --templates templates/modal-templates.json examples/subj-01

            Exit status: 0 success; 1 some input could not be read or some output not written; \
            2 usage error (bad option or argument).
            """,
        version: dicomcrawlerVersion,
        subcommands: [Crawl.self, Tags.self, Sort.self, Dump.self],
        defaultSubcommand: Crawl.self)

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
