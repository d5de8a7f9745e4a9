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
        // Read straight into the array (no Data in between, nothing zeroed first): a data
        // file is megabytes. The size is what stat said; a file that grew meanwhile is
        // read on in chunks.
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw EvalError("cannot read '\(path)': not readable") }
        defer { close(fd) }
        var failed = false
        func readInto(_ p: UnsafeMutablePointer<UInt8>, _ want: Int) -> Int {
            var total = 0
            while total < want {
                let r = Foundation.read(fd, p + total, want - total)
                if r < 0 {
                    if errno == EINTR { continue }
                    failed = true
                    break
                }
                if r == 0 { break }
                total += r
            }
            return total
        }
        let expected = Swift.max(Int(st.st_size), 0) + 1
        var bytes = [UInt8](unsafeUninitializedCapacity: expected) { buffer, count in
            count = readInto(buffer.baseAddress!, expected)
        }
        var more = bytes.count == expected
        while more, !failed {
            guard bytes.count <= maxBytes else {
                throw EvalError("cannot read '\(path)': it is larger than \(maxBytes / 1024 / 1024) MB")
            }
            let chunk = [UInt8](unsafeUninitializedCapacity: 1 << 20) { buffer, count in
                count = readInto(buffer.baseAddress!, 1 << 20)
            }
            bytes += chunk
            more = chunk.count == 1 << 20
        }
        guard !failed else { throw EvalError("cannot read '\(path)': not readable") }
        guard bytes.count <= maxBytes else {
            throw EvalError("cannot read '\(path)': it is larger than \(maxBytes / 1024 / 1024) MB")
        }
        return bytes
    }
}
