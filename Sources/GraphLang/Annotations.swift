#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A script as a checked document: after a line of code, `# => text` lines are what it
/// must print and a `# error: message` line the error it must give. They belong to the
/// last line of code before them (comments may come between).
public struct Annotations: Sendable {
    public struct Expectation: Sendable {
        /// The 1-based line of code they follow.
        public var line: Int
        /// The lines after `# =>`, if any.
        public var output: [String]?
        /// The message after `# error:`, if any.
        public var error: String?
    }

    /// Expectations by the line of code they follow.
    public private(set) var byLine: [Int: Expectation] = [:]

    public var isEmpty: Bool { byLine.isEmpty }

    public init(_ source: SourceFile) {
        var lastCode = 0
        var line = 0
        var start = 0
        let bytes = source.bytes
        // Only scan when the text could hold an annotation at all.
        guard Annotations.mayHold(bytes) else { return }
        while start <= bytes.count {
            line += 1
            var end = start
            while end < bytes.count, bytes[end] != UInt8(ascii: "\n") { end += 1 }
            var s = start
            while s < end, bytes[s] == 32 || bytes[s] == 9 { s += 1 }
            if s < end {
                if bytes[s] == UInt8(ascii: "#") {
                    let text = source.text(Span(s, end)).trimmingTrailingSpaces()
                    if lastCode > 0, text.hasPrefix("# =>") {
                        let body = text.dropFirst(4)
                        var e = byLine[lastCode] ?? Expectation(line: lastCode)
                        e.output = (e.output ?? []) + [body.hasPrefix(" ") ? String(body.dropFirst()) : String(body)]
                        byLine[lastCode] = e
                    } else if lastCode > 0, text.hasPrefix("# error:") {
                        var e = byLine[lastCode] ?? Expectation(line: lastCode)
                        e.error = String(text.dropFirst("# error:".count)).trimmingLeadingSpaces()
                        byLine[lastCode] = e
                    }
                } else {
                    lastCode = line
                }
            }
            start = end + 1
        }
    }

    static func mayHold(_ bytes: [UInt8]) -> Bool {
        // "# =>" or "# error:", from one '#' to the next (memchr, not byte by byte).
        bytes.withUnsafeBufferPointer { b in
            guard let base = b.baseAddress else { return false }
            var i = 0
            while i + 3 < b.count {
                guard let p = memchr(base + i, Int32(UInt8(ascii: "#")), b.count - i) else { return false }
                i = base.distance(to: p.assumingMemoryBound(to: UInt8.self))
                if i + 3 < b.count, b[i + 1] == 32, b[i + 2] == UInt8(ascii: "=") || b[i + 2] == UInt8(ascii: "e") {
                    return true
                }
                i += 1
            }
            return false
        }
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var s = Substring(self)
        while let c = s.last, c == " " || c == "\t" || c == "\r" { s = s.dropLast() }
        return String(s)
    }
    func trimmingLeadingSpaces() -> String {
        String(drop { $0 == " " || $0 == "\t" })
    }
}
