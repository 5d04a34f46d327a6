// Comparisons into bool tensors, logical operations on them, casts between dtypes, and
// select (TensorFlow 1's tf.where with x and y).

private enum EqualFamily: ComparisonFamily {
  static func apply<T: NumericScalar>(_ a: T, _ b: T) -> Bool { a == b }
}

private enum NotEqualFamily: ComparisonFamily {
  static func apply<T: NumericScalar>(_ a: T, _ b: T) -> Bool { a != b }
}

private enum LessFamily: ComparisonFamily {
  static func apply<T: NumericScalar>(_ a: T, _ b: T) -> Bool { a < b }
}

private enum LessEqualFamily: ComparisonFamily {
  static func apply<T: NumericScalar>(_ a: T, _ b: T) -> Bool { a <= b }
}

private enum GreaterFamily: ComparisonFamily {
  static func apply<T: NumericScalar>(_ a: T, _ b: T) -> Bool { a > b }
}

private enum GreaterEqualFamily: ComparisonFamily {
  static func apply<T: NumericScalar>(_ a: T, _ b: T) -> Bool { a >= b }
}

private struct BoolEqual: BinaryFunctor {
  static func apply(_ a: Bool, _ b: Bool) -> Bool { a == b }
}

private struct BoolNotEqual: BinaryFunctor {
  static func apply(_ a: Bool, _ b: Bool) -> Bool { a != b }
}

private struct LogicalAndFunctor: BinaryFunctor {
  static func apply(_ a: Bool, _ b: Bool) -> Bool { a && b }
}

private struct LogicalOrFunctor: BinaryFunctor {
  static func apply(_ a: Bool, _ b: Bool) -> Bool { a || b }
}

private struct LogicalNotFunctor: UnaryFunctor {
  static func apply(_ x: Bool) -> Bool { !x }
}

/// The definition of a comparison of two broadcast numeric inputs, or of inputs of any
/// dtype when `bool` gives the kernel for bools. No gradient flows through it, as in
/// TensorFlow.
private func comparisonOp<F: ComparisonFamily>(
  _ name: String, _ family: F.Type, bool: (@Sendable () -> Kernel)? = nil
) -> OpDefinition {
  OpDefinition(
    name, infer: broadcastInference(bool == nil ? DType.numbers : DType.all, output: .bool),
    kernel: { setup in
      try dispatch(
        setup, float32: { binaryKernel(Comparison<F, Float>.self) },
        float64: { binaryKernel(Comparison<F, Double>.self) },
        int32: { binaryKernel(Comparison<F, Int32>.self) }, bool: bool)
    },
    gradient: { _ in [nil, nil] })
}

extension Ops {
  static let equal: OpDefinition = comparisonOp("Equal", EqualFamily.self) {
    binaryKernel(BoolEqual.self)
  }

  static let notEqual: OpDefinition = comparisonOp("NotEqual", NotEqualFamily.self) {
    binaryKernel(BoolNotEqual.self)
  }

  static let less: OpDefinition = comparisonOp("Less", LessFamily.self)

  static let lessEqual: OpDefinition = comparisonOp("LessEqual", LessEqualFamily.self)

  static let greater: OpDefinition = comparisonOp("Greater", GreaterFamily.self)

  static let greaterEqual: OpDefinition = comparisonOp("GreaterEqual", GreaterEqualFamily.self)

  static let logicalAnd: OpDefinition = OpDefinition(
    "LogicalAnd", traits: [.inPlace], infer: broadcastInference([.bool]),
    kernel: { _ in binaryKernel(LogicalAndFunctor.self) }, gradient: { _ in [nil, nil] })

  static let logicalOr: OpDefinition = OpDefinition(
    "LogicalOr", traits: [.inPlace], infer: broadcastInference([.bool]),
    kernel: { _ in binaryKernel(LogicalOrFunctor.self) }, gradient: { _ in [nil, nil] })

  static let logicalNot: OpDefinition = OpDefinition(
    "LogicalNot", traits: [.inPlace], infer: unaryInference([.bool]),
    kernel: { _ in unaryKernel(LogicalNotFunctor.self) }, gradient: { _ in [nil] })

