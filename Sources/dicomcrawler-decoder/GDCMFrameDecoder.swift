import DICOM
import PixelCodecs
#if canImport(Glibc)
import Glibc
#endif

/// GDCM's codecs as the pixel layer's `FrameDecoder`.
struct GDCMFrameDecoder: FrameDecoder {
    /// Test hook: abort on a frame holding these bytes.
    var abortMarker: [UInt8]? = nil

    func canDecode(transferSyntaxUID: String) -> Bool { GDCMDecoder.canDecode(transferSyntax: transferSyntaxUID) }

    func decode(_ frame: UnsafeRawBufferPointer, format: PixelFormat, transferSyntaxUID: String) throws(PixelError) -> DecoderOutput {
        if let marker = abortMarker, !marker.isEmpty, frame.count >= marker.count,
           (0...(frame.count - marker.count)).contains(where: { i in marker.indices.allSatisfy { frame[i + $0] == marker[$0] } }) {
            abort()
        }
        let attributes = FrameAttributes(rows: format.rows, columns: format.columns, samplesPerPixel: format.samplesPerPixel,
                                         bitsAllocated: format.bitsAllocated, bitsStored: format.bitsStored,
                                         pixelRepresentation: format.isSigned ? 1 : 0,
                                         photometricInterpretation: format.photometric, planarConfiguration: format.planarConfiguration)
        switch GDCMDecoder.decode(frame: frame, transferSyntax: transferSyntaxUID, attributes: attributes) {
        case .success(let f):
            return DecoderOutput(bytes: f.bytes, bytesPerSample: max(1, format.bitsAllocated / 8), isPlanar: false,
                                 photometric: f.photometricInterpretation)
        case .failure(let e):
            throw PixelError(.decoderFailed, e.description)
        }
    }
}
