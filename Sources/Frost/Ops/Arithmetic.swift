// Add, subtract, multiply, divide and negate, with numpy broadcasting, and the operators
// that build them; addN; the reduction of a broadcast gradient back to its input's shape.

enum AddFamily: NumericBinaryFamily {
  static func apply<T: NumericScalar>(_ a: T, _ b: T) -> T { T.plus(a, b) }
}

enum SubtractFamily: NumericBinaryFamily {
  static func apply<T: NumericScalar>(_ a: T, _ b: T) -> T { T.minus(a, b) }
}

enum MultiplyFamily: NumericBinaryFamily {
  static func apply<T: NumericScalar>(_ a: T, _ b: T) -> T { T.times(a, b) }
}

enum DivideFamily: NumericBinaryFamily {
  static func apply<T: NumericScalar>(_ a: T, _ b: T) -> T { T.divide(a, b) }
}

enum NegateFamily: NumericUnaryFamily {
  static func apply<T: NumericScalar>(_ x: T) -> T { T.minus(T.zero, x) }
}

extension Ops {
  static let add: OpDefinition = OpDefinition(
    "Add", traits: [.inPlace], infer: broadcastInference(DType.numbers),
    kernel: { try numericBinaryKernel(AddFamily.self, $0) },
    gradient: { context in
      let g = context.gradient
      return [
        context.needs(0)
          ? try unbroadcast(g, to: context.inputs[0], other: context.inputs[1]) : nil,
        context.needs(1)
          ? try unbroadcast(g, to: context.inputs[1], other: context.inputs[0]) : nil,
      ]
    })

  static let subtract: OpDefinition = OpDefinition(
    "Sub", traits: [.inPlace], infer: broadcastInference(DType.numbers),
    kernel: { try numericBinaryKernel(SubtractFamily.self, $0) },
    gradient: { context in
      let g = context.gradient
      return [
        context.needs(0)
          ? try unbroadcast(g, to: context.inputs[0], other: context.inputs[1]) : nil,
        context.needs(1)
          ? try unbroadcast(Frost.negate(g), to: context.inputs[1], other: context.inputs[0]) : nil,
      ]
    })

  static let multiply: OpDefinition = OpDefinition(
    "Mul", traits: [.inPlace], infer: broadcastInference(DType.numbers),
    kernel: { try numericBinaryKernel(MultiplyFamily.self, $0) },
    gradient: { context in
      let (a, b) = (context.inputs[0], context.inputs[1])
      let g = context.gradient
      return [
        context.needs(0) ? try unbroadcast(g * b, to: a, other: b) : nil,
        context.needs(1) ? try unbroadcast(a * g, to: b, other: a) : nil,
      ]
    })

  static let divide: OpDefinition = OpDefinition(
    "RealDiv", traits: [.inPlace], infer: broadcastInference(DType.numbers),
    kernel: { try numericBinaryKernel(DivideFamily.self, $0) },
    gradient: { context in
      let (a, b) = (context.inputs[0], context.inputs[1])
      let g = context.gradient
      return [
        context.needs(0) ? try unbroadcast(g / b, to: a, other: b) : nil,
        context.needs(1) ? try unbroadcast(Frost.negate(g * a / (b * b)), to: b, other: a) : nil,
      ]
    })

  static let negate: OpDefinition = OpDefinition(
    "Neg", traits: [.inPlace], infer: unaryInference(DType.numbers),
    kernel: { try numericUnaryKernel(NegateFamily.self, $0) },
    gradient: { context in [try Frost.negate(context.gradient)] })

  static let addN: OpDefinition = OpDefinition(
    "AddN",
    infer: { context in
      let dtype = try context.sameDType(DType.numbers)
      var shape = context.inputs[0].shape
      for (i, input) in context.inputs.enumerated() {
        guard let merged = shape.merged(with: input.shape) else {
          throw context.error("\(context.describeInput(i)) differs from the other inputs' \(shape)")
        }
        shape = merged
      }
      return [TensorType(dtype, shape)]
    },
    kernel: { setup in
      try dispatch(
        setup, float32: { addNKernel(Float.self) }, float64: { addNKernel(Double.self) },
        int32: { addNKernel(Int32.self) })
    },
    gradient: { context in context.inputs.map { _ in context.gradient } })

