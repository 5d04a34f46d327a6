import Testing

@testable import Frost

/// Asserts that two arrays of numbers agree elementwise within `tolerance` (absolute plus
/// relative to the expected magnitude), reporting the first disagreement at the caller.
func expectClose(
  _ actual: [Double], _ expected: [Double], tolerance: Double,
  sourceLocation: SourceLocation = #_sourceLocation
) {
  guard actual.count == expected.count else {
    Issue.record(
      "count \(actual.count) differs from expected \(expected.count)",
      sourceLocation: sourceLocation)
    return
  }
  for (i, (a, e)) in zip(actual, expected).enumerated()
  where !(abs(a - e) <= tolerance * (1 + abs(e))) {
    Issue.record(
      "element \(i): \(a) differs from expected \(e) beyond \(tolerance)",
      sourceLocation: sourceLocation)
    return
  }
}

extension NDArray {
  /// The elements as doubles, whatever the dtype (test convenience).
  var doubles: [Double] { doubleValues }
}

/// Runs `body` and returns the FrostError it throws, recording an issue if it throws
/// nothing or something else.
func expectFrostError(
  sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void
) -> FrostError? {
  do {
    try body()
    Issue.record("expected a FrostError, nothing was thrown", sourceLocation: sourceLocation)
  } catch let error as FrostError {
    return error
  } catch {
    Issue.record("expected a FrostError, got \(error)", sourceLocation: sourceLocation)
  }
  return nil
}

/// Asserts that `body` throws a FrostError whose message contains every one of `parts`.
func expectError(
  containing parts: String..., sourceLocation: SourceLocation = #_sourceLocation,
  _ body: () throws -> Void
) {
  guard let error = expectFrostError(sourceLocation: sourceLocation, body) else { return }
  for part in parts where !error.description.contains(part) {
    Issue.record(
      "error message \"\(error.description)\" does not mention \"\(part)\"",
      sourceLocation: sourceLocation)
  }
}

/// Builds `body` on float64 placeholders shaped like `inputs`, then checks its gradient
/// with respect to every input by central differences; records an issue when the largest
/// relative error exceeds `tolerance`. Returns the check for further assertions.
@discardableResult
func expectGradient(
  tolerance: Double = 1e-6, _ inputs: [NDArray],
  sourceLocation: SourceLocation = #_sourceLocation,
  _ body: ([Tensor]) throws -> Tensor
) throws -> GradientCheck {
  let graph = Graph()
  let placeholders = inputs.enumerated().map { i, value in
    graph.placeholder(value.dtype, shape: Shape(value.shape), name: "x\(i)")
  }
  let y = try body(placeholders)
  let check = try checkGradient(
    of: y, withRespectTo: placeholders,
    feedDict: Dictionary(uniqueKeysWithValues: zip(placeholders, inputs)))
  #expect(
    check.maxRelativeError <= tolerance, "gradient check: \(check)",
    sourceLocation: sourceLocation)
  return check
}

/// A float64 array of `shape` with distinct, deterministic values in about [-1.5, 1.5],
/// none at 0 (keeps relu and abs away from their kinks).
func sample(_ shape: [Int], seed: UInt64 = 1) -> NDArray {
  var rng = PhiloxRandom(seed: seed)
  let count = shape.reduce(1, *)
  let values = (0..<count).map { _ -> Double in
    let u = rng.nextDouble() * 1.4 + 0.1
    return rng.next32() & 1 == 0 ? u : -u
  }
  return try! NDArray(shape: shape, scalars: values)
}
