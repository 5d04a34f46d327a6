import Foundation
import Testing

@testable import Frost

/// Runs `tensor` in a new session and returns its elements as doubles.
private func evaluate(_ tensor: Tensor, _ feeds: [Tensor: NDArray] = [:]) throws -> [Double] {
  try Session(graph: tensor.graph).run(tensor, feedDict: feeds).doubles
}

/// The L2 norm of `values`, for references.
private func norm(_ values: [Double]) -> Double {
  values.map { $0 * $0 }.reduce(0, +).squareRoot()
}

@Suite("Clipping")
struct ClippingTests {
  @Test func clipByValueWithNumberBounds() throws {
    let graph = Graph()
    let x = try graph.constant([-2.0, -0.5, 0, 0.5, 2, .nan], shape: [6])
    let clipped = try evaluate(clipByValue(x, min: -1, max: 1))
    #expect(Array(clipped.prefix(5)) == [-1, -0.5, 0, 0.5, 1])
    #expect(clipped[5].isNaN)
    let f = try graph.constant([Float(-3), 0.25, 7], shape: [3])
    #expect(try evaluate(clipByValue(f, min: -1, max: 1)) == [-1, 0.25, 1])
    #expect(try evaluate(clipByValue(f, min: 0, max: .infinity)) == [0, 0.25, 7])
    let i = try graph.constant([Int32(-5), 3, 10], shape: [3])
    let clippedInts = try clipByValue(i, min: 0, max: 5)
    #expect(clippedInts.dtype == .int32)
    #expect(try evaluate(clippedInts) == [0, 3, 5])
    // int32 bounds truncate like a cast, and infinities become the int32 limits.
    #expect(try evaluate(clipByValue(i, min: -1.5, max: .infinity)) == [-1, 3, 10])
  }

  @Test func clipByValueWithTensorBounds() throws {
    let graph = Graph()
    let x = try graph.constant([-2.0, 0.5, 2, 1, -0.25, 3], shape: [2, 3])
    let lo = graph.constant(-1.0, dtype: .float64)
    let hi = try graph.constant([1.0, 0, 1.5, 0.5, 0, 4], shape: [2, 3])
    let clipped = try clipByValue(x, min: lo, max: hi)
    #expect(clipped.shape == [2, 3])
    #expect(try evaluate(clipped) == [-1, 0, 1.5, 0.5, -0.25, 3])
  }

  @Test func clipByValueGradientGoesWhereTheValueCameFrom() throws {
    let graph = Graph()
    let x = graph.placeholder(.float64, shape: [4], name: "x")
    let lo = graph.placeholder(.float64, shape: [], name: "lo")
    let hi = graph.placeholder(.float64, shape: [4], name: "hi")
    let y = try reduceSum(clipByValue(x, min: lo, max: hi))
    let grads = try gradients(of: [y], withRespectTo: [x, lo, hi])
    let feeds = [
      x: NDArray([-2.0, 0.5, 2, 1]), lo: NDArray(-1.0), hi: NDArray([1.0, 1, 1, 1]),
    ]
    // At a bound (the 1 against 1) the gradient goes to x.
    #expect(try evaluate(grads[0]!, feeds) == [0, 1, 0, 1])
    #expect(try evaluate(grads[1]!, feeds) == [1])
    #expect(try evaluate(grads[2]!, feeds) == [0, 0, 1, 0])
  }

  @Test func clipByValueGradientsMatchCentralDifferences() throws {
    let x = sample([3, 4])
    // Sample values stay clear of both bounds, so no step crosses a kink.
    #expect(x.doubles.allSatisfy { abs($0 + 0.7) > 0.01 && abs($0 - 0.9) > 0.01 })
    try expectGradient([x]) { try clipByValue($0[0], min: -0.7, max: 0.9) }
    try expectGradient([x, NDArray(-0.7), NDArray(0.9)]) {
      try clipByValue($0[0], min: $0[1], max: $0[2])
    }
    let upper = try NDArray(
      shape: [3, 4], doubles: [Double](repeating: 0.9, count: 12), dtype: .float64)
    try expectGradient([x, NDArray(-0.7), upper]) {
      try clipByValue($0[0], min: $0[1], max: $0[2])
    }
    // Second order: the gradient of sum(clip(x)²) is 2 clip(x) inside the range.
    try expectGradient([x]) { inputs in
      let clipped = try clipByValue(inputs[0], min: -0.7, max: 0.9)
      return try gradients(of: [reduceSum(clipped * clipped)], withRespectTo: [inputs[0]])[0]!
    }
  }

