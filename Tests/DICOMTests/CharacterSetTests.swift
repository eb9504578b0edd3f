import XCTest
@testable import DICOM
import DICOMTestSupport

/// The examples of PS3.5 Annexes H (Japanese), I (Korean), J and K (Chinese), and a name in each
/// single-byte character set, written into files and read back.
final class CharacterSetTests: XCTestCase {
    struct Case {
        let charset: String
        let hex: String
        let expected: String
    }

    let cases: [Case] = [
        // H.3.1: ISO 2022 IR 87, JIS X 0208 kanji and hiragana.
        Case(charset: "\\ISO 2022 IR 87",
             hex: "59616d6164615e5461726f753d1b24423b3345441b28425e1b244242404f3a1b28423d1b24422464245e24401b28425e1b2442243f246d24261b2842",
             expected: "Yamada^Tarou=山田^太郎=やまだ^たろう"),
        // H.3.2: ISO 2022 IR 13 (half-width katakana) with IR 87, JIS X 0201 Romaji as G0.
        Case(charset: "ISO 2022 IR 13\\ISO 2022 IR 87",
             hex: "d4cfc0de5ec0dbb33d1b24423b3345441b284a5e1b244242404f3a1b284a3d1b24422464245e24401b284a5e1b2442243f246d24261b284a",
             expected: "ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう"),
        // JIS X 0212 (ISO 2022 IR 159).
        Case(charset: "\\ISO 2022 IR 159",
             hex: "59616d6164615e5461726f753d1b24284430211b28425e1b24284430221b2842",
             expected: "Yamada^Tarou=丂^丄"),
        // I.2: ISO 2022 IR 149, KS X 1001 hangul and hanja, each component re-designated.
        Case(charset: "\\ISO 2022 IR 149",
             hex: "486f6e675e47696c646f6e673d1b242943fbf35e1b242943d1ced4d73d1b242943c8ab5e1b242943b1e6b5bf",
             expected: "Hong^Gildong=洪^吉洞=홍^길동"),
        // J.1: UTF-8.
        Case(charset: "ISO_IR 192", hex: "57616e675e5869616f446f6e673de78e8b5ee5b08fe69db13d",
             expected: "Wang^XiaoDong=王^小東="),
        // J.3: GB18030.
        Case(charset: "GB18030", hex: "57616e675e5869616f446f6e673dcdf55ed0a1b6ab3d",
             expected: "Wang^XiaoDong=王^小东="),
        // K.2: ISO 2022 IR 58 (GB 2312 in G1).
        Case(charset: "\\ISO 2022 IR 58", hex: "5a68616e675e5869616f446f6e673d1b242941d5c55e1b242941d0a1b6ab3d20",
             expected: "Zhang^XiaoDong=张^小东="),
        // K.1: GBK.
        Case(charset: "GBK", hex: "57616e675e5869616f446f6e673dcdf55ed0a1b6ab3d", expected: "Wang^XiaoDong=王^小东="),
        // Single-byte sets (PS3.5 Annex C of earlier editions, and names in each script).
        Case(charset: "ISO_IR 100", hex: "4275635e4ae972f46d65", expected: "Buc^Jérôme"),
        Case(charset: "ISO_IR 101", hex: "5761b3ea73615e4c656368", expected: "Wałęsa^Lech"),
        Case(charset: "ISO_IR 109", hex: "47b161776465785ec5656e7375", expected: "Għawdex^Ċensu"),
        Case(charset: "ISO_IR 110", hex: "a9f3ba6c655ec06e6973", expected: "Šķēle^Ānis"),
        Case(charset: "ISO_IR 144", hex: "bbeeda6365dcd17970d3", expected: "Люкceмбypг"),
        Case(charset: "ISO_IR 127", hex: "e2c8c7e6ea5ee4e6d2c7d1", expected: "قباني^لنزار"),
        Case(charset: "ISO_IR 126", hex: "c4e9efedf5f3e9eff2", expected: "Διονυσιος"),
        Case(charset: "ISO_IR 138", hex: "f9f8e5ef5ee3e1e5f8e4", expected: "שרון^דבורה"),
        Case(charset: "ISO_IR 148", hex: "c7617675fe6ff06c755ed66d6572", expected: "Çavuşoğlu^Ömer"),
        Case(charset: "ISO_IR 203", hex: "4475706f6e745ebc757672655ea4", expected: "Dupont^Œuvre^€"),
        Case(charset: "ISO_IR 166", hex: "bbc3d0e0b7c8e4b7c25ec0d2c9d2", expected: "ประเทศไทย^ภาษา"),
        Case(charset: "ISO_IR 13", hex: "d4cfc0de5ec0dbb3", expected: "ﾔﾏﾀﾞ^ﾀﾛｳ"),
        // Latin-1 code extension selected by escape: ESC - A.
        Case(charset: "ISO 2022 IR 6\\ISO 2022 IR 100", hex: "4275635e1b2d414ae972f46d65", expected: "Buc^Jérôme"),
        // The default repertoire decodes bytes above 0x7F as ISO 8859-1, like pydicom.
        Case(charset: "", hex: "4275635e4ae972f46d65", expected: "Buc^Jérôme"),
    ]

