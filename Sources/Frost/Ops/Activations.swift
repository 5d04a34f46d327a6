// Activation functions and their gradient kernels.

enum ReluFamily: FloatUnaryFamily {
  static func apply<T: FloatScalar>(_ x: T) -> T { x > 0 ? x : 0 }
}

/// `gradient * (output > 0)`: the derivative of relu expressed through its output.
enum ReluGradFamily: FloatBinaryFamily {
  static func apply<T: FloatScalar>(_ gradient: T, _ output: T) -> T {
    output > 0 ? gradient : 0
  }
}

extension Ops {
  static let relu: OpDefinition = OpDefinition(
    "Relu", traits: [.inPlace], infer: unaryInference(DType.floats),
    kernel: { try floatUnaryKernel(ReluFamily.self, $0) },
    gradient: { context in
      [try context.graph.addOp(Ops.reluGrad, [context.gradient, context.outputs[0]], name: "ReluGrad")]
    })

  static let reluGrad: OpDefinition = OpDefinition(
    "ReluGrad", traits: [.inPlace], infer: broadcastInference(DType.floats),
    kernel: { try floatBinaryKernel(ReluGradFamily.self, $0) },
    gradient: { context in
      [try context.graph.addOp(Ops.reluGrad, [context.gradient, context.inputs[1]], name: "ReluGrad"), nil]
    })
}

/// `max(x, 0)`, elementwise (TensorFlow's `tf.nn.relu`). Its gradient at 0 is 0.
///
/// - Throws: `FrostError.invalidArgument` unless `x` is float32 or float64.
public func relu(_ x: Tensor, name: String? = nil) throws -> Tensor {
  try x.graph.addOp(Ops.relu, [x], name: name ?? "Relu")
}
