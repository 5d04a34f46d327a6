import Testing

@testable import Frost

@Suite("Arithmetic, matmul and reductions")
struct ArithmeticTests {
  func run(_ tensor: Tensor) throws -> NDArray { try Session(graph: tensor.graph).run(tensor) }

  @Test func broadcastingFollowsNumpy() throws {
    let graph = Graph()
    let m = try graph.constant([Float(1), 2, 3, 4, 5, 6], shape: [2, 3])
    let row = try graph.constant([Float(10), 20, 30], shape: [3])
    let column = try graph.constant([Float(100), 200], shape: [2, 1])
    #expect(try run(m + row).doubles == [11, 22, 33, 14, 25, 36])
    #expect(try run(m * column).doubles == [100, 200, 300, 800, 1000, 1200])
    #expect(try run(row + column).doubles == [110, 120, 130, 210, 220, 230])
    #expect(try run(m - 1).doubles == [0, 1, 2, 3, 4, 5])
    #expect(try run(12 / m).doubles == [12, 6, 4, 3, 2.4000000953674316, 2])
    #expect(try run(row + column).shape == [2, 3])
    // A 3-D case that takes the general strided path.
    let cube = try graph.constant((0..<8).map(Float.init), shape: [2, 2, 2])
    let middle = try graph.constant([Float(10), 20], shape: [2, 1])
    #expect(try run(cube + middle).doubles == [10, 11, 22, 23, 14, 15, 26, 27])
  }

  @Test func integerArithmetic() throws {
    let graph = Graph()
    let a = try graph.constant([Int32(7), -7, 9], shape: [3])
    let b = try graph.constant([Int32(2), 2, 0], shape: [3])
    #expect(try run(a / b).doubles == [3, -3, 0])
    #expect(try run(a * b - a).doubles == [7, -7, -9])
    #expect(try run(reduceMean(a)).doubles == [3])
  }

  @Test func matmulMatchesFloat64TripleLoop() throws {
    for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
      let (m, k, n) = (5, 7, 3)
      let a = sample(ta ? [k, m] : [m, k], seed: 3)
      let b = sample(tb ? [n, k] : [k, n], seed: 4)
      let av = a.doubles
      let bv = b.doubles
      var expected = [Double](repeating: 0, count: m * n)
      for i in 0..<m {
        for j in 0..<n {
          for p in 0..<k {
            let x = ta ? av[p * m + i] : av[i * k + p]
            let y = tb ? bv[j * k + p] : bv[p * n + j]
            expected[i * n + j] += x * y
          }
        }
      }
      for dtype in [DType.float64, .float32] {
        let graph = Graph()
        let product = try matmul(
          graph.constant(NDArray(shape: a.shape, doubles: av, dtype: dtype)),
          graph.constant(NDArray(shape: b.shape, doubles: bv, dtype: dtype)),
          transposeA: ta, transposeB: tb)
        #expect(product.shape == Shape([m, n]))
        // float64 agrees to rounding; float32 inputs were rounded to 24 bits (rel 6e-8),
        // and seven products of magnitude < 2.25 accumulate well under 1e-5.
        expectClose(try run(product).doubles, expected, tolerance: dtype == .float64 ? 1e-12 : 1e-5)
      }
    }
  }

  @Test func reductionsOverAxes() throws {
    let graph = Graph()
    let x = try graph.constant((1...24).map(Double.init), shape: [2, 3, 4])
    #expect(try run(reduceSum(x)).doubles == [300])
    #expect(try run(reduceSum(x, axes: [0])).doubles == (0..<12).map { Double(2 * $0 + 14) })
    #expect(try run(reduceSum(x, axes: [-1])).doubles == [10, 26, 42, 58, 74, 90])
    #expect(try run(reduceSum(x, axes: [1], keepDims: true)).shape == [2, 1, 4])
    #expect(try run(reduceSum(x, axes: [1])).doubles == [15, 18, 21, 24, 51, 54, 57, 60])
    #expect(try run(reduceMean(x, axes: [0, 2])).doubles == [8.5, 12.5, 16.5])
    #expect(try run(reduceSum(x, axes: [])).doubles == (1...24).map(Double.init))
    #expect(try run(reduceMean(x, keepDims: true)).shape == [1, 1, 1])
    let empty = graph.constant(try NDArray(zeros: [0, 3], dtype: .float64))
    #expect(try run(reduceSum(empty, axes: [0])).doubles == [0, 0, 0])
    expectError(containing: "appears twice") { _ = try reduceSum(x, axes: [1, -2]) }
  }
}
