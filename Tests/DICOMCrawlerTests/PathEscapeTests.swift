import XCTest
@testable import DICOMCrawler

/// Paths in tables can be turned back into the bytes of the file name.
final class PathEscapeTests: XCTestCase {
    func testExamples() {
        XCTAssertEqual(Array("d/IM1.dcm".utf8).escapedPath, "d/IM1.dcm")
        XCTAssertEqual(Array("MÜLLER/山田.dcm".utf8).escapedPath, "MÜLLER/山田.dcm")
        XCTAssertEqual(([0xFF] + Array(".dcm".utf8)).escapedPath, "\\xFF.dcm")
        XCTAssertEqual(([0xFE] + Array(".dcm".utf8)).escapedPath, "\\xFE.dcm")
        XCTAssertEqual(Array("a\\b".utf8).escapedPath, "a\\\\b")
        XCTAssertEqual((Array("M".utf8) + [0xDC] + Array("LLER\\xFF".utf8)).escapedPath, "M\\xDCLLER\\\\xFF")
        XCTAssertNil(unescapePath("bad\\q"))
        XCTAssertNil(unescapePath("cut\\x4"))
    }

    func testEveryPathRoundTrips() {
        var rng = SystemRandomNumberGenerator()
        let alphabet: [UInt8] = Array("ab/\\x.".utf8) + [0xC3, 0xA9, 0xE5, 0xB1, 0xB1, 0xFF, 0x80, 0xF0, 0x9F, 0x98, 0x80]
        var seen: [String: PathBytes] = [:]
        for _ in 0..<20_000 {
            let path = (0..<Int.random(in: 1...12, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }
            let text = path.escapedPath
            XCTAssertNotNil(String(validating: Array(text.utf8), as: UTF8.self))
            XCTAssertEqual(unescapePath(text), path, text)
            if let other = seen[text] { XCTAssertEqual(other, path, "two paths, one text: \(text)") }
            seen[text] = path
        }
    }
}
