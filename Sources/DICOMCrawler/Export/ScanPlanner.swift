// Export: what `dicomcrawler export` does before decoding pixels — per-file headers (`SliceHeader`)
// planned into scans (`ScanPlanner`, `ScanPlan`): split, ordered, stacked into volumes, stably keyed.
#if canImport(Glibc)
import Glibc
#endif

/// Turns slice headers into scans. Pure: the same headers in any order give the same plans.
///
/// 1. **Series.** Headers with the same Series Instance UID form a series; a file without one is a
///    series of its own (its frames, for a multi-frame file). Copies (the same SOP Instance UID and
///    frame) are left out, keeping the first in file-name order, and listed in `duplicates`.
/// 2. **Split.** A series is split into one scan per homogeneous stack: the same Study Instance
///    UID; the same orientation (every cosine within `orientationTolerance`; slices without one
///    apart from those with); the same Rows, Columns, Samples per Pixel, Bits Allocated, Pixel
///    Representation, Photometric Interpretation and float-or-integer data; and, when its files
///    come from more than one DIR and carry more than one Patient ID, the same Patient ID.
///    The parts are numbered in the order of their first acquired slice: the smallest Instance
///    Number (slices without one after all with one), ties by file name as in step 3. The first
///    keeps the id `UID`, the next are `UID_2`, `UID_3`...
/// 3. **Slice order.** With a position and an orientation on every slice: by the position's
///    distance along the normal (row × column) of the orientation of the scan's first slice in
///    file-name order (`SliceOrder.position`). Else by Instance Number, then (ties, and slices
///    without one) file-name order: the runs of digits in the last path component compared as
///    numbers, one by one (`2.dcm` before `10.dcm`; a name with fewer runs first), then that
///    component, the whole relative path, the DIR, the frame number (`SliceOrder.instance`, or
///    `.filename` when no slice has an Instance Number).
/// 4. **Volumes.** Positions closer than `positionTolerance` along the normal are one position.
///    When every position occurs k > 1 times (and the slices at a position coincide in the plane
///    too), the scan has k volumes: the slices at each position are ordered by the first
///    `VolumeOrder` key that every slice has and that varies at every position, ties by the later
///    keys, then file name. When positions repeat unevenly (an interrupted run, a missing slice),
///    no volume is guessed: the scan is one stack in Instance Number order (as step 3 without
///    positions), with a note, and no spacing.
public enum ScanPlanner {
    /// Positions closer than this (mm) along the normal, and in the plane, are one position.
    public static let positionTolerance = 0.01
    /// Orientations whose cosines all differ by at most this are one orientation.
    public static let orientationTolerance = 1e-3
    /// A series with more distinct orientations than this compares new ones only with the first
    /// this many (each further one is a scan of its own), so planning stays linear in the slices.
    static let orientationsCompared = 256

    public static func plan(_ headers: [SliceHeader]) -> [ScanPlan] {
        let planner = Planner(headers)
        return planner.run()
    }

    /// How the export stacks the slices of one series (all `headers`, whatever their UIDs): the
    /// positions and the volumes when they make one scan ordered by position (where `plan` of the
    /// series gives one plan with `order == .position`, its `slicesPerVolume` and `volumes`), else
    /// nil. Steps 2 and 4 only: nothing is ordered or collected into a plan.
    public static func stackShape(ofSeries headers: [SliceHeader]) -> (slices: Int, volumes: Int)? {
        guard !headers.isEmpty else { return nil }
        let planner = Planner(headers)
        let parts = planner.split(Array(planner.headers.indices))
        guard parts.count == 1 else { return nil }
        var notes: [String] = []
        guard let stack = planner.stackByPosition(parts[0].members, notes: &notes) else { return nil }
        return (stack.positions.count, stack.positions.first?.count ?? 0)
    }
}

/// A series: the files with one Series Instance UID, or one file without.
private enum GroupKey: Hashable {
    case series(String)
    case file(Int, String)
}

/// What the slices of one scan share.
private struct Signature: Hashable {
    var study: String?
    var subject: String?
    var orientation: Int
    var rows: Int?, columns: Int?, samples: Int?, bits: Int?, representation: Int?
    var photometric: String?
    var float: Bool
}

private struct Planner {
    /// The headers in file-name order (see `SortKeys.appendFileNameKey`), so that an index is also
    /// a place in that order (the tie-break everywhere), and the passes below read memory in order.
    let headers: [SliceHeader]

