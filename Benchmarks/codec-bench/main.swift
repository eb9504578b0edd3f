// codec-bench: what the export job's pixel path costs: GDCM decoding per MB (JPEG 2000, JPEG-LS,
// JPEG lossless), shuffle + deflate per thread, and HDF5 H5Dwrite_chunk of precompressed chunks.
import BenchSupport
import DICOM
import DICOMTestSupport
import Foundation
import HDF5
import PixelCodecs

/// A CT-like 512 x 512 slice, 12 bits stored in 16: smooth anatomy-ish bands plus noise.
func slice(_ z: Int) -> [UInt8] {
    var rng = UInt64(0x9E37_79B9_7F4A_7C15) &* UInt64(z + 1)
    var out = [UInt8](repeating: 0, count: 512 * 512 * 2)
    for y in 0..<512 {
        for x in 0..<512 {
            rng = rng &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let dx = Double(x - 256), dy = Double(y - 256 + z % 7)
            let r = (dx * dx + dy * dy).squareRoot()
            var v = r < 200 ? 1000 + 40 * sin(r / 9) + 0.5 * Double(x % 50) : 24
            v += Double(Int(rng >> 59)) - 16  // noise of +-16
            let s = UInt16(max(0, min(4095, v)))
            out[2 * (y * 512 + x)] = UInt8(s & 0xFF)
            out[2 * (y * 512 + x) + 1] = UInt8(s >> 8)
        }
    }
    return out
}

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

func frame(of path: String) -> (String, FrameAttributes, [UInt8])? {
    let f = DICOMReader.read(path: path)
    let ds = f.dataSet
    guard let uid = f.transferSyntax?.uid, case .fragments(let fragments)? = ds[.pixelData]?.value,
          let data = FileManager.default.contents(atPath: path) else { return nil }
    let bytes = [UInt8](data)
    var frame: [UInt8] = []
    for fr in fragments.dropFirst() { frame += bytes[fr.offset..<(fr.offset + fr.length)] }
    let a = FrameAttributes(rows: ds.int(Tag(0x0028_0010)) ?? 0, columns: ds.int(Tag(0x0028_0011)) ?? 0,
                            bitsAllocated: ds.int(Tag(0x0028_0100)) ?? 0, bitsStored: ds.int(Tag(0x0028_0101)) ?? 0,
                            photometricInterpretation: ds.string(Tag(0x0028_0004)) ?? "")
    return (uid, a, frame)
}

let dir = FileManager.default.temporaryDirectory.appendingPathComponent("codec-bench-\(getpid())")
try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: dir) }

// 1. GDCM decoding.
let native = dir.appendingPathComponent("native.dcm")
try Data(DICOMWriter().write(DataSet([
    .string(Tag(0x0008_0016), "1.2.840.10008.5.1.4.1.1.2"), .string(.sopInstanceUID, "1.2.3.4"),
    .uint16(Tag(0x0028_0002), [1]), .string(Tag(0x0028_0004), "MONOCHROME2"),
    .uint16(Tag(0x0028_0010), [512]), .uint16(Tag(0x0028_0011), [512]),
    .uint16(Tag(0x0028_0100), [16]), .uint16(Tag(0x0028_0101), [12]), .uint16(Tag(0x0028_0102), [11]),
    .uint16(.pixelRepresentation, [0]), .bytes(.pixelData, .OW, slice(0)),
]))).write(to: native)
print("GDCM decode, one 512 x 512 x 16-bit frame (0.5 MB decoded), one thread unless said")
print("codec                              compressed KB   ms/frame   MB/s decoded   CPU ms")
for (name, args) in [("JPEG 2000 lossless (.90)", ["--j2k"]), ("JPEG 2000 lossy 10:1 (.91)", ["--j2k", "--lossy", "--irreversible", "-r", "10"]),
                     ("JPEG-LS lossless (.80)", ["--jpegls"]), ("JPEG-LS near-lossless e=2 (.81)", ["--jpegls", "--lossy", "-e", "2"]),
                     ("JPEG lossless (.70)", ["--jpeg"])] {
    let out = dir.appendingPathComponent("\(args.joined()).dcm")
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/gdcmconv")
    p.arguments = args + [native.path, out.path]
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    try p.run()
    p.waitUntilExit()
    guard let (uid, attributes, bytes) = frame(of: out.path) else { print("\(name): no frame"); continue }
    for threads in uid.hasSuffix(".90") || uid.hasSuffix(".91") ? [1, 2] : [1] {
        _ = GDCMDecoder.decode(frame: bytes, transferSyntax: uid, attributes: attributes, threads: threads)
        let n = 40
        var ok = true
        let cpu0 = clockSeconds(CLOCK_PROCESS_CPUTIME_ID)
        let t = seconds {
            for _ in 0..<n {
                if case .failure = GDCMDecoder.decode(frame: bytes, transferSyntax: uid, attributes: attributes, threads: threads) { ok = false }
            }
        }
        let cpu = clockSeconds(CLOCK_PROCESS_CPUTIME_ID) - cpu0
        let label = threads == 1 ? name : name + ", 2 threads"
        print(label.padding(toLength: 36, withPad: " ", startingAt: 0),
              String(format: "%12.1f %10.2f %14.1f %10.2f%@", Double(bytes.count) / 1024, t / Double(n) * 1000,
                     Double(n) * 0.5 / t, cpu / Double(n) * 1000, ok ? "" : "  (FAILED)"))
    }
}

