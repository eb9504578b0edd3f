// The codec floor: the CPU seconds that the export's codecs alone need for the tree, measured
// in this process on one thread: every frame decoded (GDCM/OpenJPEG for JPEG 2000, the reader's
// own path for native files) and compressed as the export compresses it (shuffle + deflate, one
// chunk per slice). Divided by the jobs, it is the least wall time any export with these libraries
// can take on this machine; the issue names it the floor to report beside the ratios.
import BenchSupport
import DICOM
import Foundation
import HDF5
import PixelCodecs
#if canImport(Glibc)
import Glibc
#endif

struct CodecWork {
    /// CPU seconds decoding, by transfer syntax UID.
    var decode: [String: Double] = [:]
    var frames: [String: Int] = [:]
    var compress = 0.0
    var failures: [String] = []
    var decodeTotal: Double { decode.values.reduce(0, +) }
}

/// Every file under `tree` (sorted), every frame decoded and, when `level` is set, compressed.
func codecWork(tree: String, level: Int?) -> CodecWork {
    var work = CodecWork()
    let decoder = GDCMFrameDecoder()  // in this process; the export runs it in its helper
    let files = (FileManager.default.enumerator(atPath: tree)?.allObjects as? [String] ?? []).sorted()
    for name in files {
        let path = tree + "/" + name
        var st = stat()
        guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { continue }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { work.failures.append("\(path): cannot open"); continue }
        defer { close(fd) }
        let file = DICOMReader.read(fileDescriptor: fd, path: path)
        let syntax = file.transferSyntax?.uid ?? "?"
        do throws(PixelError) {
            let reader = try PixelReader(file: file, fileDescriptor: fd, decoder: decoder)
            for i in 0..<reader.frameCount {
                let t0 = clockSeconds(CLOCK_THREAD_CPUTIME_ID)
                let frame = try reader.frame(i)
                let t1 = clockSeconds(CLOCK_THREAD_CPUTIME_ID)
                work.decode[syntax, default: 0] += t1 - t0
                work.frames[syntax, default: 0] += 1
                if let level {
                    do throws(HDF5Error) {
                        _ = try ChunkCompression.shuffleDeflate(frame.bytes, elementSize: frame.sampleType.byteWidth, level: level)
                    } catch {
                        work.failures.append("\(path): \(error)")
                    }
                    work.compress += clockSeconds(CLOCK_THREAD_CPUTIME_ID) - t1
                }
            }
        } catch {
            work.failures.append("\(path): \(error.description)")
        }
    }
    return work
}

/// Prints the codec floor of `tree` against the export's and the old tool's best wall times (when
/// measured in this run): whether 4x the old tool is within what the codecs allow on `jobs` cores.
func printCodecFloor(exportBest: Double?, oldBest: Double?) {
    fflush(stdout)
    let work = codecWork(tree: tree, level: 4)
    let codecCPU = work.decodeTotal + work.compress
    let codecFloor = codecCPU / Double(jobs)
    print("")
    print("codec floor (every frame decoded and compressed in this process, one thread; CPU seconds):")
    for (uid, s) in work.decode.sorted(by: { $0.key < $1.key }) {
        print(String(format: "  decode %@ (%d frames): %.2f s", uid, work.frames[uid] ?? 0, s))
    }
    print(String(format: "  shuffle + deflate level 4: %.2f s; codecs in all %.2f s; / %d jobs = %.2f s", work.compress, codecCPU, jobs, codecFloor))
    work.failures.prefix(3).forEach { print("  failed: \($0)") }
    if let best = exportBest {
        print(String(format: "  export best wall %.2f s: codec floor / wall = %.2f (the rest: reading, copies between processes, HDF5, idle)",
                     best, codecFloor / best))
    }
    if let old = oldBest {
        let needed = old / 4
        print(String(format: "  4x the old tool's best (%.2f s) needs %.2f s; the codecs alone need %.2f s on %d cores: %@",
                     old, needed, codecFloor, jobs,
                     codecFloor <= needed ? "reachable" : String(format: "out of reach with these codecs (at most %.2fx)", old / codecFloor)))
    }
}
