import Foundation
import Testing

@testable import Frost

/// Runs `body` on a constant holding `values` (shape `[values.count]` unless given) as
/// `dtype`, and returns the result as doubles.
private func evaluate(
  _ values: [Double], shape: [Int]? = nil, dtype: DType = .float64,
  _ body: (Tensor) throws -> Tensor
) throws -> [Double] {
  let graph = Graph()
  let x = graph.constant(
    try NDArray(shape: shape ?? [values.count], doubles: values, dtype: dtype), name: "x")
  return try Session(graph: graph).run(body(x)).doubles
}

/// Runs `body` on two constants and returns the result as doubles.
private func evaluate(
  _ a: NDArray, _ b: NDArray, _ body: (Tensor, Tensor) throws -> Tensor
) throws -> [Double] {
  let graph = Graph()
  let x = graph.constant(a, name: "x")
  let y = graph.constant(b, name: "y")
  return try Session(graph: graph).run(body(x, y)).doubles
}

/// `sample` with every element moved to [0.2, 1.6]: inside the domain of sqrt and log.
private func positiveSample(_ shape: [Int], seed: UInt64 = 1) -> NDArray {
  try! NDArray(
    shape: shape, doubles: sample(shape, seed: seed).doubles.map { Swift.abs($0) + 0.1 },
    dtype: .float64)
}

private func array(_ shape: [Int], _ values: [Double], _ dtype: DType = .float64) -> NDArray {
  try! NDArray(shape: shape, doubles: values, dtype: dtype)
}

@Suite("Math ops")
struct MathOpsTests {
  typealias Unary = (Tensor) throws -> Tensor

  /// Each unary float op with its float64 reference, on inputs inside its domain.
  static var unaryCases: [(String, Unary, (Double) -> Double, [Double])] {
    [
      ("abs", { try abs($0) }, { Swift.abs($0) }, [-2.5, -0.3, 0.7, 3]),
      ("sign", { try sign($0) }, { $0 > 0 ? 1 : ($0 < 0 ? -1 : 0) }, [-2.5, 0, 0.7]),
      ("square", { try square($0) }, { $0 * $0 }, [-2.5, 0, 0.7, 3e3]),
      ("sqrt", { try sqrt($0) }, { Foundation.sqrt($0) }, [0, 0.25, 2, 1e6]),
      ("rsqrt", { try rsqrt($0) }, { 1 / Foundation.sqrt($0) }, [0.25, 2, 1e6]),
      ("exp", { try exp($0) }, { Foundation.exp($0) }, [-30, -1, 0, 0.5, 20]),
      ("log", { try log($0) }, { Foundation.log($0) }, [1e-20, 0.5, 1, 7e5]),
      ("log1p", { try log1p($0) }, { Foundation.log1p($0) }, [-0.9, -1e-12, 0, 1e-9, 3]),
      ("sin", { try sin($0) }, { Foundation.sin($0) }, [-4, -0.1, 0, 1, 100]),
      ("cos", { try cos($0) }, { Foundation.cos($0) }, [-4, -0.1, 0, 1, 100]),
    ]
  }

  @Test func unaryOpsMatchFloat64References() throws {
    for (name, op, reference, inputs) in Self.unaryCases {
      let expected = inputs.map(reference)
      // float64 agrees to rounding; float32 to its precision (relative 1e-6).
      let wide = try evaluate(inputs, op)
      #expect(zip(wide, expected).allSatisfy { $0 == $1 }, "\(name) float64: \(wide)")
      expectClose(try evaluate(inputs, dtype: .float32, op), expected, tolerance: 1e-6)
    }
  }