    init(_ input: [SliceHeader]) {
        // Every header from one path and DIR (one file's frames, or the series counts' frames, which
        // have no path), frames ascending: the keys differ in the frame alone, so file-name order
        // is the input's, with nothing to sort.
        if let first = input.first,
           input.allSatisfy({ $0.dirIndex == first.dirIndex && $0.path.utf8.elementsEqual(first.path.utf8) }),
           zip(input, input.dropFirst()).allSatisfy({ ($0.frame ?? 0) <= ($1.frame ?? 0) }) {
            headers = input
            return
        }
        var keys = SortKeys()
        for i in input.indices { keys.appendFileNameKey(input[i].path, dir: input[i].dirIndex, frame: input[i].frame) }
        headers = keys.order().map { input[$0] }
    }

    func run() -> [ScanPlan] {
        var groupOf: [GroupKey: Int] = [:]
        var keys: [GroupKey] = []
        var groups: [[Int]] = []
        for i in headers.indices {
            let key: GroupKey = headers[i].seriesInstanceUID.map { .series($0) } ?? .file(headers[i].dirIndex, headers[i].path)
            if let g = groupOf[key] {
                groups[g].append(i)
            } else {
                groupOf[key] = groups.count
                keys.append(key)
                groups.append([i])
            }
        }
        // Series in the order of their first file by DIR, path and frame; the scans of one
        // series in the order of `split`.
        var locations = SortKeys()
        for i in headers.indices { locations.appendLocationKey(headers[i].path, dir: headers[i].dirIndex, frame: headers[i].frame) }
        let first = groups.map { g in g.min { locations.compare($0, $1) < 0 } ?? 0 }
        let seriesOrder = groups.indices.sorted { locations.compare(first[$0], first[$1]) < 0 }
        var plans: [ScanPlan] = []
        var idCounts: [String: Int] = [:]
        for g in seriesOrder {
            let key = keys[g]
            let base: String
            let shardKey: String
            switch key {
            case .series(let uid):
                base = isPlainUID(uid) ? uid : "series_" + ScanKey.hex(ScanKey.hash(uid))
                shardKey = uid
            case .file(_, let path):
                base = "file_" + ScanKey.hex(ScanKey.hash(path))
                shardKey = path
            }
            let hash = ScanKey.hash(shardKey)
            for (members, duplicates) in split(groups[g]) {
                let n = idCounts[base, default: 0] + 1
                idCounts[base] = n
                var plan = makePlan(members, duplicates: duplicates)
                plan.id = n == 1 ? base : base + "_\(n)"
                plan.key = shardKey
                plan.keyHash = hash
                plans.append(plan)
            }
        }
        return plans
    }

    /// One series (in file-name order) into homogeneous scans, in the order of their first acquired
    /// slice; each with the copies left out of it.
    func split(_ series: [Int]) -> [(members: [Int], duplicates: [Int])] {
        // Copies: the same SOP Instance UID and frame.
        struct Copy: Hashable { let uid: String; let frame: Int? }
        var seen: [Copy: Int] = [:]
        seen.reserveCapacity(series.count)
        var kept: [Int] = []
        kept.reserveCapacity(series.count)
        var copiesOf: [Int: [Int]] = [:]
        for i in series {
            if let uid = headers[i].sopInstanceUID {
                let c = Copy(uid: uid, frame: headers[i].frame)
                if let k = seen[c] {
                    copiesOf[k, default: []].append(i)
                    continue
                }
                seen[c] = i
            }
            kept.append(i)
        }
        // DIRs that are different subjects: more than one DIR, more than one Patient ID.
        let first = kept[0]
        let bySubject = kept.contains { headers[$0].dirIndex != headers[first].dirIndex }
            && kept.contains { headers[$0].patientID != headers[first].patientID }
        // Orientations, clustered greedily in file-name order.
        var representatives: [ImageOrientation] = []
        var subOf: [Signature: Int] = [:]
        var subs: [[Int]] = []
        var last: (signature: Signature, sub: Int)?
        for i in kept {
            var cluster = -1
            if let o = headers[i].imageOrientation {
                cluster = representatives.prefix(ScanPlanner.orientationsCompared).firstIndex {
                    $0.isClose(to: o, tolerance: ScanPlanner.orientationTolerance)
                } ?? -1
                if cluster < 0 {
                    cluster = representatives.count
                    representatives.append(o)
                }
            }
            let s = signature(i, orientation: cluster, bySubject: bySubject)
            // Slices in a row mostly share one: compared before hashed.
            if let last, last.signature == s {
                subs[last.sub].append(i)
            } else if let k = subOf[s] {
                subs[k].append(i)
                last = (s, k)
            } else {
                subOf[s] = subs.count
                last = (s, subs.count)
                subs.append([i])
            }
        }
        let firstAcquired = subs.map { s in s.min(by: acquiredBefore) ?? s[0] }
        let order = subs.indices.sorted { acquiredBefore(firstAcquired[$0], firstAcquired[$1]) }
        return order.map { k in (subs[k], copiesOf.isEmpty ? [] : subs[k].flatMap { copiesOf[$0] ?? [] }) }
    }

