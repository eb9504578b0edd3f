import DICOM
import Foundation

/// The corpus's single-frame little-endian files with pixel data: their paths (relative to
/// `corpus`) and data sets before the pixel data, every value loaded (private blobs too), in path
/// order. The benchmarks' generated trees carry these real scanner headers.
public func corpusHeaders(_ corpus: String) -> [(path: String, dataSet: DataSet)] {
    let fm = FileManager.default
    var found: [(path: String, dataSet: DataSet)] = []
    let options = ReadOptions(stopBefore: .pixelData, bulkThreshold: 64 << 20)
    for rel in ((fm.enumerator(atPath: corpus)?.allObjects as? [String]) ?? []).sorted() {
        let path = corpus + "/" + rel
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue else { continue }
        let f = DICOMReader.read(path: path, options: options)
        guard f.error == nil, f.isDICOM, let ts = f.transferSyntax, !ts.isBigEndian, !ts.isDeflated,
              f.dataSet.string(Tag(0x0028_0010)) != nil,
              Int(f.dataSet.string(Tag(0x0028_0008)) ?? "1") ?? 1 <= 1,
              f.dataSet[Tag(0x5200_9230)] == nil, f.dataSet[Tag(0x5200_9229)] == nil,
              f.stoppedEarly  // stopped at its pixel data
        else { continue }
        found.append((rel, f.dataSet))
    }
    return found
}