  @Test func absSignAndSquareOfInt32WrapAsTensorFlowDoes() throws {
    let values: [Double] = [-7, 0, 3, -2_147_483_648, 50_000]
    #expect(
      try evaluate(values, dtype: .int32) { try abs($0) } == [7, 0, 3, -2_147_483_648, 50_000])
    #expect(try evaluate(values, dtype: .int32) { try sign($0) } == [-1, 0, 1, -1, 1])
    // 50000² = 2500000000 wraps to 2500000000 - 2³² = -1794967296.
    #expect(
      try evaluate(values, dtype: .int32) { try square($0) } == [49, 0, 9, 0, -1_794_967_296])
    let graph = Graph()
    let x = graph.placeholder(.int32, shape: [2], name: "i")
    #expect(try abs(x).dtype == .int32)
  }

  @Test func signKeepsNaNAndZero() throws {
    let result = try evaluate([.nan, 0, -0.0, .infinity, -.infinity]) { try sign($0) }
    #expect(result[0].isNaN)
    #expect(result[1...] == [0, 0, 1, -1])
  }

  @Test func binaryOpsBroadcast() throws {
    let a = array([2, 3], [1, 2, 3, 4, 5, 6])
    let b = array([3], [2, 0.5, 4])
    expectClose(
      try evaluate(a, b) { try pow($0, $1) },
      [1, Foundation.pow(2, 0.5), 81, 16, Foundation.pow(5, 0.5), 1296], tolerance: 1e-15)
    #expect(try evaluate(a, b) { try maximum($0, $1) } == [2, 2, 4, 4, 5, 6])
    #expect(try evaluate(a, b) { try minimum($0, $1) } == [1, 0.5, 3, 2, 0.5, 4])
    // (2, 1) against (1, 3): both stretch.
    let column = array([2, 1], [1, 5])
    let row = array([1, 3], [0, 2, 7])
    #expect(try evaluate(column, row) { try maximum($0, $1) } == [1, 2, 7, 5, 5, 7])
    #expect(try evaluate(column, row) { try minimum($0, $1) } == [0, 1, 1, 0, 2, 5])
    #expect(try evaluate(column, row) { try pow($0, $1) } == [1, 1, 1, 1, 25, 78125])
    // A scalar exponent, in float32.
    let squares = try evaluate(array([3], [1.5, -2, 3], .float32), array([], [2], .float32)) {
      try pow($0, $1)
    }
    #expect(squares == [2.25, 4, 9])
  }

  @Test func maximumAndMinimumOfInt32AndNaN() throws {
    let a = array([4], [-3, 7, 0, 2_147_483_647], .int32)
    let b = array([4], [5, -7, 0, -2_147_483_648], .int32)
    #expect(try evaluate(a, b) { try maximum($0, $1) } == [5, 7, 0, 2_147_483_647])
    #expect(try evaluate(a, b) { try minimum($0, $1) } == [-3, -7, 0, -2_147_483_648])
    let x = array([3], [.nan, 1, 2])
    let y = array([3], [1, .nan, 3])
    #expect(try evaluate(x, y) { try maximum($0, $1) }.prefix(2).allSatisfy(\.isNaN))
    #expect(try evaluate(x, y) { try minimum($0, $1) }.prefix(2).allSatisfy(\.isNaN))
  }

  @Test func emptyTensors() throws {
    #expect(try evaluate([], shape: [0, 3]) { try exp($0) } == [])
    #expect(try evaluate(array([0, 3], []), array([3], [1, 2, 3])) { try pow($0, $1) } == [])
  }

  @Test func unaryGradients() throws {
    try expectGradient([sample([3, 4])]) { try abs($0[0]) }
    try expectGradient([sample([3, 4])]) { try square($0[0]) }
    try expectGradient([positiveSample([3, 4])]) { try sqrt($0[0]) }
    try expectGradient([positiveSample([3, 4])]) { try rsqrt($0[0]) }
    try expectGradient([sample([3, 4])]) { try exp($0[0]) }
    try expectGradient([positiveSample([3, 4])]) { try log($0[0]) }
    // log1p needs x > -1: sample is within ±1.5, so halve it.
    try expectGradient([sample([3, 4])]) { try log1p($0[0] * 0.5) }
    try expectGradient([sample([3, 4])]) { try sin($0[0]) }
    try expectGradient([sample([3, 4])]) { try cos($0[0]) }
    // Second derivatives through the composite gradients.
    for op in [{ try exp($0) }, { try sin($0) }, { try cos($0) }, { try sqrt($0) }] as [Unary] {
      try expectGradient([positiveSample([2, 3])]) { x in
        try gradients(of: [reduceSum(op(x[0]))], withRespectTo: [x[0]])[0]!
      }
    }
  }

  @Test func signHasAZeroGradient() throws {
    let graph = Graph()
    let x = graph.placeholder(.float64, shape: [3], name: "x")
    let grads = try gradients(of: [reduceSum(sign(x) + x)], withRespectTo: [x])
    let value = try Session(graph: graph).run(grads[0]!, feedDict: [x: NDArray([-2.0, 0.5, 3])])
    #expect(value.doubles == [1, 1, 1])
  }

  @Test func binaryGradientsWithBroadcasting() throws {
    try expectGradient([positiveSample([3, 4]), sample([4], seed: 2)]) { try pow($0[0], $0[1]) }
    try expectGradient([positiveSample([3, 1]), sample([1, 4], seed: 2)]) {
      try pow($0[0], $0[1])
    }
    try expectGradient([sample([3, 4]), sample([4], seed: 2)]) { try maximum($0[0], $0[1]) }
    try expectGradient([sample([3, 1]), sample([1, 4], seed: 2)]) { try minimum($0[0], $0[1]) }
    try expectGradient([sample([2, 3]), sample([2, 3], seed: 3)]) { try minimum($0[0], $0[1]) }
    // The gradient of pow's gradient.
    try expectGradient([positiveSample([2, 3]), sample([3], seed: 2)]) { x in
      let z = try reduceSum(pow(x[0], x[1]))
      return try gradients(of: [z], withRespectTo: [x[0]])[0]!
    }
  }

  @Test func powGradientForNonPositiveBase() throws {
    // d/dx x^2 = 2x everywhere; d/dy x^y = x^y log x where x > 0, and 0 elsewhere.
    let graph = Graph()
    let x = graph.placeholder(.float64, shape: [3], name: "x")
    let y = graph.placeholder(.float64, shape: [3], name: "y")
    let grads = try gradients(of: [reduceSum(pow(x, y))], withRespectTo: [x, y])
    let session = Session(graph: graph)
    let feeds: [Tensor: NDArray] = [x: NDArray([-2.0, 0, 3]), y: NDArray([2.0, 2, 2])]
    #expect(try session.run(grads[0]!, feedDict: feeds).doubles == [-4, 0, 6])
    #expect(try session.run(grads[1]!, feedDict: feeds).doubles == [0, 0, 9 * Foundation.log(3)])
  }

  @Test func tiesOfMaximumAndMinimumSendTheGradientToX() throws {
    let graph = Graph()
    let x = graph.placeholder(.float64, shape: [3], name: "x")
    let y = graph.placeholder(.float64, shape: [3], name: "y")
    let session = Session(graph: graph)
    let feeds: [Tensor: NDArray] = [x: NDArray([1.0, 2, 3]), y: NDArray([2.0, 2, 1])]
    for (op, toX) in [(maximum, [0.0, 1, 1]), (minimum, [1.0, 1, 0])] {
      let grads = try gradients(of: [reduceSum(op(x, y, nil))], withRespectTo: [x, y])
      #expect(try session.run(grads[0]!, feedDict: feeds).doubles == toX)
      #expect(try session.run(grads[1]!, feedDict: feeds).doubles == toX.map { 1 - $0 })
    }
  }

  @Test func misuseNamesTheOpAndInput() throws {
    let graph = Graph()
    let ints = graph.placeholder(.int32, shape: [2], name: "ints")
    let flags = graph.placeholder(.bool, shape: [2], name: "flags")
    let a = graph.placeholder(.float32, shape: [2, 3], name: "a")
    let b = graph.placeholder(.float32, shape: [4], name: "b")
    let c = graph.placeholder(.float64, shape: [3], name: "c")
    expectError(containing: "Sqrt", "'ints'", "int32") { _ = try sqrt(ints) }
    expectError(containing: "Exp", "'ints'") { _ = try exp(ints) }
    expectError(containing: "Abs", "'flags'", "bool") { _ = try abs(flags) }
    expectError(containing: "Square", "'flags'") { _ = try square(flags) }
    expectError(containing: "Pow", "'ints'", "int32") { _ = try pow(ints, ints) }
    expectError(containing: "Pow", "'a'", "'c'", "float64") { _ = try pow(a, c) }
    expectError(containing: "Maximum", "'a' of shape (2, 3)", "'b' of shape (4,)") {
      _ = try maximum(a, b)
    }
    expectError(containing: "Minimum", "'flags'", "bool") { _ = try minimum(flags, flags) }
  }
}

