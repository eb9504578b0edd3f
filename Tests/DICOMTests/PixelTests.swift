import Foundation
import XCTest
@testable import DICOM
import DICOMTestSupport

/// Native pixel data from writer-made files: each byte order and transfer syntax, the bit
/// corrections, planar configuration, colour spaces, 1-bit and float data, and the Image Pixel
/// module's checks.
final class PixelTests: XCTestCase {
    /// Values chosen to be known: each output sample is the value the fixture was made from.
    func testSigned16BitWithBitsStored12IsSignExtended() throws {
        let intended = [-2048, -5, -1, 0, 1, 2047, -1000, 999]
        // Stored in 12 bits, with the 4 unused high bits holding junk (0, F, A, 5, ...).
        let junk = [0x0, 0xF, 0xA, 0x5, 0x0, 0xF, 0x3, 0xC]
        let stored = zip(intended, junk).map { ($0 & 0x0FFF) | $1 << 12 }
        let ds = imageDataSet(rows: 2, columns: 4, bitsAllocated: 16, bitsStored: 12, signed: true,
                              pixelData: .bytes(.pixelData, .OW, le16(stored)))
        for ts in [TransferSyntax.explicitVRLittleEndian, .implicitVRLittleEndian, .explicitVRBigEndian, .deflatedExplicitVRLittleEndian] {
            let frame = try pixelReader(ds, ts).frame(0)
            XCTAssertEqual(frame.sampleType, .int16, ts.name)
            XCTAssertEqual(frame.shape, [2, 4])
            XCTAssertEqual(sampleValues(frame.bytes, .int16), intended.map(Double.init), ts.name)
        }
    }

    func testUnsignedBitsAboveBitsStoredAreMasked() throws {
        let intended = [0, 1, 4095, 2048, 100, 4000]
        let stored = intended.enumerated().map { $1 | ($0 % 16) << 12 }
        let ds = imageDataSet(rows: 2, columns: 3, bitsAllocated: 16, bitsStored: 12,
                              pixelData: .bytes(.pixelData, .OW, le16(stored)))
        let frame = try pixelReader(ds).frame(0)
        XCTAssertEqual(frame.sampleType, .uint16)
        XCTAssertEqual(sampleValues(frame.bytes, .uint16), intended.map(Double.init))
    }

    func testSigned8And32BitSamples() throws {
        let ds8 = imageDataSet(rows: 1, columns: 4, bitsAllocated: 8, bitsStored: 7, signed: true,
                               pixelData: .bytes(.pixelData, .OB, [0x3F, 0x40, 0x7F, 0xC1]))
        XCTAssertEqual(sampleValues(try pixelReader(ds8).frame(0).bytes, .int8), [63, -64, -1, -63])
        let v32: [Int32] = [-70000, 70000, Int32.min, Int32.max]
        // OL, so that the writer swaps 4-byte words for big endian (it swaps OW in 2-byte words).
        let ds32 = imageDataSet(rows: 2, columns: 2, bitsAllocated: 32, signed: true,
                                pixelData: .bytes(.pixelData, .OL, v32.flatMap { le32(UInt32(bitPattern: $0)) }))
        for ts in [TransferSyntax.explicitVRLittleEndian, .explicitVRBigEndian] {
            let f = try pixelReader(ds32, ts).frame(0)
            XCTAssertEqual(f.sampleType, .int32)
            XCTAssertEqual(sampleValues(f.bytes, .int32), v32.map(Double.init), ts.name)
        }
    }

    func testBigEndian8BitInOWIsSwappedInPairsAndOBIsNot() throws {
        let values: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
        // Three frames of 2 x 2: frames start on odd bytes of the 16-bit words too.
        for vr in [VR.OW, .OB] {
            let ds = imageDataSet(rows: 2, columns: 2, bitsAllocated: 8, frames: 3, pixelData: .bytes(.pixelData, vr, values))
            let r = try pixelReader(ds, .explicitVRBigEndian)
            XCTAssertEqual(r.frameCount, 3)
            XCTAssertEqual(try (0..<3).flatMap { try r.frame($0).bytes }, values, vr.description)
        }
        // 1 x 3 frames: 3 bytes each, so frame 1 starts inside a word.
        let ds = imageDataSet(rows: 1, columns: 3, bitsAllocated: 8, frames: 2, pixelData: .bytes(.pixelData, .OW, [10, 20, 30, 40, 50, 60]))
        let r = try pixelReader(ds, .explicitVRBigEndian)
        XCTAssertEqual(try r.frame(0).bytes, [10, 20, 30])
        XCTAssertEqual(try r.frame(1).bytes, [40, 50, 60])
    }

