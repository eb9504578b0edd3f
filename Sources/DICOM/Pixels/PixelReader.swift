/// Reads and decodes the frames of one file's pixel data, as pydicom's `pixel_array` (default
/// options) gives them: native data in any byte order (deflated too), RLE Lossless, and other
/// encapsulated syntaxes through a `FrameDecoder`. Frames are independent: one reader may decode
/// different frames on different threads at once.
///
/// What every path shares, in pydicom's order: 1-bit samples unpacked to `uint8`; native
/// YBR_FULL_422 expanded to full YBR; planar configuration 1 made interleaved; the unused bits
/// above Bits Stored corrected (signed values sign-extended, unsigned ones masked; JPEG-LS and
/// JPEG 2000 get pydicom's sign corrections from the codestream's precision instead); 8-bit
/// YBR_FULL and YBR_FULL_422 converted to RGB. Colour in YBR with more than 8 bits stays YBR
/// (pydicom refuses to convert it).
public struct PixelReader: Sendable {
    public let frames: FrameTable
    public let source: PixelSource
    /// Decodes the encapsulated syntaxes other than RLE.
    public var decoder: (any FrameDecoder)?
    /// Largest decoded frame accepted, in bytes: a header may claim 65535 × 65535 × 3 samples of
    /// 64 bits, which must not become an allocation.
    public var maxFrameBytes: Int = 1 << 31

    /// The top-level elements a `PixelReader` reads: a file read with
    /// `ReadOptions(tags: PixelReader.elementsNeeded)` (the Image Pixel module's numbers, the pixel
    /// data and its offset tables; every other element skipped) decodes as one read whole.
    public static let elementsNeeded: Set<Tag> = [
        Tag(0x0028_0002), Tag(0x0028_0004), Tag(0x0028_0006), Tag(0x0028_0008), Tag(0x0028_0010), Tag(0x0028_0011),
        Tag(0x0028_0100), Tag(0x0028_0101), Tag(0x0028_0102), Tag(0x0028_0103),
        Tag(0x7FE0_0001), Tag(0x7FE0_0002), .floatPixelData, .doubleFloatPixelData, .pixelData,
    ]

    public var format: PixelFormat { frames.format }
    /// Frames to decode (Number of Frames, or more when whole frames beyond it are there).
    public var frameCount: Int { frames.count }

    /// Locates the pixel data of `file` (read with default `ReadOptions`) in `source`, which holds
    /// the file's bytes. For the deflated transfer syntax the data set is inflated into memory, up
    /// to the end of its pixel data.
    public init(file: DicomFile, source: PixelSource, decoder: (any FrameDecoder)? = nil) throws(PixelError) {
        var src = source
        if file.transferSyntax?.isDeflated == true {
            var end = 0
            for tag in [Tag.floatPixelData, .doubleFloatPixelData, .pixelData] {
                switch file.dataSet[tag]?.value {
                case .notLoaded(let offset, let length)?, .truncated(_, let offset, let length)?:
                    end = max(end, offset + length)
                case .fragments(let items)?:
                    end = max(end, items.last.map { $0.offset + $0.length } ?? 0)
                default: break
                }
            }
            if end > 0 { src = try source.inflatedDataSet(of: file, upTo: end) }
        }
        frames = try FrameTable(file: file, source: src)
        self.source = src
        self.decoder = decoder
    }

    /// Reads through an open descriptor (`pread`), which the caller keeps open while decoding.
    public init(file: DicomFile, fileDescriptor: Int32, decoder: (any FrameDecoder)? = nil) throws(PixelError) {
        try self.init(file: file, source: PixelSource(fileDescriptor: fileDescriptor), decoder: decoder)
    }

    /// Reads from the bytes of the whole file (those given to `DICOMReader.read(bytes:)`).
    public init(file: DicomFile, bytes: [UInt8], decoder: (any FrameDecoder)? = nil) throws(PixelError) {
        try self.init(file: file, source: PixelSource(bytes: bytes), decoder: decoder)
    }