    func testAnnexExamplesInPersonNames() {
        for c in cases {
            for ts in [TransferSyntax.explicitVRLittleEndian, .implicitVRLittleEndian] {
                let ds = DataSet([.string(.specificCharacterSet, c.charset), .bytes(.patientName, .PN, bytes(hex: c.hex), pad: true)])
                let file = read(DICOMWriter(transferSyntax: ts).write(ds))
                XCTAssertNil(file.error, c.charset)
                XCTAssertEqual(file.dataSet.string(.patientName), c.expected, "\(c.charset) \(ts.name)")
            }
        }
    }

    func testTextVRsUseTheCharacterSetAndOthersDoNot() {
        let ds = DataSet([
            .string(.specificCharacterSet, "ISO_IR 144"),
            .bytes(Tag(0x0008_1030), .LO, bytes(hex: "bbeeda6365dcd17970d3")),          // LO: decoded
            .bytes(Tag(0x0008_0081), .ST, bytes(hex: "bbeeda6365dcd17970d3")),          // ST: decoded
            .bytes(Tag(0x0008_0008), .CS, bytes(hex: "4f524947494e414c")),              // CS: default
        ])
        let file = read(DICOMWriter().write(ds))
        XCTAssertEqual(file.dataSet.string(Tag(0x0008_1030)), "Люкceмбypг")
        XCTAssertEqual(file.dataSet.string(Tag(0x0008_0081)), "Люкceмбypг")
        XCTAssertEqual(file.dataSet.string(Tag(0x0008_0008)), "ORIGINAL")
    }

    /// A Specific Character Set inside a sequence item applies to that item only.
    func testCharacterSetInsideAnItem() {
        let item = DataSet([.string(.specificCharacterSet, "ISO_IR 144"), .bytes(.patientName, .PN, bytes(hex: "bbeeda6365dcd17970d3"))])
        let ds = DataSet([
            .string(.specificCharacterSet, "ISO_IR 100"),
            .bytes(Tag(0x0008_1030), .LO, bytes(hex: "4275635e4ae972f46d65")),
            .sequence(Tag(0x0008_1120), [item]),
        ])
        let file = read(DICOMWriter().write(ds))
        XCTAssertEqual(file.dataSet.string(Tag(0x0008_1030)), "Buc^Jérôme")
        XCTAssertEqual(file.dataSet[Tag(0x0008_1120)]?.items?.first?.string(.patientName), "Люкceмбypг")
    }

    /// Misspelled or unknown terms fall back as pydicom does, with a warning, never a failure.
    func testUnknownAndMisspelledCharacterSets() {
        let latin = bytes(hex: "4275635e4ae972f46d65")
        for (term, warningPart) in [("ISO-IR 100", "assuming 'ISO_IR 100'"), ("ISO IR 100", "assuming 'ISO_IR 100'"),
                                     ("NO-SUCH-CHARSET", "Unknown encoding")] {
            let ds = DataSet([.string(.specificCharacterSet, term), .bytes(.patientName, .PN, latin)])
            let file = read(DICOMWriter().write(ds))
            XCTAssertNil(file.error, term)
            XCTAssertEqual(file.dataSet.string(.patientName), "Buc^Jérôme", term)
            XCTAssertTrue(file.warnings.contains { $0.contains(warningPart) }, "\(term): \(file.warnings)")
        }
        let cs = SpecificCharacterSet(terms: ["ISO-2022-IR 87"])
        XCTAssertTrue(cs.warnings.first?.contains("assuming 'ISO 2022 IR 87'") == true, "\(cs.warnings)")
    }

    func testInvalidBytesBecomeReplacementCharacters() {
        let utf8 = SpecificCharacterSet(terms: ["ISO_IR 192"])
        XCTAssertEqual(utf8.decode([0x41, 0xFF, 0x42]), "A\u{FFFD}B")
        let gb = SpecificCharacterSet(terms: ["GB18030"])
        XCTAssertEqual(gb.decode([0x41, 0x81]), "A\u{FFFD}")
        let jis = SpecificCharacterSet(terms: ["", "ISO 2022 IR 87"])
        XCTAssertEqual(jis.decode([0x1B, 0x24, 0x42, 0x3B]), "\u{FFFD}")
    }
}
