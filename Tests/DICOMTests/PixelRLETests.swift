import Foundation
import XCTest
@testable import DICOM
import DICOMTestSupport

/// RLE Lossless (files encoded by DCMTK's dcmcrle from writer-made ones, and hand-made frames),
/// encapsulated frame location, and the FrameDecoder path.
final class PixelRLETests: XCTestCase {
    /// Encodes a writer-made file with dcmcrle (extra options: fragmentation, offset table) and
    /// opens the result through its descriptor.
    func encodeRLE(_ ds: DataSet, options: [String] = []) throws -> (PixelReader, DicomFile, Int32) {
        let source = try temporaryFile(DICOMWriter().write(ds), name: "in.dcm")
        let target = (source as NSString).deletingLastPathComponent + "/rle.dcm"
        try runExternalTool("dcmcrle", options + [source, target])
        let file = DICOMReader.read(path: target)
        XCTAssertNil(file.error)
        XCTAssertEqual(file.transferSyntax?.uid, rleLossless.uid)
        let fd = open(target, O_RDONLY)
        addTeardownBlock { close(fd) }
        return (try PixelReader(file: file, fileDescriptor: fd), file, fd)
    }

    func test16BitRGBEncodedByDcmcrleDecodesToTheOriginal() throws {
        let rows = 13, cols = 17, frames = 2
        let values = (0..<(frames * rows * cols * 3)).map { i in i % 5 == 0 ? 0x1234 : (i &* 40503) & 0xFFFF }
        let ds = imageDataSet(rows: rows, columns: cols, samples: 3, bitsAllocated: 16, photometric: "RGB", planar: 0,
                              frames: frames, pixelData: .bytes(.pixelData, .OW, le16(values)))
        for options in [[], ["+fs", "1"], ["-ot"]] {
            let (r, file, _) = try encodeRLE(ds, options: options)
            XCTAssertEqual(r.frameCount, frames)
            if options == ["+fs", "1"], case .fragments(let items)? = file.dataSet[.pixelData]?.value {
                XCTAssertGreaterThan(items.count - 1, frames, "fragments of at most 1 KB")
                XCTAssertEqual(items[0].length, 4 * frames, "a Basic Offset Table")
            }
            var all: [Double] = []
            for i in 0..<frames {
                let f = try r.frame(i)
                XCTAssertEqual(f.shape, [rows, cols, 3])
                XCTAssertEqual(f.photometric, "RGB")
                all += sampleValues(f.bytes, .uint16)
            }
            XCTAssertEqual(all, values.map(Double.init), "\(options)")
        }
    }

    func testMultiFrame8BitAndSigned12BitRLE() throws {
        let bytes: [UInt8] = (0..<(4 * 9 * 11)).map { (i: Int) -> UInt8 in (i / 7) % 3 == 0 ? 200 : UInt8((i &* 31) & 0xFF) }
        let ds8 = imageDataSet(rows: 9, columns: 11, bitsAllocated: 8, frames: 4, pixelData: .bytes(.pixelData, .OB, bytes))
        let r8 = try encodeRLE(ds8).0
        XCTAssertEqual(try (0..<4).flatMap { try r8.frame($0).bytes }, bytes)

        let intended = (0..<(8 * 8)).map { ($0 * 97) % 4096 - 2048 }
        let stored = intended.map { $0 & 0x0FFF }
        let ds12 = imageDataSet(rows: 8, columns: 8, bitsAllocated: 16, bitsStored: 12, signed: true,
                                pixelData: .bytes(.pixelData, .OW, le16(stored)))
        let f = try encodeRLE(ds12).0.frame(0)
        XCTAssertEqual(f.sampleType, .int16)
        XCTAssertEqual(sampleValues(f.bytes, .int16), intended.map(Double.init))
    }