  @Test func clipByValueMisuseIsNamed() throws {
    let graph = Graph()
    let x = graph.placeholder(.float32, shape: [2, 3], name: "x")
    let count = graph.nodeCount
    expectError(containing: "clipByValue", "'x'", "[1.0, -1.0]") {
      _ = try clipByValue(x, min: 1, max: -1)
    }
    expectError(containing: "clipByValue", "nan") { _ = try clipByValue(x, min: .nan, max: 1) }
    let flags = graph.placeholder(.bool, shape: [2], name: "flags")
    expectError(containing: "clipByValue", "'flags'", "bool") {
      _ = try clipByValue(flags, min: 0, max: 1)
    }
    #expect(graph.nodeCount == count + 1)  // only the bool placeholder

    let row = graph.placeholder(.float32, shape: [3], name: "row")
    let hi = graph.constant(1.0, dtype: .float32)
    expectError(containing: "ClipByValue", "'row' of shape (3,)", "'x' of shape (2, 3)") {
      _ = try clipByValue(x, min: row, max: hi)
    }
    let doubles = graph.placeholder(.float64, shape: [], name: "doubles")
    expectError(containing: "ClipByValue", "'doubles'", "float64") {
      _ = try clipByValue(x, min: hi, max: doubles)
    }
  }

  @Test(arguments: [DType.float64, .float32])
  func clipByNormScalesEachSliceByItsNorm(dtype: DType) throws {
    let graph = Graph()
    let values = [3.0, 4, 0.3, 0.4]
    let t = graph.constant(try NDArray(shape: [2, 2], doubles: values, dtype: dtype))
    let tolerance = dtype == .float64 ? 1e-15 : 1e-7
    let rows = try clipByNorm(t, clipNorm: 1, axes: [1])
    #expect(rows.shape == [2, 2] && rows.dtype == dtype)
    expectClose(try evaluate(rows), [0.6, 0.8, 0.3, 0.4], tolerance: tolerance)
    let whole = norm(values)
    expectClose(
      try evaluate(clipByNorm(t, clipNorm: 1)), values.map { $0 / whole }, tolerance: tolerance)
    let columns = [norm([3, 0.3]), norm([4, 0.4])]
    expectClose(
      try evaluate(clipByNorm(t, clipNorm: 1, axes: [-2])),
      [3 / columns[0], 4 / columns[1], 0.3 / columns[0], 0.4 / columns[1]], tolerance: tolerance)
    // Under the limit nothing changes.
    expectClose(try evaluate(clipByNorm(t, clipNorm: 6)), values, tolerance: tolerance)
  }

  @Test func clipByNormGradients() throws {
    let t = sample([3, 4])
    let values = t.doubles
    let rowNorms = (0..<3).map { norm(Array(values[$0 * 4..<$0 * 4 + 4])) }
    // A limit between the two smallest row norms: one row under it, two over it, none
    // near it.
    let sorted = rowNorms.sorted()
    let limit = (sorted[0] + sorted[1]) / 2
    #expect(sorted[1] - sorted[0] > 0.1, "row norms \(rowNorms)")
    try expectGradient([t]) { try clipByNorm($0[0], clipNorm: limit, axes: [1]) }
    try expectGradient([t]) { try clipByNorm($0[0], clipNorm: limit, axes: [-1]) }
    try expectGradient([t]) { try clipByNorm($0[0], clipNorm: 1, axes: [0]) }
    try expectGradient([t]) { try clipByNorm($0[0], clipNorm: 1) }
    try expectGradient([t]) { try clipByNorm($0[0], clipNorm: 100) }
  }

  @Test func clipByNormOfZerosHasAFiniteGradient() throws {
    let graph = Graph()
    let t = graph.placeholder(.float32, shape: [2, 3], name: "t")
    let clipped = try clipByNorm(t, clipNorm: 1, axes: [1])
    let gradient = try gradients(of: [reduceSum(clipped)], withRespectTo: [t])[0]!
    let feeds = [t: try NDArray(zeros: [2, 3])]
    #expect(try evaluate(clipped, feeds) == [0, 0, 0, 0, 0, 0])
    #expect(try evaluate(gradient, feeds) == [1, 1, 1, 1, 1, 1])
  }

