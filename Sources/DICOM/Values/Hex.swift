/// Lowercase hex of the first `max` bytes; when cut (or when the value is longer than `b`, as
/// `fullLength` says), followed by `...(N bytes)`.
func hex(_ b: [UInt8], max: Int, fullLength: Int? = nil) -> String {
    let digits: StaticString = "0123456789abcdef"
    let n = Swift.min(b.count, Swift.max(max, 0))
    var s = String(unsafeUninitializedCapacity: n * 2) { buf in
        for i in 0..<n {
            buf[2 * i] = digits.utf8Start[Int(b[i] >> 4)]
            buf[2 * i + 1] = digits.utf8Start[Int(b[i] & 0xF)]
        }
        return n * 2
    }
    let total = fullLength ?? b.count
    if n < total { s += "...(\(total) bytes)" }
    return s
}
