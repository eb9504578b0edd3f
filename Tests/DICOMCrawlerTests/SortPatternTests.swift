import DICOM
import XCTest
@testable import DICOMCrawler

final class SortPatternTests: XCTestCase {
    func folders(_ pattern: String, _ values: [Tag: String]) throws -> [String] {
        try SortPattern(pattern).folders { values[$0] }
    }

    func testOldToolLayoutAndTheFormatLanguage() throws {
        let v: [Tag: String] = [.patientName: "Doe^John Q", .patientID: "123", .seriesDescription: "T1 <mprage> sag", .seriesNumber: "3",
                                .studyDate: "20240101", .modality: "MR"]
        XCTAssertEqual(try folders(SortPattern.defaultText, v), ["DOE^JOHN_Q_123", "T1__MPRAGE__SAG_0003"])
        XCTAssertEqual(try folders("{StudyDate}/{Modality}_{SeriesNumber:04}", v), ["20240101", "MR_0003"])
        XCTAssertEqual(try folders("{PatientName:lower,nospace}/{SeriesDescription:5}/x{{y}}", v), ["doe^john_q", "T1 _m", "x{y}"])
        XCTAssertEqual(try folders("{SeriesNumber:06}", [.seriesNumber: "12"]), ["000012"])
        XCTAssertEqual(try folders("{SeriesNumber:04}", [.seriesNumber: "A7"]), ["A7"], "not an integer: left as it is")
        XCTAssertThrowsError(try SortPattern("{NoSuchKeyword}"))
        XCTAssertThrowsError(try SortPattern("{PatientID:shout}"))
        XCTAssertThrowsError(try SortPattern("{PatientID"))
        XCTAssertThrowsError(try SortPattern("a}b"))
    }

    func testMissingAndHostileValues() throws {
        XCTAssertEqual(try folders(SortPattern.defaultText, [:]), ["UNKNOWN_UNKNOWN", "UNKNOWN_UNKNOWN"])
        XCTAssertEqual(try folders("{PatientID}", [.patientID: "  "]), ["UNKNOWN"])
        XCTAssertEqual(try folders("{PatientID}/{SeriesDescription}", [.patientID: "..", .seriesDescription: "."]), ["__", "_"])
        XCTAssertEqual(try folders("{PatientID}", [.patientID: "../../etc"]), ["_._.._etc"], "a leading dot becomes _ (no hidden folder)")
        XCTAssertEqual(try folders("{PatientID}", [.patientID: "a/b\\c\u{0}d\u{1}e\u{7F}f<g>h:i\"j|k?l*m"]), ["a_b_c_d_e_f_g_h_i_j_k_l_m"])
        let long = String(repeating: "é", count: 200)  // 400 bytes
        let cut = try folders("{PatientID}", [.patientID: long])[0]
        // Cut on a character boundary, with ~ and a hash of the full name appended (item "Trust" 6).
        XCTAssertEqual(cut.utf8.count, 255)
        XCTAssertEqual(cut, String(repeating: "é", count: 121) + "~bd62f1ecfb46")
        XCTAssertEqual(try folders("{PatientName}", [.patientName: "山田^太郎"]), ["山田^太郎"])
    }

    /// Values that would make hidden folders (a leading dot) get `_` instead; `.` and `..` stay `_` and `__`.
    func testNoHiddenFolders() throws {
        XCTAssertEqual(try folders("{PatientID}/{SeriesDescription}", [.patientID: ".hidden", .seriesDescription: "...x"]), ["_hidden", "_..x"])
        XCTAssertEqual(try folders("{PatientID}_{SeriesNumber}", [.patientID: ".", .seriesNumber: "1"]), ["__1"])
        XCTAssertEqual(try folders(".{PatientID}", [.patientID: "a"]), ["_a"], "a literal leading dot too")
        XCTAssertEqual(try folders("{PatientID}", [.patientID: "."]), ["_"])
        XCTAssertEqual(try folders("{PatientID}", [.patientID: ".."]), ["__"])
        XCTAssertEqual(try folders("{PatientID}", [.patientID: "a.b."]), ["a.b."], "dots elsewhere are kept")
    }

