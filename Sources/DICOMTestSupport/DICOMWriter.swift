// DICOMTestSupport: writing DICOM files for tests, examples and benchmarks (not part of the DICOM
// product) — element builders and DICOMWriter, which makes edge cases on purpose.

import CZlib
import DICOM

/// Building elements, for writing files (the tests' fixtures, the example data).
extension Element {
    /// A string value, encoded as given (UTF-8 by default), padded to even length with a space
    /// (NUL for UI).
    public static func string(_ tag: Tag, _ value: String, vr: VR? = nil) -> Element {
        let v = vr ?? DataDictionary.vr(for: tag)?.vr ?? .UN
        return bytes(tag, v, Array(value.utf8), pad: true)
    }

    /// Raw value bytes; `pad` adds the VR's padding byte to an odd length.
    public static func bytes(_ tag: Tag, _ vr: VR, _ value: [UInt8], pad: Bool = false) -> Element {
        var b = value
        if pad && b.count % 2 == 1 { b.append(vr == .UI || vr == .OB || vr == .UN ? 0 : 0x20) }
        return Element(tag: tag, vr: vr, fileVR: vr, length: UInt32(b.count), offset: 0, value: .bytes(b))
    }

    /// Binary numbers, stored little endian (the writer swaps them for big endian).
    public static func uint16(_ tag: Tag, _ values: [UInt16], vr: VR = .US) -> Element {
        bytes(tag, vr, values.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] })
    }
    public static func uint32(_ tag: Tag, _ values: [UInt32], vr: VR = .UL) -> Element {
        bytes(tag, vr, values.flatMap { v in (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } })
    }
    public static func float64(_ tag: Tag, _ values: [Double]) -> Element {
        bytes(tag, .FD, values.flatMap { d in (0..<8).map { UInt8(truncatingIfNeeded: d.bitPattern >> (8 * UInt64($0))) } })
    }
    public static func float32(_ tag: Tag, _ values: [Float]) -> Element {
        bytes(tag, .FL, values.flatMap { f in (0..<4).map { UInt8(truncatingIfNeeded: f.bitPattern >> (8 * UInt32($0))) } })
    }

    /// A sequence; `undefinedLength` writes it with a sequence delimiter.
    public static func sequence(_ tag: Tag, _ items: [DataSet], undefinedLength: Bool = false) -> Element {
        Element(tag: tag, vr: .SQ, fileVR: .SQ, length: undefinedLength ? 0xFFFF_FFFF : 0, offset: 0, value: .sequence(items))
    }

    /// Encapsulated pixel data: an empty basic offset table, then one item per fragment.
    public static func encapsulatedPixelData(_ fragments: [[UInt8]], vr: VR = .OB) -> Element {
        var raw: [UInt8] = [0xFE, 0xFF, 0x00, 0xE0, 0, 0, 0, 0]
        for f in fragments {
            var f = f
            if f.count % 2 == 1 { f.append(0) }
            raw += [0xFE, 0xFF, 0x00, 0xE0] + le32(UInt32(f.count)) + f
        }
        raw += [0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0]
        return Element(tag: .pixelData, vr: vr, fileVR: vr, length: 0xFFFF_FFFF, offset: 0, value: .bytes(raw))
    }
}

extension DataSet {
    public init(_ elements: [Element], characterSet: SpecificCharacterSet = .default) {
        self.init(elements: elements.sorted { $0.tag < $1.tag }, characterSet: characterSet, bigEndian: false)
    }
}

/// Writes data sets as DICOM Part 10 files (or bare data sets), in any native transfer syntax,
/// deflated, or with encapsulated pixel data. Used to build test fixtures with edge cases on purpose.
public struct DICOMWriter {
    public var transferSyntax: TransferSyntax = .explicitVRLittleEndian
    /// Write the 128-byte preamble and `DICM`.
    public var preamble = true
    /// The 128 bytes of the preamble (zeros by default); a TIFF header, say.
    public var preambleBytes: [UInt8] = []
    /// Write the file meta information group.
    public var meta = true
    /// Write (0002,0000) File Meta Information Group Length.
    public var metaGroupLength = true
    /// The UID written as (0002,0010); nil writes none. Defaults to `transferSyntax.uid`.
    public var transferSyntaxUID: String?? = .none
    /// Items of sequences with undefined length (item delimiters).
    public var undefinedLengthItems = false
    /// Write these extra elements into the meta group.
    public var extraMeta: [Element] = []
    /// Wrap deflated data in a zlib header, as some writers wrongly do (the standard says raw deflate).
    public var deflateWithZlibHeader = false

    public init(transferSyntax: TransferSyntax = .explicitVRLittleEndian) {
        self.transferSyntax = transferSyntax
    }

    public func write(_ dataSet: DataSet) -> [UInt8] {
        let (header, body) = writeParts(dataSet)
        return header + body
    }

