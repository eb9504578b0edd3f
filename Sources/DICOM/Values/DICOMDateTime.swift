/// A DA value: `YYYYMMDD` (also the pre-1993 `YYYY.MM.DD`).
public struct DICOMDate: Hashable, Comparable, Sendable {
    public let year: Int, month: Int, day: Int

    public init?(_ text: String) {
        let digits = text.trimmingCharacters(" ").filter { $0 != "." }
        guard digits.count == 8, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
              let y = Int(digits.prefix(4)), let m = Int(digits.dropFirst(4).prefix(2)), let d = Int(digits.suffix(2)),
              (1...12).contains(m), (1...31).contains(d) else { return nil }
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
        var t = text.trimmingCharacters(" ")
        t.removeAll { $0 == ":" }
        let parts = t.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let main = parts[0]
        guard [2, 4, 6].contains(main.count), main.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        let h = Int(main.prefix(2))!
        let m = main.count >= 4 ? Int(main.dropFirst(2).prefix(2))! : 0
        let s = main.count >= 6 ? Int(main.dropFirst(4).prefix(2))! : 0
        var us = 0
        if parts.count == 2 {
            let f = parts[1]
            guard main.count == 6, f.count <= 6, f.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            us = f.isEmpty ? 0 : Int(f + String(repeating: "0", count: 6 - f.count))!
        }
        guard h < 24, m < 60, s < 61 else { return nil }
        hour = h; minute = m; second = s; microsecond = us
    }

    public static func < (a: DICOMTime, b: DICOMTime) -> Bool {
        (a.hour, a.minute, a.second, a.microsecond) < (b.hour, b.minute, b.second, b.microsecond)
    }
}
