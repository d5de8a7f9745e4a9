import Foundation

/// Every file graphrepl reads or writes for a user goes through here: only regular files
/// are read, up to a size, so `:load /dev/zero` is an error rather than a hang; writing
/// can be turned off (the fuzzer does, so that no input it makes up writes a file).
public enum Files {
    /// The largest file read, in bytes.
    nonisolated(unsafe) public static var maxBytes = 256 * 1024 * 1024
    /// Whether commands may write files (`:save`, `:dot`, `:export`) or start programs
    /// (Graphviz).
    nonisolated(unsafe) public static var writable = true

    /// The bytes of a regular file, or an error saying why not.
    public static func read(_ path: String) throws -> [UInt8] {
        var st = stat()
        guard stat(path, &st) == 0 else {
            throw EvalError("cannot read '\(path)': no such file")
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw EvalError("cannot read '\(path)': it is not a regular file")
        }
        guard Int(st.st_size) <= maxBytes else {
            throw EvalError("cannot read '\(path)': it is larger than \(maxBytes / 1024 / 1024) MB")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw EvalError("cannot read '\(path)': not readable")
        }
        guard data.count <= maxBytes else {
            throw EvalError("cannot read '\(path)': it is larger than \(maxBytes / 1024 / 1024) MB")
        }
        return [UInt8](data)
    }
}
