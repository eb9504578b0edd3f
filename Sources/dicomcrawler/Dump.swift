import ArgumentParser
import DICOM
#if canImport(Glibc)
import Glibc
#endif

struct Dump: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the elements of DICOM files.",
        discussion: """
            Text output is like DCMTK's dcmdump: one line per element with tag, VR, value, length, \
            value multiplicity and keyword; items of sequences are indented. With --json, one JSON \
            object per file per line:
              {"path": ..., "transfer_syntax": ..., "preamble": true|false, "error": null|"...", \
            "warnings": [...], "elements": {"PatientName": "Doe^John", ...}}
            Values are decoded with the file's Specific Character Set; multiple values are joined \
            with a backslash; sequences become arrays of objects; binary values are hex.
            A file that cannot be read (completely) gets its error, with the byte offset, and the \
            command goes on; the exit status is then 1. Only regular files are read (a FIFO, \
            directory or device is an error). Text output escapes control characters (ESC as \\x1B, \
            LF as \\n, ...).
            """)

    @Argument(help: "DICOM files to print.")
    var files: [String]

    @Flag(name: .long, help: "One JSON object per file per line.")
    var json = false

    @Flag(name: .long, help: "Stop before the pixel data (reads less).")
    var header = false

    @Option(name: .long, help: "Show at most this many bytes of binary values (as hex).")
    var maxValueBytes = 64

    func validate() throws {
        if maxValueBytes < 0 { throw ValidationError("--max-value-bytes must be 0 or more") }
    }

    func run() throws {
        var failed = false
        let options = header ? ReadOptions.header : ReadOptions()
        for path in files {
            let file = DICOMReader.read(path: path, options: options)
            if file.error != nil { failed = true }
            if json {
                print(DumpFormat.jsonLine(file, path: path, maxValueBytes: maxValueBytes))
            } else {
                printText(file, path: path)
            }
        }
        if failed { throw ExitCode(1) }
    }

    func printText(_ file: DicomFile, path: String) {
        print(DumpFormat.text(file, path: path, maxValueBytes: maxValueBytes))
        if let e = file.error {
            var err = StandardErrorStream()
            print("dicomcrawler dump: \(DumpFormat.escapingControls(path)): \(DumpFormat.escapingControls(e.description))", to: &err)
        }
    }
}

struct StandardErrorStream: TextOutputStream {
    mutating func write(_ string: String) { fputs(string, stderr) }
}
