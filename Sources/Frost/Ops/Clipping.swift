// Clipping by value, by norm and by global norm, with TensorFlow's formulas.

extension Ops {
  /// `min(max(t, lo), hi)` elementwise; `lo` (input 1) and `hi` (input 2) are scalars or
  /// have `t`'s shape.
  static let clipByValue: OpDefinition = OpDefinition(
    "ClipByValue",
    infer: { context in
      let dtype = try context.sameDType(DType.numbers)
      var shape = context.inputs[0].shape
      for i in 1...2 where context.inputs[i].shape.rank != 0 {
        guard let merged = shape.merged(with: context.inputs[i].shape) else {
          throw context.error(
            "bound \(context.describeInput(i)) must be a scalar or have the shape of"
              + " \(context.describeInput(0))")
        }
        shape = merged
      }
      return [TensorType(dtype, shape)]
    },
    kernel: { setup in
      try dispatch(
        setup, float32: { clipKernel(Float.self) }, float64: { clipKernel(Double.self) },
        int32: { clipKernel(Int32.self) })
    },
    gradient: { context in
      let (x, lo, hi) = (context.inputs[0], context.inputs[1], context.inputs[2])
      func part(_ which: String) throws -> Tensor {
        try context.graph.addOp(
          Ops.clipByValueGrad, [context.gradient, x, lo, hi],
          attributes: ["part": .string(which)], name: "ClipByValueGrad")
      }
      return [
        context.needs(0) ? try part("t") : nil,
        context.needs(1) ? try unbroadcast(part("min"), to: lo, other: x) : nil,
        context.needs(2) ? try unbroadcast(part("max"), to: hi, other: x) : nil,
      ]
    })

  /// The gradient of `clipByValue` (input 0) masked for one of its inputs, chosen by the
  /// `part` attribute, from the clipped tensor (1) and the bounds (2, 3): `t` keeps it where
  /// `lo <= t <= hi`, `min` where `t < lo`, `max` where `t > hi` (TensorFlow's rule). Linear
  /// in input 0, which is all it has a gradient for.
  static let clipByValueGrad: OpDefinition = OpDefinition(
    "ClipByValueGrad", infer: { context in [context.inputs[0]] },
    kernel: { setup in
      let name = setup.attributes.string("part")
      guard let part = ClipPart(rawValue: name) else {
        throw setup.error("unknown part '\(name)'; expected t, min or max")
      }
      return try dispatch(
        setup, float32: { clipGradKernel(Float.self, part) },
        float64: { clipGradKernel(Double.self, part) })
    },
    gradient: { context in
      let inputs = context.inputs
      return [
        try context.graph.addOp(
          Ops.clipByValueGrad, [context.gradient, inputs[1], inputs[2], inputs[3]],
          attributes: context.op.attributes, name: "ClipByValueGrad"),
        nil, nil, nil,
      ]
    })

  /// `sqrt(sum(t²))` over every element of every input, a scalar, summed in double
  /// precision. Its gradient with respect to each input is `t / norm` times the result's
  /// gradient, and zero where the norm is zero.
  static let globalNorm: OpDefinition = OpDefinition(
    "GlobalNorm",
    infer: { context in [TensorType(try context.sameDType(DType.floats), .scalar)] },
    kernel: { setup in
      try dispatch(
        setup, float32: { globalNormKernel(Float.self) },
        float64: { globalNormKernel(Double.self) })
    },
    gradient: { context in
      let scale = try context.gradient / safeDivisor(context.outputs[0])
      return try context.inputs.indices.map { i in
        context.needs(i) ? try context.inputs[i] * scale : nil
      }
    })
}

/// Which input of `clipByValue` a `ClipByValueGrad` computes the gradient of.
private enum ClipPart: String {
  case t, min, max
}

/// Steps through a bound: 0 for a scalar, 1 for a bound of the clipped tensor's shape.
private func stride(of bound: TensorView, count: Int) -> Int {
  bound.count == count ? 1 : 0
}

