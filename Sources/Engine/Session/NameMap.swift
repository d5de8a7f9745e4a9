/// A dictionary keyed by names, for the tables every definition looks names up in (the
/// session's definitions and references, the graph's named nodes). Swift's `Dictionary`
/// hashes a `String` with SipHash, a few hundred instructions for a name like `x123`;
/// here a name is hashed with FNV-1a over its bytes, and each slot keeps its key's hash,
/// so a probe compares strings only when the hashes agree. Open addressing with linear
/// probing; a removed entry leaves a tombstone until the table is rebuilt.
public struct NameMap<Value> {
    /// Per slot: 0 empty, 1 removed, else the key's hash (which always has bit 1 set).
    private var hashes: [UInt64] = []
    private var keys: [String] = []
    private var values: [Value?] = []
    /// Entries held.
    public private(set) var count = 0
    /// Slots not empty: entries and tombstones.
    private var used = 0

    public init() {}

    public var isEmpty: Bool { count == 0 }

    @inline(__always)
    static func hash(_ key: String) -> UInt64 {
        var key = key
        // The bytes in place (a short name's are copied to the stack), not through the
        // UTF-8 view's iterator.
        var h: UInt64 = key.withUTF8 { bytes in
            var h: UInt64 = 0xcbf2_9ce4_8422_2325
            for b in bytes {
                h ^= UInt64(b)
                h = h &* 0x100_0000_01b3
            }
            return h
        }
        // FNV's high bits are its best mixed: fold them into the low ones, which pick
        // the slot.
        h ^= h >> 29
        return h | 2
    }

    /// The slot holding `key`, or nil.
    @inline(__always)
    private func find(_ key: String, _ h: UInt64) -> Int? {
        if hashes.isEmpty { return nil }
        let mask = hashes.count - 1
        var i = Int(truncatingIfNeeded: h) & mask
        while true {
            let s = hashes[i]
            if s == 0 { return nil }
            if s == h && keys[i] == key { return i }
            i = (i + 1) & mask
        }
    }

    public subscript(_ key: String) -> Value? {
        get {
            guard let i = find(key, NameMap.hash(key)) else { return nil }
            return values[i]
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
        if let i = find(key, h) {
            let old = values[i]
            values[i] = value
            return old
        }
        if (used + 1) * 2 > hashes.count { rebuild() }
        let mask = hashes.count - 1
        var i = Int(truncatingIfNeeded: h) & mask
        // The first empty or removed slot on the way.
        while hashes[i] > 1 { i = (i + 1) & mask }
        if hashes[i] == 0 { used += 1 }
        hashes[i] = h
        keys[i] = key
        values[i] = value
        count += 1
        return nil
    }

    @discardableResult
    public mutating func removeValue(forKey key: String) -> Value? {
        guard let i = find(key, NameMap.hash(key)) else { return nil }
        let old = values[i]
        hashes[i] = 1
        keys[i] = ""
        values[i] = nil
        count -= 1
        return old
    }

    /// A table with room for twice the entries (or as many, where tombstones filled it).
    private mutating func rebuild() {
        let old = (hashes, keys, values)
        var size = 16
        while size < (count + 1) * 4 { size *= 2 }
        hashes = [UInt64](repeating: 0, count: size)
        keys = [String](repeating: "", count: size)
        values = [Value?](repeating: nil, count: size)
        used = count
        let mask = size - 1
        for j in old.0.indices where old.0[j] > 1 {
            var i = Int(truncatingIfNeeded: old.0[j]) & mask
            while hashes[i] != 0 { i = (i + 1) & mask }
            hashes[i] = old.0[j]
            keys[i] = old.1[j]
            values[i] = old.2[j]
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
    /// The entries, in no particular order.
    public func makeIterator() -> AnyIterator<(key: String, value: Value)> {
        var i = 0
        return AnyIterator {
            while i < hashes.count {
                defer { i += 1 }
                if hashes[i] > 1, let v = values[i] { return (keys[i], v) }
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
