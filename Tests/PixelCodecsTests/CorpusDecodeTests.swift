import DICOM
import Foundation
import PixelCodecs
import XCTest

/// Agreement with pydicom 3.0.2 on the compressed files of ../shared/corpus (expected-pixels.jsonl:
/// sha256 of the decoded array's bytes, little endian, C order; min; max).
final class CorpusDecodeTests: XCTestCase {
    func testCompressedCorpusFramesMatchPydicom() throws {
        let dir = try corpusDirectory()
        let text = try String(contentsOf: dir.appendingPathComponent("expected-pixels.jsonl"), encoding: .utf8)
        var decodedSyntaxes: Set<String> = []
        for line in text.split(separator: "\n") where !line.isEmpty {
            let entry = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            guard let uid = entry["transfer_syntax"] as? String, GDCMDecoder.canDecode(transferSyntax: uid) else { continue }
            let path = try XCTUnwrap(entry["path"] as? String)
            XCTAssertEqual(entry["frames"] as? Int, 1, "\(path): only single frames are split here")
            let frame = try readFrame(dir.appendingPathComponent(path).path)
            XCTAssertEqual(frame.transferSyntax, uid, path)
            let decoded: PixelCodecs.DecodedFrame
            switch GDCMDecoder.decode(frame: frame.bytes, transferSyntax: frame.transferSyntax, attributes: frame.attributes) {
            case .success(let d): decoded = d
            case .failure(let e):
                XCTFail("\(path): \(e)")
                continue
            }
            decodedSyntaxes.insert(uid)
            XCTAssertEqual(decoded.photometricInterpretation, entry["photometric_interpretation"] as? String, path)
            XCTAssertEqual(try sha256(decoded.bytes), entry["sha256"] as? String, path)
            let a = frame.attributes
            let dtype = (a.pixelRepresentation == 1 ? "int" : "uint") + "\(a.bitsAllocated)"
            XCTAssertEqual(dtype, entry["dtype"] as? String, path)
            let samples = (0..<(a.rows * a.columns * a.samplesPerPixel)).map { NativeImage.sample(decoded.bytes, $0, a) }
            XCTAssertEqual(samples.min(), entry["min"] as? Int, path)
            XCTAssertEqual(samples.max(), entry["max"] as? Int, path)
        }
        // The corpus has JPEG lossless, JPEG-LS and JPEG 2000 files.
        XCTAssertTrue(decodedSyntaxes.isSuperset(of: ["1.2.840.10008.1.2.4.70", "1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.90"]),
                      "\(decodedSyntaxes)")
    }
}
