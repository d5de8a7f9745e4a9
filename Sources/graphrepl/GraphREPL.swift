import CSystem
import Foundation

/// The command line: scripts, `-e` code, or an interactive session. Parsed by hand:
/// start-up is part of every run of a script, and a general argument library spent
/// more time finding its own types at start-up than the rest of the program did.
struct GraphREPL {
    static let version = "0.1.0"

    static let usage = """
        graphrepl [<files> ...] [--eval <code> ...] [-i] [--no-color] [--ascii]
                         [--tutorial <n>] [--check] [--record]
        """

    static let help = """
        OVERVIEW: Build, evaluate, draw and differentiate computation graphs.

        With no arguments on a terminal: an interactive session (type :help).
        Input piped on standard input runs as a script, with no prompts.

        Scripts are checked documents: an error that a '# error: …' line after it
        expects is shown and the script goes on. --check also compares every
        '# => …' line with what its statement prints.

        Exit status: 0 when everything ran and every assert held; 1 for a runtime
        error, a failed assert or (with --check) an expectation that does not hold;
        2 for a syntax error; 64 for bad usage; 66 when a script cannot be read.

        USAGE: \(usage)

        ARGUMENTS:
          <files>                 Scripts (.graph) to run, in order.

        OPTIONS:
          -e, --eval <code>       Run this code (may be repeated).
          -i                      Stay in an interactive session after running scripts
                                  and code.
          --no-color              Never use colour.
          --ascii                 Draw graphs with plain ASCII characters.
          --tutorial <n>          Walk through tutorial n one step at a time (Enter:
                                  next step).
          --check                 Check the scripts as documents: every '# => …' and
                                  '# error: …' must match what its line gives.
          --record                With --check: rewrite each script's expectations
                                  from what it gives now.
          --version               Show the version.
          -h, --help              Show this help.

        """

    var files: [String] = []
    var code: [String] = []
    var interactive = false
    var noColor = false
    var ascii = false
    var tutorial: Int?
    var check = false
    var record = false

    /// What the command line asks for: a run, or text to print and an exit status.
    enum Parsed {
        case run(GraphREPL)
        case exit(output: String, error: String, status: Int32)
    }

    static func parse(_ arguments: [String]) -> Parsed {
        var g = GraphREPL()
        func bad(_ message: String) -> Parsed {
            .exit(
                output: "",
                error: "graphrepl: \(message)\nusage: \(usage)\n  see 'graphrepl --help' for more\n",
                status: ExitStatus.usage)
        }
        var i = 0
        var onlyFiles = false
        while i < arguments.count {
            let a = arguments[i]
            i += 1
            if onlyFiles || a == "-" || !a.hasPrefix("-") {
                g.files.append(a)
                continue
            }
            // `--name=value` is `--name value`.
            var name = a
            var attached: String?
            if a.hasPrefix("--"), let eq = a.firstIndex(of: "=") {
                name = String(a[..<eq])
                attached = String(a[a.index(after: eq)...])
            } else if a.hasPrefix("-e"), a.count > 2, !a.hasPrefix("--") {
                name = "-e"
                attached = String(a.dropFirst(2))
            }
            func value() -> String? {
                if let attached { return attached }
                guard i < arguments.count else { return nil }
                i += 1
                return arguments[i - 1]
            }
            func flag(_ set: (inout GraphREPL) -> Void) -> Parsed? {
                if attached != nil { return bad("'\(name)' takes no value") }
                set(&g)
                return nil
            }
            var failure: Parsed?
            switch name {
            case "--":
                onlyFiles = true
            case "-h", "--help":
                return .exit(output: help, error: "", status: ExitStatus.ok)
            case "--version":
                return .exit(output: version + "\n", error: "", status: ExitStatus.ok)
            case "-e", "--eval":
                guard let c = value() else { return bad("'\(name)' needs the code to run: \(name) 'print 1'") }
                g.code.append(c)
            case "--tutorial":
                guard let v = value() else { return bad("'--tutorial' needs a number: --tutorial 1") }
                guard let n = Int(v) else { return bad("'--tutorial' needs a number, got '\(v)'") }
                g.tutorial = n
            case "-i": failure = flag { $0.interactive = true }
            case "--no-color": failure = flag { $0.noColor = true }
            case "--ascii": failure = flag { $0.ascii = true }
            case "--check": failure = flag { $0.check = true }
            case "--record": failure = flag { $0.record = true }
            default:
                return bad("unknown option '\(a)'")
            }
            if let failure { return failure }
        }
        return .run(g)
    }

    /// The session lives as long as the process: the operating system takes its memory
    /// back at exit, faster than releasing a large graph node by node.
    nonisolated(unsafe) static var driver: Driver?

    static func main() -> Int32 {
        graphrepl_tune_malloc()
        graphrepl_blas_configure()
        switch parse(Array(CommandLine.arguments.dropFirst())) {
        case .exit(let output, let error, let status):
            if !output.isEmpty { StandardOutput.write(output) }
            if !error.isEmpty { StandardOutput.writeError(error) }
            return status
        case .run(let g):
            return g.run()
        }
    }

    func run() -> Int32 {
        if ascii { setenv("GRAPHREPL_ASCII", "1", 1) }
        let driver = Driver(color: !noColor && Driver.terminalWantsColor(), terminal: isatty(STDOUT_FILENO) != 0)
        GraphREPL.driver = driver
        if let tutorial {
            guard let path = Tutorial.file(number: tutorial), let t = try? Tutorial.load(path) else {
                StandardOutput.writeError("graphrepl: no tutorial \(tutorial); the tutorials are:\n" + Commands.tutorialList())
                return ExitStatus.usage
            }
            let terminal = isatty(STDIN_FILENO) != 0
            t.walk(driver.interpreter, wait: terminal) { readKey() }
            // On a terminal the student stays in the session, with the tutorial's definitions.
            if terminal {
                driver.interpreter.write("the tutorial's definitions stay: go on typing (:list shows them, Ctrl-D leaves)\n")
                let status = driver.main(files: [], code: [], interactive: true)
                return status
            }
            return ExitStatus.ok
        }
        if record && !check {
            StandardOutput.writeError("graphrepl: --record goes with --check: graphrepl --check --record FILE…\n")
            return ExitStatus.usage
        }
        if check {
            guard !files.isEmpty else {
                StandardOutput.writeError("graphrepl: --check needs the scripts to check: graphrepl --check FILE…\n")
                return ExitStatus.usage
            }
            return Tutorial.checkFiles(files, record: record)
        }
        return driver.main(files: files, code: code, interactive: interactive)
    }
}

#if !FUZZING
    /// The program's entry point (a fuzzing build has libFuzzer's instead).
    @main
    enum Main {
        static func main() { exit(GraphREPL.main()) }
    }
#endif
