/// What `DataSet.dicomJSON` writes.
public struct DICOMJSONOptions {
    /// Binary values (OB, OD, OF, OL, OV, OW, UN) of at most this many bytes are written as
    /// `InlineBinary`; longer ones as `"Length": N`. Also the most bytes shown (as hex) of a value
    /// whose VR has no text form.
    public var maxValueBytes: Int
    /// Whether an element is written, given its tag and whether it is in the top-level data set
    /// (false inside sequence items). The caller's policy: DICOM itself excludes nothing.
    public var include: (Tag, _ topLevel: Bool) -> Bool

    public init(maxValueBytes: Int = 64, include: @escaping (Tag, _ topLevel: Bool) -> Bool = { _, _ in true }) {
        self.maxValueBytes = maxValueBytes
        self.include = include
    }
}

extension DataSet {
    /// The data set as a JSON object following the DICOM JSON model of PS3.18 F.2 where it fits:
    /// `{"00100010":{"vr":"PN","Value":[{"Alphabetic":"Doe^John"}]},...}`, on one line, elements
    /// in data set order. Sequences are arrays of item objects (all items). Binary values are
    /// `InlineBinary` (base64) up to `maxValueBytes`, else only `"Length": N` (not part of PS3.18;
    /// also for pixel data and values that were not loaded, -1 for undefined length). Numbers (IS,
    /// DS and binary VRs) are JSON numbers when they are valid ones, else strings; empty values are
    /// `null`; an empty element has no `Value`.
    public func dicomJSON(_ options: DICOMJSONOptions) -> String {
        dicomJSON(options, topLevel: true)
    }

    /// A data set being written: where to go on, and whether a member has been written yet.
    private enum JSONFrame {
        case dataSet(DataSet, next: Int, topLevel: Bool, first: Bool)
        /// The items of a sequence; `next` is the index of the item to write next.
        case items([DataSet], next: Int)
    }

    /// Iterative over the nesting (an explicit stack, not the call stack), so the depth of the
    /// input cannot exhaust the stack.
    func dicomJSON(_ options: DICOMJSONOptions, topLevel: Bool) -> String {
        var out = "{"
        var stack: [JSONFrame] = [.dataSet(self, next: 0, topLevel: topLevel, first: true)]
        while let frame = stack.popLast() {
            switch frame {
            case .dataSet(let ds, var i, let topLevel, var first):
                var descended = false
                while i < ds.elements.count {
                    let e = ds.elements[i]
                    i += 1
                    let tag = e.tag
                    if !options.include(tag, topLevel) { continue }
                    if !first { out += "," }
                    first = false
                    out += "\"" + tag.hexString + "\":{\"vr\":\"" + e.vr.description + "\""
                    switch e.value {
                    case .sequence(let items):
                        out += ",\"Value\":["
                        stack.append(.dataSet(ds, next: i, topLevel: topLevel, first: first))
                        stack.append(.items(items, next: 0))
                        descended = true
                    case .fragments, .notLoaded:
                        out += ",\"Length\":\(e.hasUndefinedLength ? -1 : Int(e.length))"
                    case .truncated(_, _, let length):
                        out += ",\"Length\":\(length)"
                    case .bytes(let b):
                        out += ds.dicomJSONValue(e, b, options)
                    }
                    if descended { break }
                    out += "}"
                }
                if !descended { out += "}" }
            case .items(let items, let j):
                if j < items.count {
                    if j > 0 { out += "," }
                    out += "{"
                    stack.append(.items(items, next: j + 1))
                    stack.append(.dataSet(items[j], next: 0, topLevel: false, first: true))
                } else {
                    out += "]}"  // the Value array, then the sequence element
                }
            }
        }
        return out
    }

