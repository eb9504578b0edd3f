// Format: whole files as text for people and scripts — the dcmdump-style listing and the dump
// command's JSON line. Pure functions of a DicomFile; the caller prints.

/// The output of the `dump` command, one file at a time.
public enum DumpFormat {
    /// DCMTK dcmdump style: one line per element with tag, VR, value, length, value multiplicity
    /// and keyword; items of sequences indented; then the warnings and the error as `#` lines.
    /// Ends with a newline (the command prints it with one more, as a blank line between files).
    /// Control characters in values, names, paths and messages are escaped (`escapingControls`),
    /// so that printing the text cannot drive the terminal or break the one-element-per-line shape.
    public static func text(_ file: DicomFile, path: String, maxValueBytes: Int) -> String {
        var out = "# \(escapingControls(path))\n"
        if !file.meta.isEmpty || file.hasPreamble {
            out += "# Dicom-File-Format\n\n# Dicom-Meta-Information-Header\n# Used TransferSyntax: Little Endian Explicit\n"
            dumpDataSet(file.meta, depth: 0, maxValueBytes: maxValueBytes, into: &out)
            out += "\n"
        }
        out += "# Dicom-Data-Set\n# Used TransferSyntax: \(file.transferSyntax?.name ?? "unknown")\n"
        dumpDataSet(file.dataSet, depth: 0, maxValueBytes: maxValueBytes, into: &out)
        for w in file.warnings { out += "# warning: \(escapingControls(w))\n" }
        if let e = file.error { out += "# error: \(escapingControls(e.description))\n" }
        return out
    }

    /// `s` with the C0 control characters, DEL and the C1 control characters (U+0080–U+009F)
    /// written as escapes: `\n`, `\r`, `\t`, `\xHH` for the other C0 characters and DEL (ESC is
    /// `\x1B`), `\u{HH}` for C1. Everything else, the backslash included (DICOM's value
    /// separator), is unchanged, so text without control characters comes back as it was.
    public static func escapingControls(_ s: String) -> String {
        func isControl(_ v: UInt32) -> Bool { v < 0x20 || (0x7F...0x9F).contains(v) }
        guard s.unicodeScalars.contains(where: { isControl($0.value) }) else { return s }
        var out = String.UnicodeScalarView()
        for u in s.unicodeScalars {
            let v = u.value
            guard isControl(v) else { out.append(u); continue }
            let hex = String(v, radix: 16, uppercase: true)
            let esc: String
            switch v {
            case 0x0A: esc = "\\n"
            case 0x0D: esc = "\\r"
            case 0x09: esc = "\\t"
            case 0x80...: esc = "\\u{" + hex + "}"
            default: esc = "\\x" + (hex.count < 2 ? "0" : "") + hex
            }
            out.append(contentsOf: esc.unicodeScalars)
        }
        return String(out)
    }

    /// One JSON object on one line: path, transfer syntax UID, preamble, error, warnings, and the
    /// meta and data set elements merged into one `elements` object (see `DataSet.jsonMembers`).
    public static func jsonLine(_ file: DicomFile, path: String, maxValueBytes: Int) -> String {
        let members = [file.meta, file.dataSet].map { $0.jsonMembers(maxBinaryBytes: maxValueBytes) }.filter { !$0.isEmpty }
        return "{\"path\": \(JSONText.quote(path)), "
            + "\"transfer_syntax\": \(file.transferSyntax.map { JSONText.quote($0.uid) } ?? "null"), "
            + "\"preamble\": \(file.hasPreamble), "
            + "\"error\": \(file.error.map { JSONText.quote($0.description) } ?? "null"), "
            + "\"warnings\": [\(file.warnings.map(JSONText.quote).joined(separator: ", "))], "
            + "\"elements\": {\(members.joined(separator: ", "))}}"
    }

    static func dumpDataSet(_ ds: DataSet, depth: Int, maxValueBytes: Int, into out: inout String) {
        let indent = String(repeating: "  ", count: depth)
        for e in ds.elements {
            let tag = e.tag.description.lowercased()
            let name = ElementName.dcmdump(e.tag, creator: ds.privateCreator(of: e.tag))
            let len = e.hasUndefinedLength ? "u/l" : String(e.length)
            switch e.value {
            case .sequence(let items):
                let what = e.hasUndefinedLength ? "Sequence with undefined length" : "Sequence with explicit length"
                out += line(indent + "\(tag) SQ (\(what) #=\(items.count))", len, 1, name)
                for item in items {
                    out += line(indent + "  (fffe,e000) na (Item with #=\(item.count))", "", 1, "Item")
                    dumpDataSet(item, depth: depth + 2, maxValueBytes: maxValueBytes, into: &out)
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

    /// A listing line: the head padded to column 55, then `# length, VM name`.
    static func line(_ head: String, _ len: String, _ vm: Int, _ name: String) -> String {
        let head = escapingControls(head), name = escapingControls(name)
        let pad = head.count < 55 ? String(repeating: " ", count: 55 - head.count) : " "
        let lenField = len.isEmpty ? "" : (len.count < 3 ? String(repeating: " ", count: 3 - len.count) + len : len)
        return head + pad + "# " + lenField + (lenField.isEmpty ? "" : ",") + " \(vm) \(name)\n"
    }
}
