// Elementwise math of one input (abs, sign, square, roots, exp and logs, sin and cos) and
// of two broadcast inputs (pow, maximum, minimum).
//
// The definitions of ops named like a Swift or Foundation math function (abs, exp, log,
// log1p, sqrt, sin, cos, pow) carry an `Op` suffix (`Ops.expOp`): a static `Ops.exp`
// would hide the scalar `exp` from every kernel written inside `extension Ops`.

private enum AbsFamily: FloatUnaryFamily {
  static func apply<T: FloatScalar>(_ x: T) -> T { x.magnitude }
}

/// -1, 0 or 1; zeros keep their sign and NaN stays NaN.
private enum SignFamily: FloatUnaryFamily {
  static func apply<T: FloatScalar>(_ x: T) -> T { x > 0 ? 1 : (x < 0 ? -1 : x) }
}

/// The largest integer not greater than x.
private enum FloorFamily: FloatUnaryFamily {
  static func apply<T: FloatScalar>(_ x: T) -> T { x.rounded(.down) }
}

private enum SquareFamily: FloatUnaryFamily {
  static func apply<T: FloatScalar>(_ x: T) -> T { x * x }
}

private enum SqrtFamily: FloatUnaryFamily {
  static func apply<T: FloatScalar>(_ x: T) -> T { x.squareRoot() }
}

private enum RsqrtFamily: FloatUnaryFamily {
  static func apply<T: FloatScalar>(_ x: T) -> T { 1 / x.squareRoot() }
}

private enum ExpFamily: FloatUnaryFamily {
  static func apply<T: FloatScalar>(_ x: T) -> T { T.exp(x) }
}

private enum LogFamily: FloatUnaryFamily {
  static func apply<T: FloatScalar>(_ x: T) -> T { T.log(x) }
}

private enum Log1pFamily: FloatUnaryFamily {
  static func apply<T: FloatScalar>(_ x: T) -> T { T.log1p(x) }
}

private enum SinFamily: FloatUnaryFamily {
  static func apply<T: FloatScalar>(_ x: T) -> T { T.sin(x) }
}

private enum CosFamily: FloatUnaryFamily {
  static func apply<T: FloatScalar>(_ x: T) -> T { T.cos(x) }
}

private enum PowFamily: FloatBinaryFamily {
  static func apply<T: FloatScalar>(_ a: T, _ b: T) -> T { T.pow(a, b) }
}

/// The larger of two numbers; NaN when either is NaN (`a != a` only for NaN).
private enum MaximumFamily: NumericBinaryFamily {
  static func apply<T: NumericScalar>(_ a: T, _ b: T) -> T { a > b || a != a ? a : b }
}

/// The smaller of two numbers; NaN when either is NaN.
private enum MinimumFamily: NumericBinaryFamily {
  static func apply<T: NumericScalar>(_ a: T, _ b: T) -> T { a < b || a != a ? a : b }
}

/// `|x|` of an int32 wraps as in TensorFlow: `|Int32.min|` is `Int32.min`, not a trap.
private struct Int32Abs: UnaryFunctor {
  static func apply(_ x: Int32) -> Int32 { x < 0 ? 0 &- x : x }
}

private struct Int32Sign: UnaryFunctor {
  static func apply(_ x: Int32) -> Int32 { x > 0 ? 1 : (x < 0 ? -1 : 0) }
}

/// `x * x` of an int32 wraps on overflow, as in TensorFlow.
private struct Int32Square: UnaryFunctor {
  static func apply(_ x: Int32) -> Int32 { x &* x }
}

/// A kernel applying `F` to floats and `I` to int32s.
private func floatOrInt32Kernel<F: FloatUnaryFamily, I: UnaryFunctor>(
  _ family: F.Type, int32 functor: I.Type, _ setup: KernelSetup
) throws -> Kernel where I.Input == Int32, I.Output == Int32 {
  try dispatch(
    setup, float32: { unaryKernel(FloatUnary<F, Float>.self) },
    float64: { unaryKernel(FloatUnary<F, Double>.self) }, int32: { unaryKernel(I.self) })
}

/// The definition of a unary op on floats, computed by `F`, in place.
private func floatUnaryOp<F: FloatUnaryFamily & SendableMetatype>(
  _ name: String, _ family: F.Type, gradient: @escaping GradientFunction
) -> OpDefinition {
  OpDefinition(
    name, traits: [.inPlace], infer: unaryInference(DType.floats),
    kernel: { try floatUnaryKernel(F.self, $0) }, gradient: gradient)
}

extension Ops {
  static let absOp: OpDefinition = OpDefinition(
    "Abs", traits: [.inPlace], infer: unaryInference(DType.numbers),
    kernel: { try floatOrInt32Kernel(AbsFamily.self, int32: Int32Abs.self, $0) },
    gradient: { context in [try context.gradient * Frost.sign(context.inputs[0])] })

