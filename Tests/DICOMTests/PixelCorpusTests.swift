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