    /// Hand-made segments with replicate runs, 32-bit samples (4 segments, most significant first).
    func testPackBitsRunsAnd32BitSegmentOrder() throws {
        // 2 x 3 plane: byte planes given as runs.
        let msb: [UInt8] = [0xFB, 0x12]                            // 6 times 0x12
        let second: [UInt8] = [0x01, 0xAA, 0xBB, 0xFD, 0xCC]       // AA BB, then 4 times CC
        let third: [UInt8] = [0x80, 0x05, 1, 2, 3, 4, 5, 6]        // a no-op header, then 6 literals
        let lsb: [UInt8] = [0x00, 0x00, 0x00, 0x01, 0xFE, 0x02, 0x00, 0x09] // 0, 1, 2 2 2, 9
        let frame = rleFrame([msb, second, third, lsb])
        let ds = imageDataSet(rows: 2, columns: 3, bitsAllocated: 32, pixelData: encapsulated([frame]))
        let f = try pixelReader(ds, rleLossless).frame(0)
        let planes: [[UInt32]] = [[0x12, 0x12, 0x12, 0x12, 0x12, 0x12], [0xAA, 0xBB, 0xCC, 0xCC, 0xCC, 0xCC], [1, 2, 3, 4, 5, 6], [0, 1, 2, 2, 2, 9]]
        let expected = (0..<6).map { p in Double(planes[0][p] << 24 | planes[1][p] << 16 | planes[2][p] << 8 | planes[3][p]) }
        XCTAssertEqual(f.sampleType, .uint32)
        XCTAssertEqual(sampleValues(f.bytes, .uint32), expected)
    }

    func testRLEYBRFullIsConvertedToRGB() throws {
        let table = PixelTests.ybrToRGB
        let planes = (0..<3).map { c in table.map { $0.0[c] } }
        let frame = rleFrame(planes.map(packLiteral))
        // Planar Configuration 1 in the header does not change RLE (its segments are planes anyway).
        for planar in [0, 1] {
            let ds = imageDataSet(rows: 4, columns: 4, samples: 3, bitsAllocated: 8, photometric: "YBR_FULL", planar: planar,
                                  pixelData: encapsulated([frame]))
            let f = try pixelReader(ds, rleLossless).frame(0)
            XCTAssertEqual(f.photometric, "RGB")
            XCTAssertEqual(f.bytes, table.flatMap { $0.1 })
        }
    }

    // MARK: locating encapsulated frames

    /// RLE frames of 2 x 2 8-bit pixels whose first byte is `k` (padded to even length as
    /// fragments are: a trailing literal header of no bytes).
    func rleFrames(_ n: Int) -> [[UInt8]] {
        (0..<n).map { k in rleFrame([packLiteral([UInt8(k), 1, 2, 3]) + [0]]) }
    }

    func firstBytes(_ r: PixelReader) throws -> [UInt8] {
        try (0..<r.frameCount).map { try r.frame($0).bytes[0] }
    }

    func testBasicOffsetTableGroupsFragmentsIntoFrames() throws {
        // Each RLE frame split after its header: two fragments per frame.
        let split = rleFrames(3).map { [Array($0.prefix(64)), Array($0.dropFirst(64))] }
        let ds = imageDataSet(rows: 2, columns: 2, bitsAllocated: 8, frames: 3,
                              pixelData: encapsulated(split.flatMap { $0 }, offsets: basicOffsets(split)))
        let r = try pixelReader(ds, rleLossless)
        XCTAssertEqual(r.frameCount, 3)
        XCTAssertEqual(try firstBytes(r), [0, 1, 2])
        XCTAssertEqual(r.frames.extent(ofFrame: 1).ranges.count, 2)
        XCTAssertEqual(try r.encodedFrame(2), rleFrames(3)[2])
    }

