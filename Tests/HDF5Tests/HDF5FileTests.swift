import DICOMTestSupport
import Foundation
import XCTest
@testable import HDF5

/// Files written through `HDF5File` and read back by h5py and h5dump.
final class HDF5FileTests: XCTestCase {
    /// A volume of 3 slices of 5 x 7 uint16, and its bytes (little endian).
    let volume: [UInt16] = (0..<(3 * 5 * 7)).map { UInt16(($0 * 977) % 65536) }
    var volumeBytes: [UInt8] { volume.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] } }

    /// Reads every dataset of a file: dtype, shape, chunks, filters, values and attributes.
    let describe = """
        import sys, json, h5py, numpy as np
        def value(v):
            if isinstance(v, np.ndarray): return {'array': [value(x) for x in v], 'dtype': str(v.dtype)}
            if isinstance(v, (np.integer,)): return {'int': int(v), 'type': type(v).__name__}
            if isinstance(v, (np.floating,)): return {'float': float(v), 'type': type(v).__name__}
            if isinstance(v, str): return {'str': v}
            if isinstance(v, bytes): return {'bytes': v.decode('latin-1')}
            return {'other': repr(v)}
        out = {}
        with h5py.File(sys.argv[1], 'r') as f:
            def visit(name, obj):
                if isinstance(obj, h5py.Dataset):
                    out[name] = {'dtype': obj.dtype.str, 'shape': list(obj.shape), 'chunks': list(obj.chunks or []),
                                 'compression': obj.compression, 'level': obj.compression_opts, 'shuffle': obj.shuffle,
                                 'values': obj[...].ravel().tolist(),
                                 'attrs': {k: value(v) for k, v in obj.attrs.items()}}
            f.visititems(visit)
            out['/'] = {'attrs': {k: value(v) for k, v in f.attrs.items()}}
        print(json.dumps(out))
        """

    func testDatasetsOfPrecompressedAndRawChunksReadBackByH5py() throws {
        let dir = try temporaryFolder(self)
        let path = dir.appendingPathComponent("out.h5").path
        let file = try HDF5File.create(path: path)

        let compressed = try file.createDataset("volume", type: .uint16, shape: [3, 5, 7], filter: .shuffleDeflate(level: 4))
        XCTAssertEqual(compressed.chunk, [1, 5, 7])
        let sliceBytes = 5 * 7 * 2
        let bytes = volumeBytes
        for z in 0..<3 {
            let chunk = try ChunkCompression.shuffleDeflate(Array(bytes[z * sliceBytes..<(z + 1) * sliceBytes]), elementSize: 2, level: 4)
            try compressed.writeChunk(at: [z, 0, 0], chunk)
        }
        // Raw chunks, float32, one chunk per row; a nested path creates its groups.
        let floats: [Float] = [1.5, -2.25, 3e10, 0, 65504, -0.0, 7, 8]
        let raw = try file.createDataset("series/7/floats", type: .float32, shape: [2, 4])
        for row in 0..<2 {
            let b = floats[row * 4..<(row + 1) * 4].flatMap { f in (0..<4).map { UInt8(truncatingIfNeeded: f.bitPattern >> (8 * UInt32($0))) } }
            try raw.writeChunk(at: [row, 0], b)
        }
        // Signed 16-bit, one chunk for the whole array, compressed at level 9.
        let signed: [Int16] = [-32768, -1, 0, 1, 32767, -1234]
        let whole = try file.createDataset("signed", type: .int16, shape: [2, 3], chunk: [2, 3], filter: .shuffleDeflate(level: 9))
        let signedBytes = signed.flatMap { v in [UInt8(truncatingIfNeeded: v), UInt8(truncatingIfNeeded: v >> 8)] }
        try whole.writeChunk(at: [0, 0], try ChunkCompression.shuffleDeflate(signedBytes, elementSize: 2, level: 9))

        try compressed.setAttribute("spacing", .doubles([0.5, 0.75, 2.5]))
        try compressed.setAttribute("modality", .string("CT — Zürich"))
        try compressed.setAttribute("tags", .strings(["0008,0060", "", "ümlaut"]))
        try compressed.setAttribute("slices", .int(3))
        try compressed.setAttribute("slices", .int(-3))  // replaced
        try compressed.setAttribute("indices", .ints([1, -2, Int(Int64.max)]))
        try compressed.setAttribute("scale", .double(-0.125))
        try compressed.setAttribute("none", .strings([]))
        try file.setAttribute("created_by", .string("dicomcrawler"))
        try file.setAttribute("unit", .string("mm"), on: "series/7/floats")
        try compressed.close()
        try raw.close()
        try whole.close()
        try file.close()

        let out = try XCTUnwrap(try h5py(describe, [path]) as? [String: Any])
        let v = try XCTUnwrap(out["volume"] as? [String: Any])
        XCTAssertEqual(v["dtype"] as? String, "<u2")
        XCTAssertEqual(v["shape"] as? [Int], [3, 5, 7])
        XCTAssertEqual(v["chunks"] as? [Int], [1, 5, 7])
        XCTAssertEqual(v["compression"] as? String, "gzip")
        XCTAssertEqual(v["level"] as? Int, 4)
        XCTAssertEqual(v["shuffle"] as? Bool, true)
        XCTAssertEqual(v["values"] as? [Int], volume.map { Int($0) })
        let attrs = try XCTUnwrap(v["attrs"] as? [String: [String: Any]])
        XCTAssertEqual((attrs["spacing"]?["array"] as? [[String: Any]])?.compactMap { $0["float"] as? Double }, [0.5, 0.75, 2.5])
        XCTAssertEqual(attrs["spacing"]?["dtype"] as? String, "float64")
        XCTAssertEqual(attrs["modality"]?["str"] as? String, "CT — Zürich")
        XCTAssertEqual((attrs["tags"]?["array"] as? [[String: String]])?.compactMap { $0["str"] }, ["0008,0060", "", "ümlaut"])
        XCTAssertEqual(attrs["tags"]?["dtype"] as? String, "object")
        XCTAssertEqual(attrs["slices"]?["int"] as? Int, -3)
        XCTAssertEqual(attrs["slices"]?["type"] as? String, "int64")
        XCTAssertEqual((attrs["indices"]?["array"] as? [[String: Any]])?.compactMap { $0["int"] as? Int }, [1, -2, Int(Int64.max)])
        XCTAssertEqual(attrs["scale"]?["float"] as? Double, -0.125)
        XCTAssertEqual((attrs["none"]?["array"] as? [Any])?.count, 0)

        let f = try XCTUnwrap(out["series/7/floats"] as? [String: Any])
        XCTAssertEqual(f["dtype"] as? String, "<f4")
        XCTAssertEqual(f["chunks"] as? [Int], [1, 4])
        XCTAssertNil(f["compression"] as? String)
        XCTAssertEqual(f["shuffle"] as? Bool, false)
        XCTAssertEqual(f["values"] as? [Double], floats.map { Double($0) })
        XCTAssertEqual((f["attrs"] as? [String: [String: String]])?["unit"]?["str"], "mm")

        let s = try XCTUnwrap(out["signed"] as? [String: Any])
        XCTAssertEqual(s["dtype"] as? String, "<i2")
        XCTAssertEqual(s["chunks"] as? [Int], [2, 3])
        XCTAssertEqual(s["level"] as? Int, 9)
        XCTAssertEqual(s["values"] as? [Int], signed.map { Int($0) })

        let root = try XCTUnwrap(out["/"] as? [String: Any])
        XCTAssertEqual((root["attrs"] as? [String: [String: String]])?["created_by"]?["str"], "dicomcrawler")
    }

    /// h5dump (hdf5-tools) sees the same pipeline and values: shuffle then deflate, chunked.
    func testH5dumpSeesShuffleDeflateAndValues() throws {
        let dir = try temporaryFolder(self)
        let path = dir.appendingPathComponent("d.h5").path
        let file = try HDF5File.create(path: path)
        let data = try file.createDataset("v", type: .uint16, shape: [3, 5, 7], filter: .shuffleDeflate(level: 1))
        let bytes = volumeBytes
        for z in 0..<3 {
            try data.writeChunk(at: [z, 0, 0], try ChunkCompression.shuffleDeflate(Array(bytes[z * 70..<(z + 1) * 70]), elementSize: 2, level: 1))
        }
        try data.close()
        try file.close()
        let r = try runProgram("/usr/bin/h5dump", ["-p", "-w", "0", "-d", "/v", path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let text = r.stdout
        XCTAssertTrue(text.contains("H5T_STD_U16LE"), text)
        XCTAssertTrue(text.contains("CHUNKED ( 1, 5, 7 )"), text)
        let shuffle = try XCTUnwrap(text.range(of: "SHUFFLE"))
        let deflate = try XCTUnwrap(text.range(of: "COMPRESSION DEFLATE { LEVEL 1 }"))
        XCTAssertLessThan(shuffle.lowerBound, deflate.lowerBound, "shuffle must come first in the pipeline")
        // The values after DATA, in order: lines "(z,y,x): v, v, ...", the index dropped.
        let dataPart = try XCTUnwrap(text.range(of: "DATA {")).upperBound
        var values: [Int] = []
        for line in text[dataPart...].split(separator: "\n") {
            guard let index = line.range(of: "):") else { continue }
            values += line[index.upperBound...].split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        }
        XCTAssertEqual(values, volume.map { Int($0) })
    }

    /// An external link with a relative target resolves against the folder of the file holding the
    /// link: from another working directory, and after the folder moved.
    func testRelativeExternalLinksFollowTheLinkingFilesFolder() throws {
        let dir = try temporaryFolder(self, "links")
        let root = dir.appendingPathComponent("study")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("series"), withIntermediateDirectories: true)
        let target = try HDF5File.create(path: root.appendingPathComponent("series/s1.h5").path)
        let d = try target.createDataset("volume", type: .uint16, shape: [3, 5, 7], filter: .shuffleDeflate(level: 4))
        let bytes = volumeBytes
        for z in 0..<3 {
            try d.writeChunk(at: [z, 0, 0], try ChunkCompression.shuffleDeflate(Array(bytes[z * 70..<(z + 1) * 70]), elementSize: 2, level: 4))
        }
        try d.close()
        try target.close()
        let index = try HDF5File.create(path: root.appendingPathComponent("index.h5").path)
        try index.createExternalLink(name: "series/1", targetFile: "series/s1.h5", targetObject: "/volume")
        try index.createExternalLink(name: "missing", targetFile: "series/none.h5", targetObject: "/volume")
        try index.close()

        let read = """
            import sys, json, h5py
            with h5py.File(sys.argv[1], 'r') as f:
                link = f.get('series/1', getlink=True)
                out = {'file': link.filename, 'path': link.path, 'sum': int(f['series/1'][...].sum()),
                       'shape': list(f['series/1'].shape), 'missing': f.get('missing') is None}
            print(json.dumps(out))
            """
        let expectedSum = volume.reduce(0) { $0 + Int($1) }
        let elsewhere = try temporaryFolder(self, "cwd").path
        for (path, cwd) in [(root.appendingPathComponent("index.h5").path, elsewhere), ("study/index.h5", dir.path)] {
            let out = try XCTUnwrap(try h5py(read, [path], cwd: cwd) as? [String: Any])
            XCTAssertEqual(out["file"] as? String, "series/s1.h5")
            XCTAssertEqual(out["path"] as? String, "/volume")
            XCTAssertEqual(out["sum"] as? Int, expectedSum, "opened as \(path) from \(cwd)")
            XCTAssertEqual(out["shape"] as? [Int], [3, 5, 7])
            XCTAssertEqual(out["missing"] as? Bool, true, "a dangling link reads as absent")
        }
        // The whole folder moved: the link still resolves.
        let moved = dir.appendingPathComponent("moved")
        try FileManager.default.moveItem(at: root, to: moved)
        let out = try XCTUnwrap(try h5py(read, [moved.appendingPathComponent("index.h5").path], cwd: elsewhere) as? [String: Any])
        XCTAssertEqual(out["sum"] as? Int, expectedSum)
        // h5dump follows it too.
        let r = try runProgram("/usr/bin/h5dump", ["-A", "0", "-H", moved.appendingPathComponent("index.h5").path], cwd: elsewhere)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("EXTERNAL_LINK \"1\""), r.stdout)
        XCTAssertTrue(r.stdout.contains("TARGETFILE \"series/s1.h5\""), r.stdout)
    }

    func testErrorsCarryHDF5sMessageAndPrintNothing() throws {
        let dir = try temporaryFolder(self)
        let captured = try captureStandardError {
            XCTAssertThrowsError(try HDF5File.create(path: dir.appendingPathComponent("no/such/folder/x.h5").path)) { error in
                let e = error as? HDF5Error
                XCTAssertEqual(e?.operation.hasPrefix("create file"), true)
                XCTAssertTrue(e?.message.contains("H5Fcreate") == true, "\(String(describing: e))")
                XCTAssertTrue(e?.message.lowercased().contains("unable to") == true, "\(String(describing: e))")
            }
            guard let file = try? HDF5File.create(path: dir.appendingPathComponent("x.h5").path) else {
                return XCTFail("create")
            }
            _ = try? file.createDataset("a", type: .uint8, shape: [4])
            XCTAssertThrowsError(try file.createDataset("a", type: .uint8, shape: [4])) { error in
                let e = error as? HDF5Error
                XCTAssertTrue(e?.message.contains("H5Dcreate2") == true, "\(String(describing: e))")
                XCTAssertTrue(e?.message.contains("already exists") == true, "\(String(describing: e))")
            }
            XCTAssertThrowsError(try file.setAttribute("x", .int(1), on: "/nothing/here")) { error in
                XCTAssertTrue((error as? HDF5Error)?.message.contains("H5Oopen") == true, "\(error)")
            }
            try? file.close()
        }
        XCTAssertEqual(captured, "", "HDF5 printed to stderr")
    }

    func testBadShapesChunksAndOffsetsAreRefusedBeforeHDF5() throws {
        let dir = try temporaryFolder(self)
        let file = try HDF5File.create(path: dir.appendingPathComponent("x.h5").path)
        XCTAssertThrowsError(try file.createDataset("a", type: .uint8, shape: []))
        XCTAssertThrowsError(try file.createDataset("a", type: .uint8, shape: [4, 0]))
        XCTAssertThrowsError(try file.createDataset("a", type: .uint8, shape: [4], chunk: [5]))
        XCTAssertThrowsError(try file.createDataset("a", type: .uint8, shape: [4], filter: .shuffleDeflate(level: 10)))
        XCTAssertThrowsError(try file.createDataset("huge", type: .float64, shape: [1 << 20, 1 << 20], chunk: [1 << 10, 1 << 20]))
        let d = try file.createDataset("d", type: .uint16, shape: [4, 6], chunk: [2, 3])
        XCTAssertThrowsError(try d.writeChunk(at: [1, 0], [UInt8](repeating: 0, count: 12)), "not a chunk start")
        XCTAssertThrowsError(try d.writeChunk(at: [4, 0], [UInt8](repeating: 0, count: 12)), "outside")
        XCTAssertThrowsError(try d.writeChunk(at: [0], [UInt8](repeating: 0, count: 12)), "rank")
        XCTAssertThrowsError(try d.writeChunk(at: [0, 0], [UInt8](repeating: 0, count: 11)), "raw chunk of the wrong size")
        XCTAssertNoThrow(try d.writeChunk(at: [2, 3], [UInt8](repeating: 7, count: 12)))
        try d.close()
        XCTAssertThrowsError(try d.writeChunk(at: [0, 0], [UInt8](repeating: 0, count: 12)), "closed")
        try file.close()
        XCTAssertThrowsError(try file.createDataset("late", type: .uint8, shape: [1]), "closed file")
    }
}

/// Runs `body` with file descriptor 2 sent to a temporary file; returns what was written there.
func captureStandardError(_ body: () throws -> Void) throws -> String {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("stderr-\(UUID().uuidString)")
    guard FileManager.default.createFile(atPath: url.path, contents: nil) else { throw CocoaError(.fileWriteUnknown) }
    defer { try? FileManager.default.removeItem(at: url) }
    let handle = try FileHandle(forWritingTo: url)
    fflush(stderr)
    let saved = dup(2)
    dup2(handle.fileDescriptor, 2)
    defer {
        fflush(stderr)
        dup2(saved, 2)
        close(saved)
        try? handle.close()
    }
    try body()
    fflush(stderr)
    return try String(contentsOf: url, encoding: .utf8)
}