  /// Sums a broadcast gradient back to the runtime shape of its second input; used only
  /// where static shapes cannot tell which axes were broadcast.
  static let sumToShape: OpDefinition = OpDefinition(
    "SumToShape", shapeOnly: [1],
    infer: { context in
      _ = try context.dtype(of: 0, in: DType.numbers)
      return [TensorType(context.inputs[0].dtype, context.inputs[1].shape)]
    },
    kernel: { setup in
      try dispatch(
        setup, float32: { sumToShapeKernel(Float.self) },
        float64: { sumToShapeKernel(Double.self) }, int32: { sumToShapeKernel(Int32.self) })
    },
    gradient: { context in
      // Broadcasting back: adding zeros of the summed tensor's shape stretches the gradient.
      [try Frost.add(context.gradient, Frost.zerosLike(context.inputs[0])), nil]
    })
}

private func addNKernel<T: NumericScalar>(_ type: T.Type) -> Kernel {
  { io in
    let out = io.output(0)
    let z = out.pointer(T.self)
    let first = io.input(0).pointer(T.self)
    if z != first { z.update(from: first, count: out.count) }
    for k in 1..<io.inputCount {
      let x = io.input(k).pointer(T.self)
      for i in 0..<out.count { z[i] = T.plus(z[i], x[i]) }
    }
  }
}

private func sumToShapeKernel<T: NumericScalar>(_ type: T.Type) -> Kernel {
  { io in
    let grad = io.input(0)
    let out = io.output(0)
    let z = out.pointer(T.self)
    let g = grad.pointer(T.self)
    out.buffer(T.self).update(repeating: .zero)
    let layout = BroadcastLayout(out: grad.shape, a: out.shape, b: grad.shape)
    layout.forEachRow { offsetOut, offsetGrad, _, length, stepOut, stepGrad in
      for j in 0..<length {
        z[offsetOut + j * stepOut] = T.plus(
          z[offsetOut + j * stepOut], g[offsetGrad + j * stepGrad])
      }
    }
  }
}

/// Reduces `gradient`, of the broadcast shape of `input` and `other`, to `input`'s shape:
/// sums over the axes `input` was stretched along. Static shapes decide the axes when
/// they can; otherwise a `SumToShape` node decides at run time.
func unbroadcast(_ gradient: Tensor, to input: Tensor, other: Tensor) throws -> Tensor {
  guard let inDims = input.shape.dims, let otherDims = other.shape.dims,
    let outDims = gradient.shape.dims
  else {
    return try gradient.graph.addOp(Ops.sumToShape, [gradient, input], name: "SumToShape")
  }
  let rank = outDims.count
  let leading = rank - inDims.count
  var keptAxes: [Int] = []
  for axis in leading..<rank {
    let inDim = inDims[axis - leading]
    let otherIndex = axis - (rank - otherDims.count)
    let otherDim: Int? = otherIndex >= 0 ? otherDims[otherIndex] : 1
    switch (inDim, otherDim) {
    case (1, 1): break
    case (1, _): keptAxes.append(axis)
    case (nil, 1): break
    case (nil, _):
      return try gradient.graph.addOp(Ops.sumToShape, [gradient, input], name: "SumToShape")
    default: break
    }
  }
  var result = gradient
  if !keptAxes.isEmpty { result = try reduceSum(result, axes: keptAxes, keepDims: true) }
  if leading > 0 { result = try reduceSum(result, axes: Array(0..<leading)) }
  return result
}

/// `x + y`, elementwise with numpy broadcasting (TensorFlow's `tf.add`).
///
/// - Throws: `FrostError.invalidArgument` when dtypes differ or shapes cannot broadcast.
public func add(_ x: Tensor, _ y: Tensor, name: String? = nil) throws -> Tensor {
  try x.graph.addOp(Ops.add, [x, y], name: name ?? "add")
}

/// `x - y`, elementwise with numpy broadcasting.
///
/// - Throws: `FrostError.invalidArgument` when dtypes differ or shapes cannot broadcast.
public func subtract(_ x: Tensor, _ y: Tensor, name: String? = nil) throws -> Tensor {
  try x.graph.addOp(Ops.subtract, [x, y], name: name ?? "sub")
}