    func testExtendedOffsetTableIsPreferred() throws {
        let frames = rleFrames(3)
        // Item offsets from the first item after the (empty) Basic Offset Table, and lengths.
        var offsets: [UInt64] = [], at: UInt64 = 0
        for f in frames { offsets.append(at); at += UInt64(8 + f.count + f.count % 2) }
        func ov(_ tag: UInt32, _ v: [UInt64]) -> Element {
            .bytes(Tag(tag), .OV, v.flatMap { x in (0..<8).map { UInt8(truncatingIfNeeded: x >> (8 * UInt64($0))) } })
        }
        // A Basic Offset Table that would say otherwise (one frame) is ignored.
        var ds = imageDataSet(rows: 2, columns: 2, bitsAllocated: 8, frames: 3, pixelData: encapsulated(frames, offsets: [0]))
        ds = DataSet(ds.elements + [ov(0x7FE0_0001, offsets), ov(0x7FE0_0002, frames.map { UInt64($0.count) })])
        let r = try pixelReader(ds, rleLossless)
        XCTAssertEqual(try firstBytes(r), [0, 1, 2])
        // Lengths that do not match the offsets in number: the table is ignored (as pydicom does),
        // and the Basic Offset Table's single frame is fewer than Number of Frames.
        var bad = imageDataSet(rows: 2, columns: 2, bitsAllocated: 8, frames: 3, pixelData: encapsulated(frames, offsets: [0]))
        bad = DataSet(bad.elements + [ov(0x7FE0_0001, offsets), ov(0x7FE0_0002, [10])])
        assertPixelError(.badEncapsulation, "fewer than Number of Frames (3)") { try pixelReader(bad, rleLossless) }
        // An offset past the fragments.
        var outside = imageDataSet(rows: 2, columns: 2, bitsAllocated: 8, frames: 3, pixelData: encapsulated(frames))
        outside = DataSet(outside.elements + [ov(0x7FE0_0001, [0, 1 << 40, 0]), ov(0x7FE0_0002, [10, 10, 10])])
        assertPixelError(.badEncapsulation, "Extended Offset Table entry 1") { try pixelReader(outside, rleLossless) }
    }

    func testWithoutOffsetTables() throws {
        let frames = rleFrames(3)
        // One fragment per frame.
        let one = imageDataSet(rows: 2, columns: 2, bitsAllocated: 8, frames: 3, pixelData: encapsulated(frames))
        XCTAssertEqual(try firstBytes(try pixelReader(one, rleLossless)), [0, 1, 2])
        // A single frame in several fragments.
        let f = frames[1]
        let single = imageDataSet(rows: 2, columns: 2, bitsAllocated: 8,
                                  pixelData: encapsulated([Array(f.prefix(10)), Array(f[10..<64]), Array(f.dropFirst(64))]))
        XCTAssertEqual(try pixelReader(single, rleLossless).frame(0).bytes, [1, 1, 2, 3])
        // Fewer fragments than frames.
        let fewer = imageDataSet(rows: 2, columns: 2, bitsAllocated: 8, frames: 4, pixelData: encapsulated(frames))
        assertPixelError(.badEncapsulation, "3 fragments without an offset table cannot hold 4 frames") { try pixelReader(fewer, rleLossless) }
    }

    /// More fragments than frames: frames end at fragments with a JPEG EOI marker in their last
    /// 10 bytes; what follows the last marker is one more frame (pydicom's reading).
    func testFramesSplitAtJPEGEndMarkers() throws {
        let a: [UInt8] = [0xFF, 0xD8, 1, 2], b: [UInt8] = [3, 4, 0xFF, 0xD9]
        let c: [UInt8] = [0xFF, 0xD8, 0xFF, 0xD9] + [UInt8](repeating: 7, count: 8)  // marker within the last 10 bytes
        let d: [UInt8] = [0xFF, 0xD8] + [UInt8](repeating: 5, count: 20) + [0xFF, 0xD9]
        let e: [UInt8] = [0xFF, 0xD9] + [UInt8](repeating: 6, count: 10)          // marker 12 bytes from the end: not seen
        let f: [UInt8] = [8, 8]
        let ds = imageDataSet(rows: 2, columns: 2, bitsAllocated: 8, frames: 3, pixelData: encapsulated([a, b, c, d, e, f]))
        let bytes = DICOMWriter(transferSyntax: TransferSyntax(uid: "1.2.840.10008.1.2.4.50")!).write(ds)
        let r = try PixelReader(file: DICOMReader.read(bytes: bytes), bytes: bytes)
        XCTAssertEqual(r.frameCount, 4)
        XCTAssertEqual(try r.encodedFrame(0), a + b)
        XCTAssertEqual(try r.encodedFrame(1), c)
        XCTAssertEqual(try r.encodedFrame(2), d)
        XCTAssertEqual(try r.encodedFrame(3), e + f)
        // No decoder for JPEG: a clear error.
        assertPixelError(.unsupported, "no decoder for the transfer syntax") { try r.frame(0) }
    }

    // MARK: FrameDecoder

