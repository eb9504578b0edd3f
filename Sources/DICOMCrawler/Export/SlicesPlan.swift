import DICOM

extension ScanPlanner {
    /// The old tool's 2-D mode (`--slices`): one dataset per file, named by its SOP Instance UID
    /// (`file_` and a hash of the path without a usable one; `_2`, `_3`... for repeats), shaped
    /// `(Rows, Columns)`, or `(frames, Rows, Columns)` for a multi-frame file, colour last.
    public static func planSlices(_ headers: [SliceHeader]) -> [ScanPlan] {
        var byFile: [String: [SliceHeader]] = [:]
        var order: [String] = []
        for h in headers {
            let key = "\(h.dirIndex)/\(h.path)"
            if byFile[key] == nil { order.append(key) }
            byFile[key, default: []].append(h)
        }
        var used: [String: Int] = [:]
        var plans: [ScanPlan] = []
        for key in order.sorted() {
            let frames = (byFile[key] ?? []).sorted { ($0.frame ?? 0) < ($1.frame ?? 0) }
            guard let first = frames.first else { continue }
            let uid = first.sopInstanceUID.map(DICOMText.trimmed) ?? ""
            var id = isPlainUID(uid) ? uid : "file_" + ScanKey.hex(ScanKey.hash(first.path))
            used[id, default: 0] += 1
            if let n = used[id], n > 1 { id += "_\(n)" }
            var shape: [Int]? = nil
            if let r = first.rows, let c = first.columns {
                shape = (first.frame != nil ? [frames.count] : []) + [r, c] + ((first.samplesPerPixel ?? 1) > 1 ? [first.samplesPerPixel ?? 1] : [])
            }
            let scanKey = first.seriesInstanceUID ?? first.path
            var plan = ScanPlan(id: id, key: scanKey, keyHash: ScanKey.hash(scanKey), seriesInstanceUID: first.seriesInstanceUID,
                                studyInstanceUID: first.studyInstanceUID, patientID: first.patientID,
                                slices: frames.enumerated().map { PlannedSlice(header: $1, volume: 0, slice: $0) },
                                volumes: 1, slicesPerVolume: frames.count, shape: shape, order: first.frame != nil ? .instance : .filename,
                                volumeOrder: nil, spacingBetweenSlices: nil, imageOrientation: first.imageOrientation,
                                rescaleSlope: nil, rescaleIntercept: nil, pixelSpacing: nil, sliceThickness: nil,
                                windowCenter: nil, windowWidth: nil, duplicates: [], notes: [])
            plan.rescaleSlope = ScanValue.of(frames.map(\.rescaleSlope))
            plan.rescaleIntercept = ScanValue.of(frames.map(\.rescaleIntercept))
            plan.pixelSpacing = ScanValue.of(frames.map(\.pixelSpacing))
            plan.sliceThickness = ScanValue.of(frames.map(\.sliceThickness))
            plan.windowCenter = ScanValue.of(frames.map(\.windowCenter))
            plan.windowWidth = ScanValue.of(frames.map(\.windowWidth))
            plans.append(plan)
        }
        return plans
    }
}
