#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A byte range in a source file, half open: `start..<end`.
public struct Span: Hashable, Sendable {
    // Held as 32 bits: every expression node and token carries a span, and a source
    // is far below 2 GB (files and standard input are read up to `Files.maxBytes`).
    private var lower: Int32
    private var upper: Int32
    public var start: Int {
        get { Int(lower) }
        set { lower = Span.held(newValue) }
    }
    public var end: Int {
        get { Int(upper) }
        set { upper = Span.held(newValue) }
    }
    public init(_ start: Int, _ end: Int) {
        lower = Span.held(start)
        upper = Span.held(Swift.max(start, end))
    }
    @inline(__always)
    static func held(_ offset: Int) -> Int32 { Int32(truncatingIfNeeded: offset) }
    /// The smallest span covering both.
    public func merged(with other: Span) -> Span {
        Span(Swift.min(start, other.start), Swift.max(end, other.end))
    }
}

/// A named piece of source text; maps byte offsets to lines and columns on demand.
public final class SourceFile: Sendable {
    public let name: String
    public let bytes: [UInt8]
    /// Byte offset of the start of each line.
    let lineStarts: [Int]

    public init(name: String, bytes: [UInt8]) {
        self.name = name
        self.bytes = bytes
        var starts = [0]
        // From one newline to the next with memchr, not byte by byte.
        bytes.withUnsafeBufferPointer { b in
            guard let base = b.baseAddress else { return }
            var i = 0
            while i < b.count, let p = memchr(base + i, 10, b.count - i) {
                i = base.distance(to: p.assumingMemoryBound(to: UInt8.self)) + 1
                starts.append(i)
            }
        }
        self.lineStarts = starts
    }

    public convenience init(name: String, text: String) {
        self.init(name: name, bytes: Array(text.utf8))
    }

    /// The text of a span, with invalid UTF-8 repaired.
    public func text(_ span: Span) -> String {
        let s = Swift.max(0, Swift.min(span.start, bytes.count))
        let e = Swift.max(s, Swift.min(span.end, bytes.count))
        return String(decoding: bytes[s..<e], as: UTF8.self)
    }

    /// 1-based line and column (column counted in characters) of a byte offset.
    public func location(of offset: Int) -> (line: Int, column: Int) {
        let o = Swift.max(0, Swift.min(offset, bytes.count))
        var lo = 0
        var hi = lineStarts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if lineStarts[mid] <= o { lo = mid } else { hi = mid - 1 }
        }
        let prefix = bytes[lineStarts[lo]..<o]
        let column = String(decoding: prefix, as: UTF8.self).count + 1
        return (lo + 1, column)
    }

    /// The text of a 1-based line, without its newline.
    public func lineText(_ line: Int) -> String {
        guard line >= 1, line <= lineStarts.count else { return "" }
        let s = lineStarts[line - 1]
        var e = line < lineStarts.count ? lineStarts[line] - 1 : bytes.count
        if e > s, bytes[e - 1] == UInt8(ascii: "\r") { e -= 1 }
        return String(decoding: bytes[s..<Swift.max(s, e)], as: UTF8.self)
    }
}
