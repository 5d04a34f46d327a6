// Identity, stopGradient, tensors of ones or zeros shaped like another, placeholders with
// a default value, and operations that only order others (noOp).

extension Ops {
  static let identity: OpDefinition = OpDefinition(
    "Identity", traits: [.aliasesInput], infer: { context in [context.inputs[0]] },
    kernel: { _ in { io in io.aliasInput() } },
    gradient: { context in [context.gradient] })

  static let stopGradient: OpDefinition = OpDefinition(
    "StopGradient", traits: [.aliasesInput], infer: { context in [context.inputs[0]] },
    kernel: { _ in { io in io.aliasInput() } })

  static let onesLike: OpDefinition = OpDefinition(
    "OnesLike", shapeOnly: [0], infer: { context in [context.inputs[0]] },
    kernel: { setup in fillKernel(setup.outputTypes[0].dtype, value: 1) },
    gradient: { _ in [nil] })

  static let zerosLike: OpDefinition = OpDefinition(
    "ZerosLike", shapeOnly: [0], infer: { context in [context.inputs[0]] },
    kernel: { setup in fillKernel(setup.outputTypes[0].dtype, value: 0) },
    gradient: { _ in [nil] })

  /// Input 0 unless the output is fed. Its static shape is the declared one, refined by the
  /// default's; when not fed, the output is the default's memory (no copy).
  static let placeholderWithDefault: OpDefinition = OpDefinition(
    "PlaceholderWithDefault", traits: [.switchable, .aliasesInput],
    infer: { context in
      let declared = context.attributes.shape("shape")
      let actual = context.inputs[0].shape
      guard let merged = declared.merged(with: actual) else {
        throw context.error(
          "the default \(context.describeInput(0)) does not have the declared shape \(declared)")
      }
      return [TensorType(context.inputs[0].dtype, merged)]
    },
    kernel: { _ in { io in io.aliasInput() } },
    gradient: { context in [context.gradient] })
}

extension Shape {
  /// Whether some dimension (or the rank) is known here and unknown in `other`.
  fileprivate func isMoreSpecific(than other: Shape) -> Bool {
    guard let dims else { return false }
    guard let otherDims = other.dims else { return true }
    return zip(dims, otherDims).contains { $0 != nil && $1 == nil }
  }
}

/// A kernel filling output 0 with `value` converted to `dtype`.
func fillKernel(_ dtype: DType, value: Double) -> Kernel {
  switch dtype {
  case .float32: { io in io.output(0).buffer(Float.self).update(repeating: Float(value)) }
  case .float64: { io in io.output(0).buffer(Double.self).update(repeating: value) }
  case .int32: { io in io.output(0).buffer(Int32.self).update(repeating: Int32(clamping: value)) }
  case .bool: { io in io.output(0).buffer(Bool.self).update(repeating: value != 0) }
  }
}

/// `x` itself, as a new node (TensorFlow's `tf.identity`); it shares `x`'s memory.
public func identity(_ x: Tensor, name: String? = nil) throws -> Tensor {
  try x.graph.addOp(Ops.identity, [x], name: name ?? "Identity")
}

/// `x` itself, but gradients do not flow through it (TensorFlow's `tf.stop_gradient`).
public func stopGradient(_ x: Tensor, name: String? = nil) throws -> Tensor {
  try x.graph.addOp(Ops.stopGradient, [x], name: name ?? "StopGradient")
}

/// A tensor of ones with `x`'s dtype and shape.
public func onesLike(_ x: Tensor, name: String? = nil) throws -> Tensor {
  try x.graph.addOp(Ops.onesLike, [x], name: name ?? "ones_like")
}

/// A tensor of zeros with `x`'s dtype and shape.
public func zerosLike(_ x: Tensor, name: String? = nil) throws -> Tensor {
  try x.graph.addOp(Ops.zerosLike, [x], name: name ?? "zeros_like")
}

/// A tensor equal to `defaultValue` unless it is fed (TensorFlow's
/// `tf.placeholder_with_default`): a switch such as `isTraining` that runs need not feed.
///
/// The result has the default's dtype and the declared `shape`. When it is fed, nothing
/// upstream of it runs; when it is not, it shares the default's memory. Gradients pass
/// through to the default, as in TensorFlow (also when a run feeds it).
///
/// `shape` must be as specific as the default's static shape: a `shape` that leaves unknown
/// a dimension the default fixes (a default of 2 rows declared `[nil, 3]`) would have to
/// accept feeds of other sizes, which shape inference cannot yet express, so it is refused.
///
/// - Throws: `FrostError.invalidArgument` when the default's shape does not fit `shape`,
///   or `shape` is less specific than the default's.
public func placeholderWithDefault(
  _ defaultValue: Tensor, shape: Shape, name: String? = nil
) throws -> Tensor {
  // Checked here rather than in the shape function, which at run time sees the concrete
  // shape of a default whose static shape is partial.
  if defaultValue.shape.isMoreSpecific(than: shape), defaultValue.shape.isCompatible(with: shape) {
    throw FrostError.invalidArgument(
      "PlaceholderWithDefault '\(name ?? "PlaceholderWithDefault")': the declared shape"
        + " \(shape) leaves unknown a dimension that the default '\(defaultValue.name)' of"
        + " shape \(defaultValue.shape) fixes; declare the default's shape (feeds of other"
        + " sizes are not supported)")
  }
  return try defaultValue.graph.addOp(
    Ops.placeholderWithDefault, [defaultValue], attributes: ["shape": .shape(shape)],
    name: name ?? "PlaceholderWithDefault")
}

/// An operation that does nothing (TensorFlow's `tf.no_op`): built inside
/// `Graph.withControlDependencies`, running it runs the dependencies first. `group` builds
/// one from a list of operations.
public func noOp(in graph: Graph, name: String? = nil) -> Operation {
  try! graph.addNode(Ops.noOp, inputs: [], name: name ?? "NoOp")
}
