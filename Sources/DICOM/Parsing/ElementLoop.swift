/// The element loop. Iterative, with an explicit stack of open sequences and items, so that
/// nesting depth is bounded by `maxDepth` and never by the call stack.
extension Parser {
    final class ItemFrame {
        var elements: [Element] = []
        var charset: SpecificCharacterSet
        let end: Int?
        let explicit: Bool
        let bigEndian: Bool
        let offset: Int
        init(charset: SpecificCharacterSet, end: Int?, explicit: Bool, bigEndian: Bool, offset: Int) {
            self.charset = charset; self.end = end; self.explicit = explicit; self.bigEndian = bigEndian; self.offset = offset
        }
    }

    final class SequenceFrame {
        var items: [DataSet] = []
        let tag: Tag, vr: VR, fileVR: VR?, length: UInt32, offset: Int
        let end: Int?
        let explicit: Bool
        let bigEndian: Bool
        init(tag: Tag, vr: VR, fileVR: VR?, length: UInt32, offset: Int, end: Int?, explicit: Bool, bigEndian: Bool) {
            self.tag = tag; self.vr = vr; self.fileVR = fileVR; self.length = length; self.offset = offset
            self.end = end; self.explicit = explicit; self.bigEndian = bigEndian
        }
    }

    /// Where an item or a sequence starts and ends, and how its elements are encoded.
    struct Extent {
        /// The sequence's tag (for messages); `.item` for an item.
        let tag: Tag
        let offset: Int
        let end: Int?
        let explicit: Bool
        let bigEndian: Bool
    }

    /// An open item or sequence. Those inside a sequence that is not kept (a read of chosen tags) are
    /// walked and checked, their values never loaded and nothing collected: no object is made for them.
    enum Frame {
        case item(ItemFrame)
        case sequence(SequenceFrame)
        case skippedItem(Extent)
        case skippedSequence(Extent)

        var extent: Extent {
            switch self {
            case .item(let i): return Extent(tag: .item, offset: i.offset, end: i.end, explicit: i.explicit, bigEndian: i.bigEndian)
            case .sequence(let s): return Extent(tag: s.tag, offset: s.offset, end: s.end, explicit: s.explicit, bigEndian: s.bigEndian)
            case .skippedItem(let e), .skippedSequence(let e): return e
            }
        }
    }

