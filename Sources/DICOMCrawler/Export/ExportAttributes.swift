import DICOM
import HDF5

/// The attributes of a scan's dataset: geometry and what a loader needs to use the values, each
/// only when the files have it (never an invented default). A value that differs between slices is
/// stored once per slice (NaN where a slice lacks it).
enum ExportAttributes {
    static func of(_ scan: ExportedScan) -> [(String, HDF5AttributeValue)] {
        let plan = scan.plan
        let ds = scan.firstDataSet
        var out: [(String, HDF5AttributeValue)] = []
        func text(_ name: String, _ tag: Tag) {
            if let v = ds.string(tag).map(DICOMText.trimmed), !v.isEmpty { out.append((name, .string(v))) }
        }
        text("SeriesInstanceUID", .seriesInstanceUID)
        text("StudyInstanceUID", .studyInstanceUID)
        text("Modality", .modality)
        text("SeriesDescription", .seriesDescription)
        out.append(("PhotometricInterpretation", .string(scan.photometric)))
        out.append(("Order", .string(plan.order.rawValue)))
        if let v = plan.volumeOrder { out.append(("VolumeOrder", .string(v.rawValue))) }
        func number(_ name: String, _ value: ScanValue<Double>?) {
            switch value {
            case .uniform(let v)?: out.append((name, .double(v)))
            case .perSlice(let vs)?: out.append((name, .doubles(vs.map { $0 ?? .nan })))
            case nil: break
            }
        }
        func numbers(_ name: String, _ value: ScanValue<[Double]>?) {
            switch value {
            case .uniform(let v)?: out.append((name, .doubles(v)))
            case .perSlice(let vs)?:
                // One row per slice, flattened (reshape(-1, n) in numpy); a slice without: NaNs.
                let n = vs.compactMap { $0?.count }.max() ?? 0
                out.append((name, .doubles(vs.flatMap { v in (0..<n).map { i in v.flatMap { i < $0.count ? $0[i] : nil } ?? .nan } })))
            case nil: break
            }
        }
        number("RescaleSlope", plan.rescaleSlope)
        number("RescaleIntercept", plan.rescaleIntercept)
        numbers("PixelSpacing", plan.pixelSpacing)
        number("SliceThickness", plan.sliceThickness)
        if let s = plan.spacingBetweenSlices { out.append(("SpacingBetweenSlices", .double(s))) }
        if let o = plan.imageOrientation { out.append(("ImageOrientationPatient", .doubles([o.row.x, o.row.y, o.row.z, o.column.x, o.column.y, o.column.z]))) }
        let positions = plan.slices.map(\.header.imagePosition)
        if positions.contains(where: { $0 != nil }) {
            // One (x, y, z) per slice in the dataset's slice order (volume by volume): reshape(-1, 3).
            out.append(("ImagePositionPatient", .doubles(positions.flatMap { p in p.map { [$0.x, $0.y, $0.z] } ?? [.nan, .nan, .nan] })))
        }
        numbers("WindowCenter", plan.windowCenter)
        numbers("WindowWidth", plan.windowWidth)
        out.append(("SourceFiles", .strings(plan.slices.map { s in s.header.frame.map { "\(s.header.path)#\($0)" } ?? s.header.path })))
        return out
    }
}
