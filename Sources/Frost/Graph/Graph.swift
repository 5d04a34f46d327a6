import Foundation

/// A dataflow graph: placeholders, constants, variables and the operations between them.
///
/// A graph only describes a computation; a `Session` runs it. Nodes are never removed,
/// so every `Tensor` and `Operation` stays valid for the graph's lifetime. Build a graph
/// from one thread at a time (name scopes and control dependencies are graph state);
/// once built, any number of sessions and threads may run it.
public final class Graph: @unchecked Sendable {
  struct Node: Sendable {
    let name: String
    let op: OpDefinition
    let inputs: [Endpoint]
    let controlInputs: [Int]
    let attributes: [String: AttributeValue]
    let outputs: [TensorType]
  }

  enum CollectionEntry: Hashable, Sendable {
    case tensor(Endpoint)
    case operation(Int)
  }

  /// What `atomically` restores when a composite builder fails halfway.
  private struct Checkpoint {
    let nodeCount: Int
    let nameCounters: [String: Int]
    let collections: [String: [CollectionEntry]]
    let initializers: [Int: Int]
  }

  private let lock = NSRecursiveLock()
  private var nodes: [Node] = []
  private var nodeIDs: [String: Int] = [:]
  private var nameCounters: [String: Int] = [:]
  private var scopePrefix = ""
  private var controlDependencies: [Int] = []
  private var collections: [String: [CollectionEntry]] = [:]
  private var initializers: [Int: Int] = [:]
  private var transactionDepth = 0
  private var seedValue: UInt64?

  /// An empty graph. With a `seed`, every random op whose own seed is not given is
  /// reproducible, as with TensorFlow's `tf.set_random_seed`.
  public init(seed: UInt64? = nil) {
    self.seedValue = seed
  }

  /// The graph-level random seed (TensorFlow's `tf.set_random_seed`). Set it before you
  /// create random ops.
  public var seed: UInt64? {
    get { locked { seedValue } }
    set { locked { seedValue = newValue } }
  }

  /// The number of nodes.
  public var nodeCount: Int { locked { nodes.count } }

  /// Every operation, in creation order (which is a topological order).
  public var operations: [Operation] {
    locked { (0..<nodes.count).map { Operation(graph: self, id: $0) } }
  }

  func locked<T>(_ body: () throws -> T) rethrows -> T {
    lock.lock()
    defer { lock.unlock() }
    return try body()
  }

  func node(_ id: Int) -> Node { locked { nodes[id] } }

  // MARK: - Names and scopes

  /// Runs `body` with `name` pushed onto the name scope, so that the ops it creates are
  /// named `name/...`. A scope name already in use gets TensorFlow's suffix (`name_1`);
  /// a name ending in `/` re-enters that exact scope, and `/` alone the top level.
  public func withNameScope<T>(_ name: String, _ body: () throws -> T) rethrows -> T {
    let previous = locked { scopePrefix }
    let entered: String = locked {
      if name.hasSuffix("/") {
        // Re-entering a scope takes its name, so a new scope of that name is suffixed.
        if name != "/", nameCounters[String(name.dropLast())] == nil {
          nameCounters[String(name.dropLast())] = 0
        }
        return name == "/" ? "" : name
      }
      let base = Self.sanitize(name, fallback: "scope")
      return reserveUniqueName(scopePrefix + base) + "/"
    }
    locked { scopePrefix = entered }
    defer { locked { scopePrefix = previous } }
    return try body()
  }

  /// The current name scope, ending in `/`, or empty at the top level.
  public var currentNameScope: String { locked { scopePrefix } }

  /// Runs `body` so that every op it creates runs only after `dependencies`, as TensorFlow's
  /// `tf.control_dependencies` does.
  ///
  /// - Throws: `FrostError.invalidArgument` when a dependency belongs to another graph.
  public func withControlDependencies<T>(
    _ dependencies: [Operation], _ body: () throws -> T
  ) throws -> T {
    for dependency in dependencies where dependency.graph !== self {
      throw FrostError.invalidArgument(
        "control dependency '\(dependency.name)' belongs to another graph")
    }
    let previous = locked { controlDependencies }
    locked { controlDependencies = Array(Set(previous + dependencies.map(\.id))).sorted() }
    defer { locked { controlDependencies = previous } }
    return try body()
  }

