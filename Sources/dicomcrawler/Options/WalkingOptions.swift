// Option groups shared by the subcommands, and option types parsed once (keyword lists).
import ArgumentParser
import DICOMCrawler
#if canImport(Glibc)
import Glibc
#endif

/// Options every subcommand that walks trees has.
struct WalkingOptions: ParsableArguments {
    @Option(name: .shortAndLong, help: "Parallel threads.")
    var jobs: Int = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))

    @Flag(name: .shortAndLong, help: "No summary and no progress on stderr (errors are still printed).")
    var quiet = false

    @Flag(name: .long, help: "Descend into symlinked folders (loops are detected).")
    var followSymlinks = false

    @Flag(name: .long, help: "Include dot-files and dot-folders (skipped by default).")
    var hidden = false

    var walk: WalkOptions { WalkOptions(followSymlinks: followSymlinks, includeHidden: hidden) }

    /// Progress goes to stderr when it is a terminal and not `--quiet`.
    var showsProgress: Bool { !quiet && isatty(2) == 1 }

    func validate() throws {
        if jobs < 1 || jobs > 1024 { throw ValidationError("--jobs must be 1 to 1024") }
    }
}
