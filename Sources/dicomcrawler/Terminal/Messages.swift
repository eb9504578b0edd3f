// Terminal output: messages on stderr, the progress line, and the exit status a shell script sees.
#if canImport(Glibc)
import Glibc
#endif

func printError(_ s: String) {
    guard !s.isEmpty else { return }
    fputs(s + "\n", stderr)
}
