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

    @Flag(name: .customLong("ascii"), help: "Draw graphs with plain ASCII characters.")
    var ascii = false

    @Option(name: .customLong("tutorial"), help: "Walk through tutorial N one step at a time (Enter: next step).")
    var tutorial: Int?

    mutating func run() throws {
        if ascii { setenv("GRAPHREPL_ASCII", "1", 1) }
        let driver = Driver(color: !noColor && Driver.terminalWantsColor())
        if let tutorial {
            guard let path = Tutorial.file(number: tutorial), let t = try? Tutorial.load(path) else {
                StandardOutput.writeError("graphrepl: no tutorial \(tutorial); the tutorials are:\n" + Commands.tutorialList())
                throw ExitCode(ExitStatus.usage)
            }
            let wait = isatty(STDIN_FILENO) != 0
            t.walk(driver.interpreter, wait: wait) { Swift.readLine() }
            return
        }
        let status = driver.main(files: files, code: code, interactive: interactive)
        if status != 0 { throw ExitCode(status) }
    }
}
