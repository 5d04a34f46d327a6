// Activation functions and their gradient kernels: relu and its variants, sigmoid, tanh,
// softplus, softmax and logSoftmax. Tanh's definition is `Ops.tanhOp`, so that it does not
// hide the scalar `tanh` inside `extension Ops` (see Math.swift).

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
    "Relu", infer: unaryInference(DType.floats),
    kernel: { try floatUnaryKernel(ReluFamily.self, $0) },
    gradient: { context in
      [
        try context.graph.addOp(
          Ops.reluGrad, [context.gradient, context.outputs[0]], name: "ReluGrad")
      ]
    })

  static let reluGrad: OpDefinition = OpDefinition(
    "ReluGrad", infer: broadcastInference(DType.floats),
    kernel: { try floatBinaryKernel(ReluGradFamily.self, $0) },
    gradient: { context in
      [
        try context.graph.addOp(
          Ops.reluGrad, [context.gradient, context.inputs[1]], name: "ReluGrad"),
        nil,
      ]
    })
}

/// `max(x, 0)`, elementwise (TensorFlow's `tf.nn.relu`). Its gradient at 0 is 0.
///
/// - Throws: `FrostError.invalidArgument` unless `x` is float32 or float64.
public func relu(_ x: Tensor, name: String? = nil) throws -> Tensor {
  try x.graph.addOp(Ops.relu, [x], name: name ?? "Relu")
}

private enum Relu6Family: FloatUnaryFamily {
  static func apply<T: FloatScalar>(_ x: T) -> T { x > 0 ? (x < 6 ? x : 6) : 0 }
}

/// `gradient` where the relu6 output lies strictly between 0 and 6, else 0.
private enum Relu6GradFamily: FloatBinaryFamily {
  static func apply<T: FloatScalar>(_ gradient: T, _ output: T) -> T {
    output > 0 && output < 6 ? gradient : 0
  }
}

private enum EluFamily: FloatUnaryFamily {
  static func apply<T: FloatScalar>(_ x: T) -> T { x > 0 ? x : T.expm1(x) }
}

/// The elu derivative through the output: 1 above 0, `y + 1` (that is `eˣ`) below.
private enum EluGradFamily: FloatBinaryFamily {
  static func apply<T: FloatScalar>(_ gradient: T, _ output: T) -> T {
    output > 0 ? gradient : gradient * (output + 1)
  }
}

/// The constants of selu (Klambauer et al. 2017), as TensorFlow spells them.
private enum SeluConstants {
  static let alpha = 1.6732632423543772
  static let scale = 1.0507009873554805
}

private enum SeluFamily: FloatUnaryFamily {
  static func apply<T: FloatScalar>(_ x: T) -> T {
    let scale = T(fromDouble: SeluConstants.scale)
    let alpha = T(fromDouble: SeluConstants.alpha)
    return x > 0 ? scale * x : scale * alpha * T.expm1(x)
  }
}

/// The selu derivative through the output: `scale` above 0, `y + scale * alpha` below.
private enum SeluGradFamily: FloatBinaryFamily {
  static func apply<T: FloatScalar>(_ gradient: T, _ output: T) -> T {
    let scale = T(fromDouble: SeluConstants.scale)
    let scaledAlpha = T(fromDouble: SeluConstants.scale * SeluConstants.alpha)
    return output > 0 ? gradient * scale : gradient * (output + scaledAlpha)
  }
}

/// `1 / (1 + e⁻ˣ)`: for large negative `x` the exponential overflows to infinity and the
/// quotient to an exact 0, for large positive `x` it gives 1, never NaN.
private enum SigmoidFamily: FloatUnaryFamily {
  static func apply<T: FloatScalar>(_ x: T) -> T { 1 / (1 + T.exp(-x)) }
}

private enum SigmoidGradFamily: FloatBinaryFamily {
  static func apply<T: FloatScalar>(_ gradient: T, _ output: T) -> T {
    gradient * output * (1 - output)
  }
}

private enum TanhFamily: FloatUnaryFamily {
  static func apply<T: FloatScalar>(_ x: T) -> T { T.tanh(x) }
}

