import Frost

/// How the report marks a variable.
enum VariableKind: String, Equatable {
  /// In the trainable collection and, with `--trainable`, matching its regex.
  case trainable
  /// Any other variable that is not optimizer state: a training op leaves it alone.
  case frozen
  /// Optimizer bookkeeping: outside the trainable collection, and either an input of an
  /// optimizer's update op (slots, Adam's β powers) or an integer variable that an assign
  /// other than its initializer writes (a global step). Batch normalization's moving
  /// statistics are not state but frozen parameters: no gradient trains them.
  case state
}

/// One node of the graph, as the report shows it.
struct NodeSummary: Equatable {
  let name: String
  let type: String
  let outputs: [TensorType]
  let inputs: [String]
  let controlInputs: [String]
  /// The node's top-level name scope; empty at the top level.
  let scope: String
  /// For a variable, its mark; `nil` for any other node.
  let variableKind: VariableKind?
  let flops: FLOPEstimate
}

/// Elements of variables, split by kind. Parameters are the trainable and frozen ones.
struct ParameterCounts: Equatable {
  var trainable = 0
  var frozen = 0
  var state = 0

  /// Trainable plus frozen elements: the model's parameters.
  var parameters: Int { trainable + frozen }

  mutating func add(_ count: Int, as kind: VariableKind) {
    switch kind {
    case .trainable: trainable += count
    case .frozen: frozen += count
    case .state: state += count
    }
  }
}

/// A top-level name scope with its nodes (in creation order) and their totals.
struct ScopeSummary: Equatable {
  /// The scope's name; empty for the nodes at the top level.
  let name: String
  var nodes: [NodeSummary] = []
  var parameters = ParameterCounts()
  /// The sum of the nodes' counted FLOPs per example.
  var flops = 0
  /// False when some node's FLOPs could not be counted (unknown rank).
  var flopsComplete = true
}

/// One variable with its size, mark and the scopes of the update ops that train it.
struct VariableSummary: Equatable {
  let name: String
  let dtype: DType
  let shape: Shape
  let elements: Int
  let kind: VariableKind
  /// The top-level scopes of the update ops whose trained variable this is (the
  /// optimizer's scope, `GradientDescent`), sorted.
  let trainedBy: [String]
}

/// Everything the graph table shows: nodes grouped by top-level name scope, variables,
/// parameter counts and FLOPs per example.
struct GraphSummary {
  /// The graph file's path as given.
  let path: String
  /// The `--trainable` regex, if any.
  let trainableScope: String?
  let nodeCount: Int
  /// The scopes in the order their first node was created.
  let scopes: [ScopeSummary]
  /// Every variable, in creation order.
  let variables: [VariableSummary]
  let totals: ParameterCounts
  let flops: Int
  let flopsComplete: Bool
  /// Every node by name.
  let nodes: [String: NodeSummary]

  /// Summarizes `graph`.
  ///
  /// - Throws: `FrostError.invalidArgument` when `trainableScope` is not a valid regular
  ///   expression.
  init(graph: Graph, path: String, trainableScope: String?) throws {
    self.path = path
    self.trainableScope = trainableScope
    let operations = graph.operations
    nodeCount = operations.count

    let kinds = try Self.variableKinds(graph: graph, trainableScope: trainableScope)
    let initializerOnly = try Self.initializerOnly(graph: graph, operations: operations)
    let scopeNames = Set(
      operations.compactMap { operation in
        operation.name.firstIndex(of: "/").map { String(operation.name[..<$0]) }
      })

    var scopes: [ScopeSummary] = []
    var scopeIndex: [String: Int] = [:]
    var nodes: [String: NodeSummary] = [:]
    for operation in operations {
      let name = operation.name
      let scope = Self.topScope(of: name, scopes: scopeNames)
      let outputs = operation.outputs.map(\.type)
      let flops: FLOPEstimate =
        initializerOnly.contains(name)
        ? .initializer
        : FLOPRule.estimate(
          type: operation.type, attributes: operation.attributes,
          inputs: operation.inputs.map(\.shape), outputs: outputs.map(\.shape))
      let node = NodeSummary(
        name: name, type: operation.type, outputs: outputs,
        inputs: operation.inputs.map(\.name), controlInputs: operation.controlInputs.map(\.name),
        scope: scope, variableKind: kinds[name], flops: flops)
      nodes[name] = node

      let index: Int
      if let known = scopeIndex[scope] {
        index = known
      } else {
        index = scopes.count
        scopeIndex[scope] = index
        scopes.append(ScopeSummary(name: scope))
      }
      scopes[index].nodes.append(node)
      scopes[index].flops += flops.value
      if flops == .unknown { scopes[index].flopsComplete = false }
      if let kind = kinds[name], let elements = outputs.first?.shape.elementCount {
        scopes[index].parameters.add(elements, as: kind)
      }
    }

    var variables: [VariableSummary] = []
    var trainers: [String: Set<String>] = [:]
    for operation in operations where operation.type.hasPrefix("Apply") {
      if let trained = operation.inputs.first, trained.isVariable {
        trainers[trained.name, default: []].insert(
          Self.topScope(of: operation.name, scopes: scopeNames))
      }
    }
    for variable in graph.globalVariables() {
      guard let kind = kinds[variable.name] else { continue }
      variables.append(
        VariableSummary(
          name: variable.name, dtype: variable.dtype, shape: variable.shape,
          elements: variable.shape.elementCount ?? 0, kind: kind,
          trainedBy: (trainers[variable.name] ?? []).sorted()))
    }

    self.scopes = scopes
    self.variables = variables
    self.nodes = nodes
    var totals = ParameterCounts()
    for scope in scopes {
      totals.trainable += scope.parameters.trainable
      totals.frozen += scope.parameters.frozen
      totals.state += scope.parameters.state
    }
    self.totals = totals
    flops = scopes.reduce(0) { $0 + $1.flops }
    flopsComplete = scopes.allSatisfy(\.flopsComplete)
  }

