#if canImport(Glibc)
import Glibc
#endif
import CHDF5

/// Element types of datasets, stored little endian (h5py: '<u2', '<f4', ...).
public enum HDF5ElementType: Sendable, Equatable, CaseIterable {
    case uint8, int8, uint16, int16, uint32, int32, uint64, int64, float32, float64

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .uint8, .int8: 1
        case .uint16, .int16: 2
        case .uint32, .int32, .float32: 4
        case .uint64, .int64, .float64: 8
        }
    }

    var fileType: hid_t {
        switch self {
        case .uint8: chdf5_std_u8le()
        case .int8: chdf5_std_i8le()
        case .uint16: chdf5_std_u16le()
        case .int16: chdf5_std_i16le()
        case .uint32: chdf5_std_u32le()
        case .int32: chdf5_std_i32le()
        case .uint64: chdf5_std_u64le()
        case .int64: chdf5_std_i64le()
        case .float32: chdf5_ieee_f32le()
        case .float64: chdf5_ieee_f64le()
        }
    }
}

/// How a dataset's chunks are stored.
public enum HDF5ChunkFilter: Sendable, Equatable {
    /// Raw chunks.
    case none
    /// The shuffle filter, then deflate (zlib) at `level` 1...9: what h5py's
    /// `compression="gzip", shuffle=True` writes. Chunks are written already compressed
    /// (`ChunkCompression.shuffleDeflate`).
    case shuffleDeflate(level: Int)
}

/// An attribute value. Strings are variable-length UTF-8, which h5py reads as `str` (arrays as
/// arrays of `str`); numbers are 64-bit little endian.
public enum HDF5AttributeValue: Sendable, Equatable {
    case string(String)
    case strings([String])
    case double(Double)
    case doubles([Double])
    case int(Int)
    case ints([Int])
}

/// An HDF5 file being written. Create it, add datasets, attributes and links, `close()` it (a
/// writer of a final file writes to a temporary path and renames after `close()`). Every call
/// takes a library-wide lock, so objects may be used from several threads.
public final class HDF5File: @unchecked Sendable {
    public let path: String
    private var id: hid_t
    private var closed = false

    private init(path: String, id: hid_t) {
        self.path = path
        self.id = id
    }

    deinit { try? close() }

    /// Creates (or truncates) the file at `path`.
    public static func create(path: String) throws(HDF5Error) -> HDF5File {
        try hdf5 { () throws(HDF5Error) in
            let fapl = try check(H5Pcreate(chdf5_p_file_access()), "create file access properties")
            defer { H5Pclose(fapl) }
            // Close the file only when its last object is closed (the default, stated here).
            try check(H5Pset_fclose_degree(fapl, H5F_CLOSE_WEAK), "set close degree")
            let id = try check(H5Fcreate(path, chdf5_f_acc_trunc(), chdf5_p_default(), fapl), "create file '\(path)'")
            return HDF5File(path: path, id: id)
        }
    }

    /// Flushes and closes the file. Datasets still open keep it open until they are closed.
    public func close() throws(HDF5Error) {
        try hdf5 { () throws(HDF5Error) in
            guard !closed else { return }
            closed = true
            try check(H5Fclose(id), "close file '\(path)'")
        }
    }

    /// Creates a chunked dataset `name` (a path; missing groups are created) of `shape` elements.
    /// `chunk` defaults to one slice: 1 along the first dimension, the whole extent along the
    /// others.
    public func createDataset(_ name: String, type: HDF5ElementType, shape: [Int], chunk: [Int]? = nil,
                              filter: HDF5ChunkFilter = .none) throws(HDF5Error) -> HDF5Dataset {
        let chunkShape = chunk ?? (shape.isEmpty ? [] : [1] + shape.dropFirst())
        let operation = "create dataset '\(name)'"
        guard !shape.isEmpty, shape.count <= 32, shape.allSatisfy({ $0 > 0 }) else {
            throw HDF5Error(operation, "shape \(shape) must have 1...32 dimensions of at least 1")
        }
        guard chunkShape.count == shape.count, zip(chunkShape, shape).allSatisfy({ $0.0 > 0 && $0.0 <= $0.1 }) else {
            throw HDF5Error(operation, "chunk \(chunkShape) does not fit shape \(shape)")
        }
        var chunkBytes = type.size
        for c in chunkShape {
            let (m, overflow) = chunkBytes.multipliedReportingOverflow(by: c)
            guard !overflow, m < Int(UInt32.max) else {
                throw HDF5Error(operation, "chunk \(chunkShape) is 4 GiB or more (HDF5's limit)")
            }
            chunkBytes = m
        }
        if case .shuffleDeflate(let level) = filter, !(0...9).contains(level) {
            throw HDF5Error(operation, "deflate level \(level) is not 0...9")
        }
        let dims = shape.map { hsize_t($0) }
        let chunkDims = chunkShape.map { hsize_t($0) }
        return try hdf5 { () throws(HDF5Error) in
            try checkOpen(operation)
            let space = try check(H5Screate_simple(Int32(dims.count), dims, nil), "\(operation): dataspace")
            defer { H5Sclose(space) }
            let dcpl = try check(H5Pcreate(chdf5_p_dataset_create()), "\(operation): properties")
            defer { H5Pclose(dcpl) }
            try check(H5Pset_chunk(dcpl, Int32(chunkDims.count), chunkDims), "\(operation): chunk")
            if case .shuffleDeflate(let level) = filter {
                try check(H5Pset_shuffle(dcpl), "\(operation): shuffle filter")
                try check(H5Pset_deflate(dcpl, UInt32(level)), "\(operation): deflate filter")
            }
            let lcpl = try linkProperties(operation)
            defer { H5Pclose(lcpl) }
            let dataset = try check(H5Dcreate2(id, name, type.fileType, space, lcpl, dcpl, chdf5_p_default()), operation)
            return HDF5Dataset(file: self, name: name, id: dataset, type: type, shape: shape, chunk: chunkShape,
                               chunkBytes: chunkBytes, filter: filter)
        }
    }

