import Foundation
import XCTest
@testable import DICOM
import DICOMTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Time and memory per file stay bounded whatever the file claims (ReadOptions.maxElements,
/// maxValueBytesTotal, runs of zero bytes), and lookups by tag stay O(log n).
final class LimitsTests: XCTestCase {
    /// Peak resident set size of this process, in bytes.
    func peakRSS() -> Int {
        var u = rusage()
        getrusage(RUSAGE_SELF.rawValue, &u)
        return u.ru_maxrss * 1024
    }

    /// `header` written to a new file, then the file extended with zeros to `size` (sparse).
    func sparseFile(_ header: [UInt8], size: Int) throws -> String {
        let path = try temporaryFile(header)
        XCTAssertEqual(truncate(path, off_t(size)), 0)
        return path
    }

    let header = DICOMWriter().write(DataSet([.string(.patientID, "P1"), .string(.studyDate, "20240101")]))

    func testZerosAfterTheDataSetAreSkippedInBoundedTimeAndMemory() throws {
        let path = try sparseFile(header, size: 100_000_000)
        defer { unlink(path) }
        let rss = peakRSS()
        let start = Date()
        let file = DICOMReader.read(path: path)
        XCTAssertLessThan(Date().timeIntervalSince(start), 5)
        XCTAssertLessThan(peakRSS() - rss, 64 << 20)
        XCTAssertNil(file.error)
        XCTAssertEqual(file.dataSet.count, 2, "no (0000,0000) elements kept for the zeros")
        XCTAssertEqual(file.string(.patientID), "P1")
        let zeros = 100_000_000 - header.count
        XCTAssertTrue(file.warnings.contains("\(zeros / 8 * 8) zero bytes from byte \(header.count) (empty (0000,0000) elements) ignored"), "\(file.warnings)")
        XCTAssertTrue(file.warnings.contains("\(zeros % 8) trailing bytes after the last element ignored") || zeros % 8 == 0, "\(file.warnings)")
    }

    func testTwoGigabyteSparseFileHeaderRead() throws {
        let path = try sparseFile(header, size: 2 << 30)
        defer { unlink(path) }
        let rss = peakRSS()
        let start = Date()
        for options in [ReadOptions.header, ReadOptions()] {
            let file = DICOMReader.read(path: path, options: options)
            XCTAssertNil(file.error)
            XCTAssertEqual(file.string(.studyDate), "20240101")
            XCTAssertTrue(file.warnings.contains("\(((2 << 30) - header.count) / 8 * 8) zero bytes from byte \(header.count) (empty (0000,0000) elements) ignored"), "\(file.warnings)")
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 30)
        XCTAssertLessThan(peakRSS() - rss, 64 << 20)
    }

    /// Zeros in the middle: skipped, and reading goes on after them.
    func testZeroRunFollowedByElements() {
        var tail: [UInt8] = []
        DICOMWriter().encode(.string(.seriesDescription, "after"), explicit: true, bigEndian: false, into: &tail)
        let file = read(header + [UInt8](repeating: 0, count: 800) + tail)
        XCTAssertNil(file.error)
        XCTAssertEqual(file.string(.seriesDescription), "after")
        XCTAssertEqual(file.dataSet.count, 3)
        XCTAssertTrue(file.warnings.contains("800 zero bytes from byte \(header.count) (empty (0000,0000) elements) ignored"), "\(file.warnings)")
    }

    /// 4 to 7 zero bytes at the end (too short for an element header): trailing bytes, not an error.
    func testShortZeroTail() {
        for n in 1...7 {
            let file = read(header + [UInt8](repeating: 0, count: n))
            XCTAssertNil(file.error, "\(n)")
            XCTAssertEqual(file.warnings, ["\(n) trailing bytes after the last element ignored"])
        }
    }

    /// A file cut inside the meta group keeps the meta elements read.
    func testCutInsideTheMetaGroupKeepsThem() {
        let cut = Array(header.prefix(132 + 12 + 14 + 4))
        let file = read(cut)
        XCTAssertEqual(file.error?.kind, .truncated)
        XCTAssertEqual(file.meta[.fileMetaInformationGroupLength]?.bytes?.count, 4)
        XCTAssertNotNil(file.meta[Tag(0x0002_0001)])
    }

    func testElementLimitStopsWithWhatWasRead() {
        var elements: [Element] = [.string(.patientID, "P1")]
        for i in 0..<3000 { elements.append(.string(Tag((0x0011 + 2 * UInt32(i / 256)) << 16 | 0x1000 | UInt32(i % 256)), "v\(i)", vr: .LO)) }
        let b = DICOMWriter().write(DataSet(elements))
        var options = ReadOptions()
        options.maxElements = 1000
        let file = read(b, options)
        XCTAssertEqual(file.error?.kind, .tooLarge)
        XCTAssertEqual(file.meta.count + file.dataSet.count, 1000, "meta elements count too")
        // The offset is that of the element over the limit, the one after the last kept.
        let last = file.dataSet.elements.last!
        XCTAssertEqual(file.error?.offset, last.offset + 8 + Int(last.length))
        XCTAssertEqual(file.error?.description.hasPrefix("too large at byte"), true)
        // Elements skipped by a read of chosen tags count the same: it stops at the same element.
        for inPlace in [false, true] {
            var chosen = options
            chosen.tags = [.patientID, Tag(0x0030_0010)]
            chosen.loadsValues = !inPlace
            let few = read(b, chosen)
            XCTAssertEqual(few.error?.kind, .tooLarge)
            XCTAssertEqual(few.error?.offset, file.error?.offset)
            XCTAssertEqual(few.errorTag, file.errorTag)
            XCTAssertEqual(few.dataSet.elements.map(\.tag), [.patientID])
        }
        // Items count too.
        let items = (0..<50).map { _ in DataSet([.string(Tag(0x0008_1155), "1.2")]) }
        let seq = read(DICOMWriter().write(DataSet([.string(.patientID, "P"), .sequence(Tag(0x0008_1140), items)])), options)
        XCTAssertNil(seq.error)
        options.maxElements = 60
        let cut = read(DICOMWriter().write(DataSet([.string(.studyDate, "20240101"), .sequence(Tag(0x0008_1140), items)])), options)
        XCTAssertEqual(cut.error?.kind, .tooLarge)
        XCTAssertEqual(cut.string(.studyDate), "20240101")
        // The default allows a large enhanced multi-frame header.
        XCTAssertEqual(ReadOptions().maxElements, 1_000_000)
    }

    func testLoadedValueBytesLimit() {
        let big = String(repeating: "x", count: 40_000)
        let b = DICOMWriter().write(DataSet([.string(.patientID, "P1"), .string(Tag(0x0008_0000 + 0x2111), big, vr: .ST),
                                             .string(Tag(0x0020_4000), big, vr: .LT)]))
        var options = ReadOptions()
        options.maxValueBytesTotal = 50_000
        let file = read(b, options)
        XCTAssertEqual(file.error?.kind, .tooLarge)
        XCTAssertEqual(file.error?.offset, file.dataSet[.patientID].map { $0.offset + 8 + 2 })
        XCTAssertEqual(file.string(.patientID), "P1")
        XCTAssertEqual(file.dataSet.count, 2)
        options.maxValueBytesTotal = 100_000
        XCTAssertNil(read(b, options).error)
    }

    /// 10^5 private elements with and without creators: read, rendered and their creators looked up
    /// in well under a second each (a linear fallback made this quadratic).
    func testManyPrivateElementsAreLinear() {
        for withCreators in [true, false] {
            var elements: [Element] = []
            var g: UInt32 = 0x0009
            var k = 0
            while k < 100_000 {
                if withCreators { elements.append(.string(Tag(g << 16 | 0x0010), "ACME", vr: .LO)) }
                for e in 0..<256 where k < 100_000 {
                    elements.append(.string(Tag(g << 16 | 0x1000 | UInt32(e)), "v", vr: .LO))
                    k += 1
                }
                g += 2
            }
            let b = DICOMWriter().write(DataSet(elements))
            let start = Date()
            let file = read(b)
            XCTAssertNil(file.error)
            var found = 0
            let ds = file.dataSet
            for e in ds.elements {
                _ = ds.render(e)
                if ds.privateCreator(of: e.tag) != nil { found += 1 }
                XCTAssertNotNil(ds[e.tag])
            }
            _ = DumpFormat.text(file, path: "x", maxValueBytes: 8)
            XCTAssertEqual(found, withCreators ? 100_000 : 0)
            XCTAssertLessThan(Date().timeIntervalSince(start), 10, "withCreators: \(withCreators)")
        }
    }

    /// Lookups stay correct when the elements are not in order (made so, or changed in place).
    func testLookupInUnsortedDataSets() {
        let a = Element.string(.patientID, "A"), b = Element.string(.studyDate, "20240101"), c = Element.string(.modality, "CT")
        let unsorted = DataSet(elements: [b, c, a])
        for t in [Tag.patientID, .studyDate, .modality] { XCTAssertNotNil(unsorted[t], "\(t)") }
        XCTAssertNil(unsorted[.patientName])
        var grown = DataSet(elements: [c])
        grown.elements.append(a)
        grown.elements.append(b)
        for t in [Tag.patientID, .studyDate, .modality] { XCTAssertNotNil(grown[t], "\(t)") }
        // Equality ignores how the order is known.
        var changed = DataSet(elements: [b, a])
        changed.elements[0] = b
        XCTAssertEqual(changed, DataSet(elements: [b, a]))
    }

    /// read(path:) refuses what is not a regular file without blocking (a FIFO without a writer).
    func testNonRegularFilesAreRefused() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fifo-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        XCTAssertEqual(mkfifo(dir + "/fifo", 0o644), 0)
        let fifo = DICOMReader.read(path: dir + "/fifo")
        XCTAssertEqual(fifo.error, DICOMError(.io, offset: 0, "not a regular file (a FIFO)"))
        XCTAssertFalse(fifo.isDICOM)
        XCTAssertEqual(DICOMReader.read(path: dir).error?.message, "not a regular file (a directory)")
        XCTAssertEqual(DICOMReader.read(path: "/dev/null").error?.message, "not a regular file (a character device)")
        let fd = open("/dev/zero", O_RDONLY)
        defer { close(fd) }
        XCTAssertEqual(DICOMReader.read(fileDescriptor: fd).error?.message, "not a regular file (a character device)")
    }
}
