import DICOMTestSupport
import DICOM
import Foundation
import PixelCodecs
import XCTest

/// Truncated, damaged and mislabelled frames come back as errors, never as a crash (GDCM's own
/// asserts abort the process: the header checks in front of it must catch what would reach them).
final class DamagedFrameTests: XCTestCase {
    /// One lossless frame per codec family, made from a writer-made image.
    func frames(in dir: URL) throws -> [EncapsulatedFrame] {
        let input = dir.appendingPathComponent("in.dcm")
        try NativeImage.mono12.write(to: input)
        let rgbInput = dir.appendingPathComponent("rgb.dcm")
        try NativeImage.rgb(planar: false).write(to: rgbInput)
        var out: [EncapsulatedFrame] = []
        for (name, args, source) in [("jpeg", ["--jpeg"], input), ("jpegls", ["--jpegls"], input), ("j2k", ["--j2k"], input),
                                     ("rgbjpegls", ["--jpegls"], rgbInput), ("rgbj2k", ["--j2k"], rgbInput)] {
            let output = dir.appendingPathComponent("\(name).dcm")
            let r = try runProgram(try tool("gdcmconv"), args + [source.path, output.path])
            XCTAssertEqual(r.status, 0, r.stderr)
            out.append(try readFrame(output.path))
        }
        let ybr = dir.appendingPathComponent("ybr.dcm")
        XCTAssertEqual(try runProgram(try tool("dcmcjpeg"), ["+eb", rgbInput.path, ybr.path]).status, 0)
        out.append(try readFrame(ybr.path))
        return out
    }

    func decode(_ f: EncapsulatedFrame, _ bytes: [UInt8], attributes: FrameAttributes? = nil) -> Result<PixelCodecs.DecodedFrame, CodecError> {
        GDCMDecoder.decode(frame: bytes, transferSyntax: f.transferSyntax, attributes: attributes ?? f.attributes)
    }

    func testTruncatedFramesAreErrors() throws {
        let dir = try temporaryFolder(self)
        for f in try frames(in: dir) {
            XCTAssertNoThrow(try decode(f, f.bytes).get(), f.transferSyntax)
            let n = f.bytes.count
            for cut in Set([0, 1, 2, 3, 4, 16, n / 4, n / 2, n - 40, n - 3]) where cut >= 0 && cut < n - 2 {
                let prefix = Array(f.bytes.prefix(cut))
                guard case .failure(let e) = decode(f, prefix) else {
                    XCTFail("\(f.transferSyntax) cut at \(cut) of \(n): decoded")
                    continue
                }
                XCTAssertEqual(e.kind, .badStream, "\(f.transferSyntax) cut at \(cut): \(e)")
            }
        }
    }

    func testGarbageAndMismatchedHeadersAreErrors() throws {
        let dir = try temporaryFolder(self)
        var generator = SystemRandomNumberGenerator()
        for f in try frames(in: dir) {
            let garbage = (0..<2000).map { _ in UInt8.random(in: 0...255, using: &generator) }
            XCTAssertThrowsError(try decode(f, garbage).get())
            XCTAssertThrowsError(try decode(f, garbage + [0xFF, 0xD9]).get())
            XCTAssertThrowsError(try decode(f, [0xFF, 0xD8, 0xFF, 0xD9]).get())
            XCTAssertThrowsError(try decode(f, []).get())
            // Attributes the codestream contradicts.
            var a = f.attributes
            a.rows += 1
            XCTAssertEqual(decodeError(f, a), .badStream)
            a = f.attributes
            a.columns -= 1
            XCTAssertEqual(decodeError(f, a), .badStream)
            a = f.attributes
            a.bitsAllocated = 8
            a.bitsStored = 8
            if f.attributes.bitsStored > 8 { XCTAssertEqual(decodeError(f, a), .badStream, "12-bit stream into 8 bits") }
            a = f.attributes
            a.samplesPerPixel = 4 - a.samplesPerPixel  // 1 <-> 3
            a.photometricInterpretation = a.samplesPerPixel == 3 ? "RGB" : "MONOCHROME2"
            XCTAssertEqual(decodeError(f, a), .badStream)
            a = f.attributes
            a.photometricInterpretation = a.samplesPerPixel == 3 ? "MONOCHROME2" : "RGB"
            XCTAssertEqual(decodeError(f, a), .badAttributes)
            a = f.attributes
            a.bitsStored = 17
            XCTAssertEqual(decodeError(f, a), .badAttributes)
            XCTAssertEqual(decodeError(f, f.attributes, maxFrameBytes: 100), .tooLarge)
        }
        let f = try XCTUnwrap(try frames(in: dir).first)
        let e = GDCMDecoder.decode(frame: f.bytes, transferSyntax: "1.2.840.10008.1.2.5", attributes: f.attributes)
        guard case .failure(let error) = e else { return XCTFail("RLE is not GDCMDecoder's") }
        XCTAssertEqual(error.kind, .unsupportedTransferSyntax)
        XCTAssertFalse(GDCMDecoder.canDecode(transferSyntax: "1.2.840.10008.1.2.1"))
        XCTAssertTrue(GDCMDecoder.canDecode(transferSyntax: "1.2.840.10008.1.2.4.91\0"))
        XCTAssertEqual(GDCMDecoder.transferSyntaxes.filter { GDCMDecoder.canDecode(transferSyntax: $0) }.count, 8)
        // The list the export routes to the decoder helper (which the main executable holds without
        // linking GDCM) is GDCM's own.
        XCTAssertEqual(Set(CodecTransferSyntaxes.all), Set(GDCMDecoder.transferSyntaxes))
        XCTAssertEqual(CodecTransferSyntaxes.all.count, 8)
        // A frame that would not fit memory is refused before anything is allocated.
        let huge = FrameAttributes(rows: 65535, columns: 65535, samplesPerPixel: 3, bitsAllocated: 16, bitsStored: 16, photometricInterpretation: "RGB")
        XCTAssertEqual(decodeError(f, huge), .tooLarge)
        XCTAssertEqual(decodeError(f, huge, maxFrameBytes: Int.max), .badStream, "the codestream says otherwise")
    }

