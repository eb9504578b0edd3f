// dicomcrawler-decoder: the helper process of `dicomcrawler export`. It decodes the JPEG, JPEG-LS
// and JPEG 2000 frames its parent sends over a socket (see `DecoderProcess`), so that a codec that
// crashes or hangs on a hostile frame costs one file, not the export. GDCM is linked here and only
// here: loading it costs ~20 ms at start-up, which every other command would pay.
import DICOM
import DICOMCrawler
import PixelCodecs
#if canImport(Glibc)
import Glibc
#endif

// `--version`: GDCM's version (what `dicomcrawler --version` shows for the helper).
if CommandLine.arguments.count == 2 && CommandLine.arguments[1] == "--version" {
    print("GDCM \(GDCMDecoder.libraryVersion)")
    exit(0)
}

if CommandLine.arguments.count > 1 || isatty(0) != 0 {
    let message = "dicomcrawler-decoder: the helper process of `dicomcrawler export`, started by it (not by hand); it must be installed beside dicomcrawler.\n"
    fputs(message, stderr)
    exit(2)
}

/// Test hook: `DICOMCRAWLER_TEST_DECODER_ABORT_MARKER` makes the helper abort() on a frame holding
/// these bytes, as a codec does on some hostile frames (the test that export survives it).
let abortMarker: [UInt8]? = getenv("DICOMCRAWLER_TEST_DECODER_ABORT_MARKER").map { Array(String(cString: $0).utf8) }

/// GDCM's codecs (`GDCMFrameDecoder`), with the test hook in front.
struct HelperDecoder: FrameDecoder {
    let codecs = GDCMFrameDecoder()
    let abortMarker: [UInt8]?

    func canDecode(transferSyntaxUID: String) -> Bool { codecs.canDecode(transferSyntaxUID: transferSyntaxUID) }

    func decode(_ frame: UnsafeRawBufferPointer, format: PixelFormat, transferSyntaxUID: String) throws(PixelError) -> DecoderOutput {
        if let marker = abortMarker, !marker.isEmpty, frame.count >= marker.count,
           (0...(frame.count - marker.count)).contains(where: { i in marker.indices.allSatisfy { frame[i + $0] == marker[$0] } }) {
            abort()
        }
        return try codecs.decode(frame, format: format, transferSyntaxUID: transferSyntaxUID)
    }
}

exit(DecoderWorker.serve(decoder: HelperDecoder(abortMarker: abortMarker)))
