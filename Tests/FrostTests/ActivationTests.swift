import Foundation
import Testing

@testable import Frost

/// Runs `body` on a constant holding `values` of `shape` as `dtype`; the result as doubles.
private func evaluate(
  _ values: [Double], shape: [Int]? = nil, dtype: DType = .float64,
  _ body: (Tensor) throws -> Tensor
) throws -> [Double] {
  let graph = Graph()
  let x = graph.constant(
    try NDArray(shape: shape ?? [values.count], doubles: values, dtype: dtype), name: "x")
  return try Session(graph: graph).run(body(x)).doubles
}

private let seluAlpha = 1.6732632423543772
private let seluScale = 1.0507009873554805

/// Softmax of `values` viewed as `shape`, along `axis`, in float64: the reference.
private func referenceSoftmax(_ values: [Double], shape: [Int], axis: Int, log: Bool) -> [Double] {
  let inner = shape[(axis + 1)...].reduce(1, *)
  let length = shape[axis]
  let outer = shape[..<axis].reduce(1, *)
  var result = values
  for o in 0..<outer {
    for j in 0..<inner {
      let indices = (0..<length).map { o * length * inner + $0 * inner + j }
      let top = indices.map { values[$0] }.max()!
      let total = indices.map { Foundation.exp(values[$0] - top) }.reduce(0, +)
      for i in indices {
        result[i] =
          log
          ? values[i] - top - Foundation.log(total) : Foundation.exp(values[i] - top) / total
      }
    }
  }
  return result
}

@Suite("Activations")
struct ActivationTests {
  typealias Unary = (Tensor) throws -> Tensor

  /// Each elementwise activation with its float64 reference.
  static var cases: [(String, Unary, (Double) -> Double)] {
    [
      ("relu6", { try relu6($0) }, { Swift.min(Swift.max($0, 0), 6) }),
      ("leakyRelu", { try leakyRelu($0) }, { $0 > 0 ? $0 : 0.2 * $0 }),
      ("leakyRelu 0.01", { try leakyRelu($0, alpha: 0.01) }, { $0 > 0 ? $0 : 0.01 * $0 }),
      ("elu", { try elu($0) }, { $0 > 0 ? $0 : Foundation.expm1($0) }),
      ("selu", { try selu($0) }, { seluScale * ($0 > 0 ? $0 : seluAlpha * Foundation.expm1($0)) }),
      ("sigmoid", { try sigmoid($0) }, { 0.5 + 0.5 * Foundation.tanh($0 / 2) }),
      ("tanh", { try tanh($0) }, { Foundation.tanh($0) }),
      ("softplus", { try softplus($0) }, { Foundation.log1p(Foundation.exp($0)) }),
    ]
  }

  static let inputs: [Double] = [-7.5, -2, -0.3, 0, 0.4, 3, 5.99, 6.5, 25]