    func testRGBPlanarConfiguration1IsInterleaved() throws {
        // 2 x 3 pixels, R = 10 + i, G = 100 + i, B = 200 + i, stored one plane after another.
        let n = 6
        let planes: [UInt8] = [10, 100, 200].flatMap { (base: Int) -> [UInt8] in (0..<n).map { UInt8(base + $0) } }
        let ds = imageDataSet(rows: 2, columns: 3, samples: 3, bitsAllocated: 8, photometric: "RGB", planar: 1, frames: 2,
                              pixelData: .bytes(.pixelData, .OB, planes + planes.map { $0 + 1 }))
        let r = try pixelReader(ds)
        let expected0: [UInt8] = (0..<n).flatMap { (p: Int) -> [UInt8] in [UInt8(10 + p), UInt8(100 + p), UInt8(200 + p)] }
        let f0 = try r.frame(0), f1 = try r.frame(1)
        XCTAssertEqual(f0.shape, [2, 3, 3])
        XCTAssertEqual(f0.photometric, "RGB")
        XCTAssertEqual(f0.bytes, expected0)
        XCTAssertEqual(f1.bytes, expected0.map { $0 + 1 })
        // 16-bit planar, big endian.
        let words = (0..<(3 * n)).map { 1000 * ($0 / n) + $0 % n }
        let ds16 = imageDataSet(rows: 2, columns: 3, samples: 3, bitsAllocated: 16, photometric: "RGB", planar: 1,
                                pixelData: .bytes(.pixelData, .OW, le16(words)))
        let f16 = try pixelReader(ds16, .explicitVRBigEndian).frame(0)
        XCTAssertEqual(sampleValues(f16.bytes, .uint16), (0..<n).flatMap { p in (0..<3).map { Double(1000 * $0 + p) } })
    }

    /// Triples and their RGB from pydicom 3.0.2's `convert_color_space` (numpy float32); the first
    /// two are among those where rounding the products separately would give another byte.
    static let ybrToRGB: [([UInt8], [UInt8])] = [
        ([0, 178, 78], [0, 19, 89]), ([1, 178, 78], [0, 20, 90]), ([128, 128, 128], [128, 128, 128]),
        ([255, 0, 255], [255, 208, 28]), ([16, 240, 16], [0, 57, 214]), ([200, 30, 220], [255, 168, 26]),
        ([76, 85, 255], [254, 0, 0]), ([29, 255, 107], [0, 0, 254]), ([150, 44, 21], [0, 255, 1]),
        ([0, 0, 0], [0, 135, 0]), ([255, 255, 255], [255, 121, 255]), ([60, 200, 90], [7, 62, 188]),
        ([255, 128, 128], [255, 255, 255]), ([29, 85, 255], [207, 0, 0]), ([200, 200, 90], [147, 202, 255]),
        ([128, 0, 0], [0, 255, 0]),
    ]

    func testYBRFullIsConvertedToRGBAsPydicomDoes() throws {
        let ybr = Self.ybrToRGB.flatMap { $0.0 }, rgb = Self.ybrToRGB.flatMap { $0.1 }
        let ds = imageDataSet(rows: 4, columns: 4, samples: 3, bitsAllocated: 8, photometric: "YBR_FULL", planar: 0,
                              pixelData: .bytes(.pixelData, .OB, ybr))
        let f = try pixelReader(ds).frame(0)
        XCTAssertEqual(f.photometric, "RGB")
        XCTAssertEqual(f.bytes, rgb)
        // Planar YBR: made interleaved, then converted.
        let planes = (0..<3).flatMap { c in Self.ybrToRGB.map { $0.0[c] } }
        let dsPlanar = imageDataSet(rows: 4, columns: 4, samples: 3, bitsAllocated: 8, photometric: "YBR_FULL", planar: 1,
                                    pixelData: .bytes(.pixelData, .OB, planes))
        XCTAssertEqual(try pixelReader(dsPlanar).frame(0).bytes, rgb)
    }

