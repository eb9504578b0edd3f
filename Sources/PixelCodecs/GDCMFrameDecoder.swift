import DICOM

/// GDCM's codecs as the pixel layer's `FrameDecoder` (`PixelReader(..., decoder:)`), in this
/// process. `dicomcrawler export` runs it in its helper process, `dicomcrawler-decoder`, so that a
/// codec that aborts on a hostile frame costs one file.
public struct GDCMFrameDecoder: FrameDecoder {
    public init() {}

    public func canDecode(transferSyntaxUID: String) -> Bool { GDCMDecoder.canDecode(transferSyntax: transferSyntaxUID) }

    public func decode(_ frame: UnsafeRawBufferPointer, format: PixelFormat, transferSyntaxUID: String) throws(PixelError) -> DecoderOutput {
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