  static let sign: OpDefinition = OpDefinition(
    "Sign", traits: [.inPlace], infer: unaryInference(DType.numbers),
    kernel: { try floatOrInt32Kernel(SignFamily.self, int32: Int32Sign.self, $0) },
    gradient: { _ in [nil] })

  static let floorOp: OpDefinition = floatUnaryOp("Floor", FloorFamily.self) { _ in [nil] }

  static let square: OpDefinition = OpDefinition(
    "Square", traits: [.inPlace], infer: unaryInference(DType.numbers),
    kernel: { try floatOrInt32Kernel(SquareFamily.self, int32: Int32Square.self, $0) },
    gradient: { context in [try context.gradient * (context.inputs[0] * 2)] })

  static let sqrtOp: OpDefinition = floatUnaryOp("Sqrt", SqrtFamily.self) { context in
    [try context.gradient / (context.outputs[0] * 2)]
  }

  static let rsqrt: OpDefinition = floatUnaryOp("Rsqrt", RsqrtFamily.self) { context in
    // d/dx x^(-1/2) = -y³/2.
    let y = context.outputs[0]
    return [try context.gradient * (y * y * y * -0.5)]
  }

  static let expOp: OpDefinition = floatUnaryOp("Exp", ExpFamily.self) { context in
    [try context.gradient * context.outputs[0]]
  }

  static let logOp: OpDefinition = floatUnaryOp("Log", LogFamily.self) { context in
    [try context.gradient / context.inputs[0]]
  }

  static let log1pOp: OpDefinition = floatUnaryOp("Log1p", Log1pFamily.self) { context in
    [try context.gradient / (context.inputs[0] + 1)]
  }

  static let sinOp: OpDefinition = floatUnaryOp("Sin", SinFamily.self) { context in
    [try context.gradient * Frost.cos(context.inputs[0])]
  }

  static let cosOp: OpDefinition = floatUnaryOp("Cos", CosFamily.self) { context in
    [try Frost.negate(context.gradient * Frost.sin(context.inputs[0]))]
  }

  static let powOp: OpDefinition = OpDefinition(
    "Pow", traits: [.inPlace], infer: broadcastInference(DType.floats),
    kernel: { try floatBinaryKernel(PowFamily.self, $0) },
    gradient: { context in
      let (x, y) = (context.inputs[0], context.inputs[1])
      let g = context.gradient
      var gradX: Tensor?
      var gradY: Tensor?
      if context.needs(0) {
        gradX = try unbroadcast(g * y * Frost.pow(x, y - 1), to: x, other: y)
      }
      if context.needs(1) {
        // z log x, taken as 0 where x <= 0 (as TensorFlow does); log reads a safe 1 there
        // so that no NaN reaches a second derivative through the unselected branch.
        let positive = try Frost.greater(x, context.graph.constant(0, dtype: x.dtype))
        let safeX = try Frost.select(positive, x, Frost.onesLike(x))
        let logX = try Frost.select(positive, Frost.log(safeX), Frost.zerosLike(x))
        gradY = try unbroadcast(g * context.outputs[0] * logX, to: y, other: x)
      }
      return [gradX, gradY]
    })

  static let maximum: OpDefinition = OpDefinition(
    "Maximum", traits: [.inPlace], infer: broadcastInference(DType.numbers),
    kernel: { try numericBinaryKernel(MaximumFamily.self, $0) },
    gradient: { context in
      try selectedGradients(context, mask: Frost.greaterEqual(context.inputs[0], context.inputs[1]))
    })

  static let minimum: OpDefinition = OpDefinition(
    "Minimum", traits: [.inPlace], infer: broadcastInference(DType.numbers),
    kernel: { try numericBinaryKernel(MinimumFamily.self, $0) },
    gradient: { context in
      try selectedGradients(context, mask: Frost.lessEqual(context.inputs[0], context.inputs[1]))
    })
}

/// The gradients of maximum or minimum: to `x` where `mask` holds, else to `y`.
private func selectedGradients(_ context: GradientContext, mask: Tensor) throws -> [Tensor?] {
  let (x, y) = (context.inputs[0], context.inputs[1])
  let g = context.gradient
  let zeros = try zerosLike(g)
  return [
    context.needs(0) ? try unbroadcast(select(mask, g, zeros), to: x, other: y) : nil,
    context.needs(1) ? try unbroadcast(select(mask, zeros, g), to: y, other: x) : nil,
  ]
}

/// `|x|`, elementwise (TensorFlow's `tf.abs`). For int32, `|Int32.min|` wraps to
/// `Int32.min` as in TensorFlow. The gradient at 0 is 0.
///
/// - Throws: `FrostError.invalidArgument` for a bool tensor.
public func abs(_ x: Tensor, name: String? = nil) throws -> Tensor {
  try x.graph.addOp(Ops.absOp, [x], name: name ?? "Abs")
}

/// -1, 0 or 1 by the sign of each element (TensorFlow's `tf.sign`); NaN stays NaN. Its
/// gradient is zero, so none flows through it.
///
/// - Throws: `FrostError.invalidArgument` for a bool tensor.
public func sign(_ x: Tensor, name: String? = nil) throws -> Tensor {
  try x.graph.addOp(Ops.sign, [x], name: name ?? "Sign")
}