    func signature(_ i: Int, orientation: Int, bySubject: Bool) -> Signature {
        Signature(study: headers[i].studyInstanceUID, subject: bySubject ? headers[i].patientID : nil, orientation: orientation,
                  rows: headers[i].rows, columns: headers[i].columns, samples: headers[i].samplesPerPixel, bits: headers[i].bitsAllocated,
                  representation: headers[i].pixelRepresentation, photometric: headers[i].photometricInterpretation,
                  float: headers[i].floatPixels)
    }

    /// Instance Number order, slices without one last, ties in file-name order.
    func acquiredBefore(_ a: Int, _ b: Int) -> Bool {
        switch (headers[a].instanceNumber, headers[b].instanceNumber) {
        case let (x?, y?) where x != y: return x < y
        case (_?, nil): return true
        case (nil, _?): return false
        default: return a < b
        }
    }

    /// Orders one homogeneous scan and collects its values.
    func makePlan(_ members: [Int], duplicates: [Int]) -> ScanPlan {
        var notes: [String] = []
        let s = stackByPosition(members, notes: &notes) ?? Stack(
            positions: members.sorted(by: acquiredBefore).map { [$0] },
            order: members.contains { headers[$0].instanceNumber != nil } ? .instance : .filename, volumeOrder: nil, spacing: nil)
        let volumes = s.positions.first?.count ?? 0
        var slices: [PlannedSlice] = []
        slices.reserveCapacity(members.count)
        for v in 0..<volumes {
            for (p, at) in s.positions.enumerated() { slices.append(PlannedSlice(header: headers[at[v]], volume: v, slice: p)) }
        }
        let first = slices.first?.header
        var shape: [Int]?
        if let r = first?.rows, let c = first?.columns, r > 0, c > 0 {
            shape = [volumes, r, c, s.positions.count]
            if let spp = first?.samplesPerPixel, spp > 1 { shape?.append(spp) }
        }
        if !duplicates.isEmpty {
            notes.append("\(duplicates.count) cop\(duplicates.count == 1 ? "y" : "ies") of slices in the scan (same SOP Instance UID and frame) left out")
        }
        return ScanPlan(
            id: "", key: "", keyHash: 0,
            seriesInstanceUID: first?.seriesInstanceUID, studyInstanceUID: first?.studyInstanceUID, patientID: first?.patientID,
            slices: slices, volumes: volumes, slicesPerVolume: s.positions.count, shape: shape,
            order: s.order, volumeOrder: s.volumeOrder, spacingBetweenSlices: s.spacing,
            imageOrientation: first?.imageOrientation,
            rescaleSlope: .of(slices.map { $0.header.rescaleSlope }), rescaleIntercept: .of(slices.map { $0.header.rescaleIntercept }),
            pixelSpacing: .of(slices.map { $0.header.pixelSpacing }), sliceThickness: .of(slices.map { $0.header.sliceThickness }),
            windowCenter: .of(slices.map { $0.header.windowCenter }), windowWidth: .of(slices.map { $0.header.windowWidth }),
            duplicates: duplicates.map { headers[$0] }, notes: notes)
    }

    /// The slices at each position (in slice order), each list in volume order.
    struct Stack {
        var positions: [[Int]]
        var order: SliceOrder
        var volumeOrder: VolumeOrder?
        var spacing: Double?
    }

