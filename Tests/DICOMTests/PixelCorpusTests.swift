import Foundation
import XCTest
@testable import DICOM

/// Agreement with pydicom 3.0.2's `pixel_array` on the corpus (expected-pixels.jsonl), for every
/// file whose transfer syntax this library decodes itself: native (implicit/explicit little endian,
/// big endian, deflated) and RLE Lossless.
final class PixelCorpusTests: XCTestCase {
    static let ownSyntaxes: Set<String> = ["1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2",
                                           "1.2.840.10008.1.2.1.99", "1.2.840.10008.1.2.5"]

    func testEveryNativeAndRLEFileDecodesAsPydicom() throws {
        let (dir, expected) = try loadExpectedPixels()
        var checked: Set<String> = []
        for exp in expected where Self.ownSyntaxes.contains(exp.transferSyntax) {
            let path = dir.appendingPathComponent(exp.path).path
            let file = DICOMReader.read(path: path)
            XCTAssertNil(file.error, exp.path)
            let fd = open(path, O_RDONLY)
            XCTAssertGreaterThanOrEqual(fd, 0, exp.path)
            defer { close(fd) }
            let reader = try PixelReader(file: file, fileDescriptor: fd)
            XCTAssertEqual(reader.frameCount, exp.frames, exp.path)
            let (bytes, shape, type, photometric) = try decodeAll(reader)
            XCTAssertEqual(shape, exp.shape, exp.path)
            XCTAssertEqual(type.rawValue, exp.dtype, exp.path)
            XCTAssertEqual(photometric, exp.photometric, exp.path)
            XCTAssertEqual(try sha256Hex(bytes), exp.sha256, exp.path)
            let values = sampleValues(bytes, type)
            XCTAssertEqual(values.min(), exp.min, exp.path)
            XCTAssertEqual(values.max(), exp.max, exp.path)
            checked.insert(exp.transferSyntax)
        }
        // The corpus holds implicit and explicit little endian, big endian and RLE files.
        XCTAssertTrue(checked.isSuperset(of: ["1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2", "1.2.840.10008.1.2.5"]), "\(checked)")
    }

    /// The JPEG, JPEG-LS and JPEG 2000 files: their frames are located (one codestream each, from
    /// its start marker to its end marker), and without a decoder decoding is a clear error.
    func testCompressedFramesAreLocated() throws {
        let (dir, expected) = try loadExpectedPixels()
        var located = 0
        for exp in expected where !Self.ownSyntaxes.contains(exp.transferSyntax) {
            let path = dir.appendingPathComponent(exp.path).path
            let fd = open(path, O_RDONLY)
            defer { close(fd) }
            let reader = try PixelReader(file: DICOMReader.read(path: path), fileDescriptor: fd)
            XCTAssertEqual(reader.frameCount, exp.frames, exp.path)
            for i in 0..<reader.frameCount {
                let frame = try reader.encodedFrame(i)
                // JPEG and JPEG-LS: SOI FFD8; JPEG 2000 codestream: SOC FF4F; all end with FFD9
                // (EOI or EOC), perhaps followed by one pad byte.
                XCTAssertTrue(frame.starts(with: [0xFF, 0xD8]) || frame.starts(with: [0xFF, 0x4F]), exp.path)
                let end = frame.suffix(3)
                XCTAssertTrue(end.suffix(2).elementsEqual([0xFF, 0xD9]) || end.prefix(2).elementsEqual([0xFF, 0xD9]), exp.path)
            }
            assertPixelError(.unsupported, "no decoder for the transfer syntax") { try reader.frame(0) }
            located += 1
        }
        XCTAssertEqual(located, 5)
    }

    /// A read that keeps only `PixelReader.elementsNeeded` locates and decodes the same frames as
    /// the whole read, for every corpus file (encapsulated ones: the same encoded frames), and for
    /// copies cut short in the pixel data (the same error, or the same frames).
    func testReadingOnlyTheElementsNeededDecodesAsTheWholeRead() throws {
        let (dir, expected) = try loadExpectedPixels()
        let options = ReadOptions(tags: PixelReader.elementsNeeded)
        var compared = (whole: 0, cut: 0), failedAlike = (whole: 0, cut: 0)
        for exp in expected {
            let path = dir.appendingPathComponent(exp.path).path
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            for cut in [bytes.count, bytes.count - 100] {
                let copy = Array(bytes.prefix(cut))
                let whole = DICOMReader.read(bytes: copy)
                let part = DICOMReader.read(bytes: copy, options: options)
                XCTAssertEqual(part.transferSyntax?.uid, whole.transferSyntax?.uid, exp.path)
                let a = Result { () throws(PixelError) in try PixelReader(file: whole, bytes: copy) }
                let b = Result { () throws(PixelError) in try PixelReader(file: part, bytes: copy) }
                switch (a, b) {
                case (.success(let ra), .success(let rb)):
                    XCTAssertEqual(ra.format, rb.format, exp.path)
                    XCTAssertEqual(ra.frameCount, rb.frameCount, exp.path)
                    for i in 0..<ra.frameCount {
                        XCTAssertEqual(try? ra.encodedFrame(i), try? rb.encodedFrame(i), "\(exp.path) frame \(i), cut at \(cut)")
                        if Self.ownSyntaxes.contains(exp.transferSyntax) {
                            XCTAssertEqual(try? ra.frame(i), try? rb.frame(i), "\(exp.path) frame \(i), cut at \(cut)")
                        }
                    }
                    if cut == bytes.count { compared.whole += 1 } else { compared.cut += 1 }
                case (.failure(let ea), .failure(let eb)):
                    XCTAssertEqual(ea.kind, eb.kind, "\(exp.path) cut at \(cut): \(ea) / \(eb)")
                    if cut == bytes.count { failedAlike.whole += 1 } else { failedAlike.cut += 1 }
                default:
                    XCTFail("\(exp.path) cut at \(cut): whole read \(a), selective read \(b)")
                }
            }
        }
        XCTAssertEqual(compared.whole, expected.count, "every corpus file, whole, decodes both ways")
        XCTAssertEqual(compared.cut + failedAlike.cut, expected.count)
        XCTAssertGreaterThan(failedAlike.cut, 0, "cut copies fail alike")
    }

    /// The same files read from memory give the same frames as through the descriptor.
    func testMemoryAndDescriptorSourcesAgree() throws {
        let (dir, expected) = try loadExpectedPixels()
        for exp in expected where exp.path.hasPrefix("dcm_qa_ts/") && Self.ownSyntaxes.contains(exp.transferSyntax) {
            let path = dir.appendingPathComponent(exp.path).path
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            let file = DICOMReader.read(bytes: bytes)
            let fromMemory = try PixelReader(file: file, bytes: bytes)
            let fd = open(path, O_RDONLY)
            defer { close(fd) }
            let fromFile = try PixelReader(file: DICOMReader.read(path: path), fileDescriptor: fd)
            XCTAssertEqual(try fromMemory.frame(0), try fromFile.frame(0), exp.path)
            XCTAssertEqual(try fromMemory.encodedFrame(0), try fromFile.encodedFrame(0), exp.path)
        }
    }
}
