/// The reader's state over one stream. This file: the file structure — preamble and DICM prefix,
/// file meta information, transfer syntax (stated or probed). The element loop is in ElementLoop.swift.
struct Parser {
    var input: ByteInput
    let options: ReadOptions
    var warnings: [String] = []
    var explicit = true
    var bigEndian = false
    var pixelRepresentation: UInt16 = 0
    let lastWanted: Tag?
    /// Sorted; walked with the top-level tags (`isWanted`).
    let wanted: [Tag]?
    /// `wanted[..<wantedCursor]` are below the last top-level tag asked about.
    var wantedCursor = 0
    /// The top-level data set being read (kept so that an error can return what was read).
    var currentRoot: ItemFrame?
    /// The file meta group being read (likewise).
    var currentMeta: ItemFrame?
    /// Elements and items read so far, and bytes of values loaded (for the limits of ReadOptions).
    var elementCount = 0
    /// The top-level element being read (where an error lies, for `DicomFile.errorTag`).
    var currentTopTag: Tag?
    var loadedValueBytes = 0

    init(input: ByteInput, options: ReadOptions) {
        self.input = input
        self.options = options
        lastWanted = options.lastWanted
        wanted = options.wanted
    }

    // MARK: file structure

    mutating func parseFile(into file: inout DicomFile) {
        defer {
            file.warnings = warnings + file.meta.characterSet.warnings + file.dataSet.characterSet.warnings
            file.bytesRead = input.sourceBytesFetched
        }
        do {
            // Preamble and DICM prefix?
            if try input.hasDICMPrefix(at: 128) {
                file.hasPreamble = true
                input.pos += 132
            } else if try input.hasDICMPrefix(at: 0) {
                warnings.append("DICM prefix without the 128-byte preamble")
                input.pos += 4
            } else if probeBareDataSet(fileSize: { [size = input.knownSize] in size }) == nil {
                throw DICOMError(.notDICOM, offset: 0, "no DICM prefix at byte 128 and no recognisable data set at byte 0")
            }

            // File meta information: explicit VR little endian, read while the group is 0002.
            explicit = true
            bigEndian = false
            if try input.ensure(2), input.u16(at: 0, bigEndian: false) == 0x0002 {
                var metaStopped = false
                var meta = try parseDataSet(group2Only: true, stopped: &metaStopped)
                meta.isBigEndian = false
                file.meta = meta
            }

            var ts: TransferSyntax
            if let uidElement = file.meta[.transferSyntaxUID], let raw = uidElement.bytes {
                if let native = TransferSyntax.native(rawUID: raw) {
                    ts = native
                } else {
                    let uid = TransferSyntax.clean(String(decoding: raw, as: UTF8.self))
                    if let known = TransferSyntax(uid: uid) {
                        ts = known
                    } else {
                        let probed = try probeEncoding()
                        warnings.append("unknown transfer syntax '\(uid)': read as \(probed.name)")
                        ts = probed
                    }
                }
            } else {
                ts = try probeEncoding()
                if !file.meta.isEmpty || file.hasPreamble {
                    warnings.append("no transfer syntax in the file meta information: read as \(ts.name)")
                }
            }
            file.transferSyntax = ts

            if ts.isDeflated {
                input = try ByteInput(inflating: input)
            }
            explicit = ts.isExplicitVR
            bigEndian = ts.isBigEndian
            try checkFirstElementEncoding()
            file.dataSet = try parseDataSet(group2Only: false, stopped: &file.stoppedEarly)
        } catch let error as DICOMError {
            var e = error
            if input.isInflated && e.kind != .io { e.inInflatedData = true }
            file.error = e
            file.errorTag = currentTopTag
            if file.meta.isEmpty, let meta = currentMeta, !meta.elements.isEmpty {
                file.meta = DataSet(elements: meta.elements, characterSet: meta.charset, bigEndian: false)
            }
            if let partial = partialRoot {
                file.dataSet = partial
            }
        } catch {
            file.error = DICOMError(.io, offset: input.offset, "\(error)")
        }
    }

    /// Elements of the top-level data set read before an error.
    private var partialRoot: DataSet? {
        guard let root = currentRoot else { return nil }
        return DataSet(elements: root.elements, characterSet: root.charset, bigEndian: root.bigEndian)
    }

    /// A bare data set at byte 0: group 0002 or 0008 in little or big endian, with a sane header.
    /// `fileSize` (the whole stream's size, if known) is asked for only when the first element
    /// header looks right and its length must be checked against it.
    mutating func probeBareDataSet(fileSize: () -> Int?) -> TransferSyntax? {
        guard (try? input.ensure(8)) == true else { return nil }
        let leGroup = input.u16(at: 0, bigEndian: false)
        let beGroup = input.u16(at: 0, bigEndian: true)
        guard leGroup == 0x0002 || leGroup == 0x0008 || beGroup == 0x0008 else { return nil }
        guard let ts = try? probeEncoding() else { return nil }
        // The first element's length must fit in the file.
        let be = ts.isBigEndian
        let vr = VR(input.u8(at: 4), input.u8(at: 5))
        let length: Int
        if ts.isExplicitVR && vr.hasLongLength {
            guard (try? input.ensure(12)) == true else { return nil }
            length = Int(input.u32(at: 8, bigEndian: be))
        } else if ts.isExplicitVR {
            length = Int(input.u16(at: 6, bigEndian: be))
        } else {
            length = Int(input.u32(at: 4, bigEndian: be))
        }
        if length != 0xFFFF_FFFF, let size = fileSize(), length > size { return nil }
        return ts
    }

    /// Guesses the encoding of the data set at the current position from its first element.
    private mutating func probeEncoding() throws -> TransferSyntax {
        guard try input.ensure(6) else { return .explicitVRLittleEndian }
        let leGroup = input.u16(at: 0, bigEndian: false)
        let beGroup = input.u16(at: 0, bigEndian: true)
        let vrValid = VR(input.u8(at: 4), input.u8(at: 5)).isKnown
        if leGroup > 0x00FF && beGroup <= 0x00FF && beGroup != 0 && vrValid {
            return TransferSyntax(uid: "1.2.840.10008.1.2.2", explicitVR: true, bigEndian: true)
        }
        return vrValid ? .explicitVRLittleEndian : .implicitVRLittleEndian
    }

    /// pydicom and DCMTK both notice a data set whose first element contradicts the transfer
    /// syntax's VR encoding, and follow the data. (Explicit-but-actually-implicit is also caught per
    /// element, since an implicit length never looks like a VR.)
    private mutating func checkFirstElementEncoding() throws {
        guard !explicit, try input.ensure(8) else { return }
        let tag = Tag(group: input.u16(at: 0, bigEndian: bigEndian), element: input.u16(at: 2, bigEndian: bigEndian))
        let vr = VR(input.u8(at: 4), input.u8(at: 5))
        guard vr.isKnown, tag.group != 0xFFFE else { return }
        if let dict = DataDictionary.vr(for: tag), dict.vr == vr || dict.ambiguous {
            warnings.append("transfer syntax says implicit VR but the data set is explicit VR: read as explicit")
            explicit = true
        }
    }
}
