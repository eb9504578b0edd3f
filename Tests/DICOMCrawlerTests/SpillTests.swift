import Foundation
import XCTest
@testable import DICOMCrawler

/// The spill format: what the encoder writes, the decoder reads back, record by record, and a
/// damaged or cut spill is an error, never a wrong row.
final class SpillTests: XCTestCase {
    var dir: String!
    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "spill-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    func path(_ name: String) -> PathBytes { Array((dir + "/" + name).utf8) }

    func readAll(_ p: PathBytes, length: Int) throws -> [SpillRecord] {
        var r = try SpillReader(p, length: length)
        var out: [SpillRecord] = []
        while let record = try r.next() { out.append(record) }
        return out
    }

    func testEveryRecordKindRoundTrips() throws {
        let p = path("spill")
        let file = try AppendFile(p, keep: 0)
        let odd: PathBytes = Array("d/".utf8) + [0xFF, 0xFE] + Array(".dcm".utf8)  // not UTF-8
        let long = String(repeating: "é", count: 20_000)  // 40,000 bytes: a three-byte varint
        let stamp = FileStamp(size: 123, modified: -5, inode: UInt64.max, changed: 1_700_000_000_123_456_789)
        file.appendFile(path: odd, stamp: stamp)
        file.appendColumn(id: 0, key: "00100010")
        file.appendColumn(id: 300, key: "00081140/1/00081155")
        file.appendRow(path: odd, cells: [(0, "Doe^John"), (300, ""), (300, long)])
        file.appendDocument(path: Array("x".utf8), json: "{\"00100020\":{\"vr\":\"LO\"}}")
        file.appendUnreadable(path: Array("y".utf8), reason: "truncated at byte 5")
        file.appendRow(path: [], cells: [])
        try file.flush(sync: true)
        let records = try readAll(p, length: file.writtenLength)
        XCTAssertEqual(records, [
            .file(path: odd[...], stamp: stamp),
            .column(id: 0, key: "00100010"),
            .column(id: 300, key: "00081140/1/00081155"),
            .row(path: odd[...], cells: [.init(id: 0, value: ArraySlice("Doe^John".utf8)), .init(id: 300, value: []),
                                         .init(id: 300, value: ArraySlice(long.utf8))]),
            .document(path: ArraySlice("x".utf8), json: ArraySlice("{\"00100020\":{\"vr\":\"LO\"}}".utf8)),
            .unreadable(path: ArraySlice("y".utf8), reason: "truncated at byte 5"),
            .row(path: [], cells: []),
        ])
    }

    func testOnlyTheCommittedLengthIsRead() throws {
        let p = path("spill")
        let file = try AppendFile(p, keep: 0)
        file.appendColumn(id: 0, key: "00100010")
        try file.flush(sync: true)
        let committed = file.writtenLength
        file.appendColumn(id: 1, key: "00100020")  // written after the last commit: a killed run's tail
        try file.flush(sync: false)
        XCTAssertEqual(try readAll(p, length: committed), [.column(id: 0, key: "00100010")])
        // Reopened keeping the committed part, the tail is gone.
        let again = try AppendFile(p, keep: committed)
        again.appendColumn(id: 1, key: "00100030")
        try again.flush(sync: true)
        XCTAssertEqual(try readAll(p, length: again.writtenLength), [.column(id: 0, key: "00100010"), .column(id: 1, key: "00100030")])
    }

    func testDamagedSpillIsAnErrorNotARow() throws {
        let p = path("spill")
        let file = try AppendFile(p, keep: 0)
        file.appendRow(path: Array("a".utf8), cells: [(0, "value")])
        try file.flush(sync: true)
        let length = file.writtenLength
        // Cut inside the record.
        XCTAssertThrowsError(try readAll(p, length: length - 2)) { XCTAssertEqual($0 as? Errno, Errno(EIO)) }
        // A claimed length past the end.
        try Data([UInt8(ascii: "U"), 0xFF, 0xFF, 0x03]).write(to: URL(fileURLWithPath: dir + "/long"))
        XCTAssertThrowsError(try readAll(path("long"), length: 4)) { XCTAssertEqual($0 as? Errno, Errno(EIO)) }
        // A row claiming 2^62 cells: damage, not an allocation.
        try Data([UInt8(ascii: "R"), 1, UInt8(ascii: "a"), 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40, 0, 0]).write(to: URL(fileURLWithPath: dir + "/cells"))
        XCTAssertThrowsError(try readAll(path("cells"), length: 13)) { XCTAssertEqual($0 as? Errno, Errno(EIO)) }
        // A varint running past the committed end.
        try Data([UInt8(ascii: "C"), 0x80, 0x80, 0x01, 0]).write(to: URL(fileURLWithPath: dir + "/end"))
        XCTAssertThrowsError(try readAll(path("end"), length: 2)) { XCTAssertEqual($0 as? Errno, Errno(EIO)) }
        // An unknown record kind.
        try Data([UInt8(ascii: "Q"), 0]).write(to: URL(fileURLWithPath: dir + "/kind"))
        XCTAssertThrowsError(try readAll(path("kind"), length: 2)) { XCTAssertEqual($0 as? Errno, Errno(EIO)) }
        // A missing spill.
        XCTAssertThrowsError(try readAll(path("missing"), length: 1)) { XCTAssertEqual($0 as? Errno, Errno(ENOENT)) }
    }

    func testProgressStateRoundTripsAndRejectsPartialText() {
        let state = ProgressState(fingerprint: "abc123", files: 1200, spillLength: 987_654)
        XCTAssertEqual(ProgressState(text: state.text), state)
        XCTAssertEqual(state.text, "dicomcrawler-tags-state 2\nfingerprint abc123\nfiles 1200\nspill 987654\n")
        XCTAssertNil(ProgressState(text: "dicomcrawler-tags-state 2\nfingerprint abc123\nfiles 1200\n"))
        XCTAssertNil(ProgressState(text: "dicomcrawler-tags-state 1\nfingerprint abc123\nfiles 1200\nspill 987654\n"), "another format")
        XCTAssertNil(ProgressState(text: "fingerprint abc\nfiles x\nspill 3\n"))
    }
}
