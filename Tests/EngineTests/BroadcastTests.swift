import XCTest

@testable import Engine

/// Broadcasting a shape against one it ends (a bias on every row) takes a short path;
/// it must give what the general index arithmetic gives, which a leading axis of size
/// 1 still takes.
final class BroadcastTests: XCTestCase {
    func random(_ shape: [Int], _ rng: inout SplitMix64) -> Tensor<Double> {
        Tensor(shape: shape, data: (0..<shape.reduce(1, *)).map { _ in rng.unit() * 2 - 1 })
    }

    func testSuffixShapesAgreeWithTheGeneralPath() throws {
        var rng = SplitMix64(state: 11)
        for (big, small) in [([64, 100], [100]), ([3, 4, 5], [4, 5]), ([3, 4, 5], [5]), ([7, 1], [1]), ([2, 3], [3])] {
            let a = random(big, &rng)
            let b = random(small, &rng)
            let general = Tensor(shape: [1] + small, data: b.data)
            for f in [(+) as (Double, Double) -> Double, (-), (*), (/)] {
                XCTAssertEqual(try Tensor.zip(a, b, f).data, try Tensor.zip(a, general, f).data, "\(big) with \(small)")
                XCTAssertEqual(try Tensor.zip(b, a, f).data, try Tensor.zip(general, a, f).data, "\(small) with \(big)")
            }
            XCTAssertEqual(try b.broadcast(to: big).data, try general.broadcast(to: big).data)
            let sums = try a.unbroadcast(to: small)
            XCTAssertEqual(sums.shape, small)
            XCTAssertEqual(sums.data, try a.unbroadcast(to: [1] + small).data, "sums of \(big) down to \(small)")
        }
    }

    func testTransposeInTiles() {
        var rng = SplitMix64(state: 5)
        for (m, n) in [(1, 1), (3, 17), (16, 16), (33, 7), (100, 64)] {
            let t = random([m, n], &rng)
            let u = t.transposed()
            XCTAssertEqual(u.shape, [n, m])
            for i in 0..<m {
                for j in 0..<n where u.data[j * m + i] != t.data[i * n + j] { return XCTFail("(\(i), \(j)) of \(m)×\(n)") }
            }
            XCTAssertEqual(u.transposed(), t)
        }
    }
}
