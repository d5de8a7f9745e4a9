import ArgumentParser
import Foundation

/// The command line: scripts, `-e` code, or an interactive session.
@main
struct GraphREPL: ParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "graphrepl",
        abstract: "Build, evaluate, draw and differentiate computation graphs.",
        discussion: """
            With no arguments on a terminal: an interactive session (type :help).
            Input piped on standard input runs as a script, with no prompts.

            Exit status: 0 when everything ran and every assert held; 1 for a runtime
            error or a failed assert; 2 for a syntax error; 64 for bad usage; 66 when a
            script cannot be read.
            """,
        version: version
    )

    @Argument(help: "Scripts (.graph) to run, in order.")
    var files: [String] = []

    @Option(name: [.customShort("e"), .customLong("eval")], help: "Run this code (may be repeated).")
    var code: [String] = []

    @Flag(name: .short, help: "Stay in an interactive session after running scripts and code.")
    var interactive = false

    @Flag(name: .customLong("no-color"), help: "Never use colour.")
    var noColor = false

    mutating func run() throws {
        let driver = Driver(color: !noColor && Driver.terminalWantsColor())
        let status = driver.main(files: files, code: code, interactive: interactive)
        if status != 0 { throw ExitCode(status) }
    }
}
