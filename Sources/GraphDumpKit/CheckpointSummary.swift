import Foundation
import Frost

/// What a safetensors checkpoint holds, tensor by tensor, and how it fits a graph.
struct CheckpointSummary {
  /// The statistics of one tensor's values, in float64: population standard deviation
  /// (numpy's default, ddof 0); NaN when a value is NaN.
  struct Statistics: Equatable {
    let mean: Double
    let std: Double
    let min: Double
    let max: Double
  }

  /// How a checkpoint tensor fits the graph.
  enum Match: Equatable {
    /// A graph variable of the same dtype and shape has this key.
    case matches
    /// No graph variable has this key.
    case notInGraph
    /// A graph variable has this key but another type: restoring it would fail.
    case mismatch(TensorType)
    /// No graph was given.
    case noGraph
  }

  /// One tensor of the checkpoint.
  struct Entry: Equatable {
    let name: String
    /// The safetensors dtype (`F32`).
    let storedType: String
    let shape: [Int]
    /// `nil` for an empty tensor or a dtype Frost cannot read (see `note`).
    let statistics: Statistics?
    let note: String?
    let match: Match
  }

  let path: String
  /// Every tensor, sorted by name.
  let entries: [Entry]
  /// Graph variables the checkpoint has no tensor for, in creation order.
  let missing: [String]
  /// The header's metadata, sorted by key.
  let metadata: [(key: String, value: String)]
  /// Whether a graph was compared.
  let hasGraph: Bool

  /// Reads the checkpoint at `path` and compares it with the variables of `graph`.
  ///
  /// - Throws: `FrostError` from `SafetensorsFile` when the file is missing, unreadable or
  ///   invalid.
  init(path: String, graph: Graph?) throws {
    let file = try SafetensorsFile(path: path)
    var variables: [String: Tensor] = [:]
    for variable in graph?.globalVariables() ?? [] { variables[variable.name] = variable }

    var entries: [Entry] = []
    for entry in file.entries {
      let match: Match
      if graph == nil {
        match = .noGraph
      } else if let variable = variables[entry.name] {
        match =
          entry.dtype == variable.dtype && Shape(entry.shape) == variable.shape
          ? .matches : .mismatch(variable.type)
      } else {
        match = .notInGraph
      }
      var statistics: Statistics?
      var note: String?
      if entry.dtype == nil {
        note = "dtype \(entry.storedType) is not one Frost reads"
      } else if entry.shape.contains(0) {
        note = "empty"
      } else {
        statistics = Self.statistics(of: try file.array(named: entry.name))
      }
      entries.append(
        Entry(
          name: entry.name, storedType: entry.storedType, shape: entry.shape,
          statistics: statistics, note: note, match: match))
    }

    let keys = Set(file.names)
    self.path = path
    self.entries = entries
    missing = (graph?.globalVariables() ?? []).map(\.name).filter { !keys.contains($0) }
    metadata = file.metadata.sorted { $0.key < $1.key }.map { (key: $0.key, value: $0.value) }
    hasGraph = graph != nil
  }

  /// Mean, standard deviation, minimum and maximum of a non-empty array, in float64 (two
  /// passes, so the deviation does not cancel catastrophically).
  static func statistics(of array: NDArray) -> Statistics? {
    let values: [Double]
    switch array.dtype {
    case .float32: values = ((try? array.scalars(as: Float.self)) ?? []).map(Double.init)
    case .float64: values = (try? array.scalars(as: Double.self)) ?? []
    case .int32: values = ((try? array.scalars(as: Int32.self)) ?? []).map(Double.init)
    case .bool: values = ((try? array.scalars(as: Bool.self)) ?? []).map { $0 ? 1 : 0 }
    }
    guard !values.isEmpty else { return nil }
    let count = Double(values.count)
    let mean = values.reduce(0, +) / count
    let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / count
    var low = values[0]
    var high = values[0]
    var sawNaN = false
    for value in values {
      if value.isNaN { sawNaN = true }
      low = Swift.min(low, value)
      high = Swift.max(high, value)
    }
    return Statistics(
      mean: mean, std: variance.squareRoot(), min: sawNaN ? .nan : low, max: sawNaN ? .nan : high)
  }
}