  static let cast: OpDefinition = OpDefinition(
    "Cast",
    infer: { context in
      [TensorType(context.attributes.dtype("dtype"), context.inputs[0].shape)]
    },
    kernel: { setup in
      let target = setup.attributes.dtype("dtype")
      return try dispatch(
        setup, float32: { castKernel(from: Float.self, to: target) },
        float64: { castKernel(from: Double.self, to: target) },
        int32: { castKernel(from: Int32.self, to: target) },
        bool: { castKernel(from: Bool.self, to: target) })
    },
    gradient: { context in
      let source = context.inputs[0].dtype
      guard source.isFloatingPoint, context.outputs[0].dtype.isFloatingPoint else { return [nil] }
      return [try Frost.cast(context.gradient, to: source)]
    })

  static let select: OpDefinition = OpDefinition(
    "Select",
    infer: { context in
      _ = try context.dtype(of: 0, in: [.bool])
      let (x, y) = (context.inputs[1], context.inputs[2])
      guard x.dtype == y.dtype else {
        throw context.error(
          "x and y must have one dtype, but \(context.describeInput(1)) is \(x.dtype)"
            + " and \(context.describeInput(2)) is \(y.dtype)")
      }
      guard let values = broadcastShapes(x.shape, y.shape) else {
        throw context.error(
          "cannot broadcast \(context.describeInput(1)) with \(context.describeInput(2))")
      }
      let condition = rowCondition(context.inputs[0].shape, valuesRank: values.rank)
      guard let shape = broadcastShapes(condition, values) else {
        if condition != context.inputs[0].shape {
          throw context.error(
            "the rank-1 condition \(context.describeInput(0)) selects rows, as TensorFlow 1's"
              + " tf.where does, so its length must match the first dimension of x and y,"
              + " \(values); reshape it to (1, n) to select along the last axis instead")
        }
        throw context.error(
          "cannot broadcast the condition \(context.describeInput(0)) with x and y of"
            + " shape \(values)")
      }
      return [TensorType(x.dtype, shape)]
    },
    kernel: { setup in
      try dispatch(
        setup, dtype: setup.inputTypes[1].dtype, float32: { selectKernel(Float.self) },
        float64: { selectKernel(Double.self) }, int32: { selectKernel(Int32.self) },
        bool: { selectKernel(Bool.self) })
    },
    gradient: { context in
      let (x, y) = (context.inputs[1], context.inputs[2])
      let g = context.gradient
      let zeros = try Frost.zerosLike(g)
      let condition = context.inputs[0]
      return [
        nil,
        context.needs(1)
          ? try unbroadcast(Frost.select(condition, g, zeros), to: x, other: g) : nil,
        context.needs(2)
          ? try unbroadcast(Frost.select(condition, zeros, g), to: y, other: g) : nil,
      ]
    })
}

/// How a condition broadcasts against x and y of rank `valuesRank`: a rank-1 condition
/// against rank 2 or more selects rows, so it stands as `(n, 1, ..., 1)`; any other
/// condition broadcasts as numpy does.
private func rowCondition(_ condition: Shape, valuesRank: Int?) -> Shape {
  guard let dims = condition.dims, dims.count == 1, let rank = valuesRank, rank >= 2 else {
    return condition
  }
  return Shape(dims + [Int?](repeating: 1, count: rank - 1))
}

/// Element types a cast converts between. Every value of them is exact as a `Double`, so
/// a cast goes through `Double` with a single rounding.
private protocol CastableScalar: TensorScalar {
  init(castingFrom value: Double)
  var castingValue: Double { get }
}

extension Float: CastableScalar {
  fileprivate init(castingFrom value: Double) { self = Float(value) }
  fileprivate var castingValue: Double { Double(self) }
}

extension Double: CastableScalar {
  fileprivate init(castingFrom value: Double) { self = value }
  fileprivate var castingValue: Double { self }
}

extension Int32: CastableScalar {
  /// Truncates toward zero; NaN becomes 0 and values beyond the range saturate.
  fileprivate init(castingFrom value: Double) { self = Int32(clamping: value) }
  fileprivate var castingValue: Double { Double(self) }
}

extension Bool: CastableScalar {
  fileprivate init(castingFrom value: Double) { self = value != 0 }
  fileprivate var castingValue: Double { self ? 1 : 0 }
}

