import DICOM

/// One file as a JSON object following the DICOM JSON model of PS3.18 F.2 where it fits:
/// `{"00100010": {"vr": "PN", "Value": [{"Alphabetic": "Doe^John"}]}, ...}`. Sequences are arrays of
/// item objects (all items). Binary values (OB, OW, UN, ...) are `InlineBinary` (base64) when the
/// whole value is at most `maxValueBytes`; otherwise only their length is given, as `"Length": N`
/// (not part of PS3.18). IS and DS values are numbers when they are valid numbers, else strings.
func dicomJSON(_ ds: DataSet, _ options: TagTableOptions, topLevel: Bool) -> String {
    var out = "{"
    var first = true
    for e in ds.elements {
        let tag = e.tag
        if !options.includesInJSON(tag, topLevel: topLevel) { continue }
        if !first { out += "," }
        first = false
        out += "\"" + tag.hexString + "\":{\"vr\":\"" + e.vr.description + "\""
        switch e.value {
        case .sequence(let items):
            out += ",\"Value\":[" + items.map { dicomJSON($0, options, topLevel: false) }.joined(separator: ",") + "]"
        case .fragments, .notLoaded:
            out += ",\"Length\":\(e.hasUndefinedLength ? -1 : Int(e.length))"
        case .truncated(_, _, let length):
            out += ",\"Length\":\(length)"
        case .bytes(let b):
            out += jsonValue(ds, e, b, options)
        }
        out += "}"
    }
    return out + "}"
}

private func jsonValue(_ ds: DataSet, _ e: Element, _ b: [UInt8], _ options: TagTableOptions) -> String {
    if b.isEmpty { return "" }
    switch e.vr {
    case .OB, .OD, .OF, .OL, .OV, .OW, .UN:
        if b.count > options.maxValueBytes { return ",\"Length\":\(b.count)" }
        return ",\"InlineBinary\":\"" + base64(b) + "\""
    case .PN:
        let values = ds.render(e).split(separator: "\\", omittingEmptySubsequences: false).map { v -> String in
            let groups = v.split(separator: "=", omittingEmptySubsequences: false)
            var members: [String] = []
            for (name, g) in zip(["Alphabetic", "Ideographic", "Phonetic"], groups) where !g.isEmpty {
                members.append("\"\(name)\":" + JSONText.quote(String(g)))
            }
            return "{" + members.joined(separator: ",") + "}"
        }
        return ",\"Value\":[" + values.joined(separator: ",") + "]"
    case .IS, .DS, .US, .SS, .UL, .SL, .SV, .UV, .FL, .FD:
        let values = (ds.strings(e.tag) ?? []).map { v -> String in
            isJSONNumber(v) ? v : (v.isEmpty ? "null" : JSONText.quote(v))
        }
        return ",\"Value\":[" + values.joined(separator: ",") + "]"
    case .AT:
        let values = ds.render(e).split(separator: "\\").map { t in JSONText.quote(t.filter { $0.isHexDigit }.uppercased()) }
        return ",\"Value\":[" + values.joined(separator: ",") + "]"
    default:
        let text = ds.render(e, maxBinaryBytes: options.maxValueBytes)
        let values = e.vr.isSingleValuedText ? [Substring(text)] : text.split(separator: "\\", omittingEmptySubsequences: false)
        return ",\"Value\":[" + values.map { $0.isEmpty ? "null" : JSONText.quote(String($0)) }.joined(separator: ",") + "]"
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
