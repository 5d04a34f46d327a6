/// One output of one node: the identity of a symbolic tensor inside its graph.
struct Endpoint: Hashable, Comparable, Sendable {
  let node: Int
  let index: Int

  static func < (lhs: Endpoint, rhs: Endpoint) -> Bool {
    (lhs.node, lhs.index) < (rhs.node, rhs.index)
  }
}

/// A dtype and a static shape: what a graph knows of a tensor before it runs.
public struct TensorType: Hashable, Sendable, CustomStringConvertible {
  /// The element type.
  public var dtype: DType
  /// The static shape, possibly partial.
  public var shape: Shape

  /// A type of the given dtype and shape.
  public init(_ dtype: DType, _ shape: Shape) {
    self.dtype = dtype
    self.shape = shape
  }

  /// `float32 (?, 784)`.
  public var description: String { "\(dtype) \(shape)" }
}

/// A symbolic tensor: one output of an operation in a graph.
///
/// Tensors are values you build ops from, feed and fetch. Two tensors are equal when they
/// are the same output of the same node of the same graph.
public struct Tensor: Hashable, Sendable, CustomStringConvertible {
  /// The graph the tensor belongs to.
  public let graph: Graph
  let endpoint: Endpoint

  init(graph: Graph, endpoint: Endpoint) {
    self.graph = graph
    self.endpoint = endpoint
  }

  /// The operation that produces this tensor.
  public var op: Operation { Operation(graph: graph, id: endpoint.node) }

  /// Which output of `op` this tensor is.
  public var outputIndex: Int { endpoint.index }

  /// The tensor's name: its operation's name for the first output (`hidden1/Relu`),
  /// `name:i` for output `i` > 0.
  public var name: String {
    let opName = graph.node(endpoint.node).name
    return endpoint.index == 0 ? opName : "\(opName):\(endpoint.index)"
  }

  /// The element type.
  public var dtype: DType { type.dtype }

  /// The static shape inferred while the graph was built.
  public var shape: Shape { type.shape }

  /// The dtype and static shape together.
  public var type: TensorType { graph.node(endpoint.node).outputs[endpoint.index] }

  /// Whether this tensor is a variable (the output of a `Variable` node).
  public var isVariable: Bool { graph.node(endpoint.node).op === Ops.variable }

  /// `hidden1/Relu: float32 (?, 300)`.
  public var description: String { "\(name): \(type)" }

  /// Whether both are the same output of the same node of the same graph.
  public static func == (lhs: Tensor, rhs: Tensor) -> Bool {
    lhs.graph === rhs.graph && lhs.endpoint == rhs.endpoint
  }

  /// Hashes the graph's identity and the endpoint.
  public func hash(into hasher: inout Hasher) {
    hasher.combine(ObjectIdentifier(graph))
    hasher.combine(endpoint)
  }
}

/// A node of a graph: an op type applied to inputs, with attributes.
///
/// Operations without outputs (an initializer, a training op) are run as targets:
/// `session.run(trainingOp)`.
public struct Operation: Hashable, Sendable, CustomStringConvertible {
  /// The graph the operation belongs to.
  public let graph: Graph
  let id: Int

  /// The unique name, with its name scopes (`hidden1/MatMul`).
  public var name: String { graph.node(id).name }

  /// The op type (`MatMul`, `Relu`, `Variable`).
  public var type: String { graph.node(id).op.name }

  /// The data inputs.
  public var inputs: [Tensor] {
    graph.node(id).inputs.map { Tensor(graph: graph, endpoint: $0) }
  }

  /// The operations that must run before this one although no data flows from them.
  public var controlInputs: [Operation] {
    graph.node(id).controlInputs.map { Operation(graph: graph, id: $0) }
  }

  /// The outputs.
  public var outputs: [Tensor] {
    (0..<graph.node(id).outputs.count).map {
      Tensor(graph: graph, endpoint: Endpoint(node: id, index: $0))
    }
  }

  /// The first output; a precondition failure for an operation without outputs.
  public var output: Tensor {
    precondition(!graph.node(id).outputs.isEmpty, "operation '\(name)' has no outputs")
    return Tensor(graph: graph, endpoint: Endpoint(node: id, index: 0))
  }

  /// The attributes the op was built with (`transposeA`, `axes`, the value of a constant).
  public var attributes: [String: AttributeValue] { graph.node(id).attributes }

  /// `hidden1/MatMul (MatMul)`.
  public var description: String { "\(name) (\(type))" }

  /// Whether both are the same node of the same graph.
  public static func == (lhs: Operation, rhs: Operation) -> Bool {
    lhs.graph === rhs.graph && lhs.id == rhs.id
  }

  /// Hashes the graph's identity and the node id.
  public func hash(into hasher: inout Hasher) {
    hasher.combine(ObjectIdentifier(graph))
    hasher.combine(id)
  }
}
