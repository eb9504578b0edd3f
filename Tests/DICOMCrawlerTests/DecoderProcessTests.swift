import DICOM
@testable import DICOMCrawler
import XCTest

/// The helper process that decodes frames: a decoder that crashes or hangs costs one frame, and the
/// next frame gets a new helper.
final class DecoderProcessTests: XCTestCase {
    let format = try! PixelFormat(rows: 2, columns: 2, bitsAllocated: 8, bitsStored: 8)

    func decode(_ p: DecoderProcess) -> Result<DecoderOutput, PixelError> {
        [UInt8](repeating: 1, count: 8).withUnsafeBytes { raw in
            Result { () throws(PixelError) in try p.decode(raw, format: format, transferSyntaxUID: "1.2.840.10008.1.2.4.50") }
        }
    }

    func testACrashingDecoderFailsTheFrameNotTheProcess() {
        // A "decoder" that dies of SIGSEGV on its first frame, as GDCM's asserts abort.
        let p = DecoderProcess(command: ["/bin/sh", "-c", "head -c 1 >/dev/null; kill -SEGV $$"], syntaxes: ["1.2.840.10008.1.2.4.50"])
        for _ in 0..<2 {
            guard case .failure(let e) = decode(p) else { return XCTFail("a crashed decoder decoded") }
            XCTAssertEqual(e.kind, .decoderFailed)
            XCTAssertTrue(e.message.contains("crashed (signal 11)"), e.message)
        }
        p.stop()
    }

    func testAHangingDecoderIsStopped() {
        let p = DecoderProcess(command: ["/bin/sh", "-c", "exec sleep 30"], syntaxes: [], timeoutSeconds: 1)
        let started = Date()
        guard case .failure(let e) = decode(p) else { return XCTFail("a hanging decoder decoded") }
        XCTAssertTrue(e.message.contains("took more than 1 s"), e.message)
        XCTAssertLessThan(Date().timeIntervalSince(started), 10)
    }

    /// Status 127 is the dynamic loader's (a library missing) or exec's: the message says how to see why.
    func testADecoderThatCannotStartSaysHowToSeeWhy() {
        let p = DecoderProcess(command: ["/bin/sh", "-c", "exit 127"], syntaxes: [])
        guard case .failure(let e) = decode(p) else { return XCTFail("decoded without a decoder") }
        XCTAssertEqual(e.kind, .decoderFailed)
        XCTAssertTrue(e.message.contains("status 127: it could not start") && e.message.contains("/bin/sh --version"), e.message)
    }

    func testAMissingDecoderIsAnError() {
        let p = DecoderProcess(command: ["/nonexistent/decoder"], syntaxes: [])
        guard case .failure(let e) = decode(p) else { return XCTFail("decoded without a decoder") }
        XCTAssertEqual(e.kind, .decoderFailed)
    }
}