@Suite("Comparisons, logic, cast and select")
struct LogicOpsTests {
  @Test func comparisonsBroadcastOverFloatsAndInts() throws {
    for dtype in [DType.float32, .float64, .int32] {
      let a = array([2, 3], [1, 2, 3, 4, 5, 6], dtype)
      let b = array([3], [2, 2, 7], dtype)
      let cases: [((Tensor, Tensor, String?) throws -> Tensor, [Double])] = [
        (equal, [0, 1, 0, 0, 0, 0]), (notEqual, [1, 0, 1, 1, 1, 1]),
        (less, [1, 0, 1, 0, 0, 1]), (lessEqual, [1, 1, 1, 0, 0, 1]),
        (greater, [0, 0, 0, 1, 1, 0]), (greaterEqual, [0, 1, 0, 1, 1, 0]),
      ]
      for (op, expected) in cases {
        let graph = Graph()
        let result = try op(graph.constant(a), graph.constant(b), nil)
        #expect(result.dtype == .bool)
        #expect(result.shape == [2, 3])
        #expect(try Session(graph: graph).run(result).doubles == expected)
      }
    }
  }

  @Test func nanComparesUnequalToEverything() throws {
    let x = array([2], [.nan, 1])
    let y = array([2], [.nan, .nan])
    #expect(try evaluate(x, y) { try equal($0, $1) } == [0, 0])
    #expect(try evaluate(x, y) { try notEqual($0, $1) } == [1, 1])
    #expect(try evaluate(x, y) { try lessEqual($0, $1) } == [0, 0])
  }

