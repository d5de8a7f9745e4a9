import Engine
import Foundation

/// Writing the files commands produce: atomically (a temporary file beside the target,
/// then renamed over it), with errors a student can act on.
enum FileOutput {
    /// Why `path` cannot be written, if something can be said before trying.
    static func problem(_ path: String) -> String? {
        let dir = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var isDir: ObjCBool = false
        if !FileManager.default.fileExists(atPath: dir, isDirectory: &isDir) { return "there is no folder '\(dir)'" }
        if !isDir.boolValue { return "'\(dir)' is not a folder" }
        if !FileManager.default.isWritableFile(atPath: dir) { return "the folder '\(dir)' is not writable" }
        return nil
    }

    static func write(_ text: String, to path: String) throws {
        if let why = problem(path) { throw EvalError("cannot write '\(path)': \(why)") }
        guard Files.writable else { throw EvalError("cannot write '\(path)': writing files is turned off here") }
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw EvalError("cannot write '\(path)'", notes: [error.localizedDescription])
        }
    }
}
