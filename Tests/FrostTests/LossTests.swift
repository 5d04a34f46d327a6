import Foundation
import Testing

@testable import Frost

/// Runs `tensor` in a new session and returns its elements as doubles.
private func evaluate(_ tensor: Tensor, _ feeds: [Tensor: NDArray] = [:]) throws -> [Double] {
  try Session(graph: tensor.graph).run(tensor, feedDict: feeds).doubles
}

/// The float64 reference of a softmax cross entropy row: `sum(p) log(sum(exp(x))) -
/// sum(p * x)` and its derivative `sum(p) softmax(x) - p`, computed naively (fine for the
/// small logits it is used with).
private func referenceSoftmaxLoss(_ x: [Double], _ p: [Double]) -> (Double, [Double]) {
  let exps = x.map { exp($0) }
  let total = exps.reduce(0, +)
  let mass = p.reduce(0, +)
  let loss = log(total) * mass - zip(p, x).map { $0 * $1 }.reduce(0, +)
  return (loss, zip(exps, p).map { mass * $0 / total - $1 })
}

private func oneHot(_ label: Int, _ classes: Int) -> [Double] {
  (0..<classes).map { $0 == label ? 1 : 0 }
}

@Suite("Losses")
struct LossTests {
  let logits: [Double] = [1, 2, 3, 1, 1, 1, -1, 0, 5.5, 0.25, -3, 2]
  let labels: [Int32] = [2, 0, 1]

  @Test(arguments: [DType.float64, .float32])
  func sparseSoftmaxCrossEntropyMatchesTheReference(dtype: DType) throws {
    let graph = Graph()
    let x = graph.constant(try NDArray(shape: [3, 4], doubles: logits, dtype: dtype))
    let y = try graph.constant(labels, shape: [3])
    let loss = try sparseSoftmaxCrossEntropyWithLogits(labels: y, logits: x, name: "xent")
    #expect(loss.dtype == dtype && loss.shape == [3])
    var expectedLoss: [Double] = []
    var expectedBackprop: [Double] = []
    for row in 0..<3 {
      let (value, backprop) = referenceSoftmaxLoss(
        Array(logits[row * 4..<row * 4 + 4]), oneHot(Int(labels[row]), 4))
      expectedLoss.append(value)
      expectedBackprop += backprop
    }
    let tolerance = dtype == .float64 ? 1e-14 : 1e-6
    expectClose(try evaluate(loss), expectedLoss, tolerance: tolerance)
    expectClose(try evaluate(loss.op.outputs[1]), expectedBackprop, tolerance: tolerance)
  }

  @Test(arguments: [DType.float64, .float32])
  func sparseSoftmaxCrossEntropyIsStableAtLargeLogits(dtype: DType) throws {
    let graph = Graph()
    let values: [Double] = [1e4, -1e4, 0, -1e4, -1e4, -1e4, 1e4, 1e4, -1e4]
    let x = graph.placeholder(dtype, shape: [nil, 3], name: "x")
    let y = try graph.constant([Int32(1), 2, 0], shape: [3])
    let loss = try sparseSoftmaxCrossEntropyWithLogits(labels: y, logits: x)
    let gradient = try gradients(of: [reduceSum(loss)], withRespectTo: [x])[0]!
    let feeds = [x: try NDArray(shape: [3, 3], doubles: values, dtype: dtype)]
    let tolerance = dtype == .float64 ? 1e-15 : 1e-7
    // exp(-1e4) and exp(-2e4) vanish next to 1: the losses are exact up to rounding.
    expectClose(try evaluate(loss, feeds), [2e4, log(3), log(2)], tolerance: tolerance)
    expectClose(
      try evaluate(gradient, feeds), [1, -1, 0, 1.0 / 3, 1.0 / 3, -2.0 / 3, -0.5, 0.5, 0],
      tolerance: tolerance)
  }

  @Test func sparseSoftmaxRowsDoNotDependOnTheBatch() throws {
    let graph = Graph()
    let x = graph.placeholder(.float32, shape: [nil, 4], name: "x")
    let y = graph.placeholder(.int32, shape: [nil], name: "y")
    let loss = try sparseSoftmaxCrossEntropyWithLogits(labels: y, logits: x)
    let session = Session(graph: graph)
    let batch = try NDArray(shape: [3, 4], doubles: logits, dtype: .float32)
    let all = try session.run(
      [loss, loss.op.outputs[1]],
      feedDict: [x: batch, y: try NDArray(shape: [3], scalars: labels)])
    let one = try session.run(
      [loss, loss.op.outputs[1]],
      feedDict: [x: try batch.rows(1..<2), y: try NDArray(shape: [1], scalars: [labels[1]])])
    #expect(one[0].doubles == [all[0].doubles[1]])
    #expect(one[1].doubles == Array(all[1].doubles[4..<8]))
  }

