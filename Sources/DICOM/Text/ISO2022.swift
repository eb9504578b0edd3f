/// ISO 2022 code extensions (PS3.5 6.1.2.5.3, Annexes H–K): escape sequences switch the G0 and G1
/// sets within a value; delimiters reset G1 to the value's initial set.
extension SpecificCharacterSet {
    fileprivate enum Run: Equatable { case ascii, codec(TextCodec), katakana }

    func decodeISO2022(_ bytes: UnsafeRawBufferPointer, personName: Bool) -> String {
        var g0 = G0.ascii
        var g1 = initialG1
        var result = ""
        var pending: [UInt8] = []
        var pendingRun = Run.ascii
        func flush() {
            guard !pending.isEmpty else { return }
            switch pendingRun {
            case .ascii: result += String(decoding: pending, as: UTF8.self)
            case .katakana:
                for b in pending { result.unicodeScalars.append(Unicode.Scalar(0xFF61 + UInt32(b) - 0xA1)!) }
            case .codec(let c): result += pending.withUnsafeBytes { c.decode($0) }
            }
            pending.removeAll(keepingCapacity: true)
        }
        func emit(_ run: Run, _ b: [UInt8]) {
            if run != pendingRun { flush(); pendingRun = run }
            pending.append(contentsOf: b)
        }
        var i = 0
        let n = bytes.count
        while i < n {
            let b = bytes[i]
            if b == 0x1B {
                // ESC sequence: intermediate bytes 0x20–0x2F, then a final byte 0x30–0x7E.
                var j = i + 1
                while j < n, bytes[j] >= 0x20, bytes[j] <= 0x2F { j += 1 }
                let seq = j < n ? Array(bytes[(i + 1)...j]) : Array(bytes[(i + 1)..<n])
                if let (newG0, newG1) = SpecificCharacterSet.designation(seq) {
                    if let x = newG0 { g0 = x }
                    if let x = newG1 { g1 = x }
                } else {
                    emit(.codec(firstCodec), [0x1B] + seq) // unknown escape: keep the bytes
                }
                i = min(j + 1, n)
                continue
            }
            if b < 0x80 {
                if g0 != .ascii, b >= 0x21, b <= 0x7E {
                    if i + 1 < n, bytes[i + 1] >= 0x21, bytes[i + 1] <= 0x7E {
                        let pair: [UInt8] = g0 == .jisX0208 ? [b | 0x80, bytes[i + 1] | 0x80] : [0x8F, b | 0x80, bytes[i + 1] | 0x80]
                        emit(.codec(.system("EUC-JP")), pair)
                        i += 2
                    } else {
                        emit(.codec(.system("EUC-JP")), [0xFF]) // lone byte: replacement character
                        i += 1
                    }
                    continue
                }
                let isDelimiter = b == 0x0D || b == 0x0A || b == 0x09 || b == 0x0C || b == 0x5C
                    || (personName && (b == 0x5E || b == 0x3D))
                if isDelimiter && g0 == .ascii { g1 = initialG1 }
                emit(.ascii, [b])
                i += 1
                continue
            }
            switch g1 {
            case .katakana where b >= 0xA1 && b <= 0xDF:
                emit(.katakana, [b]); i += 1
            case .ksx1001, .gb2312:
                let codec = TextCodec.system(g1 == .ksx1001 ? "EUC-KR" : "GB2312")
                if i + 1 < n, bytes[i + 1] >= 0x80 {
                    emit(.codec(codec), [b, bytes[i + 1]]); i += 2
                } else {
                    emit(.codec(codec), [b]); i += 1
                }
            case .singleByte(let name):
                emit(.codec(name == "ISO-8859-1" ? .latin1 : .system(name)), [b]); i += 1
            default:
                emit(.codec(firstCodec), [b]); i += 1
            }
        }
        flush()
        return result
    }

    /// The designation an escape sequence (without ESC) makes: (new G0, new G1).
    static func designation(_ seq: [UInt8]) -> (G0?, G1?)? {
        switch seq {
        case [0x28, 0x42]: return (.ascii, nil)              // ESC ( B  ISO-IR 6
        case [0x28, 0x4A]: return (.ascii, nil)              // ESC ( J  ISO-IR 14 (JIS X 0201 Romaji)
        case [0x29, 0x49]: return (nil, .katakana)           // ESC ) I  ISO-IR 13
        case [0x24, 0x42], [0x24, 0x40]: return (.jisX0208, nil) // ESC $ B  ISO-IR 87
        case [0x24, 0x28, 0x44]: return (.jisX0212, nil)     // ESC $ ( D  ISO-IR 159
        case [0x24, 0x29, 0x43]: return (nil, .ksx1001)      // ESC $ ) C  ISO-IR 149
        case [0x24, 0x29, 0x41]: return (nil, .gb2312)       // ESC $ ) A  ISO-IR 58
        default: break
        }
        guard seq.count == 2, seq[0] == 0x2D else { return nil }  // ESC - F: 96-character G1 sets
        let name: String
        switch seq[1] {
        case 0x41: name = "ISO-8859-1"
        case 0x42: name = "ISO-8859-2"
        case 0x43: name = "ISO-8859-3"
        case 0x44: name = "ISO-8859-4"
        case 0x4C: name = "ISO-8859-5"
        case 0x47: name = "ISO-8859-6"
        case 0x46: name = "ISO-8859-7"
        case 0x48: name = "ISO-8859-8"
        case 0x4D: name = "ISO-8859-9"
        case 0x62: name = "ISO-8859-15"
        case 0x54: name = "TIS-620"
        default: return nil
        }
        return (nil, .singleByte(name))
    }
}