/// NaN stays NaN: both comparisons are false for it.
private func clipKernel<T: NumericScalar>(_ type: T.Type) -> Kernel {
  { io in
    let (lo, hi, out) = (io.input(1), io.input(2), io.output(0))
    let n = out.count
    let x = io.input(0).pointer(T.self)
    let (a, b) = (lo.pointer(T.self), hi.pointer(T.self))
    let z = out.pointer(T.self)
    if lo.count == 1 && hi.count == 1 {
      let (low, high) = (a[0], b[0])
      for i in 0..<n {
        let raised = x[i] < low ? low : x[i]
        z[i] = raised > high ? high : raised
      }
    } else {
      let (strideA, strideB) = (stride(of: lo, count: n), stride(of: hi, count: n))
      for i in 0..<n {
        let raised = x[i] < a[i * strideA] ? a[i * strideA] : x[i]
        z[i] = raised > b[i * strideB] ? b[i * strideB] : raised
      }
    }
  }
}

private func clipGradKernel<T: FloatScalar>(_ type: T.Type, _ part: ClipPart) -> Kernel {
  { io in
    let (lo, hi, out) = (io.input(2), io.input(3), io.output(0))
    let n = out.count
    let g = io.input(0).pointer(T.self)
    let x = io.input(1).pointer(T.self)
    let (a, b) = (lo.pointer(T.self), hi.pointer(T.self))
    let z = out.pointer(T.self)
    let (strideA, strideB) = (stride(of: lo, count: n), stride(of: hi, count: n))
    for i in 0..<n {
      let below = x[i] < a[i * strideA]
      let above = x[i] > b[i * strideB]
      let keep: Bool
      switch part {
      case .t: keep = !below && !above
      case .min: keep = below
      case .max: keep = above
      }
      z[i] = keep ? g[i] : 0
    }
  }
}

private func globalNormKernel<T: FloatScalar>(_ type: T.Type) -> Kernel {
  { io in
    var total = 0.0
    for k in 0..<io.inputCount {
      let input = io.input(k)
      let x = input.pointer(T.self)
      for i in 0..<input.count {
        let value = x[i].asDouble
        total += value * value
      }
    }
    io.output(0).pointer(T.self)[0] = T(fromDouble: total.squareRoot())
  }
}

/// `t` clipped elementwise to `[min, max]` (TensorFlow's `tf.clip_by_value`): `min` and
/// `max` are tensors of `t`'s dtype, each a scalar or of `t`'s shape. NaN stays NaN.
///
/// The gradient passes to `t` where `min <= t <= max`, to `min` where `t < min` and to
/// `max` where `t > max`; at the bounds themselves it goes to `t`.
///
/// - Throws: `FrostError.invalidArgument` for bool tensors, differing dtypes, or a bound
///   that is neither a scalar nor of `t`'s shape.
public func clipByValue(_ t: Tensor, min: Tensor, max: Tensor, name: String? = nil) throws
  -> Tensor
{
  try t.graph.addOp(Ops.clipByValue, [t, min, max], name: name ?? "clip_by_value")
}

/// `t` clipped elementwise to `[min, max]`, bounds given as numbers converted to `t`'s
/// dtype (truncated, and limited to the int32 range, for int32; infinities leave a side
/// open); see `clipByValue(_:min:max:name:)` for tensor bounds.
///
/// - Throws: `FrostError.invalidArgument` when a bound is NaN, `min > max`, or `t` is bool.
public func clipByValue(_ t: Tensor, min: Double, max: Double, name: String? = nil) throws
  -> Tensor
{
  guard !min.isNaN, !max.isNaN, min <= max else {
    throw FrostError.invalidArgument(
      "clipByValue: bounds [\(min), \(max)] for '\(t.name)' are not an interval")
  }
  guard t.dtype != .bool else {
    throw FrostError.invalidArgument("clipByValue: '\(t.name)' is bool; expected a number")
  }
  func bound(_ value: Double, _ label: String) -> Tensor {
    let limited =
      t.dtype == .int32 ? Swift.min(Swift.max(value, -2_147_483_648), 2_147_483_647) : value
    return t.graph.constant(limited, dtype: t.dtype, name: label)
  }
  let graph = t.graph
  return try graph.atomically {
    try clipByValue(
      t, min: bound(min, "clip_value_min"), max: bound(max, "clip_value_max"), name: name)
  }
}

