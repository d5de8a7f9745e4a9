/// A dictionary keyed by names, for the tables every definition looks names up in (the
/// session's definitions and references, the graph's named nodes). Swift's `Dictionary`
/// hashes a `String` with SipHash, a few hundred instructions for a name like `x123`;
/// here a name is hashed with FNV-1a over its bytes. The entries are kept in the order
/// they were added, in an array of their own; the table of slots holds only their
/// positions, so growing it moves no name or value, and a probe compares strings only
/// where the hashes agree. A removed entry stays as a gap until the next rebuild.
public struct NameMap<Value> {
    /// Per slot: the position of an entry, or -1 (empty). Twice as many slots as entries
    /// (gaps included) at least.
    private var slots: [Int32] = []
    /// An entry: its key's hash (1 for a gap, otherwise bit 1 set), key and value (nil for
    /// a gap), side by side (a probe reads the hash and the key together, an insertion
    /// appends once).
    fileprivate struct Entry {
        var hash: UInt64
        var key: String
        var value: Value?
    }
    /// The entries, in the order added.
    private var entries: [Entry] = []
    /// Entries held (gaps not counted).
    public private(set) var count = 0

    public init() {}

    public var isEmpty: Bool { count == 0 }

    /// A name's hash: bit 1 set (1 marks a gap), its slot in the bits above.
    ///
    /// Scripts number their names (`x0`, `x1`, … `x20000`, `h1`, `h2`), define them in
    /// order and read each soon after: the table is larger than the processor's caches,
    /// and a slot chosen at random for every name was a cache miss for nearly every
    /// definition. So names that differ only in their last digits' value `n` share a
    /// block of 16 neighbouring slots, 64 bytes, one cache line, chosen by the rest of the
    /// name and `n / 16`, and `n % 16` is the slot within it. Other names are spread by
    /// FNV-1a over their bytes.
    @inline(__always)
    static func hash(_ key: String) -> UInt64 {
        var key = key
        // The bytes in place (a short name's are copied to the stack), not through the
        // UTF-8 view's iterator.
        let spread: UInt64 = key.withUTF8 { bytes in
            // The last digits' value (wrapping, for a very long run of them) and where
            // they start.
            var end = bytes.count
            var n: UInt64 = 0
            var scale: UInt64 = 1
            while end > 0, bytes[end - 1] &- 48 < 10 {
                n = n &+ UInt64(bytes[end - 1] &- 48) &* scale
                scale = scale &* 10
                end -= 1
            }
            var h: UInt64 = 0xcbf2_9ce4_8422_2325
            for b in bytes[0..<end] {
                h ^= UInt64(b)
                h = h &* 0x100_0000_01b3
            }
            guard end < bytes.count else {
                // FNV's high bits are its best mixed: fold them into the low ones, which
                // pick the slot.
                return h ^ (h >> 29)
            }
            // A numbered name: its block (mixed from the name's other bytes, how many
            // digits it has and n / 16), then its place in the block.
            var block = (h ^ UInt64(bytes.count - end)) &+ (n >> 4) &* 0x9E37_79B9_7F4A_7C15
            block ^= block >> 32
            block = block &* 0xD6E8_FEB8_6659_FD93
            block ^= block >> 29
            return block << 4 | (n & 15)
        }
        return spread << 2 | 2
    }

    /// The slot a hash starts its probe at, in a table of `mask + 1` slots.
    @inline(__always)
    static func slot(_ h: UInt64, _ mask: Int) -> Int { Int(truncatingIfNeeded: h >> 2) & mask }

    /// The position of the entry for `key`, or nil.
    @inline(__always)
    private func find(_ key: String, _ h: UInt64) -> Int? {
        if slots.isEmpty { return nil }
        let mask = slots.count - 1
        var i = NameMap.slot(h, mask)
        while true {
            let k = Int(slots[i])
            if k < 0 { return nil }
            if entries[k].hash == h && entries[k].key == key { return k }
            i = (i + 1) & mask
        }
    }