    /// Reads a data set up to its end, an error, `stopBefore` or the last wanted tag (`stopped`), or,
    /// with `group2Only`, the first element outside group 0002.
    mutating func parseDataSet(group2Only: Bool, stopped: inout Bool) throws -> DataSet {
        let rootFrame = ItemFrame(charset: .default, end: nil, explicit: explicit, bigEndian: bigEndian, offset: input.offset)
        if group2Only { currentMeta = rootFrame } else { currentRoot = rootFrame }
        // Room for what is usually kept, so that the array does not grow 1, 2, 4, 8: the file meta
        // group has about 6 to 10 elements; a read of chosen tags keeps at most those.
        if group2Only {
            rootFrame.elements.reserveCapacity(10)
        } else if let w = wanted {
            rootFrame.elements.reserveCapacity(min(w.count, 64))
        }
        var stack: [Frame] = []
        stack.reserveCapacity(8)
        stack.append(.item(rootFrame))
        var depth = 0  // open sequences

        do {
            loop: while let top = stack.last {
                switch top {
                case .item, .skippedItem:
                    // The item's elements are collected in `kept`; nil for an item that is not kept.
                    let item = top.extent
                    let kept: ItemFrame?
                    if case .item(let i) = top { kept = i } else { kept = nil }
                    let isRoot = stack.count == 1
                    let frameCount = stack.count
                    // Element after element of this item, without taking the top of the stack again
                    // (a copy of the frame, retained and released) until the stack changes.
                    while true {
                        if isRoot && !group2Only && wanted != nil { skipUnwantedRun(explicit: item.explicit, bigEndian: item.bigEndian) }
                        if let end = item.end, input.offset >= end {
                            if input.offset > end {
                                throw DICOMError(.badLength, offset: input.offset, "an element runs past the end of the item that started at byte \(item.offset) and ends at byte \(end)")
                            }
                            popItem(&stack)
                            continue loop
                        }
                        let tagOffset = input.offset
                        guard try input.ensure(4) else {
                            if isRoot {
                                if input.available > 0 { warnings.append("\(input.available) trailing bytes after the last element ignored") }
                                break loop
                            }
                            throw DICOMError(.truncated, offset: input.offset + input.available, "file ends inside an item that started at byte \(item.offset)")
                        }
                        let be = item.bigEndian
                        let tag = Tag(group: input.u16(at: 0, bigEndian: be), element: input.u16(at: 2, bigEndian: be))
                        if group2Only && tag.group != 0x0002 { break loop }
                        if tag.group == 0xFFFE {
                            guard try input.ensure(8) else {
                                throw DICOMError(.truncated, offset: tagOffset, "file ends inside the header of \(tag)")
                            }
                            input.pos += 8
                            if tag == .itemDelimitation && !isRoot {
                                if item.end != nil { warnings.append("item delimiter in an item of defined length at byte \(tagOffset)") }
                                popItem(&stack)
                            } else if tag == .sequenceDelimitation && !isRoot {
                                warnings.append("sequence delimiter without item delimiter at byte \(tagOffset)")
                                popItem(&stack)
                                switch stack.last {
                                case .sequence?, .skippedSequence?: popSequence(&stack); depth -= 1
                                default: break
                                }
                            } else if isRoot && tag != .item {
                                warnings.append("stray delimiter \(tag) at byte \(tagOffset) ignored")
                            } else {
                                throw DICOMError(.badItem, offset: tagOffset, "item tag \(tag) outside a sequence")
                            }
                            continue loop
                        }
                        if isRoot && !group2Only {
                            // A run of zero bytes reads as empty (0000,0000) elements, 8 bytes each: padding
                            // or garbage after the data set (DCMTK and pydicom keep one such element). Skip
                            // the run at memory speed and keep none, rather than millions of elements.
                            if tag == Tag(0), try !input.ensure(8), (0..<input.available).allSatisfy({ input.u8(at: $0) == 0 }) {
                                warnings.append("\(input.available) trailing bytes after the last element ignored")
                                break loop
                            }
                            if tag == Tag(0), try input.ensure(8), input.u32(at: 4, bigEndian: false) == 0 {
                                let n = try input.skipZeroGroups()
                                let atEnd = try !input.ensure(1)
                                warnings.append("\(n) zero bytes from byte \(tagOffset)\(atEnd ? " to the end of the file" : "") (empty (0000,0000) elements) ignored")
                                continue loop
                            }
                            if let stop = options.stopBefore, tag >= stop { stopped = true; break loop }
                            if let last = lastWanted, tag > last { stopped = true; break loop }
                        }
                        // At the top level, the wanted tags; inside a sequence, what its item says (the
                        // sequence's own keep: the values inside one that is not kept are never loaded).
                        let keep: Bool
                        if isRoot && !group2Only {
                            currentTopTag = tag
                            keep = wanted == nil || isWanted(tag)
                        } else {
                            keep = kept != nil
                        }
                        if !keep, try skipInBuffer(explicit: item.explicit, bigEndian: be) { continue }
                        // Values left where they are (`ReadOptions.loadsValues`): the top level's and the
                        // file meta information's, but those that decoding needs.
                        let inPlace = isRoot && !options.loadsValues && tag != .specificCharacterSet
                            && tag != .pixelRepresentation && tag != .transferSyntaxUID
                        try readElement(tag: tag, in: keep ? kept : nil, explicit: item.explicit, bigEndian: be, inPlace: inPlace,
                                        isRoot: isRoot && !group2Only, stack: &stack, depth: &depth)
                        if stack.count != frameCount { continue loop }
                    }

                case .sequence, .skippedSequence:
                    let seq = top.extent
                    if let end = seq.end, input.offset >= end {
                        if input.offset > end {
                            throw DICOMError(.badLength, offset: input.offset, "an item runs past the end of sequence \(seq.tag) that started at byte \(seq.offset)")
                        }
                        popSequence(&stack)
                        depth -= 1
                        continue
                    }
                    let tagOffset = input.offset
                    guard try input.ensure(8) else {
                        throw DICOMError(.truncated, offset: input.offset + input.available, "file ends inside sequence \(seq.tag) that started at byte \(seq.offset)")
                    }
                    let be = seq.bigEndian
                    let tag = Tag(group: input.u16(at: 0, bigEndian: be), element: input.u16(at: 2, bigEndian: be))
                    let length = input.u32(at: 4, bigEndian: be)
                    input.pos += 8
                    if tag == .item {
                        try countElement(at: tagOffset)
                        var end: Int? = nil
                        if length != 0xFFFF_FFFF {
                            // An item running past the end of the file is read up to there (its
                            // whole elements are kept), then reported as truncated.
                            end = input.offset + Int(length)
                        }
                        if case .sequence = top {
                            let parentCharset: SpecificCharacterSet
                            if case .item(let parent) = stack[stack.count - 2] { parentCharset = parent.charset } else { parentCharset = .default }
                            stack.append(.item(ItemFrame(charset: parentCharset, end: end, explicit: seq.explicit, bigEndian: seq.bigEndian, offset: tagOffset)))
                        } else {
                            stack.append(.skippedItem(Extent(tag: .item, offset: tagOffset, end: end, explicit: seq.explicit, bigEndian: seq.bigEndian)))
                        }
                    } else if tag == .sequenceDelimitation {
                        popSequence(&stack)
                        depth -= 1
                    } else if tag == .itemDelimitation {
                        warnings.append("item delimiter outside an item at byte \(tagOffset) ignored")
                    } else {
                        throw DICOMError(.badItem, offset: tagOffset, "expected an item (FFFE,E000) in sequence \(seq.tag), found \(tag)")
                    }
                }
            }
        } catch {
            // Keep what was read: the open items and sequences go into their parents, so the
            // elements read before the damage stay in the result, at every depth.
            while let last = stack.last, stack.count > 1 {
                switch last {
                case .item, .skippedItem: popItem(&stack)
                case .sequence, .skippedSequence: popSequence(&stack); depth -= 1
                }
            }
            throw error
        }
        if stack.count > 1 {
            throw DICOMError(.truncated, offset: input.offset, "data set ends inside a sequence")
        }
        return DataSet(elements: rootFrame.elements, characterSet: rootFrame.charset, bigEndian: rootFrame.bigEndian)
    }

