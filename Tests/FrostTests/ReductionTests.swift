import Testing

@testable import Frost

/// Runs `tensor` in a new session and returns its elements as doubles.
private func evaluate(_ tensor: Tensor, _ feeds: [Tensor: NDArray] = [:]) throws -> [Double] {
  try Session(graph: tensor.graph).run(tensor, feedDict: feeds).doubles
}

/// Folds `values`, of `shape`, over `axes` one element at a time: the float64 reference.
private func referenceFold(
  _ values: [Double], shape: [Int], axes: Set<Int>, initial: Double,
  _ combine: (Double, Double) -> Double
) -> [Double] {
  let kept = shape.indices.map { axes.contains($0) ? 1 : shape[$0] }
  var out = [Double](repeating: initial, count: kept.reduce(1, *))
  for (i, value) in values.enumerated() {
    var rest = i
    var index = [Int](repeating: 0, count: shape.count)
    for axis in shape.indices.reversed() {
      index[axis] = rest % shape[axis]
      rest /= shape[axis]
    }
    var o = 0
    for axis in shape.indices { o = o * kept[axis] + (axes.contains(axis) ? 0 : index[axis]) }
    out[o] = combine(out[o], value)
  }
  return out
}

@Suite("Reductions beyond sum and mean")
struct ReductionTests {
  /// [[1, -2, 3], [4, 0, -6]]: small enough to reduce by hand.
  let matrix = try! NDArray(shape: [2, 3], scalars: [1.0, -2, 3, 4, 0, -6])

  @Test func maxMinAndProdOfASmallMatrix() throws {
    let graph = Graph()
    let x = graph.constant(matrix, name: "x")
    #expect(try evaluate(reduceMax(x)) == [4])
    #expect(try evaluate(reduceMax(x, axes: [0])) == [4, 0, 3])
    #expect(try evaluate(reduceMax(x, axes: [1])) == [3, 4])
    let kept = try reduceMax(x, axes: [-1], keepDims: true)
    #expect(kept.shape == [2, 1])
    #expect(try evaluate(kept) == [3, 4])
    #expect(try evaluate(reduceMin(x)) == [-6])
    #expect(try evaluate(reduceMin(x, axes: [0])) == [1, -2, -6])
    #expect(try evaluate(reduceMin(x, axes: [1])) == [-2, -6])
    #expect(try evaluate(reduceProd(x)) == [0])
    #expect(try evaluate(reduceProd(x, axes: [0])) == [4, 0, -18])
    #expect(try evaluate(reduceProd(x, axes: [1])) == [-6, 0])
    // An empty axis list reduces nothing.
    #expect(try evaluate(reduceProd(x, axes: [])) == matrix.doubles)
  }

  @Test func everyAxisSetMatchesTheFloat64Reference() throws {
    let shape = [2, 3, 4]
    let input = sample(shape)
    let values = input.doubles
    let graph = Graph()
    let x = graph.placeholder(.float64, shape: [nil, 3, nil], name: "x")
    let axisSets: [[Int]?] = [nil, [0], [1], [2], [0, 1], [1, 2], [0, 2], [0, 1, 2]]
    for axes in axisSets {
      let set = Set(axes ?? [0, 1, 2])
      for keepDims in [false, true] {
        let cases: [(Tensor, Double, (Double, Double) -> Double)] = [
          (try reduceMax(x, axes: axes, keepDims: keepDims), -.infinity, { Swift.max($0, $1) }),
          (try reduceMin(x, axes: axes, keepDims: keepDims), .infinity, { Swift.min($0, $1) }),
          (try reduceProd(x, axes: axes, keepDims: keepDims), 1, { $0 * $1 }),
        ]
        for (y, initial, combine) in cases {
          let expected = referenceFold(values, shape: shape, axes: set, initial: initial, combine)
          // Products are formed in another order than the reference's: 1e-14 relative.
          expectClose(try evaluate(y, [x: input]), expected, tolerance: 1e-14)
        }
      }
    }
  }

