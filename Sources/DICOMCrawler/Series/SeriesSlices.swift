import DICOM

/// What counting a series' slices and volumes needs of one frame, packed small (about 110 bytes,
/// no allocation): every frame of the tree is held until the files are read, and becomes a
/// `SliceHeader` for the export's planner only while its series is counted.
struct FrameGeometry {
    /// Image Position (Patient); NaN in `x` when absent.
    var x = Double.nan, y = 0.0, z = 0.0
    /// Image Orientation (Patient), row then column cosines; NaN in `rx` when absent or degenerate.
    var rx = Double.nan, ry = 0.0, rz = 0.0, cx = 0.0, cy = 0.0, cz = 0.0
    /// A 64-bit hash of the SOP Instance UID (0: none): the planner tells copies apart by it.
    var sop: UInt64 = 0
    /// The frame number in a multi-frame file; 0 for a single-frame file.
    var frame: Int32 = 0
    /// Rows, Columns, Samples per Pixel, Bits Allocated, Pixel Representation; -1 when absent.
    var rows: Int32 = -1, columns: Int32 = -1, samples: Int32 = -1, bits: Int32 = -1, representation: Int32 = -1
    var floatPixels = false
    /// A hash of Photometric Interpretation (0: none): only compared.
    var photometric: UInt64 = 0

    init() {}

    /// The frame of a `SliceHeader` (a multi-frame file's, from `SliceHeader.headers`).
    init(_ h: SliceHeader) {
        if let p = h.imagePosition { (x, y, z) = (p.x, p.y, p.z) }
        if let o = h.imageOrientation { orientation = o }
        sop = h.sopInstanceUID.map { FrameGeometry.hash(Array($0.utf8)[...]) } ?? 0
        frame = Int32(clamping: h.frame ?? 0)
        rows = Self.small(h.rows)
        columns = Self.small(h.columns)
        samples = Self.small(h.samplesPerPixel)
        bits = Self.small(h.bitsAllocated)
        representation = Self.small(h.pixelRepresentation)
        floatPixels = h.floatPixels
        photometric = h.photometricInterpretation.map { FrameGeometry.hash(Array($0.utf8)[...]) } ?? 0
    }

    var orientation: ImageOrientation? {
        get { rx.isNaN ? nil : ImageOrientation(row: SIMD3(rx, ry, rz), column: SIMD3(cx, cy, cz)) }
        set {
            guard let o = newValue else { rx = .nan; return }
            (rx, ry, rz, cx, cy, cz) = (o.row.x, o.row.y, o.row.z, o.column.x, o.column.y, o.column.z)
        }
    }

    /// The slice the planner sees: what splits a series into scans and stacks it (position,
    /// orientation, image size and kind, copies by SOP Instance UID and frame), none of what only
    /// orders slices (the counts do not depend on the order).
    var sliceHeader: SliceHeader {
        var h = SliceHeader(path: "")
        if !x.isNaN { h.imagePosition = SIMD3(x, y, z) }
        h.imageOrientation = orientation
        h.sopInstanceUID = sop == 0 ? nil : Self.text(sop)
        h.frame = frame == 0 ? nil : Int(frame)
        h.rows = rows < 0 ? nil : Int(rows)
        h.columns = columns < 0 ? nil : Int(columns)
        h.samplesPerPixel = samples < 0 ? nil : Int(samples)
        h.bitsAllocated = bits < 0 ? nil : Int(bits)
        h.pixelRepresentation = representation < 0 ? nil : Int(representation)
        h.floatPixels = floatPixels
        h.photometricInterpretation = photometric == 0 ? nil : Self.text(photometric)
        return h
    }

    private static func small(_ v: Int?) -> Int32 {
        guard let v, v >= 0 else { return -1 }
        return Int32(clamping: v)
    }

    /// A hash as text for the planner, which only compares it: 13 base-32 digits (a small string,
    /// stored inline), different for different hashes. Made for every frame.
    static func text(_ h: UInt64) -> String {
        var digits: (UInt64, UInt64) = (0, 0)
        return withUnsafeMutableBytes(of: &digits) { raw in
            var v = h
            for i in (0..<13).reversed() {
                let d = UInt8(truncatingIfNeeded: v & 31)
                raw[i] = d < 10 ? 0x30 + d : 0x61 + d - 10
                v >>= 5
            }
            return String(decoding: UnsafeRawBufferPointer(rebasing: raw[..<13]), as: UTF8.self)
        }
    }

    /// FNV-1a over the bytes (never 0).
    static func hash(_ bytes: ArraySlice<UInt8>) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in bytes {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01B3
        }
        return h == 0 ? 1 : h
    }
}