    /// Closes the top item: a kept one goes into its sequence (kept too).
    private func popItem(_ stack: inout [Frame]) {
        guard case .item(let item) = stack.removeLast(), case .sequence(let seq) = stack.last else { return }
        seq.items.append(DataSet(elements: item.elements, characterSet: item.charset, bigEndian: item.bigEndian))
    }

    /// Closes the top sequence: a kept one goes into its item (kept too).
    private func popSequence(_ stack: inout [Frame]) {
        guard case .sequence(let seq) = stack.removeLast(), case .item(let parent) = stack.last else { return }
        parent.elements.append(Element(tag: seq.tag, vr: seq.vr, fileVR: seq.fileVR, length: seq.length,
                                       offset: seq.offset, value: .sequence(seq.items)))
    }

    /// The VR an implicit-VR element has: the dictionary's, resolving `US or SS` with Pixel
    /// Representation, LO for private creators, UL for group lengths, UN otherwise.
    private func implicitVR(_ tag: Tag) -> VR {
        if tag.element == 0 { return .UL }
        if tag.isPrivate { return tag.isPrivateCreator ? .LO : .UN }
        guard let (vr, ambiguous) = DataDictionary.vr(for: tag) else { return .UN }
        if ambiguous && vr == .US && pixelRepresentation == 1 { return .SS }
        if ambiguous && vr == .OB { return .OW }
        return vr
    }