    func testNativeYBRFull422IsExpandedThenConverted() throws {
        // Pixel pairs (Y1, Y2) sharing Cb, Cr: stored Y1 Y2 Cb Cr.
        let pairs: [(UInt8, UInt8, UInt8, UInt8)] = [(0, 1, 178, 78), (128, 255, 128, 128), (76, 29, 85, 255), (60, 200, 200, 90)]
        let stored = pairs.flatMap { [$0.0, $0.1, $0.2, $0.3] }
        let ds = imageDataSet(rows: 2, columns: 4, samples: 3, bitsAllocated: 8, photometric: "YBR_FULL_422", planar: 0,
                              pixelData: .bytes(.pixelData, .OB, stored))
        let f = try pixelReader(ds).frame(0)
        XCTAssertEqual(f.photometric, "RGB")
        XCTAssertEqual(f.shape, [2, 4, 3])
        let table = Dictionary(uniqueKeysWithValues: Self.ybrToRGB.map { ($0.0, $0.1) })
        let expected = pairs.flatMap { p -> [UInt8] in
            let a = table[[p.0, p.2, p.3]], b = table[[p.1, p.2, p.3]]
            return (a ?? []) + (b ?? [])
        }
        XCTAssertEqual(expected.count, 24)
        XCTAssertEqual(f.bytes, expected)
        // The data holding a full YBR image is not 422 (shorter data are an error, longer are accepted
        // as pydicom does only up to the 422 size): 422 of a 2 x 4 image is 16 bytes.
        XCTAssertEqual(try pixelReader(ds).frames.extent(ofFrame: 0).byteCount, 16)
    }

    func testYBRWithMoreThan8BitsStaysYBR() throws {
        let ds = imageDataSet(rows: 1, columns: 2, samples: 3, bitsAllocated: 16, photometric: "YBR_FULL", planar: 0,
                              pixelData: .bytes(.pixelData, .OW, le16([100, 200, 300, 400, 500, 600])))
        let f = try pixelReader(ds).frame(0)
        XCTAssertEqual(f.photometric, "YBR_FULL")
        XCTAssertEqual(sampleValues(f.bytes, .uint16), [100, 200, 300, 400, 500, 600])
    }

    func testMultiFrameNativeInEverySyntax() throws {
        let frames = 5, rows = 3, cols = 7
        let values = (0..<(frames * rows * cols)).map { ($0 * 2654435761) & 0xFFFF }
        let ds = imageDataSet(rows: rows, columns: cols, bitsAllocated: 16, frames: frames, pixelData: .bytes(.pixelData, .OW, le16(values)))
        for ts in [TransferSyntax.explicitVRLittleEndian, .implicitVRLittleEndian, .explicitVRBigEndian, .deflatedExplicitVRLittleEndian] {
            let r = try pixelReader(ds, ts)
            XCTAssertEqual(r.frameCount, frames)
            for i in 0..<frames {
                let f = try r.frame(i)
                XCTAssertEqual(sampleValues(f.bytes, .uint16), values[(i * rows * cols)..<((i + 1) * rows * cols)].map(Double.init), "\(ts.name) frame \(i)")
            }
        }
    }

    func testDeflatedFileThroughDescriptorIsInflated() throws {
        let values = (0..<(64 * 64)).map { $0 % 4096 }
        let ds = imageDataSet(rows: 64, columns: 64, bitsAllocated: 16, bitsStored: 12, pixelData: .bytes(.pixelData, .OW, le16(values)))
        let path = try temporaryFile(DICOMWriter(transferSyntax: .deflatedExplicitVRLittleEndian).write(ds))
        let fd = open(path, O_RDONLY)
        defer { close(fd) }
        let r = try PixelReader(file: DICOMReader.read(path: path), fileDescriptor: fd)
        XCTAssertEqual(sampleValues(try r.frame(0).bytes, .uint16), values.map(Double.init))
    }

