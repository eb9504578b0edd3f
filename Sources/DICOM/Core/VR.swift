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

    /// One of the 34 VRs of PS3.5 6.2.
    public var isKnown: Bool {
        switch self {
        case .AE, .AS, .AT, .CS, .DA, .DS, .DT, .FD, .FL, .IS, .LO, .LT, .OB, .OD, .OF, .OL, .OV, .OW,
             .PN, .SH, .SL, .SQ, .SS, .ST, .SV, .TM, .UC, .UI, .UL, .UN, .UR, .US, .UT, .UV:
            return true
        default:
            return false
        }
    }

    /// In explicit VR encodings these VRs have two reserved bytes and a 32-bit length (PS3.5 7.1.2).
    public var hasLongLength: Bool {
        switch self {
        case .OB, .OD, .OF, .OL, .OV, .OW, .SQ, .SV, .UC, .UN, .UR, .UT, .UV: return true
        default: return false
        }
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
