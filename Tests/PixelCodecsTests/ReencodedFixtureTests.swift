import DICOMTestSupport
import DICOM
import Foundation
import PixelCodecs
import XCTest

/// Writer-made images re-encoded by GDCM's and DCMTK's command-line encoders, decoded back.
final class ReencodedFixtureTests: XCTestCase {
    struct Encoding {
        let tool: String
        let args: [String]
        let transferSyntax: String
        /// Largest allowed |decoded - original| (0: lossless).
        let tolerance: Int
    }

    static let gray: [NativeImage] = [.mono8, .mono12, .mono16, .signed16, .signed12]
    static let all: [NativeImage] = gray + [.rgb(planar: false), .rgb(planar: true)]

    /// Encodes `image` with `encoding` in `dir`; returns the frame as read back.
    func encode(_ image: NativeImage, _ encoding: Encoding, in dir: URL) throws -> EncapsulatedFrame {
        let input = dir.appendingPathComponent("\(image.name).dcm")
        if !FileManager.default.fileExists(atPath: input.path) { try image.write(to: input) }
        let output = dir.appendingPathComponent("\(image.name)-\(encoding.tool)-\(encoding.args.joined()).dcm")
        let r = try runProgram(try tool(encoding.tool), encoding.args + [input.path, output.path])
        XCTAssertEqual(r.status, 0, "\(encoding.tool) \(encoding.args) \(image.name): \(r.stderr)")
        let frame = try readFrame(output.path)
        XCTAssertEqual(frame.transferSyntax, encoding.transferSyntax, "\(encoding.tool) \(encoding.args) \(image.name)")
        return frame
    }

    /// Decodes and compares sample by sample with the original; returns (max, mean) error.
    @discardableResult
    func check(_ image: NativeImage, _ encoding: Encoding, in dir: URL, file: StaticString = #filePath, line: UInt = #line) throws -> (Int, Double) {
        let frame = try encode(image, encoding, in: dir)
        let label = "\(image.name) by \(encoding.tool) \(encoding.args.joined(separator: " "))"
        XCTAssertTrue(GDCMDecoder.canDecode(transferSyntax: frame.transferSyntax), label, file: file, line: line)
        let decoded: PixelCodecs.DecodedFrame
        switch GDCMDecoder.decode(frame: frame.bytes, transferSyntax: frame.transferSyntax, attributes: frame.attributes) {
        case .success(let d): decoded = d
        case .failure(let e):
            XCTFail("\(label): \(e)", file: file, line: line)
            return (Int.max, 0)
        }
        var got = decoded.bytes
        if image.attributes.samplesPerPixel == 3 && decoded.photometricInterpretation == "YBR_FULL" {
            got = ybrFullToRGB(got)
        } else {
            XCTAssertEqual(decoded.photometricInterpretation, image.attributes.photometricInterpretation, label, file: file, line: line)
        }
        let original = image.interleaved
        XCTAssertEqual(got.count, original.count, label, file: file, line: line)
        guard got.count == original.count else { return (Int.max, 0) }
        if encoding.tolerance == 0 && decoded.photometricInterpretation != "YBR_FULL" {
            XCTAssertTrue(got == original, "\(label): not lossless", file: file, line: line)
        }
        let a = image.attributes
        let samples = a.rows * a.columns * a.samplesPerPixel
        var worst = 0, total = 0
        for i in 0..<samples {
            let d = abs(NativeImage.sample(got, i, a) - NativeImage.sample(original, i, a))
            worst = max(worst, d)
            total += d
        }
        XCTAssertLessThanOrEqual(worst, encoding.tolerance, label, file: file, line: line)
        return (worst, Double(total) / Double(samples))
    }

    func testLosslessEncodingsGiveTheOriginalPixelsExactly() throws {
        let dir = try temporaryFolder(self)
        let encodings = [
            Encoding(tool: "gdcmconv", args: ["--jpeg"], transferSyntax: "1.2.840.10008.1.2.4.70", tolerance: 0),
            Encoding(tool: "gdcmconv", args: ["--jpegls"], transferSyntax: "1.2.840.10008.1.2.4.80", tolerance: 0),
            Encoding(tool: "gdcmconv", args: ["--j2k"], transferSyntax: "1.2.840.10008.1.2.4.90", tolerance: 0),
            Encoding(tool: "dcmcjpeg", args: [], transferSyntax: "1.2.840.10008.1.2.4.70", tolerance: 0),
            Encoding(tool: "dcmcjpeg", args: ["+el"], transferSyntax: "1.2.840.10008.1.2.4.57", tolerance: 0),
            Encoding(tool: "dcmcjpls", args: [], transferSyntax: "1.2.840.10008.1.2.4.80", tolerance: 0),
        ]
        for image in Self.all {
            for encoding in encodings { try check(image, encoding, in: dir) }
        }
    }

