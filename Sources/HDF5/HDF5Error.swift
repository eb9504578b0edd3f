// HDF5: writing HDF5 files (chunked datasets of precompressed chunks, attributes, external links)
// through the C library, and the shuffle + deflate chunk compression h5py reads back.
import CHDF5
import Synchronization

/// A failed HDF5 call (or chunk compression): what was being done and HDF5's own messages.
public struct HDF5Error: Error, Sendable, Equatable, CustomStringConvertible {
    /// What was being done, e.g. "create dataset 'volume'".
    public let operation: String
    /// HDF5's error stack, innermost last ("H5Dcreate2: unable to create dataset; ..."), or our own reason.
    public let message: String

    public init(_ operation: String, _ message: String) {
        self.operation = operation
        self.message = message
    }

    public var description: String { "\(operation): \(message)" }
}

/// Serialises every call into the HDF5 library: Debian's build is thread-safe, others need not be,
/// and an error stack must be read by the call that filled it.
/// The state is whether the library was started.
private let library = Mutex(false)

/// Runs `body` holding the library lock, with HDF5's automatic error printing off.
func hdf5<T>(_ body: () throws(HDF5Error) -> T) throws(HDF5Error) -> T {
    let result: Result<T, HDF5Error> = library.withLock { started in
        if !started {
            // No clean-up at process exit: after a failed H5Fclose (a full disk) HDF5's own exit
            // handler dereferences the half-closed file and crashes. Files are closed explicitly.
            H5dont_atexit()
            started = true
        }
        H5Eset_auto2(chdf5_e_default(), nil, nil)
        do throws(HDF5Error) {
            return .success(try body())
        } catch {
            return .failure(error)
        }
    }
    return try result.get()
}

/// The HDF5 error stack of the failed call (then cleared) as an `HDF5Error`. Call holding the lock.
func stackError(_ operation: String) -> HDF5Error {
    final class Lines { var items: [String] = [] }
    let lines = Lines()
    let context = Unmanaged.passUnretained(lines).toOpaque()
    H5Ewalk2(chdf5_e_default(), H5E_WALK_DOWNWARD, { _, description, client in
        guard let d = description?.pointee, let client else { return 0 }
        let box = Unmanaged<Lines>.fromOpaque(client).takeUnretainedValue()
        let function = d.func_name.map { String(cString: $0) } ?? "?"
        let text = d.desc.map { String(cString: $0) } ?? ""
        box.items.append("\(function): \(text)")
        return 0
    }, context)
    H5Eclear2(chdf5_e_default())
    return HDF5Error(operation, lines.items.isEmpty ? "HDF5 reported no details" : lines.items.joined(separator: "; "))
}

/// `value` if it is a valid identifier (>= 0), else the error stack.
@inline(__always)
func check(_ value: hid_t, _ operation: @autoclosure () -> String) throws(HDF5Error) -> hid_t {
    if value < 0 { throw stackError(operation()) }
    return value
}

/// Throws the error stack if `status` is negative.
@inline(__always)
func check(_ status: herr_t, _ operation: @autoclosure () -> String) throws(HDF5Error) {
    if status < 0 { throw stackError(operation()) }
}