  /// Reserves and returns `base`, or `base_1`, `base_2`... when taken.
  private func reserveUniqueName(_ base: String) -> String {
    var name = base
    if nodeIDs[base] != nil || nameCounters[base] != nil {
      var suffix = nameCounters[base] ?? 0
      repeat {
        suffix += 1
        name = "\(base)_\(suffix)"
      } while nodeIDs[name] != nil || nameCounters[name] != nil
      nameCounters[base] = suffix
    }
    if nameCounters[name] == nil { nameCounters[name] = 0 }
    return name
  }

  /// Keeps TensorFlow's name alphabet: letters, digits and `._-/`; other characters
  /// become `_` (`:` would clash with output indices).
  static func sanitize(_ name: String, fallback: String) -> String {
    let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/")
    let cleaned = String(name.map { allowed.contains($0) ? $0 : "_" })
    let trimmed = cleaned.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
    return trimmed.isEmpty ? fallback : trimmed
  }

  // MARK: - Adding nodes

  /// Adds one node after checking its inputs and inferring its output types.
  ///
  /// The node's name is the current scope plus `name` (or the op's type), made unique.
  /// Nothing is added when inference throws.
  @discardableResult
  func addNode(
    _ op: OpDefinition, inputs: [Tensor], attributes: [String: AttributeValue] = [:],
    name: String?, ignoresControlDependencies: Bool = false, controlInputs: [Int] = [],
    takesScopeName: Bool = false
  ) throws -> Operation {
    for input in inputs where input.graph !== self {
      throw FrostError.invalidArgument(
        "\(op.name): input '\(input.name)' belongs to another graph")
    }
    return try locked {
      let base = scopePrefix + Self.sanitize(name ?? op.name, fallback: op.name)
      let inputEndpoints = inputs.map(\.endpoint)
      var context = InferenceContext(
        nodeName: base, opType: op.name,
        inputs: inputEndpoints.map { nodes[$0.node].outputs[$0.index] },
        inputNames: inputs.map { describe($0.endpoint) },
        attributes: Attributes(attributes, owner: base))
      let outputs = try op.infer(&context)
      // An op may take the name of the scope that holds its parts, as TensorFlow's
      // `minimize` op is named like its `GradientDescent/` scope.
      let nodeName =
        takesScopeName && nodeIDs[base] != nil || !takesScopeName
        ? reserveUniqueName(base) : base
      let id = nodes.count
      nodes.append(
        Node(
          name: nodeName, op: op, inputs: inputEndpoints,
          controlInputs: Array(
            Set((ignoresControlDependencies ? [] : controlDependencies) + controlInputs)
          ).sorted(),
          attributes: attributes, outputs: outputs))
      nodeIDs[nodeName] = id
      return Operation(graph: self, id: id)
    }
  }

  /// Adds an op and returns its first output.
  func addOp(
    _ op: OpDefinition, _ inputs: [Tensor], attributes: [String: AttributeValue] = [:],
    name: String?
  ) throws -> Tensor {
    try addNode(op, inputs: inputs, attributes: attributes, name: name).output
  }

  private func describe(_ endpoint: Endpoint) -> String {
    let name = nodes[endpoint.node].name
    return endpoint.index == 0 ? name : "\(name):\(endpoint.index)"
  }

  /// Runs a composite builder so that, if it throws, the graph is as it was before: no
  /// node, name, collection entry or initializer it added remains.
  func atomically<T>(_ body: () throws -> T) throws -> T {
    let checkpoint: Checkpoint = locked {
      transactionDepth += 1
      return Checkpoint(
        nodeCount: nodes.count, nameCounters: nameCounters, collections: collections,
        initializers: initializers)
    }
    do {
      let result = try body()
      locked { transactionDepth -= 1 }
      return result
    } catch {
      locked {
        transactionDepth -= 1
        for node in nodes[checkpoint.nodeCount...] { nodeIDs[node.name] = nil }
        nodes.removeSubrange(checkpoint.nodeCount...)
        nameCounters = checkpoint.nameCounters
        collections = checkpoint.collections
        initializers = checkpoint.initializers
      }
      throw error
    }
  }

  // MARK: - Sources