private enum TanhGradFamily: FloatBinaryFamily {
  static func apply<T: FloatScalar>(_ gradient: T, _ output: T) -> T {
    gradient * (1 - output * output)
  }
}

/// `log(1 + eˣ)` as `log1p(e^-|x|) + max(x, 0)`: no overflow for large `x`, and full
/// precision for large negative `x`.
private enum SoftplusFamily: FloatUnaryFamily {
  static func apply<T: FloatScalar>(_ x: T) -> T {
    T.log1p(T.exp(-x.magnitude)) + (x > 0 ? x : 0)
  }
}

/// The definition of an elementwise activation computed by `F`, whose gradient is the
/// op `gradientOp` of (gradient, output).
private func activationOp<F: FloatUnaryFamily & SendableMetatype>(
  _ name: String, _ family: F.Type, gradientOp: @escaping @Sendable () -> OpDefinition
) -> OpDefinition {
  OpDefinition(
    name, infer: unaryInference(DType.floats),
    kernel: { try floatUnaryKernel(F.self, $0) },
    gradient: { context in
      let op = gradientOp()
      return [
        try context.graph.addOp(op, [context.gradient, context.outputs[0]], name: op.name)
      ]
    })
}

/// The definition of the gradient op of an activation: `F` of (gradient `g`, output `y`),
/// in place of `g`. The op is linear in `g`, so its own gradient there is the op again,
/// applied to the incoming `gg`; `outputGradient(gg, g, y)` builds the one with respect
/// to `y`, and none flows to `y` without it (relu6, piecewise linear).
private func activationGradOp<F: FloatBinaryFamily & SendableMetatype>(
  _ name: String, _ family: F.Type,
  outputGradient: (@Sendable (Tensor, Tensor, Tensor) throws -> Tensor)? = nil
) -> OpDefinition {
  OpDefinition(
    name, infer: broadcastInference(DType.floats),
    kernel: { try floatBinaryKernel(F.self, $0) },
    gradient: { context in
      let (g, y) = (context.inputs[0], context.inputs[1])
      let gg = context.gradient
      let definition = context.graph.node(context.op.id).op
      return [
        context.needs(0) ? try context.graph.addOp(definition, [gg, y], name: name) : nil,
        context.needs(1) ? try outputGradient?(gg, g, y) : nil,
      ]
    })
}

/// `gg * g` where the output is negative, else 0: the derivative of the elu and selu
/// gradients with respect to their output.
private func negativeOutputGradient(_ gg: Tensor, _ g: Tensor, _ y: Tensor) throws
  -> Tensor
{
  let negative = try less(y, y.graph.constant(0, dtype: y.dtype))
  let product = try gg * g
  return try select(negative, product, zerosLike(product))
}

extension Ops {
  static let relu6: OpDefinition = activationOp("Relu6", Relu6Family.self) { Ops.relu6Grad }

  static let relu6Grad: OpDefinition = activationGradOp("Relu6Grad", Relu6GradFamily.self)

  static let leakyRelu: OpDefinition = OpDefinition(
    "LeakyRelu", infer: unaryInference(DType.floats),
    kernel: { setup in
      let alpha = setup.attributes.double("alpha")
      return try dispatch(
        setup, float32: { leakyReluKernel(Float.self, alpha: alpha) },
        float64: { leakyReluKernel(Double.self, alpha: alpha) })
    },
    gradient: { context in
      [
        try context.graph.addOp(
          Ops.leakyReluGrad, [context.gradient, context.inputs[0]],
          attributes: ["alpha": .double(context.attributes.double("alpha"))],
          name: "LeakyReluGrad")
      ]
    })

  /// `gradient` where the input (input 1) is positive, `alpha * gradient` elsewhere.
  static let leakyReluGrad: OpDefinition = OpDefinition(
    "LeakyReluGrad", infer: broadcastInference(DType.floats),
    kernel: { setup in
      let alpha = setup.attributes.double("alpha")
      return try dispatch(
        setup, float32: { leakyReluGradKernel(Float.self, alpha: alpha) },
        float64: { leakyReluGradKernel(Double.self, alpha: alpha) })
    },
    gradient: { context in
      [
        try context.graph.addOp(
          Ops.leakyReluGrad, [context.gradient, context.inputs[1]],
          attributes: ["alpha": .double(context.attributes.double("alpha"))],
          name: "LeakyReluGrad"),
        nil,
      ]
    })