  @Test func equalityOfBoolsAndLogicalOps() throws {
    let p = array([2, 2], [1, 1, 0, 0], .bool)
    let q = array([2], [1, 0], .bool)
    #expect(try evaluate(p, q) { try equal($0, $1) } == [1, 0, 0, 1])
    #expect(try evaluate(p, q) { try notEqual($0, $1) } == [0, 1, 1, 0])
    #expect(try evaluate(p, q) { try logicalAnd($0, $1) } == [1, 0, 0, 0])
    #expect(try evaluate(p, q) { try logicalOr($0, $1) } == [1, 1, 1, 0])
    #expect(try evaluate([1, 0], dtype: .bool) { try logicalNot($0) } == [0, 1])
    #expect(try evaluate([], shape: [0], dtype: .bool) { try logicalNot($0) } == [])
  }

  @Test func comparisonsPassNoGradient() throws {
    // A float path that runs only through a comparison and a cast carries no gradient;
    // select still differentiates through its values.
    let graph = Graph()
    let x = graph.placeholder(.float64, shape: [3], name: "x")
    let zero = graph.constant(0, dtype: .float64)
    let onlyThroughMask = try reduceSum(cast(greater(x, zero), to: .float64))
    #expect(try gradients(of: [onlyThroughMask], withRespectTo: [x])[0] == nil)
    let relu = try reduceSum(select(greater(x, zero), x, zerosLike(x)))
    let grad = try gradients(of: [relu], withRespectTo: [x])[0]!
    let value = try Session(graph: graph).run(grad, feedDict: [x: NDArray([-1.0, 2, 3])])
    #expect(value.doubles == [0, 1, 1])
  }

  @Test func castBetweenAllDtypes() throws {
    // Sources chosen to show truncation toward zero, rounding to float32, and nonzero to true.
    let sources: [DType: [Double]] = [
      .float32: [-2.75, -0.5, 0, 0.5, 3.25], .float64: [-2.75, -0.5, 0, 0.1, 3.25],
      .int32: [-3, -1, 0, 1, 7], .bool: [1, 0, 0, 1, 1],
    ]
    for (source, values) in sources {
      for target in DType.allCases {
        let result = try evaluate(values, dtype: source) { try cast($0, to: target) }
        let expected: [Double] = values.map { v in
          switch target {
          case .float32: Double(Float(v))
          case .float64: v
          case .int32: v.rounded(.towardZero)
          case .bool: v != 0 ? 1 : 0
          }
        }
        #expect(result == expected, "\(source) -> \(target)")
      }
    }
  }