  @Test func clipByNormMisuseIsNamed() throws {
    let graph = Graph()
    let t = graph.placeholder(.float32, shape: [2, 3], name: "t")
    let count = graph.nodeCount
    for bad in [0, -1, Double.infinity, .nan] {
      expectError(containing: "clipByNorm", "clipNorm") { _ = try clipByNorm(t, clipNorm: bad) }
    }
    expectError(containing: "clipByNorm", "axis 2", "'t'") {
      _ = try clipByNorm(t, clipNorm: 1, axes: [2])
    }
    #expect(graph.nodeCount == count)
    let ints = graph.placeholder(.int32, shape: [3], name: "ints")
    expectError(containing: "clipByNorm", "'ints'", "int32") {
      _ = try clipByNorm(ints, clipNorm: 1)
    }
  }

  @Test(arguments: [DType.float64, .float32])
  func clipByGlobalNormScalesAllTensorsTogether(dtype: DType) throws {
    let graph = Graph()
    let a = graph.constant(try NDArray(shape: [2], doubles: [3, 4], dtype: dtype))
    let b = graph.constant(try NDArray(shape: [1, 2], doubles: [0, 12], dtype: dtype))
    let (clipped, globalNorm) = try clipByGlobalNorm([a, b], clipNorm: 6.5)
    #expect(clipped.map(\.shape) == [[2], [1, 2]])
    #expect(globalNorm.shape == .scalar && globalNorm.dtype == dtype)
    #expect(try evaluate(globalNorm) == [13])
    #expect(try evaluate(clipped[0]) == [1.5, 2])
    #expect(try evaluate(clipped[1]) == [0, 6])
    let loose = try clipByGlobalNorm([a, b], clipNorm: 20)
    #expect(try evaluate(loose.clipped[0]) == [3, 4])
    #expect(try evaluate(loose.clipped[1]) == [0, 12])
  }

  @Test func clipByGlobalNormOfANonFiniteNormIsNaN() throws {
    let graph = Graph()
    let a = try graph.constant([Float.infinity, 1], shape: [2])
    let b = try graph.constant([Float(2)], shape: [1])
    let (clipped, globalNorm) = try clipByGlobalNorm([a, b], clipNorm: 1)
    #expect(try evaluate(globalNorm) == [.infinity])
    #expect(try evaluate(clipped[0]).allSatisfy(\.isNaN))
    #expect(try evaluate(clipped[1]).allSatisfy(\.isNaN))
  }

  @Test func clipByGlobalNormGradients() throws {
    let inputs = [sample([2, 3]), sample([4], seed: 2)]
    #expect(norm(inputs.flatMap(\.doubles)) > 1.1)  // so that a limit of 1 clips
    for limit in [1.0, 100] {
      try expectGradient(inputs) { try clipByGlobalNorm($0, clipNorm: limit).clipped[0] }
      try expectGradient(inputs) { try clipByGlobalNorm($0, clipNorm: limit).clipped[1] }
      try expectGradient(inputs) { try clipByGlobalNorm($0, clipNorm: limit).globalNorm }
    }
    // All zeros: the norm's gradient is zero there, not NaN.
    let graph = Graph()
    let a = graph.placeholder(.float64, shape: [3], name: "a")
    let (clipped, globalNorm) = try clipByGlobalNorm([a], clipNorm: 1)
    let grads = try gradients(of: [reduceSum(clipped[0]) + globalNorm], withRespectTo: [a])
    #expect(try evaluate(grads[0]!, [a: try NDArray(zeros: [3], dtype: .float64)]) == [1, 1, 1])
  }

  @Test func clipByGlobalNormMisuseIsNamed() throws {
    let graph = Graph()
    let a = graph.placeholder(.float32, shape: [2], name: "a")
    let b = graph.placeholder(.float64, shape: [2], name: "b")
    let count = graph.nodeCount
    expectError(containing: "clipByGlobalNorm", "no tensors") {
      _ = try clipByGlobalNorm([], clipNorm: 1)
    }
    expectError(containing: "clipByGlobalNorm", "clipNorm", "0") {
      _ = try clipByGlobalNorm([a], clipNorm: 0)
    }
    expectError(containing: "GlobalNorm", "'a'", "'b'", "float64") {
      _ = try clipByGlobalNorm([a, b], clipNorm: 1)
    }
    let ints = graph.placeholder(.int32, shape: [2], name: "ints")
    expectError(containing: "GlobalNorm", "'ints'", "int32") {
      _ = try clipByGlobalNorm([ints], clipNorm: 1)
    }
    #expect(graph.nodeCount == count + 1)  // only the int placeholder
  }
}
