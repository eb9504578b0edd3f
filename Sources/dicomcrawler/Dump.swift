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
            command goes on; the exit status is then 1.
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
                print(jsonLine(file, path: path))
            } else {
                printText(file, path: path)
            }
        }
        if failed { throw ExitCode(1) }
    }

    func jsonLine(_ file: DicomFile, path: String) -> String {
        let members = [file.meta, file.dataSet].map { $0.jsonMembers(maxBinaryBytes: maxValueBytes) }.filter { !$0.isEmpty }
        return "{\"path\": \(JSONText.quote(path)), "
            + "\"transfer_syntax\": \(file.transferSyntax.map { JSONText.quote($0.uid) } ?? "null"), "
            + "\"preamble\": \(file.hasPreamble), "
            + "\"error\": \(file.error.map { JSONText.quote($0.description) } ?? "null"), "
            + "\"warnings\": [\(file.warnings.map(JSONText.quote).joined(separator: ", "))], "
            + "\"elements\": {\(members.joined(separator: ", "))}}"
    }

    func printText(_ file: DicomFile, path: String) {
        var out = "# \(path)\n"
        if !file.meta.isEmpty || file.hasPreamble {
            out += "# Dicom-File-Format\n\n# Dicom-Meta-Information-Header\n# Used TransferSyntax: Little Endian Explicit\n"
            dumpDataSet(file.meta, depth: 0, into: &out)
            out += "\n"
        }
        out += "# Dicom-Data-Set\n# Used TransferSyntax: \(file.transferSyntax?.name ?? "unknown")\n"
        dumpDataSet(file.dataSet, depth: 0, into: &out)
        for w in file.warnings { out += "# warning: \(w)\n" }
        if let e = file.error { out += "# error: \(e)\n" }
        print(out)
        if let e = file.error {
            var err = StandardErrorStream()
            print("dicomcrawler dump: \(path): \(e)", to: &err)
        }
    }

    func dumpDataSet(_ ds: DataSet, depth: Int, into out: inout String) {
        let indent = String(repeating: "  ", count: depth)
        for e in ds.elements {
            let tag = e.tag.description.lowercased()
            let name = elementName(e.tag, in: ds)
            let len = e.hasUndefinedLength ? "u/l" : String(e.length)
            switch e.value {
            case .sequence(let items):
                let what = e.hasUndefinedLength ? "Sequence with undefined length" : "Sequence with explicit length"
                out += line(indent + "\(tag) SQ (\(what) #=\(items.count))", len, 1, name)
                for item in items {
                    out += line(indent + "  (fffe,e000) na (Item with #=\(item.count))", "", 1, "Item")
                    dumpDataSet(item, depth: depth + 2, into: &out)
                    out += line(indent + "  (fffe,e00d) na (ItemDelimitationItem)", "0", 0, "ItemDelimitationItem")
                }
                out += line(indent + "(fffe,e0dd) na (SequenceDelimitationItem)", "0", 0, "SequenceDelimitationItem")
            case .fragments(let f):
                out += line(indent + "\(tag) \(e.vr) (PixelSequence #=\(f.count))", len, 1, name)
                for frag in f { out += line(indent + "  (fffe,e000) pi (\(frag.length) bytes at byte \(frag.offset))", String(frag.length), 1, "Item") }
            case .notLoaded(_, let n):
                out += line(indent + "\(tag) \(e.vr) (not loaded)", String(n), 1, name)
            case .truncated:
                out += line(indent + "\(tag) \(e.vr) \(ds.render(e, maxBinaryBytes: maxValueBytes))", len, 1, name)
            case .bytes(let b):
                let text = ds.render(e, maxBinaryBytes: maxValueBytes)
                let vm = b.isEmpty ? 0 : (e.vr.isSingleValuedText ? 1 : (e.vr.binaryWidth.map { e.vr.isBulk ? 1 : b.count / $0 } ?? text.split(separator: "\\", omittingEmptySubsequences: false).count))
                let shown = e.vr.isString ? "[\(text)]" : (text.isEmpty ? "(no value available)" : text)
                out += line(indent + "\(tag) \(e.vr) \(shown)", len, vm, name)
            }
        }
    }

    func elementName(_ tag: Tag, in ds: DataSet) -> String {
        if tag.isPrivateCreator { return "PrivateCreator" }
        if tag.isPrivate { return ds.privateCreator(of: tag).map { "Private [\($0)]" } ?? "Unknown Tag & Data" }
        if tag.isGroupLength && DataDictionary.entry(for: tag) == nil { return "GenericGroupLength" }
        return DataDictionary.entry(for: tag).map { $0.keyword.isEmpty ? $0.name : $0.keyword } ?? "Unknown Tag & Data"
    }

    func line(_ head: String, _ len: String, _ vm: Int, _ name: String) -> String {
        let pad = head.count < 55 ? String(repeating: " ", count: 55 - head.count) : " "
        let lenField = len.isEmpty ? "" : (len.count < 3 ? String(repeating: " ", count: 3 - len.count) + len : len)
        return head + pad + "# " + lenField + (lenField.isEmpty ? "" : ",") + " \(vm) \(name)\n"
    }
}

struct StandardErrorStream: TextOutputStream {
    mutating func write(_ string: String) { fputs(string, stderr) }
}