    /// A name over 255 bytes keeps its short (identifying) values whole: the long values are cut
    /// and a hash of the full name is appended, so names differing only in the cut part stay apart.
    func testLongNamesKeepWhatMakesThemUnique() throws {
        let name = String(repeating: "山", count: 93) + "é"  // 281 bytes
        let a = try folders(SortPattern.defaultText, [.patientName: name, .patientID: "ID-1", .seriesDescription: "S", .seriesNumber: "1"])[0]
        let b = try folders(SortPattern.defaultText, [.patientName: name, .patientID: "ID-2", .seriesDescription: "S", .seriesNumber: "1"])[0]
        XCTAssertNotEqual(a, b)
        for f in [a, b] {
            XCTAssertLessThanOrEqual(f.utf8.count, 255)
            XCTAssertNotNil(String(validating: Array(f.utf8), as: UTF8.self))
        }
        XCTAssertTrue(a.hasPrefix(String(repeating: "山", count: 79) + "_ID-1~"), a)
        XCTAssertEqual(a.utf8.count, 79 * 3 + 6 + 12)
        XCTAssertTrue(a.contains("_ID-1~"), a)
        XCTAssertTrue(b.contains("_ID-2~"), b)
        XCTAssertEqual(a, try folders(SortPattern.defaultText, [.patientName: name, .patientID: "ID-1", .seriesDescription: "S", .seriesNumber: "1"])[0], "deterministic")
        // Two values that differ only after the cut: two names.
        let x = try folders("{SeriesDescription}", [.seriesDescription: String(repeating: "a", count: 300) + "1"])[0]
        let y = try folders("{SeriesDescription}", [.seriesDescription: String(repeating: "a", count: 300) + "2"])[0]
        XCTAssertNotEqual(x, y)
        XCTAssertEqual(x.utf8.count, 255)
        // A name of 255 bytes is left as it is.
        XCTAssertEqual(try folders("{SeriesDescription}", [.seriesDescription: String(repeating: "b", count: 255)])[0], String(repeating: "b", count: 255))
        // A long literal: cut too, still with the hash.
        let lit = try folders(String(repeating: "L", count: 300) + "{PatientID}", [.patientID: "1"])[0]
        XCTAssertEqual(lit.utf8.count, 255)
        XCTAssertTrue(lit.contains("~"))
    }

    /// Binary and sequence fields cannot name a folder; widths are 1 to 255.
    func testBulkFieldsAndWidthsAreRejected() throws {
        for p in ["{PixelData}", "{ReferencedSeriesSequence}", "x/{OverlayData}", "{EncapsulatedDocument}"] {
            XCTAssertThrowsError(try SortPattern(p), p) { e in
                XCTAssertTrue((e as! SortPattern.ParseError).message.contains("binary data or a sequence"), "\(e)")
            }
        }
        for p in ["{SeriesNumber:0999999999}", "{SeriesNumber:0256}", "{PatientID:256}", "{PatientID:99999999999999999999}", "{PatientID:0}", "{PatientID:00}", "{PatientID:-3}"] {
            XCTAssertThrowsError(try SortPattern(p), p)
        }
        XCTAssertThrowsError(try SortPattern("{SeriesNumber:0999999999}")) { e in
            XCTAssertTrue((e as! SortPattern.ParseError).message.contains("must be 1 to 255"), "\(e)")
        }
        XCTAssertEqual(try folders("{SeriesNumber:0255}", [.seriesNumber: "7"])[0].utf8.count, 255)
        XCTAssertEqual(try folders("{PatientID:255}", [.patientID: "abc"]), ["abc"])
        XCTAssertEqual(try folders("{SeriesNumber:01}", [.seriesNumber: "7"]), ["7"])
    }
}
