import XCTest
import DICOM

/// Every branch of both naming rules of `ElementName`.
final class ElementNameTests: XCTestCase {
    let csa = "SIEMENS CSA HEADER"

    func testPydicomNames() {
        XCTAssertEqual(ElementName.pydicom(Tag(0x0029_0010), creator: nil), "Private Creator")
        XCTAssertEqual(ElementName.pydicom(Tag(0x0029_0010), creator: csa), "Private Creator")
        XCTAssertEqual(ElementName.pydicom(Tag(0x0029_0000), creator: nil), "Private Group Length")
        XCTAssertEqual(ElementName.pydicom(Tag(0x0029_1010), creator: csa), "[SIEMENS CSA HEADER]")
        XCTAssertEqual(ElementName.pydicom(Tag(0x0029_1010), creator: nil), "Private tag")
        XCTAssertEqual(ElementName.pydicom(.patientName, creator: nil), "Patient's Name")
        XCTAssertEqual(ElementName.pydicom(Tag(0x0002_0000), creator: nil), "File Meta Information Group Length")
        XCTAssertEqual(ElementName.pydicom(Tag(0x6002_3000), creator: nil), "Overlay Data")  // repeating group
        XCTAssertEqual(ElementName.pydicom(Tag(0x0010_0000), creator: nil), "Group Length")
        XCTAssertEqual(ElementName.pydicom(Tag(0x0010_9999), creator: nil), "Unknown")
        // A retired entry with neither name nor keyword.
        XCTAssertEqual(ElementName.pydicom(Tag(0x0018_0061), creator: nil), "Unknown")
    }

    func testDcmdumpNames() {
        XCTAssertEqual(ElementName.dcmdump(Tag(0x0029_0010), creator: nil), "PrivateCreator")
        XCTAssertEqual(ElementName.dcmdump(Tag(0x0029_1010), creator: csa), "Private [SIEMENS CSA HEADER]")
        XCTAssertEqual(ElementName.dcmdump(Tag(0x0029_1010), creator: nil), "Unknown Tag & Data")
        XCTAssertEqual(ElementName.dcmdump(Tag(0x0029_0000), creator: nil), "Unknown Tag & Data")
        XCTAssertEqual(ElementName.dcmdump(Tag(0x0010_0000), creator: nil), "GenericGroupLength")
        XCTAssertEqual(ElementName.dcmdump(Tag(0x0002_0000), creator: nil), "FileMetaInformationGroupLength")
        XCTAssertEqual(ElementName.dcmdump(.patientName, creator: nil), "PatientName")
        XCTAssertEqual(ElementName.dcmdump(Tag(0x6002_3000), creator: nil), "OverlayData")
        // No keyword: the name; neither: the (empty) name.
        XCTAssertEqual(ElementName.dcmdump(Tag(0x0008_0202), creator: nil), "Retired-blank")
        XCTAssertEqual(ElementName.dcmdump(Tag(0x0018_0061), creator: nil), "")
        XCTAssertEqual(ElementName.dcmdump(Tag(0x0010_9999), creator: nil), "Unknown Tag & Data")
    }

    func testTrimmed() {
        XCTAssertEqual(DICOMText.trimmed("  ab c \0 \0"), "ab c")
        XCTAssertEqual(DICOMText.trimmed("\0ab"), "\0ab")
        XCTAssertEqual(DICOMText.trimmed("   "), "")
    }
}