  /// The first component of `name`; a top-level name that is also a scope's name belongs
  /// to that scope; other top-level names to the top level (`""`).
  static func topScope(of name: String, scopes: Set<String>) -> String {
    if let slash = name.firstIndex(of: "/") { return String(name[..<slash]) }
    return scopes.contains(name) ? name : ""
  }

  /// Each variable's mark (see `VariableKind`), by variable name.
  static func variableKinds(graph: Graph, trainableScope: String?) throws
    -> [String: VariableKind]
  {
    let trainable = Set(try graph.trainableVariables(scope: trainableScope).map(\.name))
    let inCollection = Set(try graph.trainableVariables().map(\.name))
    var initializers: Set<String> = []
    for variable in graph.globalVariables() {
      initializers.insert(try graph.initializer(of: variable).name)
    }

    // Variables that optimizer update ops use, and integer variables (step counters) that
    // assigns other than their initializers write.
    var optimizerState: Set<String> = []
    for operation in graph.operations {
      if operation.type.hasPrefix("Apply") {
        for input in operation.inputs where input.isVariable { optimizerState.insert(input.name) }
      } else if operation.type == "Assign", !initializers.contains(operation.name),
        let target = operation.inputs.first, target.dtype == .int32
      {
        optimizerState.insert(target.name)
      }
    }

    var kinds: [String: VariableKind] = [:]
    for variable in graph.globalVariables() {
      let name = variable.name
      if trainable.contains(name) {
        kinds[name] = .trainable
      } else if !inCollection.contains(name) && optimizerState.contains(name) {
        kinds[name] = .state
      } else {
        kinds[name] = .frozen
      }
    }
    return kinds
  }

  /// The names of the nodes that only serve variable initialization: each variable's
  /// initializer, the nodes every consumer of which is such a node, and no-ops that only
  /// group such nodes (`init`).
  static func initializerOnly(graph: Graph, operations: [Frost.Operation]) throws -> Set<String> {
    var result: Set<String> = []
    for variable in graph.globalVariables() {
      result.insert(try graph.initializer(of: variable).name)
    }
    var consumers: [String: [String]] = [:]
    for operation in operations {
      for input in operation.inputs { consumers[input.op.name, default: []].append(operation.name) }
      for control in operation.controlInputs {
        consumers[control.name, default: []].append(operation.name)
      }
    }
    // Creation order is topological: walking it backwards sees every consumer first.
    for operation in operations.reversed() where !result.contains(operation.name) {
      if operation.type == "Variable" || operation.type == "Placeholder" { continue }
      let users = consumers[operation.name] ?? []
      if !users.isEmpty, users.allSatisfy(result.contains) {
        result.insert(operation.name)
      } else if users.isEmpty, operation.type == "NoOp", operation.inputs.isEmpty,
        !operation.controlInputs.isEmpty,
        operation.controlInputs.allSatisfy({ result.contains($0.name) })
      {
        result.insert(operation.name)
      }
    }
    return result
  }
}