    /// A new entry (the key is not in the table), giving its position.
    private mutating func insert(_ key: String, _ h: UInt64, _ value: Value) -> Int {
        if (entries.count + 1) * 2 > slots.count { rebuild() }
        let k = entries.count
        entries.append(Entry(hash: h, key: key, value: value))
        count += 1
        let mask = slots.count - 1
        var i = NameMap.slot(h, mask)
        while slots[i] >= 0 { i = (i + 1) & mask }
        slots[i] = Int32(truncatingIfNeeded: k)
        return k
    }

    public subscript(_ key: String) -> Value? {
        get {
            guard let k = find(key, NameMap.hash(key)) else { return nil }
            return entries[k].value
        }
        set {
            if let newValue {
                updateValue(newValue, forKey: key)
            } else {
                removeValue(forKey: key)
            }
        }
    }

    public subscript(_ key: String, default value: @autoclosure () -> Value) -> Value {
        get { self[key] ?? value() }
        set { updateValue(newValue, forKey: key) }
    }

    /// Set the value of `key`, giving the one it replaces.
    @discardableResult
    public mutating func updateValue(_ value: Value, forKey key: String) -> Value? {
        let h = NameMap.hash(key)
        if let k = find(key, h) {
            let old = entries[k].value
            entries[k].value = value
            return old
        }
        _ = insert(key, h, value)
        return nil
    }

    /// Change the value of `key` in place (`value` first where there is none): one
    /// lookup for what reading and writing it back take two.
    @discardableResult
    public mutating func update<R>(_ key: String, default value: @autoclosure () -> Value, _ body: (inout Value) -> R) -> R {
        let h = NameMap.hash(key)
        let k = find(key, h) ?? insert(key, h, value())
        return body(&entries[k].value!)
    }

    @discardableResult
    public mutating func removeValue(forKey key: String) -> Value? {
        guard let k = find(key, NameMap.hash(key)) else { return nil }
        let old = entries[k].value
        // A gap: its slot stays taken (probes go past it) until the next rebuild.
        entries[k] = Entry(hash: 1, key: "", value: nil)
        count -= 1
        return old
    }

    /// Room for `n` more entries, so that a long script's definitions do not grow the
    /// arrays and rebuild the slots step by step.
    public mutating func reserveCapacity(_ n: Int) {
        let total = entries.count + n
        entries.reserveCapacity(total)
        if (total + 1) * 2 > slots.count { rebuild(forEntries: total) }
    }

    /// Slots for twice the entries and more, the gaps closed first when they are many.
    private mutating func rebuild(forEntries expected: Int? = nil) {
        if count * 2 < entries.count {
            var n = 0
            for k in entries.indices where entries[k].hash > 1 {
                if k != n { entries.swapAt(n, k) }
                n += 1
            }
            entries.removeSubrange(n...)
        }
        var size = 16
        while size < (Swift.max(entries.count, expected ?? 0) + 1) * 4 { size *= 2 }
        slots = [Int32](repeating: -1, count: size)
        let mask = size - 1
        for k in entries.indices {
            var i = NameMap.slot(entries[k].hash, mask)
            while slots[i] >= 0 { i = (i + 1) & mask }
            slots[i] = Int32(truncatingIfNeeded: k)
        }
    }

    /// The entries for which `isIncluded` holds.
    public func filter(_ isIncluded: ((key: String, value: Value)) throws -> Bool) rethrows -> NameMap {
        var out = NameMap()
        for e in self where try isIncluded(e) { out.updateValue(e.value, forKey: e.key) }
        return out
    }
}

extension NameMap: Sequence {
    /// The entries, in the order they were added.
    public func makeIterator() -> AnyIterator<(key: String, value: Value)> {
        var k = 0
        return AnyIterator {
            while k < entries.count {
                defer { k += 1 }
                if entries[k].hash > 1, let v = entries[k].value { return (entries[k].key, v) }
            }
            return nil
        }
    }
}

extension NameMap: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, Value)...) {
        self.init()
        for (k, v) in elements { updateValue(v, forKey: k) }
    }
}

extension NameMap: Sendable where Value: Sendable {}
extension NameMap.Entry: Sendable where Value: Sendable {}