    /// `,"Value":[...]` or `,"InlineBinary":"..."` or `,"Length":N`; empty for an empty value.
    func dicomJSONValue(_ e: Element, _ b: [UInt8], _ options: DICOMJSONOptions) -> String {
        if b.isEmpty { return "" }
        switch e.vr {
        case .OB, .OD, .OF, .OL, .OV, .OW, .UN:
            if b.count > options.maxValueBytes { return ",\"Length\":\(b.count)" }
            return ",\"InlineBinary\":\"" + base64(b) + "\""
        case .PN:
            let values = render(e).split(separator: "\\", omittingEmptySubsequences: false).map { v -> String in
                let groups = v.split(separator: "=", omittingEmptySubsequences: false)
                var members: [String] = []
                for (name, g) in zip(["Alphabetic", "Ideographic", "Phonetic"], groups) where !g.isEmpty {
                    members.append("\"\(name)\":" + JSONText.quote(String(g)))
                }
                return "{" + members.joined(separator: ",") + "}"
            }
            return ",\"Value\":[" + values.joined(separator: ",") + "]"
        case .IS, .DS, .US, .SS, .UL, .SL, .SV, .UV, .FL, .FD:
            let values = (strings(e.tag) ?? []).map { v -> String in
                isJSONNumber(v) ? v : (v.isEmpty ? "null" : JSONText.quote(v))
            }
            return ",\"Value\":[" + values.joined(separator: ",") + "]"
        case .AT:
            let values = render(e).split(separator: "\\").map { t in JSONText.quote(t.filter { $0.isHexDigit }.uppercased()) }
            return ",\"Value\":[" + values.joined(separator: ",") + "]"
        default:
            let text = render(e, maxBinaryBytes: options.maxValueBytes)
            let values = e.vr.isSingleValuedText ? [Substring(text)] : text.split(separator: "\\", omittingEmptySubsequences: false)
            return ",\"Value\":[" + values.map { $0.isEmpty ? "null" : JSONText.quote(String($0)) }.joined(separator: ",") + "]"
        }
    }
}

/// JSON's number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func isJSONNumber(_ s: String) -> Bool {
    var u = Array(s.utf8)[...]
    func digits() -> Int { var n = 0; while let c = u.first, c >= 0x30, c <= 0x39 { u.removeFirst(); n += 1 }; return n }
    if u.first == UInt8(ascii: "-") { u.removeFirst() }
    guard let c = u.first else { return false }
    if c == UInt8(ascii: "0") { u.removeFirst() } else if digits() == 0 { return false }
    if u.first == UInt8(ascii: ".") { u.removeFirst(); if digits() == 0 { return false } }
    if u.first == UInt8(ascii: "e") || u.first == UInt8(ascii: "E") {
        u.removeFirst()
        if u.first == UInt8(ascii: "+") || u.first == UInt8(ascii: "-") { u.removeFirst() }
        if digits() == 0 { return false }
    }
    return u.isEmpty
}

/// Standard base64 with `=` padding (RFC 4648), for `InlineBinary`.
func base64(_ b: [UInt8]) -> String {
    let table = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    var out: [UInt8] = []
    out.reserveCapacity((b.count + 2) / 3 * 4)
    var i = 0
    while i + 3 <= b.count {
        let v = UInt32(b[i]) << 16 | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2])
        out += [table[Int(v >> 18)], table[Int(v >> 12 & 63)], table[Int(v >> 6 & 63)], table[Int(v & 63)]]
        i += 3
    }
    let rest = b.count - i
    if rest == 1 {
        let v = UInt32(b[i]) << 16
        out += [table[Int(v >> 18)], table[Int(v >> 12 & 63)], UInt8(ascii: "="), UInt8(ascii: "=")]
    } else if rest == 2 {
        let v = UInt32(b[i]) << 16 | UInt32(b[i + 1]) << 8
        out += [table[Int(v >> 18)], table[Int(v >> 12 & 63)], table[Int(v >> 6 & 63)], UInt8(ascii: "=")]
    }
    return String(decoding: out, as: UTF8.self)
}