    /// Ordered by position along the normal, when every slice has a position and an orientation;
    /// nil (with a note when positions repeat unevenly) to fall back to Instance Number order.
    func stackByPosition(_ members: [Int], notes: inout [String]) -> Stack? {
        guard let normal = members.first.flatMap({ headers[$0].imageOrientation?.normal }) else { return nil }
        var items: [(d: Double, i: Int)] = []
        items.reserveCapacity(members.count)
        for i in members {
            guard let p = headers[i].imagePosition, headers[i].imageOrientation != nil else { return nil }
            items.append(((p * normal).sum(), i))
        }
        items.sort { $0.d != $1.d ? $0.d < $1.d : $0.i < $1.i }
        let tolerance = ScanPlanner.positionTolerance
        var positions: [[Int]] = []
        var distances: [Double] = []
        for (d, i) in items {
            if let start = distances.last, d - start <= tolerance {
                positions[positions.count - 1].append(i)
            } else {
                positions.append([i])
                distances.append(d)
            }
        }
        // Slices at one distance along the normal must also coincide in the plane.
        for at in positions where at.count > 1 {
            guard let p0 = headers[at[0]].imagePosition else { return nil }
            for i in at.dropFirst() {
                guard let p = headers[i].imagePosition else { return nil }
                let delta = p - p0
                let inPlane = delta - (delta * normal).sum() * normal
                if (inPlane * inPlane).sum().squareRoot() > tolerance {
                    notes.append("slices at one position along the normal lie apart in the plane: one stack in instance order")
                    return nil
                }
            }
        }
        let k = positions[0].count
        if positions.contains(where: { $0.count != k }) {
            let counts = positions.map(\.count)
            notes.append("positions repeat unevenly (\(counts.min() ?? k) to \(counts.max() ?? k) times): one stack in instance order")
            return nil
        }
        var volumeOrder: VolumeOrder?
        if k > 1 {
            let key = volumeKey(positions)
            volumeOrder = key
            let chain = Array(Self.volumeKeys.drop { $0 != key })
            for p in positions.indices {
                positions[p].sort { a, b in
                    for key in chain {
                        let c = compareKeys(volumeValue(key, headers[a]), volumeValue(key, headers[b]))
                        if c != 0 { return c < 0 }
                    }
                    return a < b
                }
            }
        }
        var spacing: Double?
        if distances.count > 1 {
            var gaps = zip(distances.dropFirst(), distances).map { $0 - $1 }
            gaps.sort()
            let m = gaps.count / 2
            let median = gaps.count % 2 == 1 ? gaps[m] : (gaps[m - 1] + gaps[m]) / 2
            spacing = median
            if let lo = gaps.first, let hi = gaps.last, hi - lo > max(tolerance, median / 10) {
                notes.append("spacing between slices varies from \(lo) to \(hi) mm (median \(median))")
            }
        }
        return Stack(positions: positions, order: .position, volumeOrder: volumeOrder, spacing: spacing)
    }

    static let volumeKeys: [VolumeOrder] = [.temporalPosition, .acquisitionNumber, .echoNumber, .acquisitionTime, .dimensionIndex, .instanceNumber]

    /// The first key every slice has and that varies among the slices at every position.
    func volumeKey(_ positions: [[Int]]) -> VolumeOrder {
        keys: for key in Self.volumeKeys {
            for at in positions {
                guard let v0 = volumeValue(key, headers[at[0]]) else { continue keys }
                var varies = false
                for i in at.dropFirst() {
                    guard let v = volumeValue(key, headers[i]) else { continue keys }
                    if v != v0 { varies = true }
                }
                if !varies { continue keys }
            }
            return key
        }
        return .filename
    }

    func volumeValue(_ key: VolumeOrder, _ h: SliceHeader) -> [Double]? {
        switch key {
        case .temporalPosition: return h.temporalPosition.map { [Double($0)] }
        case .acquisitionNumber: return h.acquisitionNumber.map { [Double($0)] }
        case .echoNumber: return h.echoNumber.map { [Double($0)] }
        case .acquisitionTime: return h.acquisitionTime.map { [$0] }
        case .dimensionIndex: return h.dimensionIndex.map { $0.map(Double.init) }
        case .instanceNumber: return h.instanceNumber.map { [Double($0), Double(h.frame ?? 0)] }
        case .filename: return nil
        }
    }
}

/// Values compared one by one, a shorter list first; a missing value after any present one.
private func compareKeys(_ a: [Double]?, _ b: [Double]?) -> Int {
    switch (a, b) {
    case (nil, nil): return 0
    case (nil, _): return 1
    case (_, nil): return -1
    case let (x?, y?):
        for (p, q) in zip(x, y) where p != q { return p < q ? -1 : 1 }
        return x.count == y.count ? 0 : (x.count < y.count ? -1 : 1)
    }
}

