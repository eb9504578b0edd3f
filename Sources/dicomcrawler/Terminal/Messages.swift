// Terminal output: messages on stderr, the progress line, and the exit status a shell script sees.
#if canImport(Glibc)
import Glibc
#endif

func printError(_ s: String) {
    guard !s.isEmpty else { return }
    fputs(s + "\n", stderr)
}

/// Ends the process now with `status`, after flushing stdio: what a command built (reports, rows,
/// libmagic's compiled tests) is not freed piece by piece first, which costs milliseconds on large
/// runs (as compilers skip freeing before they exit). Only for the end of a command's `run`.
func exitKeepingMemory(_ status: Int32) -> Never {
    fflush(nil)
    exit(status)
}

/// The first five of a list (control characters shown as \xHH, see `printable`), then how many
/// more, followed by `whereTheRestAre` (e.g. " (in report.json)").
func firstFew(_ items: [String], whereTheRestAre: String = "") -> String {
    let shown = 5
    let text = items.prefix(shown).map(printable).joined(separator: ", ")
    return items.count <= shown ? text : text + ", and \(items.count - shown) more" + whereTheRestAre
}