  static let elu: OpDefinition = activationOp("Elu", EluFamily.self) { Ops.eluGrad }

  static let eluGrad: OpDefinition = activationGradOp(
    "EluGrad", EluGradFamily.self, outputGradient: negativeOutputGradient)

  static let selu: OpDefinition = activationOp("Selu", SeluFamily.self) { Ops.seluGrad }

  static let seluGrad: OpDefinition = activationGradOp(
    "SeluGrad", SeluGradFamily.self, outputGradient: negativeOutputGradient)

  static let sigmoid: OpDefinition = activationOp("Sigmoid", SigmoidFamily.self) {
    Ops.sigmoidGrad
  }

  static let sigmoidGrad: OpDefinition = activationGradOp(
    "SigmoidGrad", SigmoidGradFamily.self,
    outputGradient: { gg, g, y in
      // d/dy of g y (1 - y) is g (1 - 2y).
      try gg * g * (1 - y * 2)
    })

  static let tanhOp: OpDefinition = activationOp("Tanh", TanhFamily.self) { Ops.tanhGrad }

  static let tanhGrad: OpDefinition = activationGradOp(
    "TanhGrad", TanhGradFamily.self,
    outputGradient: { gg, g, y in
      // d/dy of g (1 - y²) is -2 g y.
      try gg * g * (y * -2)
    })

  static let softplus: OpDefinition = OpDefinition(
    "Softplus", infer: unaryInference(DType.floats),
    kernel: { try floatUnaryKernel(SoftplusFamily.self, $0) },
    gradient: { context in [try context.gradient * Frost.sigmoid(context.inputs[0])] })

  static let softmax: OpDefinition = OpDefinition(
    "Softmax", infer: softmaxInference,
    kernel: { setup in
      let axis = setup.attributes.int("axis")
      return try dispatch(
        setup, float32: { softmaxKernel(Float.self, axis: axis, log: false) },
        float64: { softmaxKernel(Double.self, axis: axis, log: false) })
    },
    gradient: { context in
      [
        try context.graph.addOp(
          Ops.softmaxGrad, [context.gradient, context.outputs[0]],
          attributes: ["axis": .int(context.attributes.int("axis"))], name: "SoftmaxGrad")
      ]
    })

  /// `(g - sum(g * y)) * y` along the axis, for gradient `g` and softmax output `y`.
  static let softmaxGrad: OpDefinition = OpDefinition(
    "SoftmaxGrad", infer: softmaxGradInference,
    kernel: { setup in
      let axis = setup.attributes.int("axis")
      return try dispatch(
        setup, float32: { softmaxGradKernel(Float.self, axis: axis, log: false) },
        float64: { softmaxGradKernel(Double.self, axis: axis, log: false) })
    },
    gradient: { context in
      let (g, y) = (context.inputs[0], context.inputs[1])
      let gg = context.gradient
      let axis = context.attributes.int("axis")
      var gradG: Tensor?
      var gradY: Tensor?
      if context.needs(0) {
        gradG = try context.graph.addOp(
          Ops.softmaxGrad, [gg, y], attributes: ["axis": .int(axis)], name: "SoftmaxGrad")
      }
      if context.needs(1) {
        // z = (g - s) y with s = sum(g y): dz/dy = gg (g - s) - g sum(gg y).
        let s = try reduceSum(g * y, axes: [axis], keepDims: true)
        let t = try reduceSum(gg * y, axes: [axis], keepDims: true)
        gradY = try gg * (g - s) - g * t
      }
      return [gradG, gradY]
    })

  static let logSoftmax: OpDefinition = OpDefinition(
    "LogSoftmax", infer: softmaxInference,
    kernel: { setup in
      let axis = setup.attributes.int("axis")
      return try dispatch(
        setup, float32: { softmaxKernel(Float.self, axis: axis, log: true) },
        float64: { softmaxKernel(Double.self, axis: axis, log: true) })
    },
    gradient: { context in
      [
        try context.graph.addOp(
          Ops.logSoftmaxGrad, [context.gradient, context.outputs[0]],
          attributes: ["axis": .int(context.attributes.int("axis"))], name: "LogSoftmaxGrad")
      ]
    })