    /// JPEG-LS near-lossless guarantees |error| <= the allowed error.
    func testNearLosslessJPEGLSStaysWithinItsBound() throws {
        let dir = try temporaryFolder(self)
        let gdcm = Encoding(tool: "gdcmconv", args: ["--jpegls", "--lossy", "-e", "2"], transferSyntax: "1.2.840.10008.1.2.4.81", tolerance: 2)
        let dcmtk = Encoding(tool: "dcmcjpls", args: ["+en", "+md", "3"], transferSyntax: "1.2.840.10008.1.2.4.81", tolerance: 3)
        for image in Self.all {
            // dcmcjpls refuses signed pixels for near-lossless coding.
            for encoding in image.attributes.pixelRepresentation == 1 ? [gdcm] : [gdcm, dcmtk] {
                let (worst, _) = try check(image, encoding, in: dir)
                XCTAssertGreaterThan(worst, 0, "\(image.name) \(encoding.args): lossy coding changed nothing")
            }
        }
    }

    /// Lossy JPEG 2000 (irreversible, 5:1) and lossy JPEG (IJG quality 90) stay within a few
    /// units of the original (tolerances ~1.5 x what these encoders give on these images).
    func testLossyJPEGAndJPEG2000StayClose() throws {
        let dir = try temporaryFolder(self)
        for image in Self.all {
            let tolerance = image.attributes.bitsStored == 8 ? 4 : image.attributes.bitsStored == 12 ? 8 : 32
            let j2k = Encoding(tool: "gdcmconv", args: ["--j2k", "--lossy", "--irreversible", "-r", "5"],
                               transferSyntax: "1.2.840.10008.1.2.4.91", tolerance: tolerance)
            let (worst, mean) = try check(image, j2k, in: dir)
            XCTAssertGreaterThan(worst, 0, "\(image.name): lossy coding changed nothing")
            XCTAssertLessThanOrEqual(mean, Double(tolerance) / 2, image.name)
        }
        let baseline = "1.2.840.10008.1.2.4.50", extended = "1.2.840.10008.1.2.4.51"
        for image in [NativeImage.mono8, .rgb(planar: false), .rgb(planar: true)] {
            for args in [["+eb"], ["+ee"], ["+eb", "+cr"]] {
                let (worst, mean) = try check(image, Encoding(tool: "dcmcjpeg", args: args, transferSyntax: args[0] == "+eb" ? baseline : extended, tolerance: 8), in: dir)
                XCTAssertGreaterThan(worst, 0, "\(image.name) \(args): lossy coding changed nothing")
                XCTAssertLessThanOrEqual(mean, 2, "\(image.name) \(args)")
            }
        }
        let (worst, mean) = try check(.mono12, Encoding(tool: "dcmcjpeg", args: ["+ee"], transferSyntax: extended, tolerance: 20), in: dir)
        XCTAssertGreaterThan(worst, 0)
        XCTAssertLessThanOrEqual(mean, 4)
    }

    /// What comes back for colour: YCbCr from YBR_FULL_422 baseline (GDCM does not convert; pydicom
    /// would return RGB), RGB from a JPEG marked RGB (Adobe transform 0, DCMTK's +cr).
    func testColourJPEGReportsWhatItReturns() throws {
        let dir = try temporaryFolder(self)
        let image = NativeImage.rgb(planar: false)
        let ybr = try encode(image, Encoding(tool: "dcmcjpeg", args: ["+eb"], transferSyntax: "1.2.840.10008.1.2.4.50", tolerance: 8), in: dir)
        XCTAssertEqual(ybr.attributes.photometricInterpretation, "YBR_FULL_422")
        let decodedYBR = try GDCMDecoder.decode(frame: ybr.bytes, transferSyntax: ybr.transferSyntax, attributes: ybr.attributes).get()
        XCTAssertEqual(decodedYBR.photometricInterpretation, "YBR_FULL")
        // Full-resolution YCbCr: luma of the first pixel is about 0.299 R + 0.587 G + 0.114 B.
        let (r, g, b) = (Double(image.pixels[0]), Double(image.pixels[1]), Double(image.pixels[2]))
        XCTAssertEqual(Double(decodedYBR.bytes[0]), 0.299 * r + 0.587 * g + 0.114 * b, accuracy: 4)
        let rgb = try encode(image, Encoding(tool: "dcmcjpeg", args: ["+eb", "+cr"], transferSyntax: "1.2.840.10008.1.2.4.50", tolerance: 8), in: dir)
        XCTAssertEqual(rgb.attributes.photometricInterpretation, "RGB")
        XCTAssertEqual(try GDCMDecoder.decode(frame: rgb.bytes, transferSyntax: rgb.transferSyntax, attributes: rgb.attributes).get().photometricInterpretation, "RGB")
    }