  @Test func elementwiseActivationsMatchFloat64References() throws {
    for (name, op, reference) in Self.cases {
      let expected = Self.inputs.map(reference)
      let wide = try evaluate(Self.inputs, op)
      for (i, (a, e)) in zip(wide, expected).enumerated() {
        #expect(
          Swift.abs(a - e) <= 1e-15 * Swift.max(1, Swift.abs(e)), "\(name)[\(i)]: \(a) vs \(e)")
      }
      expectClose(try evaluate(Self.inputs, dtype: .float32, op), expected, tolerance: 1e-6)
    }
  }

  @Test func largeMagnitudesStayFinite() throws {
    for dtype in [DType.float32, .float64] {
      let x: [Double] = [1e4, -1e4]
      #expect(try evaluate(x, dtype: dtype) { try sigmoid($0) } == [1, 0])
      #expect(try evaluate(x, dtype: dtype) { try softplus($0) } == [1e4, 0])
      #expect(try evaluate(x, dtype: dtype) { try tanh($0) } == [1, -1])
      #expect(try evaluate(x, dtype: dtype) { try elu($0) } == [1e4, -1])
      #expect(try evaluate(x, dtype: dtype) { try relu6($0) } == [6, 0])
      let scaled = try evaluate(x, dtype: dtype) { try selu($0) }
      expectClose(scaled, [seluScale * 1e4, -seluScale * seluAlpha], tolerance: 1e-6)
      #expect(try evaluate(x, dtype: dtype) { try softmax($0) }.allSatisfy(\.isFinite))
    }
    // Far left, softplus and sigmoid keep full relative precision (e^-50 ≈ 1.9e-22).
    let tiny = Foundation.exp(-50.0)
    let softplusTail = try evaluate([-50]) { try softplus($0) }[0]
    let sigmoidTail = try evaluate([-50]) { try sigmoid($0) }[0]
    #expect(Swift.abs(softplusTail - Foundation.log1p(tiny)) <= 2e-15 * tiny)
    #expect(Swift.abs(sigmoidTail - tiny / (1 + tiny)) <= 2e-15 * tiny)
  }

  @Test func softmaxAndLogSoftmaxAlongEveryAxis() throws {
    let values = sample([2, 3, 4]).doubles.map { $0 * 3 }
    for axis in [-1, 0, 1, 2, -2] {
      let positive = axis < 0 ? axis + 3 : axis
      for log in [false, true] {
        let expected = referenceSoftmax(values, shape: [2, 3, 4], axis: positive, log: log)
        let wide = try evaluate(values, shape: [2, 3, 4]) {
          log ? try logSoftmax($0, axis: axis) : try softmax($0, axis: axis)
        }
        expectClose(wide, expected, tolerance: 1e-15)
        let narrow = try evaluate(values, shape: [2, 3, 4], dtype: .float32) {
          log ? try logSoftmax($0, axis: axis) : try softmax($0, axis: axis)
        }
        expectClose(narrow, expected, tolerance: 1e-6)
      }
    }
    // Rank 1, and a line of one element.
    expectClose(
      try evaluate([1, 2, 3]) { try softmax($0) },
      referenceSoftmax([1, 2, 3], shape: [3], axis: 0, log: false), tolerance: 1e-15)
    #expect(try evaluate([5, -3], shape: [2, 1]) { try softmax($0) } == [1, 1])
    #expect(try evaluate([5, -3], shape: [2, 1]) { try logSoftmax($0) } == [0, 0])
    #expect(try evaluate([], shape: [0, 3]) { try softmax($0) } == [])
    #expect(try evaluate([], shape: [3, 0]) { try logSoftmax($0) } == [])
  }

  @Test func softmaxOfHugeLogitsHasNoNaN() throws {
    for dtype in [DType.float32, .float64] {
      #expect(try evaluate([1e4, -1e4, 0], dtype: dtype) { try softmax($0) } == [1, 0, 0])
      #expect(
        try evaluate([1e4, -1e4, 0], dtype: dtype) { try logSoftmax($0) } == [0, -2e4, -1e4])
      #expect(
        try evaluate([1e4, -1e4, 0, 0], shape: [2, 2], dtype: dtype) { try softmax($0, axis: 0) }
          == [1, 0, 0, 1])
    }
  }

  @Test func softmaxOfARowDoesNotDependOnTheBatch() throws {
    let graph = Graph()
    let x = graph.placeholder(.float32, shape: [nil, 7], name: "x")
    let y = try softmax(x)
    let session = Session(graph: graph)
    let batch = try NDArray(shape: [5, 7], doubles: sample([5, 7]).doubles, dtype: .float32)
    let all = try session.run(y, feedDict: [x: batch]).doubles
    for row in 0..<5 {
      let alone = try session.run(y, feedDict: [x: try batch.rows(row..<(row + 1))]).doubles
      #expect(alone == Array(all[(row * 7)..<(row * 7 + 7)]))
    }
  }

  @Test func softmaxOfUnknownRankResolvesTheAxisAtRunTime() throws {
    let graph = Graph()
    let x = graph.placeholder(.float64, name: "x")
    let last = try softmax(x)
    let first = try logSoftmax(x, axis: 0)
    let beyond = try softmax(x, axis: 2)
    let session = Session(graph: graph)
    let values = sample([2, 3]).doubles
    let feed: [Tensor: NDArray] = [x: try NDArray(shape: [2, 3], doubles: values, dtype: .float64)]
    expectClose(
      try session.run(last, feedDict: feed).doubles,
      referenceSoftmax(values, shape: [2, 3], axis: 1, log: false), tolerance: 1e-15)
    expectClose(
      try session.run(first, feedDict: feed).doubles,
      referenceSoftmax(values, shape: [2, 3], axis: 0, log: true), tolerance: 1e-15)
    expectError(containing: "Softmax", "axis 2", "'x' of shape (2, 3)") {
      _ = try session.run(beyond, feedDict: feed)
    }
  }

  @Test func leakyReluRecordsItsAlpha() throws {
    let graph = Graph()
    let x = graph.placeholder(.float32, shape: [2], name: "x")
    #expect(try leakyRelu(x).op.attributes["alpha"] == .double(0.2))
    #expect(try leakyRelu(x, alpha: 0.01).op.attributes["alpha"] == .double(0.01))
  }

  @Test func misuseNamesTheOpAndInput() throws {
    let graph = Graph()
    let ints = graph.placeholder(.int32, shape: [2], name: "ints")
    let scalar = graph.placeholder(.float32, shape: [], name: "s")
    let x = graph.placeholder(.float32, shape: [2, 3], name: "x")
    expectError(containing: "Sigmoid", "'ints'", "int32") { _ = try sigmoid(ints) }
    expectError(containing: "Tanh", "'ints'") { _ = try tanh(ints) }
    expectError(containing: "Relu6", "'ints'") { _ = try relu6(ints) }
    expectError(containing: "LeakyRelu", "'ints'") { _ = try leakyRelu(ints) }
    expectError(containing: "Elu", "'ints'") { _ = try elu(ints) }
    expectError(containing: "Selu", "'ints'") { _ = try selu(ints) }
    expectError(containing: "Softplus", "'ints'") { _ = try softplus(ints) }
    expectError(containing: "Softmax", "'ints'", "int32") { _ = try softmax(ints) }
    expectError(containing: "Softmax", "'s' of shape ()", "rank 1") { _ = try softmax(scalar) }
    expectError(containing: "LogSoftmax", "axis 2", "'x' of shape (2, 3)") {
      _ = try logSoftmax(x, axis: 2)
    }
    expectError(containing: "Softmax", "axis -3", "'x' of shape (2, 3)") {
      _ = try softmax(x, axis: -3)
    }
  }

  @Test func elementwiseGradients() throws {
    // Points kept away from the kinks of relu6 (0, 6), leakyRelu and elu (0).
    let kinked = try NDArray(shape: [2, 4], scalars: [-1.3, 0.4, 2.5, 5.7, 6.4, 7.9, -0.2, 3.1])
    try expectGradient([kinked]) { try relu6($0[0]) }
    try expectGradient([kinked]) { try leakyRelu($0[0]) }
    try expectGradient([kinked]) { try leakyRelu($0[0], alpha: 1.7) }
    try expectGradient([kinked]) { try elu($0[0]) }
    try expectGradient([kinked]) { try selu($0[0]) }
    let wide = try NDArray(
      shape: [3, 4], doubles: sample([3, 4]).doubles.map { $0 * 4 }, dtype: .float64)
    try expectGradient([wide]) { try sigmoid($0[0]) }
    try expectGradient([wide]) { try tanh($0[0]) }
    try expectGradient([wide]) { try softplus($0[0]) }
  }

  @Test func softmaxGradients() throws {
    let logits = try NDArray(
      shape: [3, 4], doubles: sample([3, 4]).doubles.map { $0 * 3 }, dtype: .float64)
    for axis in [-1, 0] {
      try expectGradient([logits]) { try softmax($0[0], axis: axis) }
      try expectGradient([logits]) { try logSoftmax($0[0], axis: axis) }
    }
    try expectGradient([sample([2, 3, 2])]) { try softmax($0[0], axis: 1) }
    try expectGradient([sample([2, 3, 2])]) { try logSoftmax($0[0], axis: 1) }
  }

  @Test func gradientsOfGradients() throws {
    // d/dx of d/dx sum(f(x) * w): exercises each gradient op's own gradient, with respect
    // to both the incoming gradient (through w) and the output.
    let x = try NDArray(shape: [2, 4], scalars: [-1.3, 0.4, 2.5, 5.7, 6.4, 7.9, -0.2, 3.1])
    let w = sample([2, 4], seed: 5)
    let ops: [Unary] = [
      { try relu6($0) }, { try leakyRelu($0) }, { try elu($0) }, { try selu($0) },
      { try sigmoid($0) }, { try tanh($0) }, { try softplus($0) }, { try softmax($0) },
      { try softmax($0, axis: 0) }, { try logSoftmax($0) }, { try logSoftmax($0, axis: 0) },
    ]
    for op in ops {
      try expectGradient([x, w]) { v in
        try gradients(of: [reduceSum(op(v[0]) * v[1])], withRespectTo: [v[0]])[0]!
      }
    }
  }
}
