import DICOM
import Synchronization

/// What `dicomcrawler export` is asked to do.
public struct ExportOptions: Sendable {
    /// The HDF5 file users open (`pixel_data.h5`): a small file of links into its part files.
    public var output: String
    public var jobs: Int
    public var walk: WalkOptions
    /// The old tool's 2-D mode: one dataset per file, named by its SOP Instance UID.
    public var slicesMode: Bool
    /// Deflate level of the gzip (+ shuffle) filter; nil: chunks stored raw.
    public var compressionLevel: Int?
    /// Export only the scans of shard `index` (1-based) of `count`.
    public var shard: (index: Int, count: Int)
    /// How the first file's elements become the metadata table's columns (as `tags` names them).
    public var table: TagTableOptions
    /// Decodes JPEG, JPEG-LS and JPEG 2000 frames (in a helper process: `DecoderProcessPool`).
    public var decoders: DecoderProcessPool?
    /// Part files close after this many bytes of compressed chunks.
    public var partBytes: Int
    /// Test hook: sleep before each scan (so that a test can kill the run while it writes parts).
    public var testPausePerScanMS: Int?

    public init(output: String, jobs: Int, walk: WalkOptions = WalkOptions(), slicesMode: Bool = false,
                compressionLevel: Int? = 4, shard: (index: Int, count: Int) = (1, 1),
                table: TagTableOptions = TagTableOptions(), decoders: DecoderProcessPool? = nil, partBytes: Int = 256 << 20) {
        self.output = output
        self.jobs = jobs
        self.walk = walk
        self.slicesMode = slicesMode
        self.compressionLevel = compressionLevel
        self.shard = shard
        self.table = table
        self.decoders = decoders
        self.partBytes = partBytes
    }

    /// `pixel_data.h5` → `pixel_data`: the side files are named after it.
    var base: String { output.hasSuffix(".h5") ? String(output.dropLast(3)) : output }
    public var metadataPath: String { base + ".csv" }
    public var unreadablePath: String { base + ".unreadable.csv" }
    public var partsFolder: String { output + ".parts" }
    /// `s2of8`: names this shard's files in the parts folder.
    var shardName: String { "s\(shard.index)of\(shard.count)" }
}

/// Counts of a run, for the summary.
public struct ExportReport: Sendable {
    public var filesSeen = 0
    public var notDICOM = 0
    public var noPixelData = 0
    /// Scans of this shard planned, exported now, found exported by an earlier run, left out.
    public var scansPlanned = 0
    public var scansExported = 0
    public var scansAlreadyDone = 0
    public var scansLeftOut = 0
    public var scansInOtherShards = 0
    public var unreadable: [(scan: String, path: String, reason: String)] = []
    public var bytesWritten = 0
    public var problems: [String] = []
    /// Nothing could be written (the output folder, a part file, the index).
    public var error: String?

    public init() {}
}

/// Counters a terminal progress line reads while the export runs.
public final class ExportProgress: Sendable {
    public let filesRead = Atomic<Int>(0)
    public let filesTotal = Atomic<Int>(0)
    public let scansTotal = Atomic<Int>(0)
    public let scansDone = Atomic<Int>(0)
    public let bytesWritten = Atomic<Int>(0)
    public init() {}
}