  @Test func sparseSoftmaxLabelOutOfRangeNamesNodeAndLabel() throws {
    let graph = Graph()
    let x = graph.placeholder(.float32, shape: [nil, 3], name: "x")
    let y = graph.placeholder(.int32, shape: [nil], name: "y")
    let loss = try sparseSoftmaxCrossEntropyWithLogits(labels: y, logits: x, name: "xent")
    let session = Session(graph: graph)
    let logits = try NDArray(zeros: [2, 3])
    for (bad, row) in [(3, 1), (-1, 0)] {
      var values: [Int32] = [0, 2]
      values[row] = Int32(bad)
      expectError(containing: "'xent'", "label \(bad)", "row \(row)", "[0, 3)") {
        _ = try session.run(
          loss, feedDict: [x: logits, y: try NDArray(shape: [2], scalars: values)])
      }
    }
    // The session still runs with good labels afterwards.
    let good = try NDArray(shape: [2], scalars: [Int32(0), 2])
    expectClose(
      try session.run(loss, feedDict: [x: logits, y: good]).doubles, [log(3), log(3)],
      tolerance: 1e-6)
  }

  @Test func sparseSoftmaxMisuseIsNamed() throws {
    let graph = Graph()
    let x = graph.placeholder(.float32, shape: [4, 3], name: "logits")
    let y = graph.placeholder(.int32, shape: [4], name: "labels")
    let op = "SparseSoftmaxCrossEntropyWithLogits"
    let intLogits = graph.placeholder(.int32, shape: [4, 3], name: "ints")
    expectError(containing: op, "'ints'", "int32") {
      _ = try sparseSoftmaxCrossEntropyWithLogits(labels: y, logits: intLogits)
    }
    let floatLabels = graph.placeholder(.float32, shape: [4], name: "floats")
    expectError(containing: op, "'floats'", "float32") {
      _ = try sparseSoftmaxCrossEntropyWithLogits(labels: floatLabels, logits: x)
    }
    let matrixLabels = graph.placeholder(.int32, shape: [4, 1], name: "matrix")
    expectError(containing: op, "'matrix'", "rank 1") {
      _ = try sparseSoftmaxCrossEntropyWithLogits(labels: matrixLabels, logits: x)
    }
    let vectorLogits = graph.placeholder(.float32, shape: [3], name: "vector")
    expectError(containing: op, "'vector'", "rank 2") {
      _ = try sparseSoftmaxCrossEntropyWithLogits(labels: y, logits: vectorLogits)
    }
    let fewer = graph.placeholder(.int32, shape: [5], name: "fewer")
    expectError(containing: op, "'fewer' of shape (5,)", "'logits' of shape (4, 3)") {
      _ = try sparseSoftmaxCrossEntropyWithLogits(labels: fewer, logits: x)
    }
  }

  @Test func sparseSoftmaxGradientWithRespectToLogits() throws {
    try expectGradient([sample([4, 5])]) { inputs in
      let labels = try inputs[0].graph.constant([Int32(0), 4, 2, 2], shape: [4])
      return try sparseSoftmaxCrossEntropyWithLogits(labels: labels, logits: inputs[0])
    }
  }

  @Test func sparseSoftmaxGradientReusesTheForwardOp() throws {
    let graph = Graph()
    let x = graph.placeholder(.float32, shape: [nil, 10], name: "x")
    let y = graph.placeholder(.int32, shape: [nil], name: "y")
    let loss = try reduceMean(sparseSoftmaxCrossEntropyWithLogits(labels: y, logits: x))
    let gradient = try gradients(of: [loss], withRespectTo: [x])[0]!
    let plan = try graph.explain(fetches: [loss, gradient])
    let types = plan.steps.map(\.type)
    #expect(types.filter { $0 == "SparseSoftmaxCrossEntropyWithLogits" }.count == 1)
    let allowed: Set<String> = [
      "Placeholder", "SparseSoftmaxCrossEntropyWithLogits", "Mean", "OnesLike", "BroadcastLike",
      "ReductionScale", "Mul",
    ]
    #expect(Set(types).isSubset(of: allowed), "\(types)")
  }

  @Test func sparseSoftmaxRefusesSecondOrderGradients() throws {
    let graph = Graph()
    let x = graph.placeholder(.float64, shape: [nil, 10], name: "x")
    let y = graph.placeholder(.int32, shape: [nil], name: "y")
    let loss = try reduceSum(sparseSoftmaxCrossEntropyWithLogits(labels: y, logits: x))
    let gradient = try gradients(of: [loss], withRespectTo: [x])[0]!
    // Differentiating that gradient again is refused, not silently wrong.
    expectError(containing: "second-order", "SparseSoftmaxCrossEntropyWithLogits") {
      _ = try gradients(of: [reduceSum(gradient)], withRespectTo: [x])
    }
  }