  /// A placeholder: a tensor whose value must be fed to every run that needs it.
  ///
  /// `shape` may leave dimensions unknown (`[nil, 784]`) or even the rank (`.unknown`); a fed
  /// value must agree with every known dimension.
  public func placeholder(_ dtype: DType, shape: Shape = .unknown, name: String = "Placeholder")
    -> Tensor
  {
    try! addOp(
      Ops.placeholder, [], attributes: ["dtype": .dtype(dtype), "shape": .shape(shape)],
      name: name)
  }

  /// A constant holding `value`.
  public func constant(_ value: NDArray, name: String = "Const") -> Tensor {
    try! addOp(Ops.constant, [], attributes: ["value": .array(value)], name: name)
  }

  /// A scalar constant of the given type (`float32` by default).
  public func constant(_ value: Double, dtype: DType = .float32, name: String = "Const")
    -> Tensor
  {
    constant(NDArray.filled(value, shape: [], dtype: dtype), name: name)
  }

  /// A constant of the given shape holding `scalars` in row-major order.
  ///
  /// - Throws: `FrostError.invalidArgument` when the count does not match the shape.
  public func constant<Scalar: TensorScalar>(
    _ scalars: [Scalar], shape: [Int], name: String = "Const"
  ) throws -> Tensor {
    constant(try NDArray(shape: shape, scalars: scalars), name: name)
  }

  /// A variable whose initial value is `initialValue`; see
  /// `variable(initialValue:trainable:name:)`.
  public func variable(_ initialValue: NDArray, trainable: Bool = true, name: String = "Variable")
    throws -> Tensor
  {
    try makeVariable(
      type: TensorType(initialValue.dtype, Shape(initialValue.shape)), trainable: trainable,
      name: name
    ) {
      constant(initialValue, name: "initial_value")
    }
  }

  /// A variable: state that lives in a session and keeps its value from run to run.
  ///
  /// The variable is named `name` in the current scope (made unique); its initializer,
  /// `NAME/Assign`, assigns `initialValue`, a tensor of fully defined shape, and runs with
  /// `globalVariablesInitializer()`. Trainable variables join the trainable collection;
  /// all join the global one.
  ///
  /// - Throws: `FrostError.invalidArgument` when the initial value's shape is not fully
  ///   defined or it belongs to another graph.
  public func variable(initialValue: Tensor, trainable: Bool = true, name: String = "Variable")
    throws -> Tensor
  {
    guard initialValue.graph === self else {
      throw FrostError.invalidArgument(
        "variable '\(name)': initial value '\(initialValue.name)' belongs to another graph")
    }
    return try makeVariable(type: initialValue.type, trainable: trainable, name: name) {
      initialValue
    }
  }

  /// Creates a variable node, then builds its initial value inside the variable's own
  /// scope and the `Assign` that initializes it. Control dependencies do not apply.
  func makeVariable(
    type: TensorType, trainable: Bool, name: String, initialValue: () throws -> Tensor
  ) throws -> Tensor {
    guard type.shape.isFullyDefined else {
      throw FrostError.invalidArgument(
        "variable '\(currentNameScope)\(name)': the initial value's shape \(type.shape)"
          + " is not fully defined")
    }
    return try atomically {
      let variable = try addNode(
        Ops.variable, inputs: [],
        attributes: ["dtype": .dtype(type.dtype), "shape": .shape(type.shape)],
        name: name, ignoresControlDependencies: true
      ).output
      let savedDependencies = locked { controlDependencies }
      locked { controlDependencies = [] }
      defer { locked { controlDependencies = savedDependencies } }
      let assign = try withNameScope(variable.op.name + "/") {
        let value = try initialValue()
        return try addNode(Ops.assign, inputs: [variable, value], name: "Assign")
      }
      locked {
        initializers[variable.endpoint.node] = assign.id
        collections[GraphKeys.globalVariables, default: []].append(.tensor(variable.endpoint))
        if trainable {
          collections[GraphKeys.trainableVariables, default: []].append(
            .tensor(variable.endpoint))
        }
      }
      return variable
    }
  }

