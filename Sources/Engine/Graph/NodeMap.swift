/// Per-node storage for one sweep: an array when the sweep covers a good part of the
/// graph, a dictionary when it covers a small cone of a big session graph, so that the
/// cost of a statement follows what it touches, not the size of the session.
public struct NodeMap<T> {
    var dense: [T?]
    var sparse: [Int: T]
    let isDense: Bool
    /// The values of a scalar tape, held as doubles and read as `Value.number` (only in a
    /// `NodeMap<Value>`, see `scalarValues`): entry i is `scalars[i]` where `held[i]`;
    /// entries set afterwards go to `sparse` and take precedence.
    var scalars: [Double] = []
    var held: [Bool] = []
    var isScalars = false
    /// The `ScalarTape.serial` of the tape `scalars` were computed over.
    var tape = 0

    public init(graphSize: Int, touched: Int) {
        isDense = touched * 8 >= graphSize
        dense = isDense ? [T?](repeating: nil, count: graphSize) : []
        sparse = [:]
    }

    /// `true` for each of `ids`: a sweep's "every node counts" dependency map.
    public static func marking(_ ids: some Collection<Int>, graphSize: Int) -> NodeMap<Bool> {
        var m = NodeMap<Bool>(graphSize: graphSize, touched: ids.count)
        for n in ids { m[n] = true }
        return m
    }

    public subscript(_ i: Int) -> T? {
        get {
            if isDense { return i < dense.count ? dense[i] : nil }
            if isScalars {
                if !sparse.isEmpty, let t = sparse[i] { return t }
                guard i < held.count, held[i] else { return nil }
                return (Value.number(scalars[i]) as! T)
            }
            return sparse[i]
        }
        set {
            if isDense {
                if i < dense.count { dense[i] = newValue }
            } else {
                sparse[i] = newValue
            }
        }
    }
}

extension NodeMap where T == Value {
    /// A map of numbers without a `Value` per node: what a scalar tape computes for a
    /// million nodes, of which a statement then reads a few.
    static func scalarValues(_ scalars: [Double], held: [Bool], tape: Int) -> NodeMap<Value> {
        var m = NodeMap<Value>(graphSize: 1, touched: 0)
        m.tape = tape
        m.scalars = scalars
        m.held = held
        m.isScalars = true
        return m
    }
}