    /// JPEG 2000 with the multiple component transform (opj_compress turns it on for 3 components):
    /// OpenJPEG inverts it, the output is RGB, exactly the original for the reversible transform.
    func testJPEG2000ColourTransformComesBackAsRGB() throws {
        let dir = try temporaryFolder(self)
        let image = NativeImage.rgb(planar: false)
        let ppm = dir.appendingPathComponent("rgb.ppm")
        try Data(Array("P6\n\(image.attributes.columns) \(image.attributes.rows)\n255\n".utf8) + image.pixels).write(to: ppm)
        for (args, uid, photometric, tolerance) in [([String](), "1.2.840.10008.1.2.4.90", "YBR_RCT", 0),
                                                    (["-I"], "1.2.840.10008.1.2.4.91", "YBR_ICT", 4)] {
            let j2k = dir.appendingPathComponent("rgb\(args.joined()).j2k")
            let r = try runProgram(try tool("opj_compress"), ["-i", ppm.path, "-o", j2k.path] + args)
            XCTAssertEqual(r.status, 0, r.stderr)
            let stream = try [UInt8](Data(contentsOf: j2k))
            // COD's multiple component transformation byte is set.
            let cod = try XCTUnwrap((0..<(stream.count - 1)).first { stream[$0] == 0xFF && stream[$0 + 1] == 0x52 })
            XCTAssertEqual(stream[cod + 8], 1, "MCT")
            var a = image.attributes
            a.photometricInterpretation = photometric
            let decoded = try GDCMDecoder.decode(frame: stream, transferSyntax: uid, attributes: a).get()
            XCTAssertEqual(decoded.photometricInterpretation, "RGB")
            let worst = zip(decoded.bytes, image.pixels).map { abs(Int($0) - Int($1)) }.max() ?? -1
            XCTAssertLessThanOrEqual(worst, tolerance, photometric)
        }
    }
}

extension ReencodedFixtureTests {
    /// An 8-bit codestream in a 16-bit frame (Bits Allocated 16, Bits Stored 8) comes back widened;
    /// signed values are sign-extended from Bits Stored.
    func testNarrowCodestreamsAreWidenedAndSignExtended() throws {
        let dir = try temporaryFolder(self)
        let image = NativeImage.mono8
        for encoding in [Encoding(tool: "gdcmconv", args: ["--jpeg"], transferSyntax: "1.2.840.10008.1.2.4.70", tolerance: 0),
                         Encoding(tool: "gdcmconv", args: ["--jpegls"], transferSyntax: "1.2.840.10008.1.2.4.80", tolerance: 0),
                         Encoding(tool: "gdcmconv", args: ["--j2k"], transferSyntax: "1.2.840.10008.1.2.4.90", tolerance: 0)] {
            let frame = try encode(image, encoding, in: dir)
            var a = frame.attributes
            a.bitsAllocated = 16
            let wide = try GDCMDecoder.decode(frame: frame.bytes, transferSyntax: frame.transferSyntax, attributes: a).get()
            XCTAssertEqual(wide.bytes, image.pixels.flatMap { [$0, 0] }, encoding.transferSyntax)
            a.pixelRepresentation = 1
            let signed = try GDCMDecoder.decode(frame: frame.bytes, transferSyntax: frame.transferSyntax, attributes: a).get()
            XCTAssertEqual(signed.bytes, image.pixels.flatMap { [$0, $0 >= 128 ? 0xFF : 0] }, encoding.transferSyntax)
        }
    }
}