// 2. Shuffle + deflate (gzip level 4), per thread.
let slices = (0..<64).map { slice($0) }
let rawMB = Double(slices.count * slices[0].count) / 1_048_576
print("\nshuffle + deflate level 4 of 64 such slices (\(String(format: "%.0f", rawMB)) MB raw)")
for threads in [1, 2] {
    final class Sizes: @unchecked Sendable { var total = 0; let lock = NSLock() }
    let sizes = Sizes()
    let cpu0 = clockSeconds(CLOCK_PROCESS_CPUTIME_ID)
    let t = seconds {
        DispatchQueue.concurrentPerform(iterations: threads) { w in
            var mine = 0
            for i in stride(from: w, to: slices.count, by: threads) {
                mine += (try? ChunkCompression.shuffleDeflate(slices[i], elementSize: 2, level: 4).count) ?? 0
            }
            sizes.lock.lock(); sizes.total += mine; sizes.lock.unlock()
        }
    }
    let cpu = clockSeconds(CLOCK_PROCESS_CPUTIME_ID) - cpu0
    print(String(format: "%d thread(s): %.1f MB/s raw in total (wall), %.1f MB per CPU second, ratio %.2f", threads, rawMB / t,
                 rawMB / cpu, Double(slices.count * slices[0].count) / Double(sizes.total)))
}

// 3. H5Dwrite_chunk of the precompressed chunks, and of raw chunks.
let precompressed = try slices.map { try ChunkCompression.shuffleDeflate($0, elementSize: 2, level: 4) }
print("\nHDF5 H5Dwrite_chunk, 8 x 64 slices of 512 x 512 uint16 (\(String(format: "%.0f", rawMB * 8)) MB raw), file in \(dir.path), incl. close")
for (label, filter) in [("precompressed shuffle+deflate", HDF5ChunkFilter.shuffleDeflate(level: 4)), ("raw chunks", .none)] {
    let path = dir.appendingPathComponent("bench.h5").path
    let t = try seconds {
        let file = try HDF5File.create(path: path)
        let d = try file.createDataset("volume", type: .uint16, shape: [8 * 64, 512, 512], filter: filter)
        for z in 0..<(8 * 64) {
            if case .none = filter {
                try d.writeChunk(at: [z, 0, 0], slices[z % 64])
            } else {
                try d.writeChunk(at: [z, 0, 0], precompressed[z % 64])
            }
        }
        try d.close()
        try file.close()
    }
    let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    print(String(format: "%@: %.3f s, %.0f MB/s raw, %.0f MB/s written (file %.1f MB)", label, t, rawMB * 8 / t,
                 Double(size) / 1_048_576 / t, Double(size) / 1_048_576))
    try? FileManager.default.removeItem(atPath: path)
}