    /// Creates an external link `name` to `targetObject` (e.g. "/volume") in `targetFile`. A
    /// relative `targetFile` is looked up by HDF5 relative to the folder of the file that holds
    /// the link (after HDF5_EXT_PREFIX, and before the current directory), so a folder of linked
    /// files can be moved as a whole.
    public func createExternalLink(name: String, targetFile: String, targetObject: String) throws(HDF5Error) {
        let operation = "create external link '\(name)' to '\(targetFile)':'\(targetObject)'"
        try hdf5 { () throws(HDF5Error) in
            try checkOpen(operation)
            let lcpl = try linkProperties(operation)
            defer { H5Pclose(lcpl) }
            try check(H5Lcreate_external(targetFile, targetObject, id, name, lcpl, chdf5_p_default()), operation)
        }
    }

    /// Creates the group `name` (and missing groups above it).
    public func createGroup(_ name: String) throws(HDF5Error) {
        let operation = "create group '\(name)'"
        try hdf5 { () throws(HDF5Error) in
            try checkOpen(operation)
            let lcpl = try linkProperties(operation)
            defer { H5Pclose(lcpl) }
            let group = try check(H5Gcreate2(id, name, lcpl, chdf5_p_default(), chdf5_p_default()), operation)
            H5Gclose(group)
        }
    }

    /// Sets (replacing) the attribute `name` of the object at `object` ("/" is the root group).
    public func setAttribute(_ name: String, _ value: HDF5AttributeValue, on object: String = "/") throws(HDF5Error) {
        let operation = "set attribute '\(name)' on '\(object)'"
        try hdf5 { () throws(HDF5Error) in
            try checkOpen(operation)
            let target = try check(H5Oopen(id, object, chdf5_p_default()), operation)
            defer { H5Oclose(target) }
            try writeAttribute(on: target, name, value, operation)
        }
    }

    private func checkOpen(_ operation: String) throws(HDF5Error) {
        if closed { throw HDF5Error(operation, "the file '\(path)' is closed") }
    }

    /// Link creation properties that create missing intermediate groups. Holding the lock.
    private func linkProperties(_ operation: String) throws(HDF5Error) -> hid_t {
        let lcpl = try check(H5Pcreate(chdf5_p_link_create()), "\(operation): link properties")
        if H5Pset_create_intermediate_group(lcpl, 1) < 0 {
            H5Pclose(lcpl)
            throw stackError("\(operation): intermediate groups")
        }
        return lcpl
    }
}

/// A chunked dataset of an `HDF5File`, written chunk by chunk.
public final class HDF5Dataset: @unchecked Sendable {
    public let file: HDF5File
    public let name: String
    public let type: HDF5ElementType
    public let shape: [Int]
    public let chunk: [Int]
    /// Bytes of one uncompressed chunk.
    public let chunkBytes: Int
    public let filter: HDF5ChunkFilter
    private let id: hid_t
    private var closed = false

    init(file: HDF5File, name: String, id: hid_t, type: HDF5ElementType, shape: [Int], chunk: [Int], chunkBytes: Int,
         filter: HDF5ChunkFilter) {
        self.file = file
        self.name = name
        self.id = id
        self.type = type
        self.shape = shape
        self.chunk = chunk
        self.chunkBytes = chunkBytes
        self.filter = filter
    }

    deinit { try? close() }

    public func close() throws(HDF5Error) {
        try hdf5 { () throws(HDF5Error) in
            guard !closed else { return }
            closed = true
            try check(H5Dclose(id), "close dataset '\(name)'")
        }
    }