  @Test func float32AndInt32() throws {
    let graph = Graph()
    let f = try graph.constant([Float(1.5), -2, 4, 0.25], shape: [2, 2])
    #expect(try evaluate(reduceMax(f, axes: [0])) == [4, 0.25])
    #expect(try evaluate(reduceProd(f)) == [-3])
    let i = try graph.constant([Int32(3), -7, 2, 5, 65536, 65536], shape: [3, 2])
    let max = try reduceMax(i, axes: [1])
    #expect(max.dtype == .int32)
    #expect(try evaluate(max) == [3, 5, 65536])
    #expect(try evaluate(reduceMin(i)) == [-7])
    // int32 products wrap around instead of trapping: 65536² is 2³², which wraps to 0.
    #expect(try evaluate(reduceProd(i, axes: [1])) == [-21, 10, 0])
  }

  @Test func emptyReductionsGiveTheIdentities() throws {
    let graph = Graph()
    let empty = try graph.constant([Double](), shape: [2, 0])
    #expect(try evaluate(reduceMax(empty, axes: [1])) == [-.infinity, -.infinity])
    #expect(try evaluate(reduceMin(empty)) == [.infinity])
    #expect(try evaluate(reduceProd(empty, axes: [1])) == [1, 1])
    #expect(try evaluate(reduceMax(empty, axes: [0])) == [])
    let ints = try graph.constant([Int32](), shape: [0])
    #expect(try evaluate(reduceMax(ints)) == [Double(Int32.min)])
    #expect(try evaluate(reduceMin(ints)) == [Double(Int32.max)])
  }

  @Test func aNaNWinsMaxAndMin() throws {
    let graph = Graph()
    let x = try graph.constant([1.0, .nan, 3, 2, 5, 4], shape: [2, 3])
    let max = try evaluate(reduceMax(x, axes: [1]))
    #expect(max[0].isNaN && max[1] == 5)
    let min = try evaluate(reduceMin(x, axes: [0]))
    #expect(min[0] == 1 && min[1].isNaN && min[2] == 3)
  }

  @Test func gradientsMatchCentralDifferences() throws {
    for axes: [Int]? in [nil, [0], [1], [0, 2], [-1]] {
      try expectGradient([sample([2, 3, 4])]) { try reduceMax($0[0], axes: axes) }
      try expectGradient([sample([2, 3, 4])]) { try reduceMin($0[0], axes: axes) }
      try expectGradient([sample([2, 3, 4])]) { try reduceProd($0[0], axes: axes) }
    }
    try expectGradient([sample([3, 4])]) { try reduceMax($0[0], axes: [1], keepDims: true) }
    try expectGradient([sample([3, 4])]) { try reduceProd($0[0], axes: [0], keepDims: true) }
  }

  @Test func tiesShareTheGradientEqually() throws {
    let graph = Graph()
    let x = graph.placeholder(.float64, shape: [2, 3], name: "x")
    let feeds = [x: try NDArray(shape: [2, 3], scalars: [1.0, 3, 3, 2, 2, 2])]
    let perRow = try gradients(of: [reduceMax(x, axes: [1])], withRespectTo: [x])[0]!
    expectClose(
      try evaluate(perRow, feeds), [0, 0.5, 0.5, 1.0 / 3, 1.0 / 3, 1.0 / 3], tolerance: 1e-15)
    let overall = try gradients(of: [reduceMax(x)], withRespectTo: [x])[0]!
    #expect(try evaluate(overall, feeds) == [0, 0.5, 0.5, 0, 0, 0])
    let minimum = try gradients(of: [reduceMin(x, axes: [0])], withRespectTo: [x])[0]!
    #expect(try evaluate(minimum, feeds) == [1, 0, 0, 0, 1, 1])
  }