    func testOneBitFramesAreUnpackedAcrossByteBoundaries() throws {
        // 3 frames of 3 x 3 = 9 bits each: frames 1 and 2 start inside a byte.
        let bits = (0..<27).map { ($0 * 7 + $0 / 3) % 3 == 0 ? 1 : 0 }
        var packed = [UInt8](repeating: 0, count: 4)
        for (i, b) in bits.enumerated() where b == 1 { packed[i / 8] |= 1 << (i % 8) }
        let ds = imageDataSet(rows: 3, columns: 3, bitsAllocated: 1, frames: 3, pixelData: .bytes(.pixelData, .OB, packed))
        let r = try pixelReader(ds)
        XCTAssertEqual(r.format.sampleType, .uint8)
        XCTAssertEqual(r.frameCount, 3)
        for i in 0..<3 {
            let f = try r.frame(i)
            XCTAssertEqual(f.shape, [3, 3])
            XCTAssertEqual(f.bytes, bits[(9 * i)..<(9 * i + 9)].map(UInt8.init), "frame \(i)")
        }
    }

    func testFloatAndDoublePixelData() throws {
        let floats: [Float] = [0, -1.5, 3.25, .greatestFiniteMagnitude, -0.0, 1e-30]
        let doubles: [Double] = [0, -1.5, 3.25, .pi, -1e300, 1e-300]
        for ts in [TransferSyntax.explicitVRLittleEndian, .explicitVRBigEndian] {
            var ds = imageDataSet(rows: 2, columns: 3, bitsAllocated: 32, pixelData: Element.float32(.floatPixelData, floats))
            ds = DataSet(ds.elements.map { $0.tag == .floatPixelData ? .bytes(.floatPixelData, .OF, $0.bytes ?? []) : $0 })
            let f = try pixelReader(ds, ts).frame(0)
            XCTAssertEqual(f.sampleType, .float32)
            XCTAssertEqual(sampleValues(f.bytes, .float32), floats.map(Double.init), ts.name)
            var dd = imageDataSet(rows: 3, columns: 2, bitsAllocated: 64, pixelData: Element.float64(.doubleFloatPixelData, doubles))
            dd = DataSet(dd.elements.map { $0.tag == .doubleFloatPixelData ? .bytes(.doubleFloatPixelData, .OD, $0.bytes ?? []) : $0 })
            let d = try pixelReader(dd, ts).frame(0)
            XCTAssertEqual(d.sampleType, .float64)
            XCTAssertEqual(sampleValues(d.bytes, .float64), doubles, ts.name)
        }
    }

    func testPaddingAndExcessFramesAsPydicom() throws {
        // 3 x 3 8-bit: 9 bytes, padded to 10 by the writer; without the pad byte it is accepted too.
        let nine = (1...9).map { UInt8($0) }
        let padded = imageDataSet(rows: 3, columns: 3, bitsAllocated: 8, pixelData: .bytes(.pixelData, .OB, nine, pad: true))
        XCTAssertEqual(try pixelReader(padded).frame(0).bytes, nine)
        let odd = imageDataSet(rows: 3, columns: 3, bitsAllocated: 8, pixelData: .bytes(.pixelData, .OB, nine))
        XCTAssertEqual(try pixelReader(odd).frame(0).bytes, nine)
        // One byte short: an error naming the counts.
        let short = imageDataSet(rows: 3, columns: 3, bitsAllocated: 8, pixelData: .bytes(.pixelData, .OB, Array(nine.prefix(8))))
        assertPixelError(.tooShort, "holds 8 bytes, fewer than the 9") { try pixelReader(short) }
        // Data for three frames with Number of Frames 2: pydicom returns all three.
        let extra = imageDataSet(rows: 2, columns: 2, bitsAllocated: 8, frames: 2, pixelData: .bytes(.pixelData, .OB, (0..<12).map { UInt8($0) }))
        let r = try pixelReader(extra)
        XCTAssertEqual(r.frameCount, 3)
        XCTAssertEqual(try r.frame(2).bytes, [8, 9, 10, 11])
    }