    /// Skips the run of top-level elements from the current position that a read of chosen tags
    /// does not want, each as the loop would (counted, skipped by `skipInBuffer`), in one tight loop
    /// over the buffer: most of a header read for a few tags. Stops before the first element the
    /// loop must look at: a wanted one, a delimiter or (0000,0000), one at or past where the read
    /// stops, out of order, of undefined length or without a VR, not wholly in the buffer, or one
    /// more than `maxElements`.
    private mutating func skipUnwantedRun(explicit: Bool, bigEndian be: Bool) {
        guard let w = wanted else { return }
        let stop = options.stopBefore, last = lastWanted, limit = options.maxElements
        var pos = input.pos, cursor = wantedCursor, count = elementCount
        var lastTag: Tag?
        input.buffer.withUnsafeBufferPointer { b in
            @inline(__always) func u16(_ i: Int) -> UInt16 {
                be ? UInt16(b[i]) << 8 | UInt16(b[i + 1]) : UInt16(b[i + 1]) << 8 | UInt16(b[i])
            }
            while b.count - pos >= 12 {
                let group = u16(pos)
                let tag = Tag(group: group, element: u16(pos + 2))
                if group == 0xFFFE || tag == Tag(0) { break }
                if let stop, tag >= stop { break }
                if let last, tag > last { break }
                if cursor > 0 && w[cursor - 1] >= tag { break }
                var c = cursor
                while c < w.count && w[c] < tag { c += 1 }
                if c < w.count && w[c] == tag { break }
                guard let size = Self.skippableSize(b, at: pos, explicit: explicit, bigEndian: be), count < limit else { break }
                cursor = c
                count += 1
                pos += size
                lastTag = tag
            }
        }
        if let lastTag {
            input.pos = pos
            wantedCursor = cursor
            elementCount = count
            currentTopTag = lastTag
        }
    }

    /// An element that is not kept, of defined length, with a VR (or implicit VR), whose value is in
    /// the buffer: counted and skipped, as `readElement` would (whatever its VR, such an element is
    /// skipped and nothing else: no value, charset or pixel representation, no error). Most of a
    /// header read for a few tags is such elements. False, having read nothing, for any other.
    @inline(__always) private mutating func skipInBuffer(explicit: Bool, bigEndian be: Bool) throws -> Bool {
        let pos = input.pos
        guard let size = input.buffer.withUnsafeBufferPointer({ Self.skippableSize($0, at: pos, explicit: explicit, bigEndian: be) }) else {
            return false
        }
        try countElement(at: input.offset)
        input.pos += size
        return true
    }

    /// The whole size (header and value) of the element at `pos` in `b` when it can be skipped
    /// without looking further: at least 12 bytes from `pos` in `b`, a known VR (explicit VR), a
    /// defined length, the value wholly in `b`. Nil for any other element.
    @inline(__always) private static func skippableSize(_ b: UnsafeBufferPointer<UInt8>, at pos: Int, explicit: Bool,
                                                        bigEndian be: Bool) -> Int? {
        guard b.count - pos >= 12 else { return nil }
        @inline(__always) func u16(_ i: Int) -> UInt16 {
            be ? UInt16(b[i]) << 8 | UInt16(b[i + 1]) : UInt16(b[i + 1]) << 8 | UInt16(b[i])
        }
        @inline(__always) func u32(_ i: Int) -> UInt32 {
            be ? UInt32(u16(i)) << 16 | UInt32(u16(i + 2)) : UInt32(u16(i + 2)) << 16 | UInt32(u16(i))
        }
        let header: Int, length: UInt32
        if explicit {
            let vr = VR(b[pos + 4], b[pos + 5])
            guard vr.isKnown else { return nil }
            if vr.hasLongLength {
                header = 12
                length = u32(pos + 8)
            } else {
                header = 8
                length = UInt32(u16(pos + 6))
            }
        } else {
            header = 8
            length = u32(pos + 4)
        }
        guard length != 0xFFFF_FFFF, header + Int(length) <= b.count - pos else { return nil }
        return header + Int(length)
    }

