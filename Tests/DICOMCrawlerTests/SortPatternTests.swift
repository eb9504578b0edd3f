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
        XCTAssertEqual(try folders("{PatientID}", [.patientID: "../../etc"]), [".._.._etc"])
        XCTAssertEqual(try folders("{PatientID}", [.patientID: "a/b\\c\u{0}d\u{1}e\u{7F}f<g>h:i\"j|k?l*m"]), ["a_b_c_d_e_f_g_h_i_j_k_l_m"])
        let long = String(repeating: "é", count: 200)  // 400 bytes
        let cut = try folders("{PatientID}", [.patientID: long])[0]
        XCTAssertEqual(cut.utf8.count, 254)
        XCTAssertEqual(cut, String(repeating: "é", count: 127))
        XCTAssertEqual(try folders("{PatientName}", [.patientName: "山田^太郎"]), ["山田^太郎"])
    }
}
