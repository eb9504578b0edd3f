/// A DA value: `YYYYMMDD` (also the pre-1993 `YYYY.MM.DD`).
public struct DICOMDate: Hashable, Comparable, Sendable {
    public let year: Int, month: Int, day: Int

    public init?(_ text: String) {
        // Bytes, not characters: spaces trimmed at both ends, dots removed, then eight ASCII digits
        // (counted and accumulated as they come: no array per value, this runs for every row).
        var value = 0, count = 0
        for b in trimmedSpaces(text).utf8 where b != UInt8(ascii: ".") {
            guard b >= 0x30, b <= 0x39, count < 8 else { return nil }
            value = value * 10 + Int(b - 0x30)
            count += 1
        }
        guard count == 8 else { return nil }
        let y = value / 10_000, m = value / 100 % 100, d = value % 100
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
        // Bytes, not characters: spaces trimmed at both ends, colons removed, then HH[MM[SS[.F...]]]
        // (digits accumulated as they come: no array per value).
        var main = 0, mainCount = 0, fraction = 0, fractionCount = 0
        var inFraction = false
        for b in trimmedSpaces(text).utf8 where b != UInt8(ascii: ":") {
            if b == UInt8(ascii: ".") && !inFraction {
                inFraction = true
            } else if b >= 0x30, b <= 0x39 {
                if inFraction {
                    fraction = fraction * 10 + Int(b - 0x30)
                    fractionCount += 1
                } else {
                    main = main * 10 + Int(b - 0x30)
                    mainCount += 1
                }
                if mainCount > 6 || fractionCount > 6 { return nil }
            } else {
                return nil
            }
        }
        guard mainCount == 2 || mainCount == 4 || mainCount == 6 else { return nil }
        if inFraction && mainCount != 6 { return nil }
        // Right-pad HH or HHMM to HHMMSS, and the fraction to six digits (microseconds).
        for _ in mainCount..<6 { main *= 10 }
        for _ in fractionCount..<6 { fraction *= 10 }
        let h = main / 10_000, m = main / 100 % 100, s = main % 100
        guard h < 24, m < 60, s < 61 else { return nil }
        hour = h; minute = m; second = s; microsecond = fraction
    }

    public static func < (a: DICOMTime, b: DICOMTime) -> Bool {
        (a.hour, a.minute, a.second, a.microsecond) < (b.hour, b.minute, b.second, b.microsecond)
    }
}
