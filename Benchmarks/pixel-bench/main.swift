// Pixel decoding benchmark: writes large fixtures (native 16-bit little and big endian, 12-bit
// signed, 8-bit YBR_FULL planar, and RLE made by DCMTK's dcmcrle when installed), decodes every
// frame through a file descriptor, and prints MB/s of decoded samples beside a floor (pread of
// the same bytes into a reused buffer).
//   swift run -c release pixel-bench [--frames N] [--iterations N]
import DICOM
import DICOMTestSupport
import Foundation

var args = Array(CommandLine.arguments.dropFirst())
func option(_ name: String, _ value: Int) -> Int {
    guard let i = args.firstIndex(of: name), i + 1 < args.count, let v = Int(args[i + 1]) else { return value }
    args.removeSubrange(i...(i + 1))
    return v
}
let frames = option("--frames", 100)
let iterations = option("--iterations", 3)
let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pixel-bench-\(getpid())")
try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: dir) }

func dataSet(rows: Int, columns: Int, samples: Int, bits: Int, stored: Int, signed: Bool, photometric: String, planar: Int, pixels: [UInt8]) -> DataSet {
    DataSet([
        .string(Tag(0x0008_0016), "1.2.840.10008.5.1.4.1.1.7"), .string(.sopInstanceUID, "1.2.3.4"),
        .uint16(Tag(0x0028_0002), [UInt16(samples)]), .string(Tag(0x0028_0004), photometric),
        .uint16(Tag(0x0028_0006), [UInt16(planar)]), .string(Tag(0x0028_0008), String(frames)),
        .uint16(Tag(0x0028_0010), [UInt16(rows)]), .uint16(Tag(0x0028_0011), [UInt16(columns)]),
        .uint16(Tag(0x0028_0100), [UInt16(bits)]), .uint16(Tag(0x0028_0101), [UInt16(stored)]),
        .uint16(Tag(0x0028_0102), [UInt16(stored - 1)]), .uint16(.pixelRepresentation, [signed ? 1 : 0]),
        .bytes(.pixelData, bits == 8 ? .OB : .OW, pixels),
    ])
}

/// A smooth image with noise, as CT/MR look: RLE compresses it somewhat.
func pixels(_ count: Int, bytesPerSample: Int) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: count * bytesPerSample)
    var seed: UInt32 = 12345
    for i in 0..<count {
        seed = seed &* 1_103_515_245 &+ 12345
        let v = (i % 512) * 4 + Int(seed >> 28)
        for b in 0..<bytesPerSample { out[i * bytesPerSample + b] = UInt8(truncatingIfNeeded: v >> (8 * b)) }
    }
    return out
}

func write(_ name: String, _ ds: DataSet, _ ts: TransferSyntax) -> String {
    let path = dir.appendingPathComponent(name).path
    _ = FileManager.default.createFile(atPath: path, contents: Data(DICOMWriter(transferSyntax: ts).write(ds)))
    return path
}

let side = 512
let mono16 = pixels(side * side * frames, bytesPerSample: 2)
var cases: [(String, String)] = [
    ("native 16-bit LE", write("le.dcm", dataSet(rows: side, columns: side, samples: 1, bits: 16, stored: 16, signed: false, photometric: "MONOCHROME2", planar: 0, pixels: mono16), .explicitVRLittleEndian)),
    ("native 16-bit BE", write("be.dcm", dataSet(rows: side, columns: side, samples: 1, bits: 16, stored: 16, signed: false, photometric: "MONOCHROME2", planar: 0, pixels: mono16), .explicitVRBigEndian)),
    ("native 12-bit signed", write("s12.dcm", dataSet(rows: side, columns: side, samples: 1, bits: 16, stored: 12, signed: true, photometric: "MONOCHROME2", planar: 0, pixels: mono16), .explicitVRLittleEndian)),
    ("native 8-bit YBR_FULL planar", write("ybr.dcm", dataSet(rows: side, columns: side, samples: 3, bits: 8, stored: 8, signed: false, photometric: "YBR_FULL", planar: 1, pixels: pixels(side * side * 3 * frames / 2, bytesPerSample: 2)), .explicitVRLittleEndian)),
]
// RLE of the 16-bit image, by dcmcrle if installed.
let rlePath = dir.appendingPathComponent("rle.dcm").path
let p = Process()
p.executableURL = URL(fileURLWithPath: "/usr/bin/dcmcrle")
p.arguments = [cases[0].1, rlePath]
if (try? p.run()) != nil {
    p.waitUntilExit()
    if p.terminationStatus == 0 { cases.append(("RLE 16-bit", rlePath)) }
}

print("\(frames) frames of \(side) x \(side), \(iterations) iterations")
print("case".padding(toLength: 30, withPad: " ", startingAt: 0) + "  decode MB/s   floor MB/s   ms/frame")
for (name, path) in cases {
    let file = DICOMReader.read(path: path)
    let fd = open(path, O_RDONLY)
    defer { close(fd) }
    guard let reader = try? PixelReader(file: file, fileDescriptor: fd) else { print("\(name): cannot open"); continue }
    var decoded = 0
    var check = 0
    var start = DispatchTime.now().uptimeNanoseconds
    for _ in 0..<iterations {
        for i in 0..<reader.frameCount {
            guard let f = try? reader.frame(i) else { print("\(name): frame \(i) failed"); break }
            decoded += f.bytes.count
            check &+= Int(f.bytes[f.bytes.count / 2])
        }
    }
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    // Floor: the stored bytes of every frame read into one reused buffer.
    var buffer = [UInt8](repeating: 0, count: reader.frames.extent(ofFrame: 0).byteCount)
    var stored = 0
    start = DispatchTime.now().uptimeNanoseconds
    for _ in 0..<iterations {
        for i in 0..<reader.frameCount {
            let e = reader.frames.extent(ofFrame: i)
            if buffer.count < e.byteCount { buffer = [UInt8](repeating: 0, count: e.byteCount) }
            buffer.withUnsafeMutableBytes { raw in
                var at = 0
                for r in e.ranges {
                    try? reader.source.read(offset: r.lowerBound, count: r.count, into: raw.baseAddress! + at)
                    at += r.count
                }
            }
            stored += e.byteCount
        }
    }
    let floorSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    print(name.padding(toLength: 30, withPad: " ", startingAt: 0)
          + String(format: "%13.0f %12.0f %10.2f", Double(decoded) / seconds / 1e6, Double(stored) / floorSeconds / 1e6,
                   seconds * 1000 / Double(iterations * reader.frameCount))
          + (check == 42 ? " " : ""))
}
