import DICOM
import DICOMTestSupport
import Foundation
import PixelCodecs
import XCTest

/// The shared corpus of real files (`../shared/corpus` beside the checkout, or $DICOM_CORPUS).
func corpusDirectory(file: StaticString = #filePath, line: UInt = #line) throws -> URL {
    if let env = ProcessInfo.processInfo.environment["DICOM_CORPUS"] {
        return URL(fileURLWithPath: env)
    }
    let root = URL(fileURLWithPath: "\(#filePath)").deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let dir = root.deletingLastPathComponent().appendingPathComponent("shared/corpus")
    guard FileManager.default.fileExists(atPath: dir.appendingPathComponent("expected-pixels.jsonl").path) else {
        XCTFail("shared corpus not found at \(dir.path) (set DICOM_CORPUS)", file: file, line: line)
        throw XCTSkip("no corpus")
    }
    return dir
}


/// A tool from Scripts/install-deps.sh, by absolute path (a missing one fails the test).
func tool(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
    let path = "/usr/bin/\(name)"
    guard FileManager.default.isExecutableFile(atPath: path) else {
        XCTFail("\(path) is missing: run Scripts/install-deps.sh", file: file, line: line)
        throw XCTSkip("no \(name)")
    }
    return path
}

/// A fresh temporary folder, removed when the test ends.
func temporaryFolder(_ test: XCTestCase, _ name: String = "codecs") throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
    return dir
}

/// The SHA-256 of bytes, by `sha256sum` (coreutils).
func sha256(_ bytes: [UInt8]) throws -> String {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("sha-\(UUID().uuidString)")
    try Data(bytes).write(to: url)
    defer { try? FileManager.default.removeItem(at: url) }
    let r = try runProgram("/usr/bin/sha256sum", [url.path])
    return String(r.stdout.prefix(64))
}

/// One frame of a single-frame file as the export job will see it: the attributes, the transfer
/// syntax, and the frame's fragments (every item after the basic offset table) concatenated.
struct EncapsulatedFrame {
    let transferSyntax: String
    let attributes: FrameAttributes
    let bytes: [UInt8]
}

func readFrame(_ path: String, file: StaticString = #filePath, line: UInt = #line) throws -> EncapsulatedFrame {
    let dicom = DICOMReader.read(path: path)
    XCTAssertNil(dicom.error, "\(path)", file: file, line: line)
    let ds = dicom.dataSet
    guard let uid = dicom.transferSyntax?.uid,
          let rows = ds.int(Tag(0x0028_0010)), let columns = ds.int(Tag(0x0028_0011)),
          let ba = ds.int(Tag(0x0028_0100)), let bs = ds.int(Tag(0x0028_0101)),
          let pi = ds.string(Tag(0x0028_0004)),
          case .fragments(let fragments)? = ds[.pixelData]?.value else {
        XCTFail("\(path): not an encapsulated image", file: file, line: line)
        throw XCTSkip("bad fixture")
    }
    let attributes = FrameAttributes(
        rows: rows, columns: columns, samplesPerPixel: ds.int(Tag(0x0028_0002)) ?? 1, bitsAllocated: ba, bitsStored: bs,
        pixelRepresentation: ds.int(.pixelRepresentation) ?? 0, photometricInterpretation: pi,
        planarConfiguration: ds.int(Tag(0x0028_0006)) ?? 0)
    let data = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
    var bytes: [UInt8] = []
    for f in fragments.dropFirst() {
        guard f.offset >= 0, f.length >= 0, f.offset + f.length <= data.count else {
            XCTFail("\(path): fragment outside the file", file: file, line: line)
            throw XCTSkip("bad fixture")
        }
        bytes += data[f.offset..<(f.offset + f.length)]
    }
    return EncapsulatedFrame(transferSyntax: uid, attributes: attributes, bytes: bytes)
}

/// A native image for fixtures: its attributes and little-endian pixel bytes.
struct NativeImage {
    let name: String
    let attributes: FrameAttributes
    let pixels: [UInt8]

    /// Sample `i` of the pixel bytes as an integer (sign-extended from bits stored when signed).
    static func sample(_ bytes: [UInt8], _ i: Int, _ a: FrameAttributes) -> Int {
        let raw = a.bitsAllocated == 8 ? Int(bytes[i]) : Int(bytes[2 * i]) | Int(bytes[2 * i + 1]) << 8
        guard a.pixelRepresentation == 1 else { return raw }
        let sign = 1 << (a.bitsStored - 1)
        let masked = raw & ((1 << a.bitsStored) - 1)
        return masked & sign != 0 ? masked - (1 << a.bitsStored) : masked
    }