private struct CastFunctor<Source: CastableScalar, Target: CastableScalar>: UnaryFunctor {
  static func apply(_ x: Source) -> Target { Target(castingFrom: x.castingValue) }
}

private func castKernel<Source: CastableScalar>(from source: Source.Type, to target: DType)
  -> Kernel
{
  switch target {
  case .float32: unaryKernel(CastFunctor<Source, Float>.self)
  case .float64: unaryKernel(CastFunctor<Source, Double>.self)
  case .int32: unaryKernel(CastFunctor<Source, Int32>.self)
  case .bool: unaryKernel(CastFunctor<Source, Bool>.self)
  }
}

/// Picks `x` where the condition holds and `y` elsewhere, the three broadcast to the
/// output; equal sizes take one contiguous loop, other layouts walk innermost rows.
private func selectKernel<T: TensorScalar>(_ type: T.Type) -> Kernel {
  { io in
    let (c, a, b, out) = (io.input(0), io.input(1), io.input(2), io.output(0))
    let mask = c.pointer(Bool.self)
    let x = a.pointer(T.self)
    let y = b.pointer(T.self)
    let z = out.pointer(T.self)
    let n = out.count
    if c.count == n && a.count == n && b.count == n {
      for i in 0..<n { z[i] = mask[i] ? x[i] : y[i] }
      return
    }
    let shape = out.shape
    let rank = shape.count
    guard n > 0, rank > 0 else { return }
    var conditionShape = c.shape
    if conditionShape.count == 1 && rank >= 2 {
      conditionShape += [Int](repeating: 1, count: rank - 1)
    }
    let strideC = BroadcastLayout.strides(of: conditionShape, in: shape)
    let strideX = BroadcastLayout.strides(of: a.shape, in: shape)
    let strideY = BroadcastLayout.strides(of: b.shape, in: shape)
    let inner = shape[rank - 1]
    let (stepC, stepX, stepY) = (strideC[rank - 1], strideX[rank - 1], strideY[rank - 1])
    var index = [Int](repeating: 0, count: rank - 1)
    var (offsetC, offsetX, offsetY) = (0, 0, 0)
    var base = 0
    while base < n {
      for j in 0..<inner {
        z[base + j] = mask[offsetC + j * stepC] ? x[offsetX + j * stepX] : y[offsetY + j * stepY]
      }
      base += inner
      var axis = rank - 2
      while axis >= 0 {
        index[axis] += 1
        offsetC += strideC[axis]
        offsetX += strideX[axis]
        offsetY += strideY[axis]
        if index[axis] < shape[axis] { break }
        offsetC -= strideC[axis] * shape[axis]
        offsetX -= strideX[axis] * shape[axis]
        offsetY -= strideY[axis] * shape[axis]
        index[axis] = 0
        axis -= 1
      }
    }
  }
}

/// `x == y`, elementwise with numpy broadcasting, as a bool tensor (TensorFlow's
/// `tf.equal`); any dtype, bools included. No gradient flows through it.
///
/// - Throws: `FrostError.invalidArgument` when the dtypes differ or the shapes cannot
///   broadcast.
public func equal(_ x: Tensor, _ y: Tensor, name: String? = nil) throws -> Tensor {
  try x.graph.addOp(Ops.equal, [x, y], name: name ?? "Equal")
}

/// `x != y`, elementwise with numpy broadcasting, as a bool tensor; any dtype, bools
/// included. NaN differs from everything. No gradient flows through it.
///
/// - Throws: `FrostError.invalidArgument` when the dtypes differ or the shapes cannot
///   broadcast.
public func notEqual(_ x: Tensor, _ y: Tensor, name: String? = nil) throws -> Tensor {
  try x.graph.addOp(Ops.notEqual, [x, y], name: name ?? "NotEqual")
}

/// `x < y`, elementwise with numpy broadcasting, as a bool tensor (TensorFlow's
/// `tf.less`). No gradient flows through it.
///
/// - Throws: `FrostError.invalidArgument` when the dtypes differ or are bool, or the
///   shapes cannot broadcast.
public func less(_ x: Tensor, _ y: Tensor, name: String? = nil) throws -> Tensor {
  try x.graph.addOp(Ops.less, [x, y], name: name ?? "Less")
}