  /// `g - exp(y) * sum(g)` along the axis, for gradient `g` and logSoftmax output `y`.
  static let logSoftmaxGrad: OpDefinition = OpDefinition(
    "LogSoftmaxGrad", infer: softmaxGradInference,
    kernel: { setup in
      let axis = setup.attributes.int("axis")
      return try dispatch(
        setup, float32: { softmaxGradKernel(Float.self, axis: axis, log: true) },
        float64: { softmaxGradKernel(Double.self, axis: axis, log: true) })
    },
    gradient: { context in
      let (g, y) = (context.inputs[0], context.inputs[1])
      let gg = context.gradient
      let axis = context.attributes.int("axis")
      let p = try Frost.exp(y)
      return [
        context.needs(0) ? try gg - reduceSum(gg * p, axes: [axis], keepDims: true) : nil,
        context.needs(1)
          ? try Frost.negate(gg * p * reduceSum(g, axes: [axis], keepDims: true)) : nil,
      ]
    })
}

private func leakyReluKernel<T: FloatScalar>(_ type: T.Type, alpha: Double) -> Kernel {
  let alpha = T(fromDouble: alpha)
  return { io in
    let out = io.output(0)
    let x = io.input(0).pointer(T.self)
    let z = out.pointer(T.self)
    for i in 0..<out.count { z[i] = x[i] > 0 ? x[i] : alpha * x[i] }
  }
}

private func leakyReluGradKernel<T: FloatScalar>(_ type: T.Type, alpha: Double) -> Kernel {
  let alpha = T(fromDouble: alpha)
  return { io in
    let out = io.output(0)
    let g = io.input(0).pointer(T.self)
    let x = io.input(1).pointer(T.self)
    let z = out.pointer(T.self)
    for i in 0..<out.count { z[i] = x[i] > 0 ? g[i] : alpha * g[i] }
  }
}

/// Shape function of softmax and logSoftmax: floats of rank 1 or more, the `axis`
/// attribute within the rank (negative counts from the end).
private func softmaxInference(_ context: inout InferenceContext) throws -> [TensorType] {
  let dtype = try context.dtype(of: 0, in: DType.floats)
  if let rank = context.inputs[0].shape.rank {
    let axis = context.attributes.int("axis")
    guard rank > 0 else {
      throw context.error("\(context.describeInput(0)) is a scalar; it needs rank 1 or more")
    }
    guard axis >= -rank, axis < rank else {
      throw context.error("axis \(axis) is out of range for \(context.describeInput(0))")
    }
  }
  return [TensorType(dtype, context.inputs[0].shape)]
}

/// Shape function of the softmax gradients: the gradient and the output, of one shape.
private func softmaxGradInference(_ context: inout InferenceContext) throws -> [TensorType] {
  let dtype = try context.sameDType(DType.floats)
  guard let shape = context.inputs[0].shape.merged(with: context.inputs[1].shape) else {
    throw context.error(
      "\(context.describeInput(0)) does not match \(context.describeInput(1))")
  }
  return [TensorType(dtype, shape)]
}

/// Calls `body(start, length, stride)` for every line of `shape` along `axis` (negative
/// counts from the end): the `length` elements at `start`, `start + stride`, ...
private func forEachLine(
  _ shape: [Int], axis: Int, _ body: (_ start: Int, _ length: Int, _ stride: Int) -> Void
) {
  let axis = axis < 0 ? axis + shape.count : axis
  let length = shape[axis]
  let inner = shape[(axis + 1)...].reduce(1, *)
  let outer = shape[..<axis].reduce(1, *)
  guard length > 0, inner > 0 else { return }
  for o in 0..<outer {
    let base = o * length * inner
    for j in 0..<inner { body(base + j, length, inner) }
  }
}