    /// The stored bytes of frame `index`: native bytes (for 1-bit data, the bytes its bits span),
    /// or the encoded frame (its fragments concatenated).
    public func encodedFrame(_ index: Int) throws(PixelError) -> [UInt8] {
        let extent = try extent(index)
        var out = [UInt8](repeating: 0, count: extent.byteCount)
        try read(extent, into: &out, at: 0)
        return out
    }

    /// Decodes frame `index` (0-based).
    public func frame(_ index: Int) throws(PixelError) -> DecodedFrame {
        let extent = try extent(index)
        let f = format
        let type = f.sampleType
        let outCount = f.samplesPerFrame * type.byteWidth
        guard outCount <= maxFrameBytes else {
            throw PixelError(.tooLarge, frame: index, "a decoded frame of \(f.rows) x \(f.columns) x \(f.samplesPerPixel) \(type) samples is \(outCount) bytes, more than \(maxFrameBytes) (PixelReader.maxFrameBytes)")
        }
        let ts = frames.transferSyntax
        var decoded: (bytes: [UInt8], photometric: String)
        do throws(PixelError) {
            if case .native = frames.layout {
                // Native data (also Float and Double Float Pixel Data in an encapsulated syntax).
                decoded = try decodeNative(extent, outCount: outCount)
                correctUnusedBits(&decoded.bytes)
            } else if ts.uid == PixelReader.rleLossless {
                decoded = try decodeRLE(extent, outCount: outCount)
                correctUnusedBits(&decoded.bytes)
            } else if let decoder, decoder.canDecode(transferSyntaxUID: ts.uid) {
                decoded = try decodeExternal(extent, decoder: decoder, outCount: outCount)
            } else {
                throw PixelError(.unsupported, "no decoder for the transfer syntax \(ts.name) (\(ts.uid))")
            }
        } catch {
            var e = error
            e.frame = index
            throw e
        }
        // 8-bit YBR to RGB (pydicom's `as_rgb`; its conversion takes only 8-bit samples).
        if (decoded.photometric == "YBR_FULL" || decoded.photometric == "YBR_FULL_422") && f.samplesPerPixel == 3 && type == .uint8 {
            decoded.bytes.withUnsafeMutableBytes { SampleOps.ybrFullToRGB($0) }
            decoded.photometric = "RGB"
        }
        return DecodedFrame(sampleType: type, rows: f.rows, columns: f.columns, samplesPerPixel: f.samplesPerPixel,
                            photometric: decoded.photometric, bytes: decoded.bytes)
    }

    static let rleLossless = "1.2.840.10008.1.2.5"

    private func extent(_ index: Int) throws(PixelError) -> FrameExtent {
        guard index >= 0 && index < frames.count else {
            throw PixelError(.invalidElement, frame: index, "no frame \(index): the pixel data has \(frames.count) frame\(frames.count == 1 ? "" : "s")")
        }
        return frames.extent(ofFrame: index)
    }

    /// Reads the extent's ranges one after another into `buffer` from byte `at`.
    private func read(_ extent: FrameExtent, into buffer: inout [UInt8], at start: Int) throws(PixelError) {
        try buffer.withMutablePixelBytes { (raw: UnsafeMutableRawBufferPointer) throws(PixelError) in
            guard let base = raw.baseAddress else { return }
            var at = start
            for r in extent.ranges {
                try source.read(offset: r.lowerBound, count: r.count, into: base + at)
                at += r.count
            }
        }
    }

    // MARK: native