/// A UID usable as an id as it is: 1 to 64 letters, digits, dots and hyphens.
func isPlainUID(_ s: String) -> Bool {
    let n = s.utf8.count
    guard n >= 1, n <= 64 else { return false }
    return s.utf8.allSatisfy { b in
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2E || b == 0x2D
    }
}

// MARK: - File names

/// Byte strings, one per header, whose `memcmp` order is the order wanted (built once, so that
/// sorting compares bytes rather than re-reading paths).
private struct SortKeys {
    var bytes: [UInt8] = []
    var ends: [Int] = []

    /// Header indices in key order (ties by index).
    func order() -> [Int] {
        var order = Array(ends.indices)
        bytes.withUnsafeBufferPointer { b in
            ends.withUnsafeBufferPointer { e in
                order.sort { Self.compare(b, e, $0, $1) < 0 }
            }
        }
        return order
    }

    /// -1, 0 or 1 as key `x` sorts before, with or after key `y` (equal keys by index).
    func compare(_ x: Int, _ y: Int) -> Int {
        bytes.withUnsafeBufferPointer { b in ends.withUnsafeBufferPointer { e in Self.compare(b, e, x, y) } }
    }

    private static func compare(_ b: UnsafeBufferPointer<UInt8>, _ e: UnsafeBufferPointer<Int>, _ x: Int, _ y: Int) -> Int {
        let sx = x == 0 ? 0 : e[x - 1], sy = y == 0 ? 0 : e[y - 1]
        let lx = e[x] - sx, ly = e[y] - sy
        if let base = b.baseAddress, min(lx, ly) > 0 {
            let c = memcmp(base + sx, base + sy, min(lx, ly))
            if c != 0 { return c < 0 ? -1 : 1 }
        }
        if lx != ly { return lx < ly ? -1 : 1 }
        return x == y ? 0 : (x < y ? -1 : 1)
    }

    /// File-name order: the runs of digits in the last path component as numbers (a name with fewer
    /// of them first: `1.dcm` < `IM_1_100` < `2.dcm`), then that component, the whole relative
    /// path, the DIR, the frame number.
    mutating func appendFileNameKey(_ path: String, dir: Int, frame: Int?) {
        let path = path.utf8
        let nameStart = path.lastIndex(of: UInt8(ascii: "/")).map { path.index(after: $0) } ?? path.startIndex
        let name = path[nameStart...]
        var i = name.startIndex
        while i < name.endIndex {
            guard isDigit(name[i]) else {
                i = name.index(after: i)
                continue
            }
            // A run of digits: leading zeros dropped (one digit kept), its length, its digits.
            while name[i] == 0x30, name.index(after: i) < name.endIndex, isDigit(name[name.index(after: i)]) { i = name.index(after: i) }
            var end = i
            while end < name.endIndex, isDigit(name[end]) { end = name.index(after: end) }
            appendNumber(UInt64(name.distance(from: i, to: end)), bytes: 4)
            bytes.append(contentsOf: name[i..<end])
            i = end
        }
        bytes.append(contentsOf: [0, 0, 0, 0])
        bytes.append(contentsOf: name)
        bytes.append(0)
        bytes.append(contentsOf: path)
        bytes.append(0)
        appendNumber(UInt64(bitPattern: Int64(dir)) ^ (1 << 63), bytes: 8)
        appendNumber(UInt64(bitPattern: Int64(frame ?? 0)) ^ (1 << 63), bytes: 8)
        ends.append(bytes.count)
    }

    /// Where a slice is: DIR, path bytes, frame number.
    mutating func appendLocationKey(_ path: String, dir: Int, frame: Int?) {
        appendNumber(UInt64(bitPattern: Int64(dir)) ^ (1 << 63), bytes: 8)
        bytes.append(contentsOf: path.utf8)
        bytes.append(0)
        appendNumber(UInt64(bitPattern: Int64(frame ?? 0)) ^ (1 << 63), bytes: 8)
        ends.append(bytes.count)
    }

    /// Big endian, so that bytes compare as numbers.
    private mutating func appendNumber(_ v: UInt64, bytes n: Int) {
        var shift = 8 * n
        while shift > 0 {
            shift -= 8
            bytes.append(UInt8(truncatingIfNeeded: v >> UInt64(shift)))
        }
    }

    private func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
}
