import Foundation
import XCTest
@testable import DICOM
import DICOMTestSupport

/// Headers and encapsulations that claim what the data do not hold: each a `PixelError` that says
/// where, never a crash, a trap, or an allocation of what the header claims.
final class PixelHostileTests: XCTestCase {
    /// Peak resident memory of the process, in bytes.
    func peakRSS() -> Int {
        var u = rusage()
        getrusage(RUSAGE_SELF.rawValue, &u)
        return u.ru_maxrss * 1024
    }

    func testHugeHeaderOnATinyNativeValue() throws {
        let before = peakRSS()
        let ds = imageDataSet(rows: 65535, columns: 65535, samples: 3, bitsAllocated: 16, planar: 0, frames: 1000,
                              pixelData: .bytes(.pixelData, .OW, [1, 2, 3, 4]))
        assertPixelError(.tooShort, "holds 4 bytes, fewer than") { try pixelReader(ds) }
        // Number of Frames so large that the size overflows 64 bits.
        let overflow = imageDataSet(rows: 65535, columns: 65535, samples: 3, bitsAllocated: 16, planar: 0, frames: Int.max / 2,
                                    pixelData: .bytes(.pixelData, .OW, [1, 2, 3, 4]))
        assertPixelError(.tooLarge, "cannot be held") { try pixelReader(overflow) }
        let tooBig = DataSet(ds.elements.filter { $0.tag != Tag(0x0028_0008) } + [.string(Tag(0x0028_0008), "99999999999999999999999")])
        assertPixelError(.invalidElement, "Number of Frames") { try pixelReader(tooBig) }
        XCTAssertLessThan(peakRSS() - before, 256 << 20)
    }

    func testHugeHeaderOnATinyRLEFrame() throws {
        let before = peakRSS()
        let tiny = rleFrame([[0xFB, 0x00]])
        // 65535 x 65535 x 16 bits: 8.6 GB for one decoded frame, beyond PixelReader.maxFrameBytes.
        let huge = imageDataSet(rows: 65535, columns: 65535, bitsAllocated: 16, pixelData: encapsulated([tiny]))
        let r = try pixelReader(huge, rleLossless)
        assertPixelError(.tooLarge, "maxFrameBytes") { try r.frame(0) }
        // 20000 x 20000 x 8 bits (400 MB, allowed): refused before allocating, from the segment's size.
        let large = imageDataSet(rows: 20000, columns: 20000, bitsAllocated: 8, pixelData: encapsulated([tiny]))
        assertPixelError(.badRLE, "cannot hold the 400000000 bytes") { try pixelReader(large, rleLossless).frame(0) }
        XCTAssertLessThan(peakRSS() - before, 256 << 20)
    }

    func testHostileRLEHeaders() throws {
        let plane = packLiteral([1, 2, 3, 4])
        func frame(_ ds: (inout [UInt8]) -> Void) -> [UInt8] {
            var f = rleFrame([plane])
            ds(&f)
            return f
        }
        func decode(_ f: [UInt8], bits: Int = 8, samples: Int = 1) throws -> DecodedFrame {
            let ds = imageDataSet(rows: 2, columns: 2, samples: samples, bitsAllocated: bits, photometric: samples == 3 ? "RGB" : "MONOCHROME2",
                                  planar: samples == 3 ? 0 : nil, pixelData: encapsulated([f]))
            return try pixelReader(ds, rleLossless).frame(0)
        }
        XCTAssertEqual(try decode(frame { _ in }).bytes, [1, 2, 3, 4])
        // The segment offset past the end of the frame (69 bytes, 70 with the fragment's pad byte), and far past it.
        assertPixelError(.badRLE, "at byte 4: segment 1 starts at byte 1000, past the end of the 70-byte frame") {
            try decode(frame { $0[4] = 0xE8; $0[5] = 0x03 })
        }
        assertPixelError(.badRLE, "segment 1 starts at byte 4294967295") { try decode(frame { $0[4...7] = [0xFF, 0xFF, 0xFF, 0xFF] }) }
        // Two segments, the second before the first; and one past the end.
        let two = rleFrame([plane, plane])
        var backwards = two
        backwards[8...11] = [10, 0, 0, 0]
        assertPixelError(.badRLE, "segment 2 starts at byte 10, before segment 1 (byte 64)") { try decode(backwards, bits: 16) }
        var past = two
        past[8...11] = [0, 1, 0, 0]
        assertPixelError(.badRLE, "segment 2 starts at byte 256, past the end") { try decode(past, bits: 16) }
        // Segment counts: not what the format needs, more than 15, and a header cut short.
        assertPixelError(.badRLE, "gives 1 segments; 3 samples of 1 byte need 3") { try decode(rleFrame([plane]), samples: 3) }
        assertPixelError(.badRLE, "gives 200 segments; at most 15") { try decode(frame { $0[0] = 200 }) }
        assertPixelError(.badRLE, "shorter than the 64-byte RLE header") { try decode([1, 0, 0, 0, 64, 0]) }
        // A segment that decodes to fewer bytes than a plane; runs cut by the segment's end.
        assertPixelError(.badRLE, "decodes to 3 bytes, fewer than the 4") { try decode(rleFrame([[0x02, 1, 2, 3]])) }
        assertPixelError(.badRLE, "decodes to 1 byte, fewer") { try decode(rleFrame([[0x05, 1]])) }
        assertPixelError(.badRLE, "decodes to 0 bytes") { try decode(rleFrame([[0x80, 0xFD]])) }
    }

