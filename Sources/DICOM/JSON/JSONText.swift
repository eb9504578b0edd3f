// JSON: JSON text output — quoting (here), the dump-style objects (`jsonObject`), and the DICOM JSON
// model of PS3.18 F.2 (`dicomJSON`).

/// Minimal, deterministic JSON text output (keys in the order given).
public enum JSONText {
    public static func quote(_ s: String) -> String {
        var out = "\""
        out.reserveCapacity(s.utf8.count + 2)
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                // C0 controls must be escaped; DEL and C1 controls are too, so that printed JSON
                // cannot drive a terminal (a JSON reader gets the same string).
                if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) {
                    let h = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - h.count) + h
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