    func decodeError(_ f: EncapsulatedFrame, _ a: FrameAttributes, maxFrameBytes: Int = 1 << 30) -> CodecError.Kind? {
        if case .failure(let e) = GDCMDecoder.decode(frame: f.bytes, transferSyntax: f.transferSyntax, attributes: a, maxFrameBytes: maxFrameBytes) {
            return e.kind
        }
        return nil
    }

    /// Random byte changes anywhere in the stream: any result but a crash, the output size is
    /// always the frame's, and nothing is printed (libjpeg's and OpenJPEG's messages come back in
    /// the error or the warnings).
    func testCorruptedStreamsNeverCrashNorPrint() throws {
        let dir = try temporaryFolder(self)
        var generator = SystemRandomNumberGenerator()
        var outcomes: [String: Int] = [:]
        let all = try frames(in: dir)
        let printed = try captureStandardError {
            for f in all {
                for round in 0..<150 {
                    var b = f.bytes
                    let changes = round % 3 == 0 ? 1 : Int.random(in: 1...12, using: &generator)
                    for _ in 0..<changes {
                        // A third of the rounds hit the header, where the checks are.
                        let limit = round % 3 == 1 ? min(b.count, 400) : b.count
                        b[Int.random(in: 0..<limit, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
                    }
                    switch decode(f, b) {
                    case .success(let d):
                        XCTAssertEqual(d.bytes.count, f.attributes.frameLength)
                        outcomes[d.warnings == nil ? "decoded" : "decoded with warnings", default: 0] += 1
                    case .failure(let e):
                        XCTAssertFalse(e.message.isEmpty)
                        outcomes[e.kind.rawValue, default: 0] += 1
                        if e.message.contains("libjpeg: ") || e.message.contains("OpenJPEG: ") {
                            outcomes["codec message", default: 0] += 1
                        }
                    }
                }
            }
        }
        XCTAssertEqual(printed, "", "the codecs printed")
        XCTAssertGreaterThan(outcomes["bad stream", default: 0], 0, "\(outcomes)")
        XCTAssertGreaterThan(outcomes["decode failed", default: 0], 0, "\(outcomes)")
        XCTAssertGreaterThan(outcomes["codec message", default: 0], 0, "\(outcomes)")
    }

    /// Many threads decoding at once give the same bytes as one.
    func testConcurrentDecodingMatchesSerial() throws {
        let dir = try temporaryFolder(self)
        let all = try frames(in: dir)
        let serial = try all.map { try decode($0, $0.bytes).get() }
        final class Results: @unchecked Sendable {
            var items = [PixelCodecs.DecodedFrame?](repeating: nil, count: 48)
            let lock = NSLock()
        }
        let results = Results()
        DispatchQueue.concurrentPerform(iterations: 48) { i in
            let f = all[i % all.count]
            let d = try? GDCMDecoder.decode(frame: f.bytes, transferSyntax: f.transferSyntax, attributes: f.attributes).get()
            results.lock.lock()
            results.items[i] = d
            results.lock.unlock()
        }
        for i in 0..<48 { XCTAssertEqual(results.items[i], serial[i % all.count], "\(i)") }
    }
}

/// Runs `body` with file descriptor 2 sent to a temporary file; returns what was written there.
func captureStandardError(_ body: () throws -> Void) throws -> String {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("stderr-\(UUID().uuidString)")
    guard FileManager.default.createFile(atPath: url.path, contents: nil) else { throw CocoaError(.fileWriteUnknown) }
    defer { try? FileManager.default.removeItem(at: url) }
    let handle = try FileHandle(forWritingTo: url)
    fflush(stderr)
    let saved = dup(2)
    dup2(handle.fileDescriptor, 2)
    defer {
        fflush(stderr)
        dup2(saved, 2)
        close(saved)
        try? handle.close()
    }
    try body()
    fflush(stderr)
    return try String(contentsOf: url, encoding: .utf8)
}