/// `x * y`, elementwise with numpy broadcasting.
///
/// - Throws: `FrostError.invalidArgument` when dtypes differ or shapes cannot broadcast.
public func multiply(_ x: Tensor, _ y: Tensor, name: String? = nil) throws -> Tensor {
  try x.graph.addOp(Ops.multiply, [x, y], name: name ?? "mul")
}

/// `x / y`, elementwise with numpy broadcasting. Integer division truncates toward zero,
/// and an integer division by zero gives 0.
///
/// - Throws: `FrostError.invalidArgument` when dtypes differ or shapes cannot broadcast.
public func divide(_ x: Tensor, _ y: Tensor, name: String? = nil) throws -> Tensor {
  try x.graph.addOp(Ops.divide, [x, y], name: name ?? "truediv")
}

/// `-x`, elementwise.
///
/// - Throws: `FrostError.invalidArgument` for a bool tensor.
public func negate(_ x: Tensor, name: String? = nil) throws -> Tensor {
  try x.graph.addOp(Ops.negate, [x], name: name ?? "Neg")
}

/// The elementwise sum of tensors of one dtype and shape (TensorFlow's `tf.add_n`).
///
/// - Throws: `FrostError.invalidArgument` for an empty list, or mismatched dtypes or shapes.
public func addN(_ inputs: [Tensor], name: String? = nil) throws -> Tensor {
  guard let first = inputs.first else {
    throw FrostError.invalidArgument("addN: no inputs")
  }
  return try first.graph.addOp(Ops.addN, inputs, name: name ?? "AddN")
}

extension Tensor {
  /// `add(lhs, rhs)`.
  public static func + (lhs: Tensor, rhs: Tensor) throws -> Tensor { try add(lhs, rhs) }
  /// `subtract(lhs, rhs)`.
  public static func - (lhs: Tensor, rhs: Tensor) throws -> Tensor { try subtract(lhs, rhs) }
  /// `multiply(lhs, rhs)`.
  public static func * (lhs: Tensor, rhs: Tensor) throws -> Tensor { try multiply(lhs, rhs) }
  /// `divide(lhs, rhs)`.
  public static func / (lhs: Tensor, rhs: Tensor) throws -> Tensor { try divide(lhs, rhs) }
  /// `negate(x)`.
  public static prefix func - (x: Tensor) throws -> Tensor { try negate(x) }

  /// `lhs + rhs` with `rhs` a constant of `lhs`'s dtype.
  public static func + (lhs: Tensor, rhs: Double) throws -> Tensor {
    try add(lhs, lhs.graph.constant(rhs, dtype: lhs.dtype))
  }
  /// `lhs - rhs` with `rhs` a constant of `lhs`'s dtype.
  public static func - (lhs: Tensor, rhs: Double) throws -> Tensor {
    try subtract(lhs, lhs.graph.constant(rhs, dtype: lhs.dtype))
  }
  /// `lhs * rhs` with `rhs` a constant of `lhs`'s dtype.
  public static func * (lhs: Tensor, rhs: Double) throws -> Tensor {
    try multiply(lhs, lhs.graph.constant(rhs, dtype: lhs.dtype))
  }
  /// `lhs / rhs` with `rhs` a constant of `lhs`'s dtype.
  public static func / (lhs: Tensor, rhs: Double) throws -> Tensor {
    try divide(lhs, lhs.graph.constant(rhs, dtype: lhs.dtype))
  }
  /// `lhs + rhs` with `lhs` a constant of `rhs`'s dtype.
  public static func + (lhs: Double, rhs: Tensor) throws -> Tensor {
    try add(rhs.graph.constant(lhs, dtype: rhs.dtype), rhs)
  }
  /// `lhs - rhs` with `lhs` a constant of `rhs`'s dtype.
  public static func - (lhs: Double, rhs: Tensor) throws -> Tensor {
    try subtract(rhs.graph.constant(lhs, dtype: rhs.dtype), rhs)
  }
  /// `lhs * rhs` with `lhs` a constant of `rhs`'s dtype.
  public static func * (lhs: Double, rhs: Tensor) throws -> Tensor {
    try multiply(rhs.graph.constant(lhs, dtype: rhs.dtype), rhs)
  }
  /// `lhs / rhs` with `lhs` a constant of `rhs`'s dtype.
  public static func / (lhs: Double, rhs: Tensor) throws -> Tensor {
    try divide(rhs.graph.constant(lhs, dtype: rhs.dtype), rhs)
  }
}
