/// Saves and restores variables as safetensors checkpoints, as TensorFlow 1.x's
/// `tf.train.Saver` does: keys are variable names (`hidden1/kernel`), or the keys of a
/// mapping given at creation, so a variable can be saved or restored under another name.
public struct Saver: Sendable {
  /// Checkpoint key → variable, sorted by key.
  public let variables: [(key: String, variable: Tensor)]

  /// A saver for `varList` (every global variable of `graph` at this moment when `nil`),
  /// each under its own name.
  ///
  /// - Throws: `FrostError.invalidArgument` when a member is not a variable or belongs to
  ///   another graph.
  public init(graph: Graph, varList: [Tensor]? = nil) throws {
    var mapping: [String: Tensor] = [:]
    for variable in varList ?? graph.globalVariables() { mapping[variable.op.name] = variable }
    try self.init(mapping, graph: graph)
  }

  /// A saver for `varList`, each variable under its own name; the graph is the variables'.
  ///
  /// - Throws: as `init(graph:varList:)`, and for an empty list.
  public init(varList: [Tensor]) throws {
    guard let graph = varList.first?.graph else {
      throw FrostError.invalidArgument("Saver: the variable list is empty")
    }
    try self.init(graph: graph, varList: varList)
  }

  /// A saver that saves and restores `mapping[key]` under `key` (TensorFlow's
  /// `Saver({"hidden1/kernel": v})`).
  ///
  /// - Throws: `FrostError.invalidArgument` when the mapping is empty or a value is not a
  ///   variable of one graph.
  public init(_ mapping: [String: Tensor]) throws {
    guard let graph = mapping.first?.value.graph else {
      throw FrostError.invalidArgument("Saver: the mapping is empty")
    }
    try self.init(mapping, graph: graph)
  }

  private init(_ mapping: [String: Tensor], graph: Graph) throws {
    for (key, variable) in mapping {
      guard variable.graph === graph, variable.isVariable else {
        throw FrostError.invalidArgument(
          "Saver: '\(variable.name)' (key '\(key)') is not a variable of the saver's graph")
      }
    }
    variables = mapping.sorted { $0.key < $1.key }.map { (key: $0.key, variable: $0.value) }
  }

  /// Writes every variable's value to one safetensors file at `path`, atomically (a
  /// crash or a full disk leaves the previous checkpoint intact), with `metadata` in its
  /// header.
  ///
  /// - Throws: `FrostError.uninitializedVariable` naming a variable without a value, or
  ///   `FrostError.io` naming the path.
  public func save(_ session: Session, to path: String, metadata: [String: String] = [:]) throws {
    let values = try session.run(variables.map(\.variable))
    let tensors = Dictionary(uniqueKeysWithValues: zip(variables.map(\.key), values))
    try SafetensorsFile.write(tensors, metadata: metadata, to: path)
  }

  /// Assigns every variable its value from the checkpoint at `path`. Everything is checked
  /// before anything is assigned: each key is present with a supported dtype, and dtype
  /// and shape match the variable. Keys the saver does not ask for are ignored (that is
  /// how a subset is restored).
  ///
  /// - Throws: `FrostError` naming the file, the key and the problem; no variable changes.
  public func restore(_ session: Session, from path: String) throws {
    let file = try SafetensorsFile(path: path)
    var values: [Tensor: NDArray] = [:]
    for (key, variable) in variables {
      guard let entry = file.entry(named: key) else {
        throw FrostError.invalidFile(
          path: path, reason: "no tensor '\(key)' for variable '\(variable.name)'")
      }
      guard entry.dtype == variable.dtype, Shape(entry.shape) == variable.shape else {
        throw FrostError.invalidFile(
          path: path,
          reason: "tensor '\(key)' is \(entry.storedType) \(describeShape(entry.shape)), but"
            + " variable '\(variable.name)' is \(variable.dtype) \(variable.shape)")
      }
    }
    let arrays = try file.arrays(named: variables.map(\.key))
    for (key, variable) in variables { values[variable] = arrays[key]! }
    try session.assignValues(values)
  }
}