/// `x <= y`, elementwise with numpy broadcasting, as a bool tensor. No gradient flows
/// through it.
///
/// - Throws: `FrostError.invalidArgument` when the dtypes differ or are bool, or the
///   shapes cannot broadcast.
public func lessEqual(_ x: Tensor, _ y: Tensor, name: String? = nil) throws -> Tensor {
  try x.graph.addOp(Ops.lessEqual, [x, y], name: name ?? "LessEqual")
}

/// `x > y`, elementwise with numpy broadcasting, as a bool tensor. No gradient flows
/// through it.
///
/// - Throws: `FrostError.invalidArgument` when the dtypes differ or are bool, or the
///   shapes cannot broadcast.
public func greater(_ x: Tensor, _ y: Tensor, name: String? = nil) throws -> Tensor {
  try x.graph.addOp(Ops.greater, [x, y], name: name ?? "Greater")
}

/// `x >= y`, elementwise with numpy broadcasting, as a bool tensor. No gradient flows
/// through it.
///
/// - Throws: `FrostError.invalidArgument` when the dtypes differ or are bool, or the
///   shapes cannot broadcast.
public func greaterEqual(_ x: Tensor, _ y: Tensor, name: String? = nil) throws -> Tensor {
  try x.graph.addOp(Ops.greaterEqual, [x, y], name: name ?? "GreaterEqual")
}

/// `x && y` of two bool tensors, elementwise with numpy broadcasting.
///
/// - Throws: `FrostError.invalidArgument` unless both are bool and the shapes broadcast.
public func logicalAnd(_ x: Tensor, _ y: Tensor, name: String? = nil) throws -> Tensor {
  try x.graph.addOp(Ops.logicalAnd, [x, y], name: name ?? "LogicalAnd")
}

/// `x || y` of two bool tensors, elementwise with numpy broadcasting.
///
/// - Throws: `FrostError.invalidArgument` unless both are bool and the shapes broadcast.
public func logicalOr(_ x: Tensor, _ y: Tensor, name: String? = nil) throws -> Tensor {
  try x.graph.addOp(Ops.logicalOr, [x, y], name: name ?? "LogicalOr")
}

/// `!x` of a bool tensor, elementwise.
///
/// - Throws: `FrostError.invalidArgument` unless `x` is bool.
public func logicalNot(_ x: Tensor, name: String? = nil) throws -> Tensor {
  try x.graph.addOp(Ops.logicalNot, [x], name: name ?? "LogicalNot")
}

/// `x` converted to `dtype`, elementwise (TensorFlow's `tf.cast`). Floats become int32 by
/// truncation toward zero, NaN becomes 0 and values out of the int32 range saturate; bools
/// become 1 or 0; numbers become `true` when nonzero (NaN included). A cast to `x`'s own
/// dtype copies it.
///
/// The gradient flows back, cast to `x`'s dtype, between float32 and float64; none flows
/// through a cast from or to int32 or bool.
public func cast(_ x: Tensor, to dtype: DType, name: String? = nil) throws -> Tensor {
  try x.graph.addOp(Ops.cast, [x], attributes: ["dtype": .dtype(dtype)], name: name ?? "Cast")
}

/// `x` where `condition` is true and `y` elsewhere (TensorFlow 1's `tf.where(condition, x,
/// y)`; `where` is a Swift keyword, and the op is TensorFlow's `Select`).
///
/// `x` and `y` have one dtype, any of the four. The three broadcast as numpy does, with
/// one exception kept from TensorFlow 1: a rank-1 condition against `x` and `y` of rank 2
/// or more selects whole rows, its length matching their first dimension (reshape it to
/// `(1, n)` to select along the last axis instead). The gradient flows to `x` where the
/// condition holds and to `y` elsewhere; none flows to the condition.
///
/// - Throws: `FrostError.invalidArgument` when the condition is not bool, `x` and `y` have
///   different dtypes, or the shapes cannot broadcast.
public func select(_ condition: Tensor, _ x: Tensor, _ y: Tensor, name: String? = nil)
  throws -> Tensor
{
  try condition.graph.addOp(Ops.select, [condition, x, y], name: name ?? "Select")
}
