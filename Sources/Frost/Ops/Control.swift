// Identity, stopGradient, and tensors of ones or zeros shaped like another.

extension Ops {
  static let identity: OpDefinition = OpDefinition(
    "Identity", traits: [.aliasesInput], infer: { context in [context.inputs[0]] },
    kernel: { _ in { io in io.aliasInput() } },
    gradient: { context in [context.gradient] })

  static let stopGradient: OpDefinition = OpDefinition(
    "StopGradient", traits: [.aliasesInput], infer: { context in [context.inputs[0]] },
    kernel: { _ in { io in io.aliasInput() } })

  static let onesLike: OpDefinition = OpDefinition(
    "OnesLike", infer: { context in [context.inputs[0]] },
    kernel: { setup in fillKernel(setup.outputTypes[0].dtype, value: 1) },
    gradient: { _ in [nil] })

  static let zerosLike: OpDefinition = OpDefinition(
    "ZerosLike", infer: { context in [context.inputs[0]] },
    kernel: { setup in fillKernel(setup.outputTypes[0].dtype, value: 0) },
    gradient: { _ in [nil] })
}

/// A kernel filling output 0 with `value` converted to `dtype`.
func fillKernel(_ dtype: DType, value: Double) -> Kernel {
  switch dtype {
  case .float32: { io in io.output(0).buffer(Float.self).update(repeating: Float(value)) }
  case .float64: { io in io.output(0).buffer(Double.self).update(repeating: value) }
  case .int32: { io in io.output(0).buffer(Int32.self).update(repeating: Int32(value)) }
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
