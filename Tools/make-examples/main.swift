// Writes the example tree in examples/ (synthetic subjects, no real patient data) with the
// project's own DICOM writer. Deterministic: running it again gives the same bytes.
//   swift run make-examples [OUTPUT_DIR]
import DICOM
import DICOMTestSupport
import Foundation

let out = CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : "examples"
let fm = FileManager.default

struct Series {
    let folder: String
    let number: Int
    let description: String
    let modality: String
    let time: String
    let syntax: TransferSyntax
}

struct Subject {
    let id: String
    let name: [UInt8]
    let charset: String
    let sex: String
    let age: String
    let date: String
    let series: [Series]
}

let subjects = [
    Subject(id: "SUBJ-01", name: Array("Example^Anna".utf8), charset: "ISO_IR 100", sex: "F", age: "034Y", date: "20240115", series: [
        Series(folder: "01_localizer", number: 1, description: "localizer", modality: "MR", time: "090102.500000", syntax: .explicitVRLittleEndian),
        Series(folder: "02_t1_mprage_sag_p2_iso", number: 2, description: "t1_mprage_sag_p2_iso", modality: "MR", time: "090512.250000", syntax: .explicitVRLittleEndian),
        Series(folder: "03_t2_FLAIR_3D_sag", number: 3, description: "t2_FLAIR_3D_sag", modality: "MR", time: "091830", syntax: .implicitVRLittleEndian),
    ]),
    Subject(id: "SUBJ-02", name: [0x4D, 0xFC, 0x6C, 0x6C, 0x65, 0x72, 0x5E, 0x4A, 0xF6, 0x72, 0x67], // Müller^Jörg in Latin-1
            charset: "ISO_IR 100", sex: "M", age: "061Y", date: "20240116", series: [
        Series(folder: "t1_mprage_sag_p2_iso", number: 4, description: "t1_mprage_sag_p2_iso", modality: "MR", time: "141500", syntax: .deflatedExplicitVRLittleEndian),
        Series(folder: "t2_FLAIR_3D_sag", number: 5, description: "t2_FLAIR_3D_sag", modality: "MR", time: "1420", syntax: .explicitVRBigEndian),
        Series(folder: "CT_head", number: 6, description: "Head 5mm", modality: "CT", time: "150000.000000", syntax: .explicitVRLittleEndian),
    ]),
    Subject(id: "SUBJ-03", name: Array("山田^太郎".utf8), charset: "ISO_IR 192", sex: "M", age: "045Y", date: "20231231", series: [
        Series(folder: "scans/t1_mprage_sag_p2_iso", number: 2, description: "t1_mprage_sag_p2_iso", modality: "MR", time: "235959.999999", syntax: .explicitVRLittleEndian),
    ]),
]

for (s, subject) in subjects.enumerated() {
    let subjectDir = "\(out)/\(subject.id.lowercased())"
    for series in subject.series {
        let dir = "\(subjectDir)/\(series.folder)"
        try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for instance in 1...3 {
            let uidRoot = "1.2.826.0.1.3680043.10.1484.\(s + 1).\(series.number)"
            var elements: [Element] = [
                .string(.specificCharacterSet, subject.charset),
                .string(Tag(0x0008_0008), "ORIGINAL\\PRIMARY"),
                .string(Tag(0x0008_0016), series.modality == "CT" ? "1.2.840.10008.5.1.4.1.1.2" : "1.2.840.10008.5.1.4.1.1.4"),
                .string(.sopInstanceUID, "\(uidRoot).\(instance)"),
                .string(.studyDate, subject.date),
                .string(.acquisitionTime, series.time),
                .string(.modality, series.modality),
                .string(Tag(0x0008_0070), "DICOMCRAWLER EXAMPLES"),
                .string(.seriesDescription, series.description),
                .bytes(.patientName, .PN, subject.name, pad: true),
                .string(.patientID, subject.id),
                .string(.patientSex, subject.sex),
                .string(.patientAge, subject.age),
                .string(.studyInstanceUID, "1.2.826.0.1.3680043.10.1484.\(s + 1)"),
                .string(.seriesInstanceUID, uidRoot),
                .string(.seriesNumber, String(series.number)),
                .string(.instanceNumber, String(instance)),
                .uint16(Tag(0x0028_0002), [1]),
                .string(Tag(0x0028_0004), "MONOCHROME2"),
                .uint16(Tag(0x0028_0010), [8]),
                .uint16(Tag(0x0028_0011), [8]),
                .uint16(Tag(0x0028_0100), [16]),
                .uint16(Tag(0x0028_0101), [12]),
                .uint16(Tag(0x0028_0102), [11]),
                .uint16(.pixelRepresentation, [0]),
                .bytes(.pixelData, .OW, (0..<128).map { UInt8(($0 * 7 + instance) & 0xFF) }),
            ]
            if series.modality == "MR" {
                elements.append(.string(Tag(0x0018_0087), "3"))  // Magnetic Field Strength
            }
            var writer = DICOMWriter(transferSyntax: series.syntax)
            if subject.id == "SUBJ-03" && instance == 3 {
                writer.preamble = false  // a bare file without preamble
            }
            let bytes = writer.write(DataSet(elements))
            try Data(bytes).write(to: URL(fileURLWithPath: String(format: "%@/IM%04d.dcm", dir, instance)))
        }
    }
    // A stray non-DICOM file inside a series folder: counted by type, never vetoes the folder.
    try "Scan notes for \(subject.id): nothing unusual.\n".write(toFile: "\(subjectDir)/\(subject.series[0].folder)/notes.txt", atomically: true, encoding: .utf8)
}
print("wrote \(out)/")