    /// Reads an element into `item` (nil: not kept) of the given encoding; `inPlace`: its value, when
    /// kept, is left where it is (`ReadOptions.loadsValues`).
    private mutating func readElement(tag: Tag, in item: ItemFrame?, explicit: Bool, bigEndian be: Bool, inPlace: Bool, isRoot: Bool,
                                      stack: inout [Frame], depth: inout Int) throws {
        let keep = item != nil
        let tagOffset = input.offset
        guard try input.ensure(8) else {
            throw DICOMError(.truncated, offset: tagOffset, "file ends inside the header of \(tag)")
        }
        try countElement(at: tagOffset)
        var vr: VR
        var fileVR: VR? = nil
        let length: UInt32
        if explicit {
            let v = VR(input.u8(at: 4), input.u8(at: 5))
            if v.isKnown {
                fileVR = v
                vr = v
                if v.hasLongLength {
                    guard try input.ensure(12) else {
                        throw DICOMError(.truncated, offset: tagOffset, "file ends inside the header of \(tag)")
                    }
                    length = input.u32(at: 8, bigEndian: be)
                    input.pos += 12
                } else {
                    length = UInt32(input.u16(at: 6, bigEndian: be))
                    input.pos += 8
                }
            } else if try badVRHasShortLength(tag: tag, bigEndian: be) {
                // Two bytes that are not a VR, in explicit VR data that goes on after a 16-bit
                // length: read as DCMTK does, with that length and the dictionary's VR (UN if unknown).
                vr = implicitVR(tag)
                length = UInt32(input.u16(at: 6, bigEndian: be))
                warnings.append("\(tag) at byte \(tagOffset) has no valid VR (bytes \(hex2(input.u8(at: 4))) \(hex2(input.u8(at: 5)))): read with a 16-bit length and VR \(vr), as DCMTK does")
                input.pos += 8
            } else {
                // Not a VR: this element is implicit VR (DCMTK and pydicom read such files too).
                vr = implicitVR(tag)
                length = input.u32(at: 4, bigEndian: be)
                input.pos += 8
            }
        } else {
            vr = implicitVR(tag)
            length = input.u32(at: 4, bigEndian: be)
            input.pos += 8
        }
        // UN for a tag the dictionary knows: use the dictionary's VR (pydicom's replace_un_with_known_vr).
        if vr == .UN && !tag.isPrivate && tag.element != 0, fileVR == .UN {
            let known = implicitVR(tag)
            if known != .UN { vr = known }
        }
        let valueOffset = input.offset
        let undefined = length == 0xFFFF_FFFF

        if undefined && vr != .SQ && (tag == .pixelData || tag == .floatPixelData || tag == .doubleFloatPixelData) && fileVR != .UN {
            var fragments: [Element.Fragment] = []
            let failure = readFragments(tag: tag, bigEndian: be, into: &fragments)
            item?.elements.append(Element(tag: tag, vr: vr, fileVR: fileVR, length: length, offset: tagOffset, value: .fragments(fragments)))
            if let failure { throw failure }
            return
        }
        if vr == .SQ || undefined {
            // A UN (or other VR) of undefined length holds a sequence encoded as implicit VR little
            // endian (PS3.5 6.2.2); so does a UN whose tag the dictionary calls SQ.
            let contentIsImplicitLE = fileVR == .UN
            if !undefined, !keep {
                guard try input.skip(Int(length)) else {
                    throw DICOMError(.truncated, offset: tagOffset, "value of \(tag) (\(length) bytes from byte \(valueOffset)) runs past the end of the file")
                }
                return
            }
            if depth >= options.maxDepth {
                throw DICOMError(.nestingTooDeep, offset: tagOffset, "sequence \(tag) is nested more than \(options.maxDepth) deep")
            }
            depth += 1
            let seqVR: VR = vr == .UN || vr == .SQ ? .SQ : vr
            let end = undefined ? nil : valueOffset + Int(length)
            let seqExplicit = contentIsImplicitLE ? false : explicit, seqBigEndian = contentIsImplicitLE ? false : be
            if keep {
                stack.append(.sequence(SequenceFrame(tag: tag, vr: seqVR, fileVR: fileVR, length: length, offset: tagOffset,
                                                     end: end, explicit: seqExplicit, bigEndian: seqBigEndian)))
            } else {
                stack.append(.skippedSequence(Extent(tag: tag, offset: tagOffset, end: end, explicit: seqExplicit, bigEndian: seqBigEndian)))
            }
            return
        }

        let n = Int(length)
        let isPixelData = tag == .pixelData || tag == .floatPixelData || tag == .doubleFloatPixelData
        if isPixelData, let size = input.knownSize, valueOffset + n > size {
            // Cut pixel data (a transfer that stopped early): the header is whole; keep the element
            // with what is there, and say so.
            let present = max(0, size - valueOffset)
            item?.elements.append(Element(tag: tag, vr: vr, fileVR: fileVR, length: length, offset: tagOffset, value: .notLoaded(offset: valueOffset, length: present)))
            _ = try input.skip(present)
            throw DICOMError(.truncated, offset: tagOffset, "pixel data \(tag) is cut: \(present) of its \(n) bytes (from byte \(valueOffset)) are in the file (\(size) bytes)")
        }
        if let size = input.knownSize, valueOffset + n > size {
            throw DICOMError(.truncated, offset: tagOffset, "value of \(tag) (\(n) bytes from byte \(valueOffset)) runs past the end of the file (\(size) bytes)")
        }
        let load = keep && !inPlace && !isPixelData && n <= options.maxValueLength && !(vr.isBulk && n > options.bulkThreshold)
        if !load && keep && !inPlace && !isPixelData && options.bulkPrefix > 0 && vr.isBulk {
            let p = min(options.bulkPrefix, n)
            guard try input.ensure(p) else {
                throw DICOMError(.truncated, offset: tagOffset, "value of \(tag) (\(n) bytes from byte \(valueOffset)) runs past the end of the data")
            }
            let prefix = input.take(p)
            guard try input.skip(n - p) else {
                throw DICOMError(.truncated, offset: tagOffset, "value of \(tag) (\(n) bytes from byte \(valueOffset)) runs past the end of the file")
            }
            item?.elements.append(Element(tag: tag, vr: vr, fileVR: fileVR, length: length, offset: tagOffset, value: .truncated(prefix: prefix, offset: valueOffset, length: n)))
            return
        }
        if !load {
            guard try input.skip(n) else {
                throw DICOMError(.truncated, offset: tagOffset, "value of \(tag) (\(n) bytes from byte \(valueOffset)) runs past the end of the file")
            }
            item?.elements.append(Element(tag: tag, vr: vr, fileVR: fileVR, length: length, offset: tagOffset, value: .notLoaded(offset: valueOffset, length: n)))
            return
        }
        if keep {
            loadedValueBytes += n
            if loadedValueBytes > options.maxValueBytesTotal {
                throw DICOMError(.tooLarge, offset: tagOffset, "loading the value of \(tag) (\(n) bytes) would make more than \(options.maxValueBytesTotal) bytes of values (ReadOptions.maxValueBytesTotal)")
            }
        }
        guard try input.ensure(n) else {
            throw DICOMError(.truncated, offset: tagOffset, "value of \(tag) (\(n) bytes from byte \(valueOffset)) runs past the end of the data")
        }
        let bytes = input.take(n)
        if tag == .specificCharacterSet {
            item?.charset = SpecificCharacterSet(value: bytes)
        } else if tag == .pixelRepresentation && isRoot && n >= 2 {
            pixelRepresentation = be ? UInt16(bytes[0]) << 8 | UInt16(bytes[1]) : UInt16(bytes[1]) << 8 | UInt16(bytes[0])
        }
        item?.elements.append(Element(tag: tag, vr: vr, fileVR: fileVR, length: length, offset: tagOffset, value: .bytes(bytes)))
    }