/// Softmax, or logSoftmax when `log`, of every line along `axis`. Each line is shifted by
/// its maximum before exponentiation, so no finite logit overflows; each line is computed
/// alone, in one order, whatever the batch size.
private func softmaxKernel<T: FloatScalar>(_ type: T.Type, axis: Int, log: Bool) -> Kernel {
  { io in
    let input = io.input(0)
    let x = input.pointer(T.self)
    let z = io.output(0).pointer(T.self)
    forEachLine(input.shape, axis: axis) { start, length, stride in
      // A literal stride of 1 (the last axis, the common case) lets the loops vectorize.
      if stride == 1 {
        softmaxLine(x + start, z + start, length: length, stride: 1, log: log)
      } else {
        softmaxLine(x + start, z + start, length: length, stride: stride, log: log)
      }
    }
  }
}

@inline(__always)
private func softmaxLine<T: FloatScalar>(
  _ x: UnsafeMutablePointer<T>, _ z: UnsafeMutablePointer<T>, length: Int, stride: Int,
  log: Bool
) {
  var top = x[0]
  for k in 1..<length where x[k * stride] > top { top = x[k * stride] }
  var sum: T = 0
  if log {
    for k in 0..<length { sum += T.exp(x[k * stride] - top) }
    let logSum = T.log(sum)
    for k in 0..<length { z[k * stride] = (x[k * stride] - top) - logSum }
  } else {
    for k in 0..<length {
      let e = T.exp(x[k * stride] - top)
      z[k * stride] = e
      sum += e
    }
    for k in 0..<length { z[k * stride] /= sum }
  }
}

/// The softmax gradient `(g - sum(g y)) y`, or the logSoftmax gradient
/// `g - exp(y) sum(g)` when `log`, along every line of `axis`.
private func softmaxGradKernel<T: FloatScalar>(_ type: T.Type, axis: Int, log: Bool) -> Kernel {
  { io in
    let out = io.output(0)
    let g = io.input(0).pointer(T.self)
    let y = io.input(1).pointer(T.self)
    let z = out.pointer(T.self)
    forEachLine(out.shape, axis: axis) { start, length, stride in
      if stride == 1 {
        softmaxGradLine(g + start, y + start, z + start, length: length, stride: 1, log: log)
      } else {
        softmaxGradLine(
          g + start, y + start, z + start, length: length, stride: stride, log: log)
      }
    }
  }
}

@inline(__always)
private func softmaxGradLine<T: FloatScalar>(
  _ g: UnsafeMutablePointer<T>, _ y: UnsafeMutablePointer<T>, _ z: UnsafeMutablePointer<T>,
  length: Int, stride: Int, log: Bool
) {
  var sum: T = 0
  if log {
    for k in 0..<length { sum += g[k * stride] }
    for k in 0..<length { z[k * stride] = g[k * stride] - T.exp(y[k * stride]) * sum }
  } else {
    for k in 0..<length { sum += g[k * stride] * y[k * stride] }
    for k in 0..<length { z[k * stride] = (g[k * stride] - sum) * y[k * stride] }
  }
}

/// `axis` counted from the front when `x`'s rank is known and `axis` is within it;
/// otherwise as given, for the shape function to check.
private func resolvedAxis(_ axis: Int, of x: Tensor) -> Int {
  guard let rank = x.shape.rank, axis < 0, axis >= -rank else { return axis }
  return axis + rank
}

/// `min(max(x, 0), 6)`, elementwise (TensorFlow's `tf.nn.relu6`). Its gradient is 0 at 0
/// and at 6.
///
/// - Throws: `FrostError.invalidArgument` unless `x` is float32 or float64.
public func relu6(_ x: Tensor, name: String? = nil) throws -> Tensor {
  try x.graph.addOp(Ops.relu6, [x], name: name ?? "Relu6")
}

/// `x` where positive, `alpha * x` elsewhere (TensorFlow's `tf.nn.leaky_relu`, with its
/// default `alpha` of 0.2). Its gradient at 0 is `alpha`.
///
/// - Throws: `FrostError.invalidArgument` unless `x` is float32 or float64.
public func leakyRelu(_ x: Tensor, alpha: Double = 0.2, name: String? = nil) throws -> Tensor {
  try x.graph.addOp(
    Ops.leakyRelu, [x], attributes: ["alpha": .double(alpha)], name: name ?? "LeakyRelu")
}