    func testImagePixelModuleErrorsNameTheElement() throws {
        let good = imageDataSet(rows: 2, columns: 2, bitsAllocated: 8, pixelData: .bytes(.pixelData, .OB, [1, 2, 3, 4]))
        func without(_ raw: UInt32) -> DataSet { DataSet(good.elements.filter { $0.tag != Tag(raw) }) }
        func with(_ e: Element) -> DataSet { DataSet(good.elements.filter { $0.tag != e.tag } + [e]) }
        assertPixelError(.missingElement, "(0028,0010) Rows") { try pixelReader(without(0x0028_0010)) }
        assertPixelError(.missingElement, "(0028,0100) Bits Allocated") { try pixelReader(without(0x0028_0100)) }
        assertPixelError(.missingElement, "(0028,0103) Pixel Representation") { try pixelReader(without(0x0028_0103)) }
        assertPixelError(.missingElement, "(0028,0004) Photometric Interpretation") { try pixelReader(without(0x0028_0004)) }
        assertPixelError(.missingElement, "(0028,0011) Columns is empty") { try pixelReader(with(.bytes(Tag(0x0028_0011), .US, []))) }
        assertPixelError(.invalidElement, "(0028,0100) Bits Allocated is 12") { try pixelReader(with(.uint16(Tag(0x0028_0100), [12]))) }
        assertPixelError(.invalidElement, "(0028,0101) Bits Stored is 9") { try pixelReader(with(.uint16(Tag(0x0028_0101), [9]))) }
        assertPixelError(.invalidElement, "(0028,0002) Samples per Pixel is 2") { try pixelReader(with(.uint16(Tag(0x0028_0002), [2]))) }
        assertPixelError(.invalidElement, "(0028,0010) Rows is 0") { try pixelReader(with(.uint16(Tag(0x0028_0010), [0]))) }
        assertPixelError(.invalidElement, "'NONSENSE'") { try pixelReader(with(.string(Tag(0x0028_0004), "NONSENSE"))) }
        assertPixelError(.invalidElement, "(0028,0008) Number of Frames is 'x'") { try pixelReader(with(.string(Tag(0x0028_0008), "x"))) }
        assertPixelError(.invalidElement, "(0028,0008) Number of Frames is -2") { try pixelReader(with(.string(Tag(0x0028_0008), "-2"))) }
        assertPixelError(.unsupported, "64-bit integer") { try pixelReader(with(.uint16(Tag(0x0028_0100), [64]))) }
        assertPixelError(.noPixelData) { try pixelReader(without(0x7FE0_0010)) }
        assertPixelError(.noPixelData, "more than one") { try pixelReader(with(.bytes(.floatPixelData, .OF, [0, 0, 0, 0]))) }
        // Number of Frames empty or 0: one frame, as pydicom takes it.
        XCTAssertEqual(try pixelReader(with(.string(Tag(0x0028_0008), "0"))).frameCount, 1)
        XCTAssertEqual(try pixelReader(with(.string(Tag(0x0028_0008), ""))).frameCount, 1)
    }

    func testPixelFormatReportsTheModule() throws {
        let ds = imageDataSet(rows: 5, columns: 7, samples: 3, bitsAllocated: 16, bitsStored: 10, photometric: "RGB", planar: 1,
                              frames: 2, pixelData: .bytes(.pixelData, .OW, [UInt8](repeating: 0, count: 5 * 7 * 3 * 2 * 2)))
        let f = try PixelFormat(dataSet: ds)
        XCTAssertEqual(f, try PixelFormat(rows: 5, columns: 7, samplesPerPixel: 3, bitsAllocated: 16, bitsStored: 10, highBit: 9,
                                          isSigned: false, photometric: "RGB", planarConfiguration: 1, numberOfFrames: 2))
        XCTAssertEqual(f.sampleType, .uint16)
        XCTAssertEqual(f.samplesPerFrame, 105)
    }
}