  @Test func productGradientIsExactWithZeros() throws {
    let graph = Graph()
    let x = graph.placeholder(.float64, shape: [3, 3], name: "x")
    let feeds = [x: try NDArray(shape: [3, 3], scalars: [2.0, 0, 3, 0, 0, 5, 1, 2, 4])]
    let gradient = try gradients(of: [reduceProd(x, axes: [1])], withRespectTo: [x])[0]!
    // One zero: only it gets the product of the others; two zeros: nothing does.
    #expect(try evaluate(gradient, feeds) == [0, 6, 0, 0, 0, 0, 8, 4, 2])
    let columns = try gradients(of: [reduceProd(x, axes: [0])], withRespectTo: [x])[0]!
    #expect(try evaluate(columns, feeds) == [0, 0, 20, 2, 0, 12, 0, 0, 15])
  }

  @Test func secondOrderThroughMaxButNotThroughProd() throws {
    // d/dx of the gradient of sum(max(x)²): 2 on each row's max, through MinOrMaxGrad.
    try expectGradient([sample([3, 4])]) { inputs in
      let y = try reduceMax(inputs[0], axes: [1])
      return try gradients(of: [reduceSum(y * y)], withRespectTo: [inputs[0]])[0]!
    }
    let graph = Graph()
    let x = graph.placeholder(.float64, shape: [3], name: "x")
    let first = try gradients(of: [reduceProd(x)], withRespectTo: [x])[0]!
    expectError(containing: "ProdGrad", "no gradient") {
      _ = try gradients(of: [reduceSum(first)], withRespectTo: [x])
    }
  }

  @Test func reductionMisuseIsNamed() throws {
    let graph = Graph()
    let x = graph.placeholder(.float32, shape: [2, 3], name: "x")
    expectError(containing: "Max", "axis 2", "'x'") { _ = try reduceMax(x, axes: [2]) }
    expectError(containing: "Min", "axis -3") { _ = try reduceMin(x, axes: [-3]) }
    expectError(containing: "Prod", "twice") { _ = try reduceProd(x, axes: [1, -1]) }
    let flags = graph.placeholder(.bool, shape: [2], name: "flags")
    expectError(containing: "Max", "'flags'", "bool") { _ = try reduceMax(flags) }
  }

  @Test func argMaxAndArgMinTakeTheFirstOfTies() throws {
    let graph = Graph()
    let x = try graph.constant([1.0, 5, 5, 7, 2, 7], shape: [2, 3])
    let rows = try argMax(x, axis: 1)
    #expect(rows.dtype == .int32 && rows.shape == [2])
    #expect(try evaluate(rows) == [1, 0])
    #expect(try evaluate(argMax(x, axis: 0)) == [1, 0, 1])
    #expect(try evaluate(argMin(x, axis: -1)) == [0, 1])
    #expect(try evaluate(argMin(x, axis: 0)) == [0, 1, 0])

    // A middle axis, with more than one element inside it.
    let cube = try graph.constant((0..<12).map { Int32(($0 * 7) % 12) }, shape: [2, 3, 2])
    // Values: [[0, 7], [2, 9], [4, 11]], [[6, 1], [8, 3], [10, 5]].
    #expect(try evaluate(argMax(cube, axis: 1)) == [2, 2, 2, 2])
    #expect(try evaluate(argMax(cube, axis: 0)) == [1, 0, 1, 0, 1, 0])
    #expect(try evaluate(argMin(cube, axis: 2)) == [0, 0, 0, 1, 1, 1])

    let withNaN = try graph.constant([Float(1), .nan, 3, .nan], shape: [4])
    #expect(try evaluate(argMax(withNaN, axis: 0)) == [1])
    #expect(try evaluate(argMin(withNaN, axis: 0)) == [1])
  }

