import Foundation
import XCTest
@testable import DICOM
import DICOMTestSupport

/// One line of the corpus's expected-pixels.jsonl: what pydicom 3.0.2's `pixel_array` gave.
struct ExpectedPixels {
    let path: String
    let transferSyntax: String
    let frames: Int
    let shape: [Int]
    let dtype: String
    let sha256: String
    let min: Double
    let max: Double
    let photometric: String
}

func loadExpectedPixels() throws -> (URL, [ExpectedPixels]) {
    let dir = try corpusDirectory()
    let text = try String(contentsOf: dir.appendingPathComponent("expected-pixels.jsonl"), encoding: .utf8)
    var out: [ExpectedPixels] = []
    for line in text.split(separator: "\n") where !line.isEmpty {
        guard let obj = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
              let path = obj["path"] as? String, let ts = obj["transfer_syntax"] as? String else {
            XCTFail("unreadable line: \(line)")
            continue
        }
        if obj["error"] != nil { continue }
        out.append(ExpectedPixels(path: path, transferSyntax: ts, frames: obj["frames"] as? Int ?? 1,
                                  shape: obj["shape"] as? [Int] ?? [], dtype: obj["dtype"] as? String ?? "",
                                  sha256: obj["sha256"] as? String ?? "", min: (obj["min"] as? NSNumber)?.doubleValue ?? .nan,
                                  max: (obj["max"] as? NSNumber)?.doubleValue ?? .nan,
                                  photometric: obj["photometric_interpretation"] as? String ?? ""))
    }
    return (dir, out)
}

/// sha256 of `bytes`, hex, by `sha256sum` (coreutils).
func sha256Hex(_ bytes: [UInt8]) throws -> String {
    let path = try temporaryFile(bytes, name: "pixels.bin")
    defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
    p.arguments = [path]
    let pipe = Pipe()
    p.standardOutput = pipe
    try p.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    XCTAssertEqual(p.terminationStatus, 0)
    return String(decoding: data, as: UTF8.self).split(separator: " ").first.map(String.init) ?? ""
}

/// The samples of little-endian `bytes` of `type` as doubles (for min/max and comparisons).
func sampleValues(_ bytes: [UInt8], _ type: PixelSampleType) -> [Double] {
    let w = type.byteWidth
    var out: [Double] = []
    out.reserveCapacity(bytes.count / w)
    var i = 0
    while i + w <= bytes.count {
        var u: UInt64 = 0
        for k in 0..<w { u |= UInt64(bytes[i + k]) << (8 * UInt64(k)) }
        switch type {
        case .uint8, .uint16, .uint32: out.append(Double(u))
        case .int8: out.append(Double(Int8(truncatingIfNeeded: u)))
        case .int16: out.append(Double(Int16(truncatingIfNeeded: u)))
        case .int32: out.append(Double(Int32(truncatingIfNeeded: u)))
        case .float32: out.append(Double(Float(bitPattern: UInt32(truncatingIfNeeded: u))))
        case .float64: out.append(Double(bitPattern: u))
        }
        i += w
    }
    return out
}

/// All frames of a file decoded and concatenated, with the shape pydicom gives (frames first when
/// more than one).
func decodeAll(_ reader: PixelReader) throws -> (bytes: [UInt8], shape: [Int], type: PixelSampleType, photometric: String) {
    var all: [UInt8] = []
    var frameShape: [Int] = []
    var photometric = reader.format.photometric
    for i in 0..<reader.frameCount {
        let f = try reader.frame(i)
        all += f.bytes
        frameShape = f.shape
        photometric = f.photometric
    }
    let shape = reader.frameCount > 1 ? [reader.frameCount] + frameShape : frameShape
    return (all, shape, reader.format.sampleType, photometric)
}

/// A data set with an Image Pixel module and the given pixel data element.
func imageDataSet(rows: Int, columns: Int, samples: Int = 1, bitsAllocated: Int, bitsStored: Int? = nil,
                  signed: Bool = false, photometric: String = "MONOCHROME2", planar: Int? = nil,
                  frames: Int? = nil, pixelData: Element) -> DataSet {
    var e: [Element] = [
        .string(Tag(0x0008_0016), "1.2.840.10008.5.1.4.1.1.7"),
        .string(.sopInstanceUID, "1.2.826.0.1.3680043.10.1484.9.1"),
        .uint16(Tag(0x0028_0002), [UInt16(samples)]),
        .string(Tag(0x0028_0004), photometric),
        .uint16(Tag(0x0028_0010), [UInt16(rows)]),
        .uint16(Tag(0x0028_0011), [UInt16(columns)]),
        .uint16(Tag(0x0028_0100), [UInt16(bitsAllocated)]),
        .uint16(Tag(0x0028_0101), [UInt16(bitsStored ?? bitsAllocated)]),
        .uint16(Tag(0x0028_0102), [UInt16((bitsStored ?? bitsAllocated) - 1)]),
        .uint16(.pixelRepresentation, [signed ? 1 : 0]),
        pixelData,
    ]
    if let planar { e.append(.uint16(Tag(0x0028_0006), [UInt16(planar)])) }
    if let frames { e.append(.string(Tag(0x0028_0008), String(frames))) }
    return DataSet(e)
}