    /// Writes it as an explicit VR little endian file.
    func write(to url: URL) throws {
        let a = attributes
        var elements: [Element] = [
            .string(Tag(0x0008_0016), "1.2.840.10008.5.1.4.1.1.7"),
            .string(.sopInstanceUID, "1.2.826.0.1.3680043.10.1484.9.3"),
            .string(.studyInstanceUID, "1.2.826.0.1.3680043.10.1484.9.1"),
            .string(.seriesInstanceUID, "1.2.826.0.1.3680043.10.1484.9.2"),
            .string(.modality, "OT"),
            .string(.patientName, "Codec^Test"),
            .uint16(Tag(0x0028_0002), [UInt16(a.samplesPerPixel)]),
            .string(Tag(0x0028_0004), a.photometricInterpretation),
            .uint16(Tag(0x0028_0010), [UInt16(a.rows)]),
            .uint16(Tag(0x0028_0011), [UInt16(a.columns)]),
            .uint16(Tag(0x0028_0100), [UInt16(a.bitsAllocated)]),
            .uint16(Tag(0x0028_0101), [UInt16(a.bitsStored)]),
            .uint16(Tag(0x0028_0102), [UInt16(a.bitsStored - 1)]),
            .uint16(.pixelRepresentation, [UInt16(a.pixelRepresentation)]),
            .bytes(.pixelData, a.bitsAllocated == 8 ? .OB : .OW, pixels, pad: true),
        ]
        if a.samplesPerPixel == 3 { elements.append(.uint16(Tag(0x0028_0006), [UInt16(a.planarConfiguration)])) }
        try Data(DICOMWriter().write(DataSet(elements))).write(to: url)
    }

    /// Smooth images with a little texture (so lossy codecs stay close), in the kinds a scanner writes.
    static let rows = 61, columns = 77

    static func gray(_ name: String, bitsAllocated: Int, bitsStored: Int, signed: Bool, value: (Int, Int) -> Int) -> NativeImage {
        var bytes: [UInt8] = []
        for y in 0..<rows {
            for x in 0..<columns {
                let v = value(x, y)
                if bitsAllocated == 8 {
                    bytes.append(UInt8(truncatingIfNeeded: v))
                } else {
                    bytes += [UInt8(truncatingIfNeeded: v), UInt8(truncatingIfNeeded: v >> 8)]
                }
            }
        }
        let a = FrameAttributes(rows: rows, columns: columns, bitsAllocated: bitsAllocated, bitsStored: bitsStored,
                                pixelRepresentation: signed ? 1 : 0)
        return NativeImage(name: name, attributes: a, pixels: bytes)
    }

    static let mono8 = gray("mono8", bitsAllocated: 8, bitsStored: 8, signed: false) { x, y in 20 + x * 2 + y + (x * y) % 7 }
    // Starts at 0: DCMTK's 12-bit lossy JPEG shifts values down by the image minimum.
    static let mono12 = gray("mono12", bitsAllocated: 16, bitsStored: 12, signed: false) { x, y in x * 40 + y * 13 + (x * y) % 29 }
    static let mono16 = gray("mono16", bitsAllocated: 16, bitsStored: 16, signed: false) { x, y in 1000 + x * 700 + y * 170 + (x * y) % 97 }
    static let signed16 = gray("signed16", bitsAllocated: 16, bitsStored: 16, signed: true) { x, y in -20000 + x * 400 + y * 150 + (x * y) % 61 }
    static let signed12 = gray("signed12", bitsAllocated: 16, bitsStored: 12, signed: true) { x, y in -2000 + x * 30 + y * 20 + (x * y) % 17 }

    /// 8-bit RGB; `planar` stores it colour by colour (planar configuration 1).
    static func rgb(planar: Bool) -> NativeImage {
        func pixel(_ x: Int, _ y: Int) -> [UInt8] {
            [UInt8(10 + x * 3), UInt8(20 + y * 3), UInt8(30 + (x + y) + (x * y) % 5)]
        }
        var bytes: [UInt8] = []
        if planar {
            for c in 0..<3 { for y in 0..<rows { for x in 0..<columns { bytes.append(pixel(x, y)[c]) } } }
        } else {
            for y in 0..<rows { for x in 0..<columns { bytes += pixel(x, y) } }
        }
        let a = FrameAttributes(rows: rows, columns: columns, samplesPerPixel: 3, bitsAllocated: 8, bitsStored: 8,
                                photometricInterpretation: "RGB", planarConfiguration: planar ? 1 : 0)
        return NativeImage(name: planar ? "rgbPlanar" : "rgb", attributes: a, pixels: bytes)
    }

    /// The pixels colour-interleaved (planar configuration 0), as decoders return them.
    var interleaved: [UInt8] {
        guard attributes.samplesPerPixel == 3, attributes.planarConfiguration == 1 else { return pixels }
        let n = attributes.rows * attributes.columns
        var out = [UInt8](repeating: 0, count: pixels.count)
        for i in 0..<n { for c in 0..<3 { out[3 * i + c] = pixels[c * n + i] } }
        return out
    }
}

/// YBR_FULL to RGB as PS3.3 C.7.6.3.1.2 gives it (what pydicom applies), 8-bit.
func ybrFullToRGB(_ bytes: [UInt8]) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: bytes.count)
    func clamp(_ v: Double) -> UInt8 { UInt8(max(0, min(255, v.rounded()))) }
    for i in stride(from: 0, to: bytes.count - 2, by: 3) {
        let y = Double(bytes[i]), cb = Double(bytes[i + 1]) - 128, cr = Double(bytes[i + 2]) - 128
        out[i] = clamp(y + 1.402 * cr)
        out[i + 1] = clamp(y - 0.344136 * cb - 0.714136 * cr)
        out[i + 2] = clamp(y + 1.772 * cb)
    }
    return out
}
