#if canImport(Glibc)
import Glibc
#endif
import DICOM

/// One series folder: its DICOM count and its first readable DICOM file's values.
/// A class: the walk hands it between threads and arrays without copying its tables.
final class FolderScan {
    var dicomCount = 0
    /// Rendered values of the first readable DICOM file (nil: no readable DICOM file).
    var values: [Tag: String]?
    /// The values read before the damage of the first damaged DICOM file, and its path: used when
    /// no DICOM file of the folder can be read whole.
    var damaged: (values: [Tag: String], path: PathBytes)?
    /// `values` are those of `damaged`.
    var valuesFromDamaged = false
    var skippedByType: [String: Int] = [:]
    var unreadable: [UnreadableFile] = []
    var problems: [WalkProblem] = []
    var filesExamined = 0
    /// The folder's path relative to its DIR is valid UTF-8 (checked on the scanning thread).
    var relativePathIsUTF8 = true
    /// No label's path names the folder (it was examined for --all, or found to hold DICOM files).
    var unlabelled = false
    /// A folder no label names was found to hold a DICOM file (without counting them).
    var holdsDICOM = false
    /// The folder's rows (`CrawlJob.addRows`).
    var rows: [CrawlRow] = []

    func unreadable(_ path: PathBytes, _ reason: String) {
        unreadable.append(UnreadableFile(path: path.pathString, reason: reason))
    }
}

extension CrawlJob {
    /// Whether a folder holds a DICOM file (`DICM` at byte 128, or a bare data set), looking at
    /// files in name order until the first one; no header is read, no libmagic asked.
    func holdsDICOM(_ dir: OpenDirectory) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let ownTable = Array(options.outputName.utf8)
        for entry in dir.entries {
            // The crawl's own table (in every DIR it wrote to) is not read again to learn that.
            guard dir.isRegularFile(entry, includeHidden: options.walk.includeHidden), entry.name != ownTable else { continue }
            guard let fd = try? dir.openEntry(entry) else { continue }
            defer { close(fd) }
            guard let n = try? readPrefix(fd, into: &buffer), n > 0 else { continue }
            let prefix = n == buffer.count ? buffer : Array(buffer.prefix(n))
            if DICOMReader.recognize(prefix: prefix, fileSize: fileSize(fd) ?? n) != .notDICOM { return true }
        }
        return false
    }

    /// Counts the DICOM files directly in a folder and reads the first readable one (in byte order
    /// of names). Other files never veto the folder; their types go into the summary.
    func scanFolder(_ folder: PathBytes) -> FolderScan {
        do {
            return scanFolder(try OpenDirectory(folder), folder)
        } catch {
            let scan = FolderScan()
            scan.problems.append(.cannotList(folder, error))
            return scan
        }
    }

    /// The same, for a folder already open.
    func scanFolder(_ dir: OpenDirectory, _ folder: PathBytes) -> FolderScan {
        let scan = FolderScan()
        var buffer = [UInt8](repeating: 0, count: 4096)
        for entry in dir.entries {
            guard dir.isRegularFile(entry, includeHidden: options.walk.includeHidden) else { continue }
            scan.filesExamined += 1
            func path() -> PathBytes { joinPath(folder, entry.name) }  // only for messages
            let fd: Int32
            do { fd = try dir.openEntry(entry) } catch {
                scan.unreadable(path(), "cannot open: \(error.text)")
                continue
            }
            defer { close(fd) }
            var notDICOM = false
            if scan.values == nil {
                // Read the header, until the first readable DICOM file of the folder is found.
                let file = DICOMReader.read(fileDescriptor: fd, options: readOptions)
                var values: [Tag: String] = [:]
                for e in file.dataSet.elements { values[e.tag] = file.dataSet.render(e) }
                switch file.error?.kind {
                case nil:
                    scan.dicomCount += 1
                    scan.values = values
                    continue
                case .notDICOM?:
                    notDICOM = true  // only its type is left to tell
                case .io?:
                    scan.unreadable(path(), file.error!.description)
                    continue
                default:
                    scan.dicomCount += 1
                    scan.unreadable(path(), file.error!.description)
                    if scan.damaged == nil && !values.isEmpty { scan.damaged = (values, path()) }
                    continue
                }
            }
            // The cheap check for the other files: `DICM` at byte 128, or a bare data set at byte 0.
            do {
                switch try fileTypes.kind(of: fd, buffer: &buffer, notDICOM: notDICOM) {
                case .dicom: scan.dicomCount += 1
                case .other(let mimeType): scan.skippedByType[mimeType, default: 0] += 1
                }
            } catch {
                scan.unreadable(path(), "cannot read: \(error.text)")
            }
        }
        if scan.values == nil, let damaged = scan.damaged {
            scan.values = damaged.values
            scan.valuesFromDamaged = true
        }
        return scan
    }
}
