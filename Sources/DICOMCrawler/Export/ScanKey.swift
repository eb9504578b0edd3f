/// A stable 64-bit hash of a scan's key, for `--shard K/N`: the same on every run, process and
/// machine (Swift's `Hasher` is seeded at random, so it is not used).
public enum ScanKey {
    /// 64-bit FNV-1a of the key's UTF-8 bytes, then MurmurHash3's 64-bit finalizer (fmix64) so that
    /// `hash % N` depends on all bits, not only on the low bits of the bytes. In Python:
    /// `h=0xcbf29ce484222325; for b in key.encode(): h=((h^b)*0x100000001b3)%2**64`, then
    /// `for m in (0xff51afd7ed558ccd, 0xc4ceb9fe1a85ec53): h=((h^(h>>33))*m)%2**64` and `h^=h>>33`.
    public static func hash(_ key: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in key.utf8 {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01B3
        }
        h ^= h >> 33
        h = h &* 0xff51_afd7_ed55_8ccd
        h ^= h >> 33
        h = h &* 0xc4ce_b9fe_1a85_ec53
        h ^= h >> 33
        return h
    }

    /// The shard (1...count) of a hash: `hash % count + 1`.
    public static func shard(ofHash hash: UInt64, count: Int) -> Int {
        precondition(count > 0, "shard count must be positive")
        return Int(hash % UInt64(count)) + 1
    }

    /// The shard (1...count) of a key (a series' files all share one: `SliceHeader.shardKey`).
    public static func shard(of key: String, count: Int) -> Int {
        shard(ofHash: hash(key), count: count)
    }

    /// 16 lowercase hexadecimal digits.
    static func hex(_ h: UInt64) -> String {
        let s = String(h, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }
}