    private func hex2(_ b: UInt8) -> String { (b < 16 ? "0" : "") + String(b, radix: 16) }

    /// For an element of explicit VR data whose two VR bytes are not a VR: whether it has a 16-bit
    /// length (a damaged VR, as DCMTK reads it) rather than being implicit VR with a 32-bit length
    /// (pydicom's reading, and how explicit-declared implicit data looks). 16-bit when the 32-bit
    /// length cannot be right (past the end of the data), or when the 16-bit length lands on an
    /// explicit VR element header with a higher tag (or the end of the data) and the 32-bit one
    /// does not.
    private mutating func badVRHasShortLength(tag: Tag, bigEndian be: Bool) throws -> Bool {
        let short = Int(input.u16(at: 6, bigEndian: be))
        let long = input.u32(at: 4, bigEndian: be)
        if short == 0 || long == 0xFFFF_FFFF { return false }
        if let size = input.knownSize, input.offset + 8 + Int(long) > size { return true }
        func explicitHeader(at i: Int) throws -> Bool {
            guard try input.ensure(i + 6) else { return try !input.ensure(i + 1) }  // the end of the data
            let t = Tag(group: input.u16(at: i, bigEndian: be), element: input.u16(at: i + 2, bigEndian: be))
            return t > tag && t.group != 0xFFFE && VR(input.u8(at: i + 4), input.u8(at: i + 5)).isKnown
        }
        guard try explicitHeader(at: 8 + short) else { return false }
        if Int(long) <= 1 << 20, try explicitHeader(at: 8 + Int(long)) { return false }
        return true
    }