  @Test func argMaxMisuseIsNamed() throws {
    let graph = Graph()
    let x = graph.placeholder(.float32, shape: [2, 3], name: "x")
    expectError(containing: "ArgMax", "axis 2", "'x'") { _ = try argMax(x, axis: 2) }
    expectError(containing: "ArgMin", "axis -3") { _ = try argMin(x, axis: -3) }
    let empty = graph.placeholder(.float32, shape: [2, 0], name: "empty")
    expectError(containing: "ArgMax", "'empty'", "empty") { _ = try argMax(empty, axis: 1) }
    let anyShape = graph.placeholder(.float32, name: "any")
    expectError(containing: "ArgMax", "negative axes", "'any'") {
      _ = try argMax(anyShape, axis: -1)
    }
    let flags = graph.placeholder(.bool, shape: [2], name: "flags")
    expectError(containing: "ArgMin", "'flags'", "bool") { _ = try argMin(flags, axis: 0) }

    // An axis that turns out empty only when the graph runs.
    let partial = graph.placeholder(.float32, shape: [2, nil], name: "partial")
    let indices = try argMax(partial, axis: 1, name: "best")
    expectError(containing: "'best'", "empty") {
      _ = try evaluate(indices, [partial: try NDArray(zeros: [2, 0])])
    }
  }

  @Test func inTopKCountsTiesAtTheBoundaryAsIn() throws {
    let graph = Graph()
    let predictions = try graph.constant(
      [Float(0.1), 0.8, 0.1, 0.3, 0.3, 0.4, 0.5, 0.5, 0.1], shape: [3, 3])
    let targets = try graph.constant([Int32(1), 0, 1], shape: [3])
    let top1 = try inTopK(predictions: predictions, targets: targets, k: 1)
    #expect(top1.dtype == .bool && top1.shape == [3])
    // Row 2: both 0.5 are tied for first, so target 1 is in the top 1.
    #expect(try evaluate(top1) == [1, 0, 1])
    // Row 1: 0.3 ties with the other 0.3 for second place: both are in the top 2.
    #expect(try evaluate(inTopK(predictions: predictions, targets: targets, k: 2)) == [1, 1, 1])
    #expect(try evaluate(inTopK(predictions: predictions, targets: targets, k: 0)) == [0, 0, 0])
    #expect(try evaluate(inTopK(predictions: predictions, targets: targets, k: 5)) == [1, 1, 1])
  }

  @Test func inTopKIsFalseForBadTargetsAndNonFiniteRows() throws {
    let graph = Graph()
    let predictions = try graph.constant(
      [0.1, 0.8, 0.1, .nan, 0.3, 0.4, 0.5, 0.2, 0.3, 0.5, .infinity, 0.3], shape: [4, 3])
    let targets = try graph.constant([Int32(3), 2, -1, 0], shape: [4])
    #expect(try evaluate(inTopK(predictions: predictions, targets: targets, k: 3)) == [0, 0, 0, 0])
  }

  @Test func inTopKMisuseIsNamed() throws {
    let graph = Graph()
    let p = graph.placeholder(.float32, shape: [4, 10], name: "p")
    let t = graph.placeholder(.int32, shape: [4], name: "t")
    expectError(containing: "InTopK", "k", "-1") {
      _ = try inTopK(predictions: p, targets: t, k: -1)
    }
    let wrongRows = graph.placeholder(.int32, shape: [3], name: "t3")
    expectError(containing: "InTopK", "'p'", "'t3'") {
      _ = try inTopK(predictions: p, targets: wrongRows, k: 1)
    }
    let floats = graph.placeholder(.float32, shape: [4], name: "tf")
    expectError(containing: "InTopK", "'tf'", "float32") {
      _ = try inTopK(predictions: p, targets: floats, k: 1)
    }
    let ints = graph.placeholder(.int32, shape: [4, 10], name: "pi")
    expectError(containing: "InTopK", "'pi'", "int32") {
      _ = try inTopK(predictions: ints, targets: t, k: 1)
    }
    let vector = graph.placeholder(.float32, shape: [10], name: "pv")
    expectError(containing: "InTopK", "'pv'", "rank 2") {
      _ = try inTopK(predictions: vector, targets: t, k: 1)
    }
  }
}
