/// An error from an operation, before the evaluator attaches the location of the node
/// that caused it.
public struct EvalError: Error, Sendable {
    public var message: String
    public var notes: [String]
    public init(_ message: String, notes: [String] = []) {
        self.message = message
        self.notes = notes
    }
}