  @Test(arguments: [DType.float64, .float32])
  func softmaxCrossEntropyMatchesTheReference(dtype: DType) throws {
    let graph = Graph()
    let probabilities: [Double] = [0.2, 0.3, 0.5, 0, 1, 0, 0, 0, 0.25, 0.25, 0.25, 0.25]
    let x = graph.constant(try NDArray(shape: [3, 4], doubles: logits, dtype: dtype))
    let p = graph.constant(try NDArray(shape: [3, 4], doubles: probabilities, dtype: dtype))
    let loss = try softmaxCrossEntropyWithLogits(labels: p, logits: x)
    #expect(loss.shape == [3])
    var expectedLoss: [Double] = []
    var expectedBackprop: [Double] = []
    for row in 0..<3 {
      let range = row * 4..<row * 4 + 4
      let (value, backprop) = referenceSoftmaxLoss(
        Array(logits[range]), Array(probabilities[range]))
      expectedLoss.append(value)
      expectedBackprop += backprop
    }
    let tolerance = dtype == .float64 ? 1e-14 : 1e-6
    expectClose(try evaluate(loss), expectedLoss, tolerance: tolerance)
    expectClose(try evaluate(loss.op.outputs[1]), expectedBackprop, tolerance: tolerance)
  }

  @Test(arguments: [DType.float64, .float32])
  func softmaxCrossEntropyIsStableAtLargeLogits(dtype: DType) throws {
    let graph = Graph()
    let x = graph.placeholder(dtype, shape: [2, 3], name: "x")
    let p = graph.placeholder(dtype, shape: [2, 3], name: "p")
    let loss = try softmaxCrossEntropyWithLogits(labels: p, logits: x)
    let grads = try gradients(of: [reduceSum(loss)], withRespectTo: [x, p])
    let feeds = [
      x: try NDArray(shape: [2, 3], doubles: [1e4, -1e4, 0, -1e4, -1e4, -1e4], dtype: dtype),
      p: try NDArray(shape: [2, 3], doubles: [0.5, 0.5, 0, 0, 0, 1], dtype: dtype),
    ]
    let tolerance = dtype == .float64 ? 1e-15 : 1e-7
    // Row 0: 0.5 * 0 + 0.5 * 2e4; row 1: log 3.
    expectClose(try evaluate(loss, feeds), [1e4, log(3)], tolerance: tolerance)
    expectClose(
      try evaluate(grads[0]!, feeds), [0.5, -0.5, 0, 1.0 / 3, 1.0 / 3, -2.0 / 3],
      tolerance: tolerance)
    // With respect to the labels: -log_softmax(x).
    expectClose(
      try evaluate(grads[1]!, feeds), [0, 2e4, 1e4, log(3), log(3), log(3)], tolerance: tolerance)
  }

  @Test func softmaxCrossEntropyGradients() throws {
    try expectGradient([sample([3, 4]), sample([3, 4], seed: 2)]) {
      try softmaxCrossEntropyWithLogits(labels: $0[1], logits: $0[0])
    }
  }

  @Test func softmaxCrossEntropyMisuseIsNamed() throws {
    let graph = Graph()
    let x = graph.placeholder(.float32, shape: [4, 3], name: "logits")
    let op = "SoftmaxCrossEntropyWithLogits"
    let wide = graph.placeholder(.float32, shape: [4, 5], name: "wide")
    expectError(containing: op, "'wide' of shape (4, 5)", "'logits' of shape (4, 3)") {
      _ = try softmaxCrossEntropyWithLogits(labels: wide, logits: x)
    }
    let doubles = graph.placeholder(.float64, shape: [4, 3], name: "doubles")
    expectError(containing: op, "'doubles'", "float64", "float32") {
      _ = try softmaxCrossEntropyWithLogits(labels: doubles, logits: x)
    }
    let vector = graph.placeholder(.float32, shape: [3], name: "vector")
    expectError(containing: op, "'vector'", "rank 2") {
      _ = try softmaxCrossEntropyWithLogits(labels: vector, logits: vector)
    }
  }

