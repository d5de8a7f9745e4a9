#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Ctrl-C, as a flag the program's SIGINT handler raises and long computations read:
/// the evaluator between nodes, the matrix product between rows, sweeps between passes.
public enum Interrupt {
    nonisolated(unsafe) public static var requested: sig_atomic_t = 0

    public static var isRequested: Bool { requested != 0 }
    public static func clear() { requested = 0 }
}