  /// The operation that assigns a variable its initial value.
  ///
  /// - Throws: `FrostError.invalidArgument` when `variable` is not a variable of this graph.
  public func initializer(of variable: Tensor) throws -> Operation {
    guard variable.graph === self, let id = locked({ initializers[variable.endpoint.node] })
    else {
      throw FrostError.invalidArgument("'\(variable.name)' is not a variable of this graph")
    }
    return Operation(graph: self, id: id)
  }

  /// One operation that initializes every global variable (TensorFlow's
  /// `tf.global_variables_initializer()`).
  public func globalVariablesInitializer() -> Operation {
    try! variablesInitializer(globalVariables(), name: "init")
  }

  /// One operation that initializes the given variables.
  ///
  /// - Throws: `FrostError.invalidArgument` when one of them is not a variable of this graph.
  public func variablesInitializer(_ variables: [Tensor], name: String = "init") throws
    -> Operation
  {
    let assigns = try variables.map { try initializer(of: $0) }
    return try group(assigns, name: name)
  }

  // MARK: - Lookup

  /// The tensor with the given name: an operation name (its first output) or `name:i`.
  ///
  /// - Throws: `FrostError.notFound` naming the unknown name and the closest known ones.
  public func tensor(named name: String) throws -> Tensor {
    var opName = name
    var index = 0
    if let colon = name.lastIndex(of: ":"), let parsed = Int(name[name.index(after: colon)...]) {
      opName = String(name[..<colon])
      index = parsed
    }
    let operation = try operation(named: opName)
    guard index >= 0, index < node(operation.id).outputs.count else {
      throw FrostError.notFound(
        "operation '\(opName)' has \(node(operation.id).outputs.count) outputs; no output \(index)")
    }
    return Tensor(graph: self, endpoint: Endpoint(node: operation.id, index: index))
  }

  /// The operation with the given name.
  ///
  /// - Throws: `FrostError.notFound` naming the unknown name and the closest known ones.
  public func operation(named name: String) throws -> Operation {
    guard let id = locked({ nodeIDs[name] }) else {
      let suggestions = closestNames(to: name)
      let hint = suggestions.isEmpty ? "" : "; did you mean \(suggestions.joined(separator: ", "))?"
      throw FrostError.notFound("no operation named '\(name)' in the graph\(hint)")
    }
    return Operation(graph: self, id: id)
  }

  /// Up to `limit` node names nearest to `name` by edit distance, nearest first.
  public func closestNames(to name: String, limit: Int = 3) -> [String] {
    let names = locked { nodes.map(\.name) }
    let scored = names.map { (editDistance($0, name), $0) }
      .filter { $0.0 <= max(2, name.count / 2) }
      .sorted { $0 < $1 }
    return scored.prefix(limit).map(\.1)
  }

  // MARK: - Collections

  /// Every variable, trainable or not, in creation order.
  public func globalVariables() -> [Tensor] { tensors(inCollection: GraphKeys.globalVariables) }

  /// The trainable variables whose names match `scope` at their start, as TensorFlow's
  /// `get_collection(TRAINABLE_VARIABLES, scope=)` does (`"hidden[34]|outputs"` keeps
  /// hidden3, hidden4 and outputs). All of them without a scope.
  ///
  /// - Throws: `FrostError.invalidArgument` when `scope` is not a valid regular expression.
  public func trainableVariables(scope: String? = nil) throws -> [Tensor] {
    try filter(tensors(inCollection: GraphKeys.trainableVariables), scope: scope)
  }

  /// Adds a tensor to the named collection (TensorFlow's `tf.add_to_collection`).
  ///
  /// - Throws: `FrostError.invalidArgument` when the tensor belongs to another graph, or
  ///   the collection is `GraphKeys.globalVariables` or `GraphKeys.trainableVariables` and
  ///   the tensor is not a variable (`globalVariablesInitializer()` initializes them all).
  public func addToCollection(_ name: String, _ tensor: Tensor) throws {
    guard tensor.graph === self else {
      throw FrostError.invalidArgument("'\(tensor.name)' belongs to another graph")
    }
    try checkVariableCollection(name, holds: tensor.name, isVariable: tensor.isVariable)
    locked { collections[name, default: []].append(.tensor(tensor.endpoint)) }
  }

