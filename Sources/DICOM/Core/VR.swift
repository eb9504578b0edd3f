/// A value representation, stored as its two ASCII characters (`"PN"` is 0x504E).
public struct VR: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt16

    @inlinable public init(rawValue: UInt16) { self.rawValue = rawValue }
    @inlinable init(_ a: UInt8, _ b: UInt8) { rawValue = UInt16(a) << 8 | UInt16(b) }

    public init?(_ text: String) {
        let u = Array(text.utf8)
        guard u.count == 2 else { return nil }
        self.init(u[0], u[1])
        guard isKnown else { return nil }
    }

    public var description: String {
        String(decoding: [UInt8(rawValue >> 8), UInt8(rawValue & 0xFF)], as: UTF8.self)
    }

    public static let AE = VR(0x41, 0x45), AS = VR(0x41, 0x53), AT = VR(0x41, 0x54)
    public static let CS = VR(0x43, 0x53), DA = VR(0x44, 0x41), DS = VR(0x44, 0x53)
    public static let DT = VR(0x44, 0x54), FD = VR(0x46, 0x44), FL = VR(0x46, 0x4C)
    public static let IS = VR(0x49, 0x53), LO = VR(0x4C, 0x4F), LT = VR(0x4C, 0x54)
    public static let OB = VR(0x4F, 0x42), OD = VR(0x4F, 0x44), OF = VR(0x4F, 0x46)
    public static let OL = VR(0x4F, 0x4C), OV = VR(0x4F, 0x56), OW = VR(0x4F, 0x57)
    public static let PN = VR(0x50, 0x4E), SH = VR(0x53, 0x48), SL = VR(0x53, 0x4C)
    public static let SQ = VR(0x53, 0x51), SS = VR(0x53, 0x53), ST = VR(0x53, 0x54)
    public static let SV = VR(0x53, 0x56), TM = VR(0x54, 0x4D), UC = VR(0x55, 0x43)
    public static let UI = VR(0x55, 0x49), UL = VR(0x55, 0x4C), UN = VR(0x55, 0x4E)
    public static let UR = VR(0x55, 0x52), US = VR(0x55, 0x53), UT = VR(0x55, 0x54)
    public static let UV = VR(0x55, 0x56)
    /// Items and delimiters have no VR; dcmdump prints `na`.
    public static let none = VR(0x6E, 0x61)

    /// One of the 34 VRs of PS3.5 6.2. Asked of every element of explicit VR data: a bit of a mask
    /// per first letter (bit n: second letter `A` + n), not a comparison with each VR.
    @inline(__always) public var isKnown: Bool {
        let second = UInt32(rawValue & 0xFF) &- 0x41
        guard second < 26 else { return false }
        let mask: UInt32
        switch rawValue >> 8 {
        case 0x41: mask = 0x00C0010  // A: E S T
        case 0x43: mask = 0x0040000  // C: S
        case 0x44: mask = 0x00C0001  // D: A S T
        case 0x46: mask = 0x0000808  // F: D L
        case 0x49: mask = 0x0040000  // I: S
        case 0x4C: mask = 0x0084000  // L: O T
        case 0x4F: mask = 0x060082A  // O: B D F L V W
        case 0x50: mask = 0x0002000  // P: N
        case 0x53: mask = 0x02D0880  // S: H L Q S T V
        case 0x54: mask = 0x0001000  // T: M
        case 0x55: mask = 0x02E2904  // U: C I L N R S T V
        default: return false
        }
        return mask >> second & 1 != 0
    }

    /// In explicit VR encodings these VRs have two reserved bytes and a 32-bit length (PS3.5 7.1.2):
    /// OB OD OF OL OV OW, SQ SV, UC UN UR UT UV (masks as in `isKnown`).
    @inline(__always) public var hasLongLength: Bool {
        let second = UInt32(rawValue & 0xFF) &- 0x41
        guard second < 26 else { return false }
        let mask: UInt32
        switch rawValue >> 8 {
        case 0x4F: mask = 0x060082A  // O: B D F L V W
        case 0x53: mask = 0x0210000  // S: Q V
        case 0x55: mask = 0x02A2004  // U: C N R T V
        default: return false
        }
        return mask >> second & 1 != 0
    }

    /// VRs whose value is one string that may not be split at backslashes.
    public var isSingleValuedText: Bool {
        switch self {
        case .ST, .LT, .UT, .UR: return true
        default: return false
        }
    }

    public var isString: Bool {
        switch self {
        case .AE, .AS, .CS, .DA, .DS, .DT, .IS, .LO, .LT, .PN, .SH, .ST, .TM, .UC, .UI, .UR, .UT: return true
        default: return false
        }
    }

    /// Fixed size of one binary number, or nil.
    public var binaryWidth: Int? {
        switch self {
        case .US, .SS: return 2
        case .UL, .SL, .FL, .AT, .OF, .OL: return 4
        case .FD, .SV, .UV, .OD, .OV: return 8
        case .OW: return 2
        default: return nil
        }
    }

    /// Binary bulk VRs, whose values may be large and are skipped unless asked for.
    public var isBulk: Bool {
        switch self {
        case .OB, .OD, .OF, .OL, .OV, .OW, .UN: return true
        default: return false
        }
    }
}
