// DICOM: reads DICOM files (PS3.10 files and bare data sets) into data sets, and renders their values.
//
// The one entry point is `DICOMReader.read(path:options:)` (also from a file descriptor or from
// memory), which returns a `DicomFile`; `DICOMReader.recognize(prefix:fileSize:)` tells DICOM from
// other files by their first bytes. The layers, one folder each, each using only those above it:
//
//   Core/        the data model: Tag, VR, Element, DataSet, DicomFile, TransferSyntax, DICOMError
//   Dictionary/  the PS3.6 data dictionary and UID registry (generated tables), element names
//   Text/        character sets: Specific Character Set, codecs through iconv, ISO 2022 escapes
//   Parsing/     ReadOptions, DICOMReader, the Parser (file structure, element loop), byte input
//   Values/      rendering values as text, typed accessors, DA and TM values
//   JSON/        JSON quoting, dump-style JSON objects, the DICOM JSON model of PS3.18 F.2
//   Format/      dcmdump-style text and JSON lines of whole files (the `dump` command's output)
