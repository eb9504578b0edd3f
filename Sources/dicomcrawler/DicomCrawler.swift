import ArgumentParser

@main
struct DicomCrawler: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dicomcrawler",
        abstract: "Turn trees of DICOM files into tables.",
        discussion: """
            Subcommands:
              dump    print the elements of DICOM files (like dcmdump), or one JSON object per file

            Exit status: 0 success, 1 some input could not be read, 2 usage error.
            """,
        version: dicomcrawlerVersion,
        subcommands: [Dump.self])
}

let dicomcrawlerVersion = "0.1.0"
