/// Builds the gradients of one op: from the gradients flowing into its outputs, the
/// gradients of its inputs (`nil` where none flows).
typealias GradientFunction = @Sendable (GradientContext) throws -> [Tensor?]

/// What an op's gradient function sees.
struct GradientContext {
  let op: Operation
  let inputs: [Tensor]
  let outputs: [Tensor]
  /// The gradient arriving at each output; `nil` for an output nothing differentiates.
  let outputGradients: [Tensor?]
  /// Which inputs need a gradient; an op may skip building the others.
  let needed: [Bool]

  var graph: Graph { op.graph }

  /// The gradient of output 0, for ops with a single differentiable output.
  var gradient: Tensor {
    guard let gradient = outputGradients[0] else {
      preconditionFailure("\(op.name): gradient requested for an output without one")
    }
    return gradient
  }

  var attributes: Attributes { Attributes(op.attributes, owner: op.name) }

  /// Whether input `i` needs a gradient.
  func needs(_ i: Int) -> Bool { needed[i] }
}

/// Adds to the graph the gradients of the sum of `ys` with respect to each of `xs`, as
/// TensorFlow's `tf.gradients` does.
///
/// Gradients flow only along paths from `xs` to `ys` through floating-point tensors; where
/// paths join, their gradients are summed; `stopGradient` blocks them. The result holds
/// `nil` for an `x` that no `y` depends on. `gradYs`, when given, weights each `y` (the
/// default is ones). The new ops live under the scope `gradients/` and are ordinary graph
/// nodes: they can be fetched, explained and, where the ops allow, differentiated again.
///
/// Only ops between `xs` and `ys` are differentiated, so the gradient computation never
/// needs a value from below a tensor that `xs` do not depend on.
///
/// - Throws: `FrostError.invalidArgument` when a tensor is from another graph, a `y` is not
///   floating point, `gradYs` does not match `ys`, or an op on the path has no gradient
///   (the message names it and suggests `stopGradient`). The graph is unchanged on error.
public func gradients(
  of ys: [Tensor], withRespectTo xs: [Tensor], gradYs: [Tensor]? = nil
) throws -> [Tensor?] {
  guard let graph = ys.first?.graph ?? xs.first?.graph else { return [] }
  for tensor in ys + xs + (gradYs ?? []) where tensor.graph !== graph {
    throw FrostError.invalidArgument("gradients: '\(tensor.name)' belongs to another graph")
  }
  for y in ys where !y.dtype.isFloatingPoint {
    throw FrostError.invalidArgument(
      "gradients: '\(y.name)' is \(y.dtype); only floating-point tensors can be differentiated")
  }
  if let gradYs {
    guard gradYs.count == ys.count else {
      throw FrostError.invalidArgument(
        "gradients: \(gradYs.count) gradYs for \(ys.count) ys")
    }
    for (y, g) in zip(ys, gradYs) where g.dtype != y.dtype || !g.shape.isCompatible(with: y.shape) {
      throw FrostError.invalidArgument(
        "gradients: gradY '\(g.name)' of type \(g.type) does not match '\(y.name)' of type \(y.type)"
      )
    }
  }
  return try graph.atomically {
    try graph.withNameScope("gradients") {
      try Backpropagation(graph: graph, ys: ys, xs: xs).run(gradYs: gradYs)
    }
  }
}

/// One reverse-mode pass. Node ids are a topological order (a graph only appends), so
/// visiting the ops between xs and ys by decreasing id releases each op after all its
/// consumers have delivered their gradients.
private struct Backpropagation {
  let graph: Graph
  let ys: [Tensor]
  let xs: [Tensor]
  /// Ops that depend on some x through floating-point edges and lead to some y.
  var between = Set<Int>()
  /// Endpoints through which a gradient can flow: outputs of ops in `between`, and the xs.
  var carriers = Set<Endpoint>()

  init(graph: Graph, ys: [Tensor], xs: [Tensor]) {
    self.graph = graph
    self.ys = ys
    self.xs = xs

    // Forward from xs along floating-point edges, not through stopGradient.
    var downstream = Set<Int>()
    var reached = Set(xs.filter { $0.dtype.isFloatingPoint }.map(\.endpoint))
    let first = xs.map(\.endpoint.node).min() ?? 0
    let count = graph.nodeCount
    for id in first..<count {
      let node = graph.node(id)
      guard node.op !== Ops.stopGradient, node.inputs.contains(where: reached.contains) else {
        continue
      }
      downstream.insert(id)
      for (index, type) in node.outputs.enumerated() where type.dtype.isFloatingPoint {
        reached.insert(Endpoint(node: id, index: index))
      }
    }

    // Backward from ys, keeping what is downstream of xs.
    var stack = ys.map(\.endpoint.node)
    var visited = Set<Int>()
    while let id = stack.popLast() {
      guard visited.insert(id).inserted else { continue }
      if downstream.contains(id) { between.insert(id) }
      stack += graph.node(id).inputs.map(\.node)
    }
    carriers = reached
  }

  func run(gradYs: [Tensor]?) throws -> [Tensor?] {
    var pending: [Endpoint: [Tensor]] = [:]
    for (i, y) in ys.enumerated() {
      let seed = try gradYs?[i] ?? onesLike(y, name: "grad_ys_\(i)")
      pending[y.endpoint, default: []].append(seed)
    }

    for id in between.sorted(by: >) {
      let node = graph.node(id)
      let op = Operation(graph: graph, id: id)
      var outputGradients: [Tensor?] = []
      for index in node.outputs.indices {
        let endpoint = Endpoint(node: id, index: index)
        outputGradients.append(try sum(pending[endpoint], name: "\(node.name)_grad/sum"))
      }
      guard outputGradients.contains(where: { $0 != nil }) else { continue }
      guard let gradient = node.op.gradient else {
        throw FrostError.invalidArgument(
          "gradients: op '\(node.name)' (\(node.op.name)) has no gradient; wrap its input in"
            + " stopGradient if no gradient should flow through it")
      }
      let needed = node.inputs.map { carriers.contains($0) }
      let context = GradientContext(
        op: op, inputs: op.inputs, outputs: op.outputs, outputGradients: outputGradients,
        needed: needed)
      let inputGradients = try graph.withNameScope(node.name + "_grad") {
        try gradient(context)
      }
      precondition(
        inputGradients.count == node.inputs.count,
        "\(node.op.name): gradient returned \(inputGradients.count) values"
          + " for \(node.inputs.count) inputs")
      for (input, grad) in zip(node.inputs, inputGradients) {
        guard let grad, carriers.contains(input) else { continue }
        pending[input, default: []].append(grad)
      }
    }

    return try xs.map { x in try sum(pending[x.endpoint], name: "\(x.op.name)_grad/sum") }
  }

  /// The sum of the gradients that met at one endpoint (`nil` when none did).
  private func sum(_ terms: [Tensor]?, name: String) throws -> Tensor? {
    guard let terms, let first = terms.first else { return nil }
    if terms.count == 1 { return first }
    return try addN(terms, name: name)
  }
}
