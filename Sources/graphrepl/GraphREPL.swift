import ArgumentParser
import Foundation

/// The command line: scripts, `-e` code, or an interactive session.
struct GraphREPL: ParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "graphrepl",
        abstract: "Build, evaluate, draw and differentiate computation graphs.",
        discussion: """
            With no arguments on a terminal: an interactive session (type :help).
            Input piped on standard input runs as a script, with no prompts.

            Scripts are checked documents: an error that a '# error: …' line after it
            expects is shown and the script goes on. --check also compares every
            '# => …' line with what its statement prints.

            Exit status: 0 when everything ran and every assert held; 1 for a runtime
            error, a failed assert or (with --check) an expectation that does not hold;
            2 for a syntax error; 64 for bad usage; 66 when a script cannot be read.
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

    @Flag(
        name: .customLong("check"),
        help: "Check the scripts as documents: every '# => …' and '# error: …' must match what its line gives.")
    var check = false

    @Flag(name: .customLong("record"), help: "With --check: rewrite each script's expectations from what it gives now.")
    var record = false

    /// The session lives as long as the process: the operating system takes its memory
    /// back at exit, faster than releasing a large graph node by node.
    nonisolated(unsafe) static var driver: Driver?

    mutating func run() throws {
        if ascii { setenv("GRAPHREPL_ASCII", "1", 1) }
        let driver = Driver(color: !noColor && Driver.terminalWantsColor(), terminal: isatty(STDOUT_FILENO) != 0)
        GraphREPL.driver = driver
        if let tutorial {
            guard let path = Tutorial.file(number: tutorial), let t = try? Tutorial.load(path) else {
                StandardOutput.writeError("graphrepl: no tutorial \(tutorial); the tutorials are:\n" + Commands.tutorialList())
                throw ExitCode(ExitStatus.usage)
            }
            let terminal = isatty(STDIN_FILENO) != 0
            t.walk(driver.interpreter, wait: terminal) { readKey() }
            // On a terminal the student stays in the session, with the tutorial's definitions.
            if terminal {
                driver.interpreter.write("the tutorial's definitions stay: go on typing (:list shows them, Ctrl-D leaves)\n")
                let status = driver.main(files: [], code: [], interactive: true)
                if status != 0 { throw ExitCode(status) }
            }
            return
        }
        if record && !check {
            StandardOutput.writeError("graphrepl: --record goes with --check: graphrepl --check --record FILE…\n")
            throw ExitCode(ExitStatus.usage)
        }
        if check {
            guard !files.isEmpty else {
                StandardOutput.writeError("graphrepl: --check needs the scripts to check: graphrepl --check FILE…\n")
                throw ExitCode(ExitStatus.usage)
            }
            let status = Tutorial.checkFiles(files, record: record)
            if status != 0 { throw ExitCode(status) }
            return
        }
        let status = driver.main(files: files, code: code, interactive: interactive)
        if status != 0 { throw ExitCode(status) }
    }
}

#if !FUZZING
    /// The program's entry point (a fuzzing build has libFuzzer's instead).
    @main
    enum Main {
        static func main() { GraphREPL.main() }
    }
#endif