    /// A stand-in codec: its "encoded" frame is the raw samples.
    struct RawDecoder: FrameDecoder {
        var width: Int
        var planar = false
        var photometric: String? = nil
        var precision: Int? = nil
        var signed: Bool? = nil
        func canDecode(transferSyntaxUID: String) -> Bool { transferSyntaxUID.hasPrefix("1.2.840.10008.1.2.4.") }
        func decode(_ frame: UnsafeRawBufferPointer, format: PixelFormat, transferSyntaxUID: String) throws(PixelError) -> DecoderOutput {
            DecoderOutput(bytes: Array(frame.prefix(format.samplesPerFrame * width)), bytesPerSample: width, isPlanar: planar,
                          photometric: photometric ?? format.photometric, precision: precision, isSigned: signed)
        }
    }

    func decodeWith(_ decoder: RawDecoder, ts: String, _ ds: DataSet) throws -> DecodedFrame {
        let bytes = DICOMWriter(transferSyntax: TransferSyntax(uid: ts)!).write(ds)
        return try PixelReader(file: DICOMReader.read(bytes: bytes), bytes: bytes, decoder: decoder).frame(0)
    }

    func testDecoderOutputGetsTheSharedProcessing() throws {
        // JPEG-LS gives signed 12-bit samples as unsigned: sign-corrected from the precision.
        let intended = [-2048, -1, 0, 2047]
        let jls = imageDataSet(rows: 2, columns: 2, bitsAllocated: 16, bitsStored: 12, signed: true,
                               pixelData: encapsulated([le16(intended.map { $0 & 0xFFF })]))
        let f = try decodeWith(RawDecoder(width: 2, precision: 12), ts: "1.2.840.10008.1.2.4.80", jls)
        XCTAssertEqual(sampleValues(f.bytes, .int16), intended.map(Double.init))
        // JPEG 2000 whose codestream says unsigned for signed data: corrected likewise; when it says
        // signed, the values are taken as they are.
        let j2k = try decodeWith(RawDecoder(width: 2, precision: 12, signed: false), ts: "1.2.840.10008.1.2.4.90", jls)
        XCTAssertEqual(sampleValues(j2k.bytes, .int16), intended.map(Double.init))
        let j2kSigned = try decodeWith(RawDecoder(width: 2, precision: 12, signed: true), ts: "1.2.840.10008.1.2.4.90", jls)
        XCTAssertEqual(sampleValues(j2kSigned.bytes, .int16), [2048, 4095, 0, 2047])
        // 8-bit samples from a codec for 16 bits allocated: widened.
        let wide = imageDataSet(rows: 1, columns: 3, bitsAllocated: 16, bitsStored: 8, pixelData: encapsulated([[200, 1, 255]]))
        let w = try decodeWith(RawDecoder(width: 1), ts: "1.2.840.10008.1.2.4.70", wide)
        XCTAssertEqual(w.sampleType, .uint16)
        XCTAssertEqual(sampleValues(w.bytes, .uint16), [200, 1, 255])
        // Planar YBR output: interleaved, then converted to RGB.
        let table = PixelTests.ybrToRGB
        let planes = (0..<3).flatMap { c in table.map { $0.0[c] } }
        let ybr = imageDataSet(rows: 4, columns: 4, samples: 3, bitsAllocated: 8, photometric: "YBR_FULL_422", planar: 0,
                               pixelData: encapsulated([planes]))
        let c = try decodeWith(RawDecoder(width: 1, planar: true, photometric: "YBR_FULL"), ts: "1.2.840.10008.1.2.4.50", ybr)
        XCTAssertEqual(c.photometric, "RGB")
        XCTAssertEqual(c.bytes, table.flatMap { $0.1 })
        // A codec that converted to RGB itself: left alone.
        let rgb = try decodeWith(RawDecoder(width: 1, planar: true, photometric: "RGB"), ts: "1.2.840.10008.1.2.4.50", ybr)
        XCTAssertEqual(rgb.photometric, "RGB")
        XCTAssertEqual(rgb.bytes, table.flatMap { $0.0 })
        // Output of the wrong size: the decoder's fault, said so.
        assertPixelError(.decoderFailed, "gave 2 bytes") { try decodeWith(RawDecoder(width: 1), ts: "1.2.840.10008.1.2.4.70", imageDataSet(rows: 2, columns: 2, bitsAllocated: 8, pixelData: encapsulated([[1, 2]]))) }
    }
}
