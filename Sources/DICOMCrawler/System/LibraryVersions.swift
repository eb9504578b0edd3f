import CHDF5
import CLibDeflate
import CZlib

/// The versions of the C libraries dicomcrawler runs with, and of the Swift compiler it was built
/// with (for `--version`). Each library is asked at run time, so a release's bundled copies report
/// themselves; libdeflate has no such function and reports the headers it was built against.
public enum LibraryVersions {
    /// libmagic's version, e.g. "5.44".
    public static var libmagic: String { FileTypes.libraryVersion }

    /// zlib's version, e.g. "1.2.13".
    public static var zlib: String { String(cString: zlibVersion()) }

    /// The version of the libdeflate headers built against, e.g. "1.14".
    public static var libdeflate: String { LIBDEFLATE_VERSION_STRING }

    /// HDF5's version, e.g. "1.10.8" (linked statically: see CHDF5's module map).
    public static var hdf5: String {
        var major: UInt32 = 0, minor: UInt32 = 0, release: UInt32 = 0
        guard H5get_libversion(&major, &minor, &release) >= 0 else { return "unknown" }
        return "\(major).\(minor).\(release)"
    }

    /// The Swift compiler's major.minor version (`#if compiler` is the only way to ask it).
    public static var swiftCompiler: String {
        #if compiler(>=7.0)
        return "7.0 or later"
        #elseif compiler(>=6.6)
        return "6.6 or later"
        #elseif compiler(>=6.5)
        return "6.5"
        #elseif compiler(>=6.4)
        return "6.4"
        #elseif compiler(>=6.3)
        return "6.3"
        #elseif compiler(>=6.2)
        return "6.2"
        #elseif compiler(>=6.1)
        return "6.1"
        #else
        return "6.0"
        #endif
    }
}
