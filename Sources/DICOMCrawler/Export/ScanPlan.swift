/// How the slices of a scan were put in order (the CSV `Order` column: the raw value).
public enum SliceOrder: String, Sendable, CaseIterable {
    /// By Image Position (Patient) projected on the slice normal (every slice has a position and
    /// an orientation).
    case position
    /// By Instance Number (frames of one file by frame number); slices without one after those
    /// with, by file name.
    case instance
    /// By the numbers in the file name, then the name (no slice has an Instance Number).
    case filename
}

/// Which value told the volumes of a 4-D scan apart (the slices at one position ordered by it):
/// the first of these, in this order, present on every slice and varying at every position.
public enum VolumeOrder: String, Sendable, CaseIterable {
    /// Temporal Position Identifier, or a frame's Temporal Position Index.
    case temporalPosition = "temporal-position"
    /// Acquisition Number, or a frame's Frame Acquisition Number.
    case acquisitionNumber = "acquisition-number"
    case echoNumber = "echo-number"
    /// Acquisition Time, or the time of a frame's Frame Acquisition DateTime.
    case acquisitionTime = "acquisition-time"
    /// A frame's Dimension Index Values, compared value by value.
    case dimensionIndex = "dimension-index"
    /// Instance Number, then the frame number.
    case instanceNumber = "instance"
    /// None of the above varies: the file-name order (as `SliceOrder.filename`), then the frame number.
    case filename
}

/// A value of a scan: one for all slices, or one per slice (in the scan's slice order) when they
/// differ or some slices lack it. A scan none of whose slices has the value has nil instead.
public enum ScanValue<Value: Equatable & Sendable>: Equatable, Sendable {
    case uniform(Value)
    case perSlice([Value?])

    /// The value of the slice at `index` (in the scan's slice order).
    public subscript(index: Int) -> Value? {
        switch self {
        case .uniform(let v): return v
        case .perSlice(let values): return index < values.count ? values[index] : nil
        }
    }

    static func of(_ values: [Value?]) -> ScanValue? {
        guard let present = values.first(where: { $0 != nil }) ?? nil else { return nil }
        if values.allSatisfy({ $0 == present }) { return .uniform(present) }
        return .perSlice(values)
    }
}

/// One slice in a scan: which volume (0..<volumes) and which position in it (0..<slicesPerVolume).
public struct PlannedSlice: Sendable, Equatable {
    public var header: SliceHeader
    public var volume: Int
    public var slice: Int
}

/// One scan to export: a homogeneous stack of slices, ordered, as one array.
public struct ScanPlan: Sendable, Equatable {
    /// Unique among the scans of one planning: the Series Instance UID (`UID`, then `UID_2`,
    /// `UID_3`... when a series is split), `series_` and a hash for a Series Instance UID that is not
    /// made of letters, digits, dots and hyphens (1 to 64 of them), `file_` and the hash of the path
    /// for a file without one.
    public var id: String
    /// What `keyHash` hashes: the Series Instance UID, or the path (relative to its DIR) of a file
    /// without one. All scans split from one series share it, so they fall in one shard.
    public var key: String
    public var keyHash: UInt64
    public var seriesInstanceUID: String?
    public var studyInstanceUID: String?
    public var patientID: String?

    /// Volume by volume, each in slice order: `slices[v * slicesPerVolume + s]`.
    public var slices: [PlannedSlice]
    public var volumes: Int
    public var slicesPerVolume: Int
    /// `(volumes, Rows, Columns, slicesPerVolume)`, with a last axis of Samples per Pixel when that
    /// is more than 1; nil when Rows or Columns is missing.
    public var shape: [Int]?
    public var order: SliceOrder
    /// For a scan of more than one volume; nil otherwise.
    public var volumeOrder: VolumeOrder?
    /// Median distance between consecutive positions along the normal (mm), when ordered by position
    /// and there are at least two positions.
    public var spacingBetweenSlices: Double?
    /// Of the first slice (all slices agree within `ScanPlanner.orientationTolerance`).
    public var imageOrientation: ImageOrientation?
    public var rescaleSlope: ScanValue<Double>?
    public var rescaleIntercept: ScanValue<Double>?
    public var pixelSpacing: ScanValue<[Double]>?
    public var sliceThickness: ScanValue<Double>?
    public var windowCenter: ScanValue<[Double]>?
    public var windowWidth: ScanValue<[Double]>?
    /// Slices left out as copies of one in the scan (the same SOP Instance UID and frame).
    public var duplicates: [SliceHeader]
    /// What was unusual, in words (for a report): uneven repeats, irregular spacing, duplicates.
    public var notes: [String]

    /// `keyHash % count + 1`.
    public func shard(of count: Int) -> Int { ScanKey.shard(ofHash: keyHash, count: count) }
}