  /// Adds an operation to the named collection.
  ///
  /// - Throws: as `addToCollection(_:_:)` for a tensor; in a variable collection the
  ///   operation must be a variable.
  public func addToCollection(_ name: String, _ operation: Operation) throws {
    guard operation.graph === self else {
      throw FrostError.invalidArgument("'\(operation.name)' belongs to another graph")
    }
    try checkVariableCollection(
      name, holds: operation.name, isVariable: node(operation.id).op === Ops.variable)
    locked { collections[name, default: []].append(.operation(operation.id)) }
  }

  private func checkVariableCollection(_ name: String, holds member: String, isVariable: Bool)
    throws
  {
    guard isVariable || (name != GraphKeys.globalVariables && name != GraphKeys.trainableVariables)
    else {
      throw FrostError.invalidArgument(
        "'\(member)' is not a variable; collection '\(name)' holds variables only")
    }
  }

  /// The tensors of a collection; an operation in it stands for its first output, and
  /// operations without outputs are left out.
  public func tensors(inCollection name: String) -> [Tensor] {
    locked {
      (collections[name] ?? []).compactMap { entry in
        switch entry {
        case .tensor(let endpoint): return Tensor(graph: self, endpoint: endpoint)
        case .operation(let id):
          return nodes[id].outputs.isEmpty
            ? nil : Tensor(graph: self, endpoint: Endpoint(node: id, index: 0))
        }
      }
    }
  }

  /// The operations of a collection (a tensor in it stands for the operation producing it).
  public func operations(inCollection name: String) -> [Operation] {
    locked {
      (collections[name] ?? []).map { entry in
        switch entry {
        case .tensor(let endpoint): return Operation(graph: self, id: endpoint.node)
        case .operation(let id): return Operation(graph: self, id: id)
        }
      }
    }
  }

  /// The names of every non-empty collection, sorted.
  public var collectionNames: [String] {
    locked { collections.filter { !$0.value.isEmpty }.keys.sorted() }
  }

  var collectionEntries: [String: [CollectionEntry]] { locked { collections } }

  /// Every variable node with its initializer's node.
  var initializerTable: [Int: Int] { locked { initializers } }

  /// Records what an imported graph says: a variable's initializer, collection entries,
  /// and its scope names as taken.
  func registerImported(
    initializers imported: [Int: Int], collections entries: [String: [CollectionEntry]],
    names: [String]
  ) {
    locked {
      initializers.merge(imported) { $1 }
      for (name, items) in entries { collections[name, default: []] += items }
      for name in names {
        var prefix = ""
        for part in name.split(separator: "/").dropLast() {
          prefix += (prefix.isEmpty ? "" : "/") + part
          if nameCounters[prefix] == nil { nameCounters[prefix] = 0 }
        }
      }
    }
  }

  private func filter(_ tensors: [Tensor], scope: String?) throws -> [Tensor] {
    guard let scope else { return tensors }
    let regex: NSRegularExpression
    do {
      regex = try NSRegularExpression(pattern: scope)
    } catch {
      throw FrostError.invalidArgument("scope '\(scope)' is not a valid regular expression")
    }
    return tensors.filter { tensor in
      let name = tensor.op.name
      let range = NSRange(name.startIndex..., in: name)
      return regex.firstMatch(in: name, options: [.anchored], range: range) != nil
    }
  }
}

/// The names of the standard collections, as TensorFlow spells them.
public enum GraphKeys {
  /// Every variable.
  public static let globalVariables = "variables"
  /// The variables an optimizer trains by default.
  public static let trainableVariables = "trainable_variables"
  /// Operations to run with each training step (batch norm's moving averages).
  public static let updateOps = "update_ops"
  /// Regularization loss terms, to be added to the loss.
  public static let regularizationLosses = "regularization_losses"
}

/// Levenshtein distance between two strings.
func editDistance(_ a: String, _ b: String) -> Int {
  let x = Array(a)
  let y = Array(b)
  if x.isEmpty { return y.count }
  var previous = Array(0...y.count)
  for i in 1...x.count {
    var current = [i] + Array(repeating: 0, count: y.count)
    for j in 1...max(y.count, 1) where j <= y.count {
      let cost = x[i - 1] == y[j - 1] ? 0 : 1
      current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
    }
    previous = current
  }
  return previous[y.count]
}