/// Little-endian bytes of 16-bit samples.
func le16(_ v: [Int]) -> [UInt8] { v.flatMap { [UInt8(truncatingIfNeeded: $0), UInt8(truncatingIfNeeded: $0 >> 8)] } }

/// Writes `ds` with `writer` and opens its pixel data from the bytes.
func pixelReader(_ ds: DataSet, _ ts: TransferSyntax = .explicitVRLittleEndian, decoder: (any FrameDecoder)? = nil,
                 file: StaticString = #filePath, line: UInt = #line) throws -> PixelReader {
    let bytes = DICOMWriter(transferSyntax: ts).write(ds)
    let f = DICOMReader.read(bytes: bytes)
    XCTAssertNil(f.error, file: file, line: line)
    return try PixelReader(file: f, bytes: bytes, decoder: decoder)
}

/// Runs `body` and checks that it throws a `PixelError` of `kind` whose description contains `text`.
func assertPixelError<T>(_ kind: PixelError.Kind, _ text: String = "", file: StaticString = #filePath, line: UInt = #line,
                         _ body: () throws -> T) {
    do {
        _ = try body()
        XCTFail("no error; expected \(kind)", file: file, line: line)
    } catch let e as PixelError {
        XCTAssertEqual(e.kind, kind, e.description, file: file, line: line)
        XCTAssertTrue(text.isEmpty || e.description.contains(text), "'\(e.description)' lacks '\(text)'", file: file, line: line)
    } catch {
        XCTFail("unexpected error \(error)", file: file, line: line)
    }
}

/// Encapsulated Pixel Data: a Basic Offset Table with `offsets`, then one item per fragment.
func encapsulated(_ fragments: [[UInt8]], offsets: [UInt32] = [], vr: VR = .OB) -> Element {
    var raw: [UInt8] = [0xFE, 0xFF, 0x00, 0xE0] + le32(UInt32(offsets.count * 4)) + offsets.flatMap(le32)
    for f in fragments {
        var f = f
        if f.count % 2 == 1 { f.append(0) }
        raw += [0xFE, 0xFF, 0x00, 0xE0] + le32(UInt32(f.count)) + f
    }
    raw += [0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0]
    return Element(tag: .pixelData, vr: vr, fileVR: vr, length: 0xFFFF_FFFF, offset: 0, value: .bytes(raw))
}

/// The Basic Offset Table for frames made of these fragments (item offsets from the first item).
func basicOffsets(_ frames: [[[UInt8]]]) -> [UInt32] {
    var out: [UInt32] = []
    var at = 0
    for frame in frames {
        out.append(UInt32(at))
        for f in frame { at += 8 + f.count + f.count % 2 }
    }
    return out
}

/// An RLE frame from byte-plane segments given as raw PackBits bytes.
func rleFrame(_ segments: [[UInt8]]) -> [UInt8] {
    var header = le32(UInt32(segments.count))
    var at = 64
    for s in segments {
        header += le32(UInt32(at))
        at += s.count
    }
    header += [UInt8](repeating: 0, count: 64 - header.count)
    return header + segments.flatMap { $0 }
}

/// PackBits of `plane` as literal runs only (what the tests need: a valid segment).
func packLiteral(_ plane: [UInt8]) -> [UInt8] {
    var out: [UInt8] = []
    var i = 0
    while i < plane.count {
        let n = min(128, plane.count - i)
        out.append(UInt8(n - 1))
        out += plane[i..<(i + n)]
        i += n
    }
    return out
}

let rleLossless = TransferSyntax(uid: "1.2.840.10008.1.2.5")!

/// Runs a command-line tool (DCMTK's, installed by Scripts/install-deps.sh); a failure if missing.
func runExternalTool(_ tool: String, _ args: [String], file: StaticString = #filePath, line: UInt = #line) throws {
    let url = ["/usr/bin/", "/usr/local/bin/"].map { URL(fileURLWithPath: $0 + tool) }.first { FileManager.default.isExecutableFile(atPath: $0.path) }
    guard let url else {
        XCTFail("\(tool) not installed (Scripts/install-deps.sh installs it)", file: file, line: line)
        throw XCTSkip("no \(tool)")
    }
    let p = Process()
    p.executableURL = url
    p.arguments = args
    p.standardError = FileHandle.nullDevice
    try p.run()
    p.waitUntilExit()
    XCTAssertEqual(p.terminationStatus, 0, "\(tool) \(args)", file: file, line: line)
}