/// `x` where positive, `eˣ - 1` elsewhere (TensorFlow's `tf.nn.elu`), through `expm1`
/// for precision near 0. Its gradient at 0 is 1.
///
/// - Throws: `FrostError.invalidArgument` unless `x` is float32 or float64.
public func elu(_ x: Tensor, name: String? = nil) throws -> Tensor {
  try x.graph.addOp(Ops.elu, [x], name: name ?? "Elu")
}

/// `scale * x` where positive, `scale * alpha * (eˣ - 1)` elsewhere, with TensorFlow's
/// constants `alpha = 1.6732632423543772` and `scale = 1.0507009873554805`
/// (`tf.nn.selu`).
///
/// - Throws: `FrostError.invalidArgument` unless `x` is float32 or float64.
public func selu(_ x: Tensor, name: String? = nil) throws -> Tensor {
  try x.graph.addOp(Ops.selu, [x], name: name ?? "Selu")
}

/// `1 / (1 + e⁻ˣ)`, elementwise (TensorFlow's `tf.sigmoid`). Stable for any magnitude:
/// exactly 0 or 1 far out (`sigmoid(±1e4)`), never NaN for finite `x`. The gradient is
/// computed from the output.
///
/// - Throws: `FrostError.invalidArgument` unless `x` is float32 or float64.
public func sigmoid(_ x: Tensor, name: String? = nil) throws -> Tensor {
  try x.graph.addOp(Ops.sigmoid, [x], name: name ?? "Sigmoid")
}

/// The hyperbolic tangent, elementwise (TensorFlow's `tf.tanh`); the gradient is computed
/// from the output.
///
/// - Throws: `FrostError.invalidArgument` unless `x` is float32 or float64.
public func tanh(_ x: Tensor, name: String? = nil) throws -> Tensor {
  try x.graph.addOp(Ops.tanhOp, [x], name: name ?? "Tanh")
}

/// `log(1 + eˣ)`, elementwise (TensorFlow's `tf.nn.softplus`), computed as
/// `log1p(e^-|x|) + max(x, 0)`: no overflow for large `x` (`softplus(1e4)` is `1e4`) and
/// full precision for large negative `x`. Its gradient is `sigmoid(x)`.
///
/// - Throws: `FrostError.invalidArgument` unless `x` is float32 or float64.
public func softplus(_ x: Tensor, name: String? = nil) throws -> Tensor {
  try x.graph.addOp(Ops.softplus, [x], name: name ?? "Softplus")
}

/// `exp(x) / sum(exp(x))` along `axis` (the last by default; negative counts from the
/// end), as TensorFlow's `tf.nn.softmax`. Each line is shifted by its maximum first, so
/// finite logits of any magnitude give no NaN or infinity (`[1e4, -1e4, 0]` gives
/// `[1, 0, 0]`). The last axis takes contiguous loops; other axes are walked with a stride.
///
/// - Throws: `FrostError.invalidArgument` unless `logits` is float32 or float64 of rank 1
///   or more with `axis` in range.
public func softmax(_ logits: Tensor, axis: Int = -1, name: String? = nil) throws -> Tensor {
  try logits.graph.addOp(
    Ops.softmax, [logits], attributes: ["axis": .int(resolvedAxis(axis, of: logits))],
    name: name ?? "Softmax")
}

/// `x - log(sum(exp(x)))` along `axis` (TensorFlow's `tf.nn.log_softmax`), computed as
/// `(x - max) - log(sum(exp(x - max)))`: finite for finite logits of any magnitude
/// (`[1e4, -1e4, 0]` gives `[0, -2e4, -1e4]`).
///
/// - Throws: `FrostError.invalidArgument` unless `logits` is float32 or float64 of rank 1
///   or more with `axis` in range.
public func logSoftmax(_ logits: Tensor, axis: Int = -1, name: String? = nil) throws -> Tensor {
  try logits.graph.addOp(
    Ops.logSoftmax, [logits], attributes: ["axis": .int(resolvedAxis(axis, of: logits))],
    name: name ?? "LogSoftmax")
}