    /// Counts one element or item against `ReadOptions.maxElements`.
    @inline(__always) private mutating func countElement(at offset: Int) throws {
        elementCount += 1
        if elementCount > options.maxElements {
            throw DICOMError(.tooLarge, offset: offset, "more than \(options.maxElements) elements and items (ReadOptions.maxElements)")
        }
    }

    /// Whether a top-level tag is wanted. Top-level tags ascend (in all but damaged files), so a
    /// cursor walks the sorted wanted tags along with them: `wanted[..<wantedCursor]` are below the
    /// tags seen; a tag below one of those (out of order) moves the cursor back by a binary search.
    @inline(__always) private mutating func isWanted(_ tag: Tag) -> Bool {
        guard let w = wanted else { return true }
        var i = wantedCursor
        if i > 0 && w[i - 1] >= tag {
            var lo = 0, hi = i
            while lo < hi {
                let mid = (lo + hi) >> 1
                if w[mid] < tag { lo = mid + 1 } else { hi = mid }
            }
            i = lo
        }
        while i < w.count && w[i] < tag { i += 1 }
        wantedCursor = i
        return i < w.count && w[i] == tag
    }

    /// Encapsulated pixel data: items up to the sequence delimiter, skipped by seeking.
    /// Returns the error that ended them early, if any (the fragments before it are kept).
    private mutating func readFragments(tag: Tag, bigEndian be: Bool, into fragments: inout [Element.Fragment]) -> Error? {
        do { try readFragmentItems(tag: tag, bigEndian: be, into: &fragments) } catch { return error }
        return nil
    }

    private mutating func readFragmentItems(tag: Tag, bigEndian be: Bool, into fragments: inout [Element.Fragment]) throws {
        while true {
            let itemOffset = input.offset
            guard try input.ensure(8) else {
                throw DICOMError(.truncated, offset: input.offset + input.available, "file ends inside encapsulated \(tag)")
            }
            let t = Tag(group: input.u16(at: 0, bigEndian: be), element: input.u16(at: 2, bigEndian: be))
            let length = input.u32(at: 4, bigEndian: be)
            input.pos += 8
            if t == .sequenceDelimitation { return }
            guard t == .item, length != 0xFFFF_FFFF else {
                throw DICOMError(.badItem, offset: itemOffset, "expected a fragment item (FFFE,E000) in encapsulated \(tag), found \(t)")
            }
            guard try input.skip(Int(length)) else {
                throw DICOMError(.truncated, offset: itemOffset, "pixel data \(tag) is cut: fragment \(fragments.count + 1) of \(length) bytes from byte \(itemOffset + 8) runs past the end of the file")
            }
            fragments.append(Element.Fragment(offset: itemOffset + 8, length: Int(length)))
        }
    }
}