/// `t * (clipNorm / max(norm, clipNorm))` (TensorFlow's `tf.clip_by_norm`), where `norm`
/// is the L2 norm of `t` over `axes` (all axes when `nil`; negative axes count from the end),
/// kept as size-1 dimensions so that each slice is scaled by its own norm. A slice whose
/// norm is at most `clipNorm` is unchanged, bit for bit; a zero slice has a zero gradient
/// through its norm, not NaN.
///
/// - Throws: `FrostError.invalidArgument` unless `t` is float and `clipNorm` is positive
///   and finite, or for an axis out of range or repeated.
public func clipByNorm(_ t: Tensor, clipNorm: Double, axes: [Int]? = nil, name: String? = nil)
  throws -> Tensor
{
  guard t.dtype.isFloatingPoint else {
    throw FrostError.invalidArgument(
      "clipByNorm: '\(t.name)' is \(t.dtype); expected float32 or float64")
  }
  try requirePositive(clipNorm, "clipByNorm")
  let axes = try normalizedAxes(axes, for: t, op: "clipByNorm")
  let graph = t.graph
  return try graph.atomically {
    try graph.withNameScope(name ?? "clip_by_norm") {
      // The ratio is exactly 1 for a slice within the limit, so such a slice keeps its bits
      // (TensorFlow's `t * clipNorm / norm` may move it by an ulp).
      let norm = try euclideanNorm(t, axes: axes, keepDims: true)
      return try t * (clipNorm / clipByValue(norm, min: clipNorm, max: .infinity))
    }
  }
}

/// Scales every tensor by `clipNorm / max(globalNorm, clipNorm)`, where `globalNorm` is the
/// L2 norm of all their elements together (TensorFlow's `tf.clip_by_global_norm`): when the
/// global norm exceeds `clipNorm`, the clipped tensors' global norm is `clipNorm` and their
/// directions are kept. Returns the clipped tensors and the global norm. As in TensorFlow,
/// a non-finite global norm makes every clipped tensor NaN. The tensors may have any shapes.
///
/// - Throws: `FrostError.invalidArgument` for an empty list, tensors that are not all of
///   one float dtype or of one graph, or a `clipNorm` that is not positive and finite.
public func clipByGlobalNorm(_ tensors: [Tensor], clipNorm: Double, name: String? = nil)
  throws -> (clipped: [Tensor], globalNorm: Tensor)
{
  guard let graph = tensors.first?.graph else {
    throw FrostError.invalidArgument("clipByGlobalNorm: no tensors to clip")
  }
  try requirePositive(clipNorm, "clipByGlobalNorm")
  return try graph.atomically {
    try graph.withNameScope(name ?? "clip_by_global_norm") {
      let norm = try graph.addOp(Ops.globalNorm, tensors, name: "global_norm")
      let limited = try clipByValue(norm, min: clipNorm, max: .infinity)
      // norm - norm is 0, or NaN for an infinite or NaN norm, which then spreads.
      let scale = try clipNorm / limited + (norm - norm)
      let clipped = try tensors.enumerated().map { i, t in
        try multiply(t, scale, name: "clipped_\(i)")
      }
      return (clipped, norm)
    }
  }
}

private func requirePositive(_ clipNorm: Double, _ function: String) throws {
  guard clipNorm > 0, clipNorm.isFinite else {
    throw FrostError.invalidArgument(
      "\(function): clipNorm must be positive and finite, but it is \(clipNorm)")
  }
}