    /// The preamble and meta group, and the data set as encoded (deflated if the syntax says so).
    public func writeParts(_ dataSet: DataSet) -> (header: [UInt8], body: [UInt8]) {
        var out: [UInt8] = []
        if preamble {
            var p = preambleBytes
            if p.count < 128 { p += [UInt8](repeating: 0, count: 128 - p.count) }
            out += p.prefix(128)
            out += Array("DICM".utf8)
        }
        if meta {
            var metaElements: [Element] = [.bytes(Tag(0x0002_0001), .OB, [0, 1])]
            let sopClass = dataSet.string(Tag(0x0008_0016)) ?? "1.2.840.10008.5.1.4.1.1.7"
            let sopInstance = dataSet.string(.sopInstanceUID) ?? "1.2.3.4"
            metaElements.append(.string(.mediaStorageSOPClassUID, sopClass, vr: .UI))
            metaElements.append(.string(.mediaStorageSOPInstanceUID, sopInstance, vr: .UI))
            let uid: String?
            switch transferSyntaxUID {
            case .none: uid = transferSyntax.uid
            case .some(let u): uid = u
            }
            if let uid { metaElements.append(.string(.transferSyntaxUID, uid, vr: .UI)) }
            metaElements.append(.string(Tag(0x0002_0012), "1.2.826.0.1.3680043.10.1484", vr: .UI))
            metaElements.append(.string(Tag(0x0002_0013), "DICOMCRAWLER", vr: .SH))
            metaElements += extraMeta
            var body: [UInt8] = []
            for e in metaElements.sorted(by: { $0.tag < $1.tag }) { encode(e, explicit: true, bigEndian: false, into: &body) }
            if metaGroupLength {
                encode(.uint32(.fileMetaInformationGroupLength, [UInt32(body.count)]), explicit: true, bigEndian: false, into: &out)
            }
            out += body
        }
        var body: [UInt8] = []
        for e in dataSet.elements { encode(e, explicit: transferSyntax.isExplicitVR, bigEndian: transferSyntax.isBigEndian, into: &body) }
        if transferSyntax.isDeflated {
            return (out, DICOMWriter.deflate(body, zlibHeader: deflateWithZlibHeader))
        }
        return (out, body)
    }

    /// Appends one element, encoded as `explicit` and `be` say.
    public func encode(_ e: Element, explicit: Bool, bigEndian be: Bool, into out: inout [UInt8]) {
        var value: [UInt8]
        var length = e.length
        switch e.value {
        case .sequence(let items):
            value = []
            for item in items {
                var itemBody: [UInt8] = []
                for child in item.elements { encode(child, explicit: explicit, bigEndian: be, into: &itemBody) }
                value += tagBytes(.item, be) + u32(undefinedLengthItems ? 0xFFFF_FFFF : UInt32(itemBody.count), be) + itemBody
                if undefinedLengthItems { value += tagBytes(.itemDelimitation, be) + u32(0, be) }
            }
            if e.hasUndefinedLength {
                value += tagBytes(.sequenceDelimitation, be) + u32(0, be)
            } else {
                length = UInt32(value.count)
            }
        case .bytes(let b):
            value = b
            if be, !e.hasUndefinedLength, let w = e.vr.binaryWidth, e.vr != .OB {
                let width = e.vr == .AT ? 2 : w
                var i = 0
                while i + width <= value.count {
                    value[i..<(i + width)].reverse()
                    i += width
                }
            }
            if !e.hasUndefinedLength { length = UInt32(value.count) }
        case .notLoaded, .fragments, .truncated:
            value = []
            length = 0
        }
        out += tagBytes(e.tag, be)
        if explicit {
            let vr = e.fileVR ?? e.vr
            out += [UInt8(vr.rawValue >> 8), UInt8(vr.rawValue & 0xFF)]
            if vr.hasLongLength {
                out += [0, 0] + u32(length, be)
            } else {
                out += be ? [UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)] : [UInt8(length & 0xFF), UInt8(length >> 8 & 0xFF)]
            }
        } else {
            out += u32(length, be)
        }
        out += value
    }

    func tagBytes(_ t: Tag, _ be: Bool) -> [UInt8] {
        let g = t.group, el = t.element
        return be ? [UInt8(g >> 8), UInt8(g & 0xFF), UInt8(el >> 8), UInt8(el & 0xFF)]
                  : [UInt8(g & 0xFF), UInt8(g >> 8), UInt8(el & 0xFF), UInt8(el >> 8)]
    }

    func u32(_ v: UInt32, _ be: Bool) -> [UInt8] { be ? le32(v).reversed() : le32(v) }

    /// Raw deflate (no zlib header), as PS3.5 A.5 requires; `zlibHeader` writes the wrong kind.
    public static func deflate(_ data: [UInt8], zlibHeader: Bool = false) -> [UInt8] {
        var stream = z_stream()
        deflateInit2_(&stream, Z_BEST_COMPRESSION, Z_DEFLATED, zlibHeader ? 15 : -15, 8, Z_DEFAULT_STRATEGY,
                      ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        defer { deflateEnd(&stream) }
        var input = data
        var out = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(data.count))) + 16)
        let produced: Int = input.withUnsafeMutableBufferPointer { inp in
            out.withUnsafeMutableBufferPointer { outp in
                stream.next_in = inp.baseAddress
                stream.avail_in = UInt32(inp.count)
                stream.next_out = outp.baseAddress
                stream.avail_out = UInt32(outp.count)
                _ = CZlib.deflate(&stream, Z_FINISH)
                return outp.count - Int(stream.avail_out)
            }
        }
        return Array(out.prefix(produced))
    }
}

/// A 32-bit value as little-endian bytes.
public func le32(_ v: UInt32) -> [UInt8] {
    [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 24)]
}
