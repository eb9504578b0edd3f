import ArgumentParser
import ModalityTemplates

/// The template file of `--templates` (nil when not given); one that cannot be used is printed with
/// its file:line:column and ends the command with status 2.
func loadTemplates(_ path: String?, ignoreCase: Bool) throws -> TemplateSet? {
    guard let path else { return nil }
    do {
        return try TemplateSet.load(path: path, ignoreCase: ignoreCase)
    } catch let e as TemplateError {
        printError("dicomcrawler: error: \(e)")
        throw ExitCode(2)
    }
}
