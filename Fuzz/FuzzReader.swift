// libFuzzer target for the DICOM reader. Build and run with Scripts/fuzz.sh; built without
// -DFUZZING (as `swift build` does), it is a replay tool: `dicom-fuzz FILE...` runs each input
// through the same code, so a crash input can be reproduced without the fuzzer.
import DICOM

/// Everything a caller might do with a file: read it whole, read a few tags, render every value,
/// decode pixel data.
func exercise(_ bytes: [UInt8]) {
    let file = DICOMReader.read(bytes: bytes)
    walk(file.meta)
    walk(file.dataSet)
    _ = file.error?.description
    let few = DICOMReader.read(bytes: bytes, options: ReadOptions(tags: [.studyDate, .patientID, .patientName], bulkThreshold: 16))
    _ = few.string(.patientName)
    _ = few.dataSet.date(.studyDate)
    // The series command's way: values left in the input (`loadsValues` false), read there by offset.
    var inPlace = ReadOptions(tags: [.studyDate, .seriesInstanceUID, .patientName, Tag(0x0020_0032), .pixelRepresentation])
    inPlace.loadsValues = false
    let header = DICOMReader.read(bytes: bytes, options: inPlace)
    if header.transferSyntax?.isDeflated != true {
        for e in header.meta.elements + header.dataSet.elements {
            if case .notLoaded(let offset, let length) = e.value { _ = bytes[offset..<(offset + length)].count }
        }
    }
    // Pixel data: locate the frames and decode a few (frames no larger than 4 MB).
    if var pixels = try? PixelReader(file: file, bytes: bytes) {
        pixels.maxFrameBytes = 4 << 20
        for i in 0..<min(pixels.frameCount, 4) {
            _ = try? pixels.encodedFrame(i)
            _ = (try? pixels.frame(i))?.bytes.count
        }
    }
}

func walk(_ ds: DataSet) {
    _ = ds.jsonObject(maxBinaryBytes: 8)
    for e in ds.elements {
        _ = ds.render(e)
        _ = ds.strings(e.tag)
        if e.tag.isPrivate { _ = ds.privateCreator(of: e.tag) }
        if let items = e.items { items.forEach(walk) }
    }
}

#if FUZZING
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { exercise([]); return 0 }
    exercise(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

// SwiftPM links an executable's entry point as `<module>_main`; hand control to libFuzzer's driver.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

@_cdecl("dicom_fuzz_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var vector = argv
    return LLVMFuzzerRunDriver(&count, &vector, fuzzOneInput)
}
#else
import Foundation

@main
struct Replay {
    static func main() {
        for path in CommandLine.arguments.dropFirst() {
            guard let data = FileManager.default.contents(atPath: path) else {
                print("cannot read \(path)")
                continue
            }
            exercise([UInt8](data))
            print("ok \(path)")
        }
    }
}
#endif