/// The largest integer not greater than each element (TensorFlow's `tf.floor`); float32
/// or float64. Its gradient is zero almost everywhere, so none flows through it.
///
/// - Throws: `FrostError.invalidArgument` unless `x` is floating point.
public func floor(_ x: Tensor, name: String? = nil) throws -> Tensor {
  try x.graph.addOp(Ops.floorOp, [x], name: name ?? "Floor")
}

/// `x * x`, elementwise; int32 products wrap on overflow, as in TensorFlow.
///
/// - Throws: `FrostError.invalidArgument` for a bool tensor.
public func square(_ x: Tensor, name: String? = nil) throws -> Tensor {
  try x.graph.addOp(Ops.square, [x], name: name ?? "Square")
}

/// The square root, elementwise; NaN for negative elements.
///
/// - Throws: `FrostError.invalidArgument` unless `x` is float32 or float64.
public func sqrt(_ x: Tensor, name: String? = nil) throws -> Tensor {
  try x.graph.addOp(Ops.sqrtOp, [x], name: name ?? "Sqrt")
}

/// `1 / sqrt(x)`, elementwise (TensorFlow's `tf.rsqrt`).
///
/// - Throws: `FrostError.invalidArgument` unless `x` is float32 or float64.
public func rsqrt(_ x: Tensor, name: String? = nil) throws -> Tensor {
  try x.graph.addOp(Ops.rsqrt, [x], name: name ?? "Rsqrt")
}

/// `eˣ`, elementwise; overflows to infinity beyond about 88 in float32 (709 in float64).
///
/// - Throws: `FrostError.invalidArgument` unless `x` is float32 or float64.
public func exp(_ x: Tensor, name: String? = nil) throws -> Tensor {
  try x.graph.addOp(Ops.expOp, [x], name: name ?? "Exp")
}

/// The natural logarithm, elementwise: -inf at 0, NaN below.
///
/// - Throws: `FrostError.invalidArgument` unless `x` is float32 or float64.
public func log(_ x: Tensor, name: String? = nil) throws -> Tensor {
  try x.graph.addOp(Ops.logOp, [x], name: name ?? "Log")
}

/// `log(1 + x)`, elementwise, accurate for small `x`.
///
/// - Throws: `FrostError.invalidArgument` unless `x` is float32 or float64.
public func log1p(_ x: Tensor, name: String? = nil) throws -> Tensor {
  try x.graph.addOp(Ops.log1pOp, [x], name: name ?? "Log1p")
}

/// The sine of each element, in radians.
///
/// - Throws: `FrostError.invalidArgument` unless `x` is float32 or float64.
public func sin(_ x: Tensor, name: String? = nil) throws -> Tensor {
  try x.graph.addOp(Ops.sinOp, [x], name: name ?? "Sin")
}

/// The cosine of each element, in radians.
///
/// - Throws: `FrostError.invalidArgument` unless `x` is float32 or float64.
public func cos(_ x: Tensor, name: String? = nil) throws -> Tensor {
  try x.graph.addOp(Ops.cosOp, [x], name: name ?? "Cos")
}

/// `xʸ`, elementwise with numpy broadcasting (TensorFlow's `tf.pow`), as C's `pow`
/// computes it (NaN for a negative base with a non-integer exponent). The gradient with
/// respect to `y` is taken as 0 where `x <= 0`, as TensorFlow does.
///
/// Floats only: int32 powers are not supported (cast to float first).
///
/// - Throws: `FrostError.invalidArgument` when the dtypes differ or are not floats, or the
///   shapes cannot broadcast.
public func pow(_ x: Tensor, _ y: Tensor, name: String? = nil) throws -> Tensor {
  try x.graph.addOp(Ops.powOp, [x, y], name: name ?? "Pow")
}

/// The larger of `x` and `y`, elementwise with numpy broadcasting (TensorFlow's
/// `tf.maximum`); NaN where either is NaN. The gradient goes to `x` where `x >= y` and to
/// `y` elsewhere, so a tie sends all of it to `x`, as in TensorFlow.
///
/// - Throws: `FrostError.invalidArgument` when the dtypes differ or are bool, or the shapes
///   cannot broadcast.
public func maximum(_ x: Tensor, _ y: Tensor, name: String? = nil) throws -> Tensor {
  try x.graph.addOp(Ops.maximum, [x, y], name: name ?? "Maximum")
}

/// The smaller of `x` and `y`, elementwise with numpy broadcasting; NaN where either is
/// NaN. The gradient goes to `x` where `x <= y` and to `y` elsewhere.
///
/// - Throws: `FrostError.invalidArgument` when the dtypes differ or are bool, or the shapes
///   cannot broadcast.
public func minimum(_ x: Tensor, _ y: Tensor, name: String? = nil) throws -> Tensor {
  try x.graph.addOp(Ops.minimum, [x, y], name: name ?? "Minimum")
}