    private func decodeNative(_ extent: FrameExtent, outCount: Int) throws(PixelError) -> ([UInt8], String) {
        let f = format
        let width = f.sampleType.byteWidth
        var photometric = f.photometric
        let range = extent.ranges[0]
        let planar = f.samplesPerPixel > 1 && f.planarConfiguration == 1
        let bigEndian = frames.transferSyntax.isBigEndian
        // 8-bit data in an OW value, big endian: written as 16-bit words, so swapped in pairs.
        let swapPairs = bigEndian && f.bitsAllocated == 8 && f.element == .pixelData && frames.elementVR == .OW

        var stored: [UInt8]
        if f.bitsAllocated == 1 || f.photometric == "YBR_FULL_422" || planar || swapPairs {
            if swapPairs {
                stored = try pairSwapped(range)
            } else {
                stored = [UInt8](repeating: 0, count: range.count)
                try read(extent, into: &stored, at: 0)
                if bigEndian && width > 1 { stored.withUnsafeMutableBytes { SampleOps.byteSwap($0, width: width) } }
            }
        } else {
            // The common case: the stored frame is the decoded frame.
            var out = [UInt8](repeating: 0, count: outCount)
            try read(extent, into: &out, at: 0)
            if bigEndian && width > 1 { out.withUnsafeMutableBytes { SampleOps.byteSwap($0, width: width) } }
            return (out, photometric)
        }
        var out = [UInt8](repeating: 0, count: outCount)
        if f.bitsAllocated == 1 {
            stored.withUnsafeBytes { src in
                out.withUnsafeMutableBufferPointer { dst in
                    if let d = dst.baseAddress { SampleOps.unpackBits(src, bitOffset: extent.bitOffset, count: f.samplesPerFrame, into: d) }
                }
            }
        } else if f.photometric == "YBR_FULL_422" {
            let pixels = f.rows * f.columns
            guard pixels % 2 == 0 else {
                throw PixelError(.unsupported, "YBR_FULL_422 with an odd number of pixels (\(f.rows) x \(f.columns))")
            }
            stored.withUnsafeBytes { src in
                out.withUnsafeMutableBytes { SampleOps.expandYBR422(src, pairs: pixels / 2, width: width, into: $0) }
            }
            photometric = "YBR_FULL"
        } else {
            swap(&out, &stored)
        }
        if planar {
            let planes = out
            planes.withUnsafeBytes { src in
                out.withUnsafeMutableBytes { SampleOps.interleave(src, pixels: f.rows * f.columns, samples: f.samplesPerPixel, width: width, into: $0) }
            }
        }
        return (out, photometric)
    }

    /// The frame's bytes, read with the neighbouring byte that shares their 16-bit words, the words
    /// byte-swapped, and the frame cut out again.
    private func pairSwapped(_ range: Range<Int>) throws(PixelError) -> [UInt8] {
        guard case .native(let valueOffset, let valueLength, _) = frames.layout else { return [] }
        let rel = range.lowerBound - valueOffset
        let start = valueOffset + rel - rel % 2
        let end = valueOffset + (range.upperBound - valueOffset + 1) / 2 * 2
        guard end <= valueOffset + valueLength else {
            throw PixelError(.tooShort, offset: range.lowerBound, "8-bit big endian OW pixel data of odd length \(valueLength) cannot be swapped in 16-bit words")
        }
        var words = [UInt8](repeating: 0, count: end - start)
        try read(FrameExtent(ranges: [start..<end], bitOffset: 0), into: &words, at: 0)
        words.withUnsafeMutableBytes { SampleOps.byteSwap($0, width: 2) }
        return Array(words[(rel % 2)..<(rel % 2 + range.count)])
    }

    // MARK: encapsulated

    private func decodeRLE(_ extent: FrameExtent, outCount: Int) throws(PixelError) -> ([UInt8], String) {
        let encoded = try encodedBytes(extent)
        let f = format
        var out: [UInt8] = []
        try encoded.withPixelBytes { (src: UnsafeRawBufferPointer) throws(PixelError) in
            let segments = try RLEDecoder.segments(of: src, format: f)
            out = [UInt8](repeating: 0, count: outCount)
            try out.withMutablePixelBytes { (dst: UnsafeMutableRawBufferPointer) throws(PixelError) in
                try RLEDecoder.decode(src, format: f, segments: segments, into: dst)
            }
        }
        return (out, f.photometric)
    }