    /// Writes the chunk whose first element is at `offset` (a multiple of the chunk shape), as
    /// stored: with `.shuffleDeflate` the bytes from `ChunkCompression.shuffleDeflate`, with
    /// `.none` the `chunkBytes` raw little-endian elements (edge chunks are stored whole). HDF5
    /// writes them as they are (H5Dwrite_chunk, filter mask 0: every filter was applied).
    public func writeChunk(at offset: [Int], _ bytes: UnsafeRawBufferPointer) throws(HDF5Error) {
        let operation = "write chunk \(offset) of '\(name)'"
        guard offset.count == shape.count,
              zip(zip(offset, chunk), shape).allSatisfy({ $0.0.0 >= 0 && $0.0.0 < $0.1 && $0.0.0 % $0.0.1 == 0 }) else {
            throw HDF5Error(operation, "not the start of a chunk of shape \(chunk) in \(shape)")
        }
        if case .none = filter, bytes.count != chunkBytes {
            throw HDF5Error(operation, "\(bytes.count) bytes for an uncompressed chunk of \(chunkBytes)")
        }
        guard bytes.count > 0, bytes.count < Int(UInt32.max), let base = bytes.baseAddress else {
            throw HDF5Error(operation, "\(bytes.count) bytes: a stored chunk has 1 byte to 4 GiB")
        }
        let offsets = offset.map { hsize_t($0) }
        try hdf5 { () throws(HDF5Error) in
            if closed { throw HDF5Error(operation, "the dataset is closed") }
            try check(H5Dwrite_chunk(id, chdf5_p_default(), 0, offsets, bytes.count, base), operation)
        }
    }

    /// `writeChunk(at:)` for an array.
    public func writeChunk(at offset: [Int], _ bytes: [UInt8]) throws(HDF5Error) {
        let result = bytes.withUnsafeBytes { buffer in
            Result { () throws(HDF5Error) in try writeChunk(at: offset, buffer) }
        }
        try result.get()
    }

    /// Sets (replacing) an attribute of this dataset.
    public func setAttribute(_ name: String, _ value: HDF5AttributeValue) throws(HDF5Error) {
        let operation = "set attribute '\(name)' on '\(self.name)'"
        try hdf5 { () throws(HDF5Error) in
            if closed { throw HDF5Error(operation, "the dataset is closed") }
            try writeAttribute(on: id, name, value, operation)
        }
    }
}

/// Writes an attribute, replacing one of the same name. Holding the lock.
private func writeAttribute(on object: hid_t, _ name: String, _ value: HDF5AttributeValue,
                            _ operation: String) throws(HDF5Error) {
    let exists = H5Aexists(object, name)
    if exists < 0 { throw stackError(operation) }
    if exists > 0 { try check(H5Adelete(object, name), "\(operation): delete the old value") }

    let count: Int?
    switch value {
    case .string, .double, .int: count = nil
    case .strings(let v): count = v.count
    case .doubles(let v): count = v.count
    case .ints(let v): count = v.count
    }
    let space: hid_t
    if let count {
        var dims = [hsize_t(count)]
        space = try check(H5Screate_simple(1, &dims, nil), "\(operation): dataspace")
    } else {
        space = try check(H5Screate(H5S_SCALAR), "\(operation): dataspace")
    }
    defer { H5Sclose(space) }

    switch value {
    case .string(let s):
        try writeStrings([s], object, name, space, operation)
    case .strings(let v):
        try writeStrings(v, object, name, space, operation)
    case .double(let d):
        try writeNumbers([d], chdf5_ieee_f64le(), chdf5_native_double(), object, name, space, operation)
    case .doubles(let v):
        try writeNumbers(v, chdf5_ieee_f64le(), chdf5_native_double(), object, name, space, operation)
    case .int(let i):
        try writeNumbers([Int64(i)], chdf5_std_i64le(), chdf5_native_int64(), object, name, space, operation)
    case .ints(let v):
        try writeNumbers(v.map { Int64($0) }, chdf5_std_i64le(), chdf5_native_int64(), object, name, space, operation)
    }
}

private func writeNumbers<T>(_ values: [T], _ fileType: hid_t, _ memoryType: hid_t, _ object: hid_t, _ name: String,
                             _ space: hid_t, _ operation: String) throws(HDF5Error) {
    let attribute = try check(H5Acreate2(object, name, fileType, space, chdf5_p_default(), chdf5_p_default()), operation)
    defer { H5Aclose(attribute) }
    let status = values.withUnsafeBytes { H5Awrite(attribute, memoryType, $0.baseAddress) }
    try check(status, "\(operation): write")
}

private func writeStrings(_ values: [String], _ object: hid_t, _ name: String, _ space: hid_t,
                          _ operation: String) throws(HDF5Error) {
    let type = try check(H5Tcopy(chdf5_c_s1()), "\(operation): string type")
    defer { H5Tclose(type) }
    try check(H5Tset_size(type, chdf5_variable()), "\(operation): string type")
    try check(H5Tset_cset(type, H5T_CSET_UTF8), "\(operation): string type")
    try check(H5Tset_strpad(type, H5T_STR_NULLTERM), "\(operation): string type")
    let attribute = try check(H5Acreate2(object, name, type, space, chdf5_p_default(), chdf5_p_default()), operation)
    defer { H5Aclose(attribute) }
    // NUL-terminated copies; a NUL inside a string ends it, as in any C string.
    let copies: [UnsafeMutablePointer<CChar>?] = values.map { strdup($0) }
    defer { copies.forEach { free($0) } }
    if copies.contains(where: { $0 == nil }) { throw HDF5Error(operation, "out of memory") }
    let status = copies.withUnsafeBufferPointer { H5Awrite(attribute, type, $0.baseAddress) }
    try check(status, "\(operation): write")
}
