/// Per-node storage for one sweep: an array when the sweep covers a good part of the
/// graph, a dictionary when it covers a small cone of a big session graph, so that the
/// cost of a statement follows what it touches, not the size of the session.
public struct NodeMap<T> {
    var dense: [T?]
    var sparse: [Int: T]
    let isDense: Bool

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