  @Test(arguments: [DType.float64, .float32])
  func sigmoidCrossEntropyMatchesTheReferenceAndIsStable(dtype: DType) throws {
    let graph = Graph()
    let xs: [Double] = [-2, -0.5, 0, 0.75, 3, 1e4, -1e4, 1e4, -1e4]
    let zs: [Double] = [0, 1, 0.5, 0.25, 1, 1, 1, 0, 0]
    let x = graph.placeholder(dtype, shape: [9], name: "x")
    let z = graph.placeholder(dtype, shape: [9], name: "z")
    let loss = try sigmoidCrossEntropyWithLogits(labels: z, logits: x)
    let grads = try gradients(of: [reduceSum(loss)], withRespectTo: [x, z])
    let feeds = [
      x: try NDArray(shape: [9], doubles: xs, dtype: dtype),
      z: try NDArray(shape: [9], doubles: zs, dtype: dtype),
    ]
    // The textbook formula for the moderate logits; exact limits for ±1e4.
    let sigmoid = xs.map { 1 / (1 + exp(-$0)) }
    var expected = zip(sigmoid, zs).prefix(5).map { s, z in -z * log(s) - (1 - z) * log(1 - s) }
    expected += [0, 1e4, 1e4, 0]
    let tolerance = dtype == .float64 ? 1e-14 : 1e-6
    expectClose(try evaluate(loss, feeds), expected, tolerance: tolerance)
    expectClose(
      try evaluate(grads[0]!, feeds), zip(sigmoid, zs).map { $0 - $1 }, tolerance: tolerance)
    expectClose(try evaluate(grads[1]!, feeds), xs.map { -$0 }, tolerance: tolerance)
  }

  @Test func sigmoidCrossEntropyGradients() throws {
    try expectGradient([sample([3, 4]), sample([3, 4], seed: 2)]) {
      try sigmoidCrossEntropyWithLogits(labels: $0[1], logits: $0[0])
    }
  }

  @Test func sigmoidCrossEntropyMisuseIsNamed() throws {
    let graph = Graph()
    let x = graph.placeholder(.float32, shape: [4, 3], name: "logits")
    let row = graph.placeholder(.float32, shape: [3], name: "row")
    expectError(containing: "SigmoidCrossEntropyWithLogits", "'row' of shape (3,)", "'logits'") {
      _ = try sigmoidCrossEntropyWithLogits(labels: row, logits: x)
    }
    let ints = graph.placeholder(.int32, shape: [4, 3], name: "ints")
    expectError(containing: "SigmoidCrossEntropyWithLogits", "'ints'", "int32") {
      _ = try sigmoidCrossEntropyWithLogits(labels: ints, logits: ints)
    }
  }

  @Test func l2LossValuesAndGradient() throws {
    let graph = Graph()
    let x = try graph.constant([Float(1), -2, 3], shape: [3])
    let loss = try l2Loss(x)
    #expect(loss.shape == .scalar)
    #expect(try evaluate(loss) == [7])
    #expect(try evaluate(l2Loss(graph.constant([Double](), shape: [0, 2]))) == [0])
    try expectGradient([sample([3, 4])]) { try l2Loss($0[0]) }
    let ints = graph.placeholder(.int32, shape: [3], name: "ints")
    expectError(containing: "L2Loss", "'ints'", "int32") { _ = try l2Loss(ints) }
  }

  @Test func meanSquaredErrorValuesAndGradient() throws {
    let graph = Graph()
    let predictions = try graph.constant([1.0, 2, 3, 0.5], shape: [2, 2])
    let labels = try graph.constant([1.0, 0, 0, -0.5], shape: [2, 2])
    let loss = try meanSquaredError(labels: labels, predictions: predictions)
    #expect(loss.shape == .scalar)
    #expect(try evaluate(loss) == [(0 + 4 + 9 + 1) / 4])
    try expectGradient([sample([3, 4]), sample([3, 4], seed: 2)]) {
      try meanSquaredError(labels: $0[0], predictions: $0[1])
    }
  }

  @Test func meanSquaredErrorMisuseIsNamedAndLeavesTheGraphUnchanged() throws {
    let graph = Graph()
    let p = graph.placeholder(.float32, shape: [4, 3], name: "p")
    let count = graph.nodeCount
    let row = graph.placeholder(.float32, shape: [3], name: "row")
    expectError(containing: "meanSquaredError", "'p' of shape (4, 3)", "'row' of shape (3,)") {
      _ = try meanSquaredError(labels: row, predictions: p)
    }
    let doubles = graph.placeholder(.float64, shape: [4, 3], name: "doubles")
    expectError(containing: "meanSquaredError", "'doubles'", "float64") {
      _ = try meanSquaredError(labels: doubles, predictions: p)
    }
    let ints = graph.placeholder(.int32, shape: [4, 3], name: "ints")
    expectError(containing: "meanSquaredError", "'ints'", "int32") {
      _ = try meanSquaredError(labels: ints, predictions: ints)
    }
    #expect(graph.nodeCount == count + 3)  // only the three placeholders
  }
}