    func testHostileOffsetTables() throws {
        let frames = (0..<3).map { k in rleFrame([packLiteral([UInt8(k), 1, 2, 3]) + [0]]) }
        func reader(_ offsets: [UInt32], frameCount: Int = 3, fragments: [[UInt8]]? = nil) throws -> PixelReader {
            let ds = imageDataSet(rows: 2, columns: 2, bitsAllocated: 8, frames: frameCount, pixelData: encapsulated(fragments ?? frames, offsets: offsets))
            return try pixelReader(ds, rleLossless)
        }
        XCTAssertEqual(try reader([0, 78, 156]).frameCount, 3)
        // An offset past the fragments: fewer frames than Number of Frames.
        assertPixelError(.badEncapsulation, "entry 2 (100000) points past the fragments") { try reader([0, 78, 100000]) }
        assertPixelError(.badEncapsulation, "entry 1 (4294967295) points past the fragments") { try reader([0, 0xFFFF_FFFF, 0xFFFF_FFFF]) }
        // Not increasing: an error where a frame would be empty; as pydicom reads them otherwise (a
        // fragment at or past the next entry starts the next frame).
        assertPixelError(.badEncapsulation, "entry 1 (0) is not above entry 0 (0): frame 0 would be empty") { try reader([0, 0, 156]) }
        XCTAssertEqual(try reader([0, 78, 78]).frameCount, 3)
        // A table whose length is not a multiple of 4.
        var raw = encapsulated(frames, offsets: [0, 78, 156]).bytes ?? []
        raw[4] = 10
        raw.removeSubrange(18..<20)
        let odd = imageDataSet(rows: 2, columns: 2, bitsAllocated: 8, frames: 3,
                               pixelData: Element(tag: .pixelData, vr: .OB, fileVR: .OB, length: 0xFFFF_FFFF, offset: 0, value: .bytes(raw)))
        assertPixelError(.badEncapsulation, "Basic Offset Table is 10 bytes long") { try pixelReader(odd, rleLossless) }
        // No fragments at all.
        assertPixelError(.badEncapsulation, "without fragments") { try reader([], fragments: []) }
    }

    func testFragmentsPastTheEnd() throws {
        let frame = rleFrame([packLiteral([1, 2, 3, 4]) + [0]])
        let ds = imageDataSet(rows: 2, columns: 2, bitsAllocated: 8, pixelData: encapsulated([frame]))
        let bytes = DICOMWriter(transferSyntax: rleLossless).write(ds)
        // The file cut inside the fragment: the reader reports it, and so does the pixel reader.
        let cut = Array(bytes.prefix(bytes.count - 20))
        let file = DICOMReader.read(bytes: cut)
        XCTAssertEqual(file.error?.kind, .truncated)
        assertPixelError(.unreadableFile, "could not be read through its pixel data") { try PixelReader(file: file, bytes: cut) }
        // A whole file's reading with fewer bytes behind it (a file that shrank): the fragment
        // runs past the end of the data.
        let whole = DICOMReader.read(bytes: bytes)
        assertPixelError(.badEncapsulation, "fragment 1 (70 bytes from byte") { try PixelReader(file: whole, bytes: cut) }
        // Native: a value past the end.
        let native = imageDataSet(rows: 4, columns: 4, bitsAllocated: 8, pixelData: .bytes(.pixelData, .OB, [UInt8](repeating: 7, count: 16)))
        let nb = DICOMWriter().write(native)
        assertPixelError(.tooShort, "runs past the end of the data") { try PixelReader(file: DICOMReader.read(bytes: nb), bytes: Array(nb.prefix(nb.count - 3))) }
    }

    /// Through a descriptor: a file that shrinks after it was opened is an error, not a short frame.
    func testFileThatShrinksAfterOpening() throws {
        let native = imageDataSet(rows: 16, columns: 16, bitsAllocated: 8, pixelData: .bytes(.pixelData, .OB, [UInt8](repeating: 7, count: 256)))
        let path = try temporaryFile(DICOMWriter().write(native))
        let fd = open(path, O_RDWR)
        defer { close(fd) }
        let r = try PixelReader(file: DICOMReader.read(path: path), fileDescriptor: fd)
        XCTAssertEqual(try r.frame(0).bytes, [UInt8](repeating: 7, count: 256))
        XCTAssertEqual(ftruncate(fd, off_t(r.frames.extent(ofFrame: 0).ranges[0].lowerBound + 10)), 0)
        assertPixelError(.tooShort, "the file ends at byte") { try r.frame(0) }
        assertPixelError(.invalidElement, "no frame 1") { try r.frame(1) }
        assertPixelError(.invalidElement, "no frame -1") { try r.frame(-1) }
    }

    /// Every prefix of a few small files: reading their pixel data never traps.
    func testEveryTruncationIsAnErrorOrAResult() throws {
        let rle = imageDataSet(rows: 3, columns: 3, samples: 3, bitsAllocated: 8, photometric: "YBR_FULL", planar: 0, frames: 2,
                               pixelData: encapsulated((0..<2).map { _ in rleFrame((0..<3).map { _ in packLiteral([UInt8](repeating: 9, count: 9)) }) },
                                                       offsets: [0, 100]))
        let native = imageDataSet(rows: 3, columns: 5, bitsAllocated: 1, frames: 3, pixelData: .bytes(.pixelData, .OB, [0xAB, 0xCD, 0xEF, 0x12, 0x34, 0x56]))
        for (ds, ts) in [(rle, rleLossless), (native, TransferSyntax.explicitVRLittleEndian), (native, .deflatedExplicitVRLittleEndian)] {
            let bytes = DICOMWriter(transferSyntax: ts).write(ds)
            for n in stride(from: 0, through: bytes.count, by: 1) {
                let cut = Array(bytes.prefix(n))
                let file = DICOMReader.read(bytes: cut)
                guard let r = try? PixelReader(file: file, bytes: cut) else { continue }
                for i in 0..<r.frameCount { _ = try? r.frame(i) }
            }
        }
    }
}
