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
  /// The elements as doubles, whatever the float dtype (test convenience).
  var doubles: [Double] {
    switch dtype {
    case .float32: return try! scalars(as: Float.self).map(Double.init)
    case .float64: return try! scalars(as: Double.self)
    case .int32: return try! scalars(as: Int32.self).map(Double.init)
    case .bool: return try! scalars(as: Bool.self).map { $0 ? 1 : 0 }
    }
  }
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
