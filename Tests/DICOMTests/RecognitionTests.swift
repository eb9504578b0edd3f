import XCTest
import DICOM
import DICOMTestSupport

/// `DICOMReader.recognize`: the file size is asked for only when a bare data set must be checked.
final class RecognitionTests: XCTestCase {
    func testRecognizeAndLazyFileSize() {
        let ds = DataSet([.string(.modality, "MR"), .string(.patientID, "X")])
        var asked = 0
        func size(_ n: Int) -> Int { asked += 1; return n }

        let part10 = DICOMWriter().write(ds)
        XCTAssertEqual(DICOMReader.recognize(prefix: Array(part10.prefix(132)), fileSize: size(part10.count)), .part10)
        XCTAssertEqual(asked, 0)
        // DICM without the preamble.
        XCTAssertEqual(DICOMReader.recognize(prefix: Array(part10[128...].prefix(132)), fileSize: size(1000)), .part10)
        XCTAssertEqual(asked, 0)

        var bareWriter = DICOMWriter()
        bareWriter.preamble = false
        bareWriter.meta = false
        let bare = bareWriter.write(ds)
        XCTAssertEqual(DICOMReader.recognize(prefix: bare, fileSize: size(bare.count)), .bareDataSet)
        XCTAssertEqual(asked, 1)
        // The first element's length must fit in the file.
        XCTAssertEqual(DICOMReader.recognize(prefix: Array(bare.prefix(8)), fileSize: size(1)), .notDICOM)
        XCTAssertEqual(asked, 2)
        // Plain Int arguments still compile.
        XCTAssertEqual(DICOMReader.recognize(prefix: Array("hello, world".utf8), fileSize: 12), .notDICOM)
        XCTAssertEqual(DICOMReader.recognize(prefix: Array("hello, world".utf8), fileSize: size(12)), .notDICOM)
        XCTAssertEqual(asked, 2)
        XCTAssertEqual(DICOMReader.recognize(prefix: [], fileSize: 0), .notDICOM)
    }
}
