/// A DA value: `YYYYMMDD` (also the pre-1993 `YYYY.MM.DD`).
public struct DICOMDate: Hashable, Comparable, Sendable {
    public let year: Int, month: Int, day: Int

    public init?(_ text: String) {
        // Bytes, not characters: spaces trimmed at both ends, dots removed, then eight ASCII digits.
        var digits: [Int] = []
        digits.reserveCapacity(8)
        for b in trimmedSpaces(text).utf8 where b != UInt8(ascii: ".") {
            guard b >= 0x30, b <= 0x39, digits.count < 8 else { return nil }
            digits.append(Int(b - 0x30))
        }
        guard digits.count == 8 else { return nil }
        let y = digits[0] * 1000 + digits[1] * 100 + digits[2] * 10 + digits[3]
        let m = digits[4] * 10 + digits[5], d = digits[6] * 10 + digits[7]
        guard (1...12).contains(m), (1...31).contains(d) else { return nil }
        year = y; month = m; day = d
    }

    public static func < (a: DICOMDate, b: DICOMDate) -> Bool {
        (a.year, a.month, a.day) < (b.year, b.month, b.day)
    }
}

/// A TM value: `HH`, `HHMM`, `HHMMSS` or `HHMMSS.F` to `HHMMSS.FFFFFF` (also the old `HH:MM:SS`).
public struct DICOMTime: Hashable, Comparable, Sendable {
    public let hour: Int, minute: Int, second: Int
    /// Microseconds.
    public let microsecond: Int

    public init?(_ text: String) {
        // Bytes, not characters: spaces trimmed at both ends, colons removed, then HH[MM[SS[.F...]]].
        var main: [Int] = [], fraction: [Int] = []
        var inFraction = false
        for b in trimmedSpaces(text).utf8 where b != UInt8(ascii: ":") {
            if b == UInt8(ascii: ".") && !inFraction {
                inFraction = true
            } else if b >= 0x30, b <= 0x39 {
                if inFraction { fraction.append(Int(b - 0x30)) } else { main.append(Int(b - 0x30)) }
                if main.count > 6 || fraction.count > 6 { return nil }
            } else {
                return nil
            }
        }
        guard [2, 4, 6].contains(main.count) else { return nil }
        if inFraction && main.count != 6 { return nil }
        let h = main[0] * 10 + main[1]
        let m = main.count >= 4 ? main[2] * 10 + main[3] : 0
        let s = main.count >= 6 ? main[4] * 10 + main[5] : 0
        var us = 0
        for i in 0..<6 { us = us * 10 + (i < fraction.count ? fraction[i] : 0) }
        guard h < 24, m < 60, s < 61 else { return nil }
        hour = h; minute = m; second = s; microsecond = us
    }

    public static func < (a: DICOMTime, b: DICOMTime) -> Bool {
        (a.hour, a.minute, a.second, a.microsecond) < (b.hour, b.minute, b.second, b.microsecond)
    }
}