  @Test func castOfSpecialFloatsToInt32AndBool() throws {
    let values: [Double] = [.nan, 1e10, -1e10, .infinity, -.infinity, -0.0, 2_147_483_647]
    #expect(
      try evaluate(values) { try cast($0, to: .int32) }
        == [0, 2_147_483_647, -2_147_483_648, 2_147_483_647, -2_147_483_648, 0, 2_147_483_647])
    #expect(try evaluate(values) { try cast($0, to: .bool) } == [1, 1, 1, 1, 1, 0, 1])
    // float32 cannot hold 2147483647: it rounds up to 2³¹, which saturates.
    #expect(
      try evaluate([2_147_483_647, -2_147_483_648], dtype: .float32) { try cast($0, to: .int32) }
        == [2_147_483_647, -2_147_483_648])
  }

  @Test func castGradientFlowsBetweenFloatsOnly() throws {
    try expectGradient([sample([2, 3])]) { try cast($0[0], to: .float64) * $0[0] }
    let graph = Graph()
    let x = graph.placeholder(.float32, shape: [3], name: "x")
    let weights = graph.constant(NDArray([1.5, -2, 4]))
    let wide = try reduceSum(cast(x, to: .float64) * weights)
    let grad = try gradients(of: [wide], withRespectTo: [x])[0]!
    #expect(grad.dtype == .float32)
    let feed = try NDArray(shape: [3], scalars: [Float(1), 2, 3])
    #expect(try Session(graph: graph).run(grad, feedDict: [x: feed]).doubles == [1.5, -2, 4])
    let throughInt = try reduceSum(cast(cast(x, to: .int32), to: .float32))
    #expect(try gradients(of: [throughInt], withRespectTo: [x])[0] == nil)
  }

  @Test func selectBroadcastsLikeNumpy() throws {
    let graph = Graph()
    let session = Session(graph: graph)
    let condition = try graph.constant([true, false, true, false, false, true], shape: [2, 3])
    let x = try graph.constant([1.0, 2, 3, 4, 5, 6], shape: [2, 3])
    let y = try graph.constant([-1.0, -2, -3, -4, -5, -6], shape: [2, 3])
    #expect(try session.run(select(condition, x, y)).doubles == [1, -2, 3, -4, -5, 6])
    // y a scalar; then a row condition against (2, 3) by numpy broadcasting.
    let zero = graph.constant(0, dtype: .float64)
    #expect(try session.run(select(condition, x, zero)).doubles == [1, 0, 3, 0, 0, 6])
    let columns = try graph.constant([true, false, true], shape: [1, 3])
    #expect(try session.run(select(columns, x, y)).doubles == [1, -2, 3, 4, -5, 6])
    // A scalar condition, and all three stretched: (2, 1, 1), (3,), (2, 1) → (2, 2, 3).
    let never = graph.constant(NDArray(false))
    #expect(try session.run(select(never, x, y)).doubles == [-1, -2, -3, -4, -5, -6])
    let c3 = try graph.constant([true, false], shape: [2, 1, 1])
    let x3 = try graph.constant([1.0, 2, 3], shape: [3])
    let y3 = try graph.constant([10.0, 20], shape: [2, 1])
    let picked = try select(c3, x3, y3)
    #expect(picked.shape == [2, 2, 3])
    #expect(try session.run(picked).doubles == [1, 2, 3, 1, 2, 3, 10, 10, 10, 20, 20, 20])
  }

  @Test func rankOneConditionSelectsRowsAsInTensorFlow1() throws {
    let graph = Graph()
    let session = Session(graph: graph)
    let rows = try graph.constant([false, true], shape: [2])
    let x = try graph.constant([Int32(1), 2, 3, 4, 5, 6], shape: [2, 3])
    let y = try graph.constant([Int32(-1), -2, -3, -4, -5, -6], shape: [2, 3])
    #expect(try session.run(select(rows, x, y)).doubles == [-1, -2, -3, 4, 5, 6])
    // A rank-1 condition against vectors is elementwise.
    let flags = try graph.constant([true, false, true], shape: [3])
    let u = try graph.constant([true, true, true], shape: [3])
    let v = try graph.constant([false, false, false], shape: [3])
    #expect(try session.run(select(flags, u, v)).doubles == [1, 0, 1])
    // Ranks known only when the graph runs decide the same way.
    let c = graph.placeholder(.bool, name: "c")
    let p = graph.placeholder(.float64, name: "p")
    let chosen = try select(c, p, zerosLike(p))
    let feeds: [Tensor: NDArray] = [
      c: NDArray([true, false]), p: array([2, 2], [1, 2, 3, 4]),
    ]
    #expect(try session.run(chosen, feedDict: feeds).doubles == [1, 2, 0, 0])
    expectError(containing: "Select", "'c'", "rank-1 condition", "first dimension") {
      _ = try session.run(
        chosen, feedDict: [c: NDArray([true, false]), p: array([3, 2], [1, 2, 3, 4, 5, 6])])
    }
  }

  @Test func selectGradients() throws {
    let mask = [true, false, false, true, true, false]
    try expectGradient([sample([2, 3]), sample([3], seed: 2)]) { v in
      try select(v[0].graph.constant(mask, shape: [2, 3]), v[0], v[1])
    }
    try expectGradient([sample([2, 3]), sample([2, 3], seed: 2)]) { v in
      try select(v[0].graph.constant([false, true], shape: [2]), v[0], v[1])
    }
    try expectGradient([sample([1, 3]), sample([2, 1], seed: 2)]) { v in
      try select(v[0].graph.constant(mask, shape: [2, 3]), v[0], v[1])
    }
  }

  @Test func emptySelectAndComparison() throws {
    let graph = Graph()
    let empty = graph.constant(array([0, 3], []))
    let flags = try graph.constant([Bool](), shape: [0, 3])
    #expect(try Session(graph: graph).run(select(flags, empty, empty)).shape == [0, 3])
    #expect(try Session(graph: graph).run(less(empty, empty)).shape == [0, 3])
  }

  @Test func misuseNamesTheOpAndInput() throws {
    let graph = Graph()
    let a = graph.placeholder(.float32, shape: [2, 3], name: "a")
    let b = graph.placeholder(.float32, shape: [4], name: "b")
    let i = graph.placeholder(.int32, shape: [3], name: "i")
    let flags = graph.placeholder(.bool, shape: [3], name: "flags")
    let rows = graph.placeholder(.bool, shape: [3], name: "rows")
    expectError(containing: "Less", "'flags'", "bool") { _ = try less(flags, flags) }
    expectError(containing: "GreaterEqual", "'a'", "'i'", "int32") { _ = try greaterEqual(a, i) }
    expectError(containing: "Equal", "'a' of shape (2, 3)", "'b' of shape (4,)") {
      _ = try equal(a, b)
    }
    expectError(containing: "LogicalAnd", "'a'", "float32") { _ = try logicalAnd(a, a) }
    expectError(containing: "LogicalNot", "'i'", "int32") { _ = try logicalNot(i) }
    expectError(containing: "Select", "'a'", "expected one of bool") { _ = try select(a, a, a) }
    expectError(containing: "Select", "'a'", "'i'", "dtype") { _ = try select(flags, a, i) }
    expectError(containing: "Select", "'a' of shape (2, 3)", "'b' of shape (4,)") {
      _ = try select(flags, a, b)
    }
    expectError(containing: "Select", "'rows' of shape (3,)", "rank-1 condition", "(1, n)") {
      _ = try select(rows, a, a)
    }
    let wide = graph.placeholder(.bool, shape: [2, 4], name: "wide")
    expectError(containing: "Select", "'wide' of shape (2, 4)", "(2, 3)") {
      _ = try select(wide, a, a)
    }
  }
}