    private func encodedBytes(_ extent: FrameExtent) throws(PixelError) -> [UInt8] {
        var encoded = [UInt8](repeating: 0, count: extent.byteCount)
        try read(extent, into: &encoded, at: 0)
        return encoded
    }

    private func decodeExternal(_ extent: FrameExtent, decoder: any FrameDecoder, outCount: Int) throws(PixelError) -> ([UInt8], String) {
        let f = format
        let type = f.sampleType
        let encoded = try encodedBytes(extent)
        let uid = frames.transferSyntax.uid
        let result = try encoded.withPixelBytes { (src: UnsafeRawBufferPointer) throws(PixelError) -> DecoderOutput in
            try decoder.decode(src, format: f, transferSyntaxUID: uid)
        }
        let width = result.bytesPerSample
        guard [1, 2, 4, 8].contains(width), width <= type.byteWidth, result.bytes.count == f.samplesPerFrame * width else {
            throw PixelError(.decoderFailed, "the decoder gave \(result.bytes.count) bytes of \(width)-byte samples for \(f.samplesPerFrame) \(type) samples")
        }
        var out: [UInt8]
        if width == type.byteWidth {
            out = result.bytes
        } else {
            out = [UInt8](repeating: 0, count: outCount)
            result.bytes.withUnsafeBytes { src in
                out.withUnsafeMutableBytes { SampleOps.widen(src, count: f.samplesPerFrame, fromWidth: width, to: type, into: $0) }
            }
        }
        if result.isPlanar && f.samplesPerPixel > 1 {
            let planes = out
            planes.withUnsafeBytes { src in
                out.withUnsafeMutableBytes { SampleOps.interleave(src, pixels: f.rows * f.columns, samples: f.samplesPerPixel, width: type.byteWidth, into: $0) }
            }
        }
        // pydicom's sign corrections for JPEG 2000 and JPEG-LS; the unused-bits correction otherwise.
        let bits = 8 * type.byteWidth
        if PixelReader.jpeg2000.contains(uid) {
            let precision = result.precision ?? f.bitsStored
            if (f.photometric == "MONOCHROME1" || f.photometric == "MONOCHROME2"), (result.isSigned ?? f.isSigned) != f.isSigned, precision < bits {
                out.withUnsafeMutableBytes { SampleOps.correctUnusedBits($0, type: type, shift: bits - precision) }
            }
        } else if PixelReader.jpegLS.contains(uid) {
            let precision = result.precision ?? f.bitsStored
            if f.isSigned, precision < bits {
                out.withUnsafeMutableBytes { SampleOps.correctUnusedBits($0, type: type, shift: bits - precision) }
            }
        } else {
            correctUnusedBits(&out)
        }
        return (out, result.photometric)
    }

    static let jpeg2000: Set<String> = ["1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91", "1.2.840.10008.1.2.4.92",
                                        "1.2.840.10008.1.2.4.93", "1.2.840.10008.1.2.4.201", "1.2.840.10008.1.2.4.202",
                                        "1.2.840.10008.1.2.4.203"]
    static let jpegLS: Set<String> = ["1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81"]

    /// pydicom's `correct_unused_bits`: for Pixel Data with Bits Stored below Bits Allocated.
    private func correctUnusedBits(_ bytes: inout [UInt8]) {
        let f = format
        guard f.element == .pixelData, f.bitsAllocated > f.bitsStored, f.bitsAllocated >= 8 else { return }
        bytes.withUnsafeMutableBytes { SampleOps.correctUnusedBits($0, type: f.sampleType, shift: f.bitsAllocated - f.bitsStored) }
    }
}
