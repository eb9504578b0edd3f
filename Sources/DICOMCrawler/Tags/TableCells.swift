import DICOM

/// How one file's elements become cells of the all-tags table.
public struct TagTableOptions: Sendable, Equatable {
    /// Items of a sequence expanded into columns (later items only counted; --format jsonl has all).
    public var maxItems = 3
    public var maxValueBytes = 64
    public var includePrivate = true
    /// Only these top-level elements (nil: all).
    public var keywords: [Tag]? = nil
    /// How the columns are named.
    public var columnNaming: ColumnNaming = .name

    public init(maxItems: Int = 3, maxValueBytes: Int = 64, includePrivate: Bool = true, keywords: [Tag]? = nil) {
        self.maxItems = maxItems
        self.maxValueBytes = maxValueBytes
        self.includePrivate = includePrivate
        self.keywords = keywords
    }

    /// What the reader needs to read: everything (bulk values only to `maxValueBytes`), or only
    /// the given keywords.
    public var readOptions: ReadOptions {
        // A private element asked for by number is read with its block's creator (not a column of
        // its own), which names the column: `0019100C[ACME]`.
        let tags = keywords.map { k in
            Set(k).union(k.filter { $0.isPrivate && $0.element >= 0x1000 }.map { Tag(group: $0.group, element: $0.element >> 8) })
        }
        var r = ReadOptions(tags: tags, bulkThreshold: max(maxValueBytes, 0))
        r.bulkPrefix = max(maxValueBytes, 0)
        return r
    }

    /// Whether an element is a column of the table. Never: pixel, overlay, curve and waveform data,
    /// trailing padding, items and delimiters; private elements only with `includePrivate`; at the
    /// top level only the `keywords` when given (the reader still reads what decoding needs, such
    /// as the character set). The JSON rows also leave out the file meta group (`includesInJSON`).
    func includes(_ tag: Tag, topLevel: Bool) -> Bool {
        if Self.isExcluded(tag) { return false }
        if tag.isPrivate && !includePrivate { return false }
        if topLevel, let keywords, !keywords.contains(tag) { return false }
        return true
    }

    func includesInJSON(_ tag: Tag, topLevel: Bool) -> Bool {
        includes(tag, topLevel: topLevel) && !(topLevel && tag.group == 0x0002)
    }

    static func isExcluded(_ tag: Tag) -> Bool {
        switch tag.rawValue {
        case 0x7FE0_0008, 0x7FE0_0009, 0x7FE0_0010, 0x5400_1010, 0xFFFC_FFFC: return true
        default: break
        }
        if tag.group == 0xFFFE { return true }
        let g = tag.group
        if (g & 0xFF00 == 0x6000 || g & 0xFF00 == 0x5000) && g & 1 == 0 && tag.element == 0x3000 { return true }
        return false
    }

    /// Cells of one file: (column key, rendered value), in the order met. Keys are described by
    /// `ColumnKey`. Iterative over an explicit stack: nesting depth is the reader's to bound.
    func cells(_ file: DicomFile) -> [(key: String, value: String)] {
        /// A data set being listed (a class, so that stepping through it copies no data set).
        final class Frame {
            let ds: DataSet
            let prefix: String
            var next = 0
            init(_ ds: DataSet, _ prefix: String) { self.ds = ds; self.prefix = prefix }
        }
        var cells: [(key: String, value: String)] = []
        cells.reserveCapacity(file.dataSet.count + 8)
        var stack = [Frame(file.dataSet, "")]
        while let frame = stack.last {
            guard frame.next < frame.ds.elements.count else {
                stack.removeLast()
                continue
            }
            let e = frame.ds.elements[frame.next]
            frame.next += 1
            let tag = e.tag
            guard includes(tag, topLevel: frame.prefix.isEmpty) else { continue }
            let key = ColumnKey.key(prefix: frame.prefix, tag: tag,
                                    creator: tag.isPrivate && !tag.isPrivateCreator ? frame.ds.privateCreator(of: tag) : nil)
            if case .sequence(let items) = e.value {
                cells.append((key + "/#", String(items.count)))
                // Items are pushed last first, so that item 1 is listed first.
                for (i, item) in items.prefix(maxItems).enumerated().reversed() {
                    stack.append(Frame(item, key + "/\(i + 1)/"))
                }
            } else {
                cells.append((key, frame.ds.render(e, maxBinaryBytes: maxValueBytes)))
            }
        }
        return cells
    }
}
