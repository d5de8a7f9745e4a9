import Engine
import Foundation
import GraphLang

/// graphrepl as the fuzzer sees it: one input is a script, run in a fresh session with
/// small budgets — tensors of at most 20 000 elements, files of at most 1 MB, about a
/// second of computing (long work is interrupted, as Ctrl-C would) — and no file
/// written, so that it explores rather than computes. Whatever the input, the run must
/// end with an outcome: a crash or a hang is a finding. `scripts/fuzz` builds it with
/// libFuzzer; the regression tests run every input it found through the same function.
enum Fuzz {
    /// Run one input as a script, its output discarded, with the fuzzer's budgets (put
    /// back afterwards, so tests can use this too).
    @discardableResult
    static func run(_ bytes: [UInt8], seconds: Double = 1) -> Interpreter.Outcome {
        let saved = (TensorLimit.elements, Files.writable, Files.maxBytes)
        TensorLimit.elements = 20_000
        Files.writable = false
        Files.maxBytes = 1 << 20
        defer { (TensorLimit.elements, Files.writable, Files.maxBytes) = saved }
        let driver = Driver(color: false, write: { _ in }, writeError: { _ in })
        driver.interpreter.width = 80
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(seconds * 1e9)
        driver.interpreter.interrupted = { DispatchTime.now().uptimeNanoseconds > deadline }
        return driver.interpreter.run(SourceFile(name: "fuzz", bytes: bytes))
    }
}

#if FUZZING
    /// libFuzzer's entry point (built by `scripts/fuzz` only).
    @_cdecl("LLVMFuzzerTestOneInput")
    public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
        Fuzz.run(Array(UnsafeBufferPointer(start: data, count: size)))
        return 0
    }
#endif
