// Sum and mean over all axes or given axes, with or without keeping reduced dimensions.

extension Ops {
  static let sum: OpDefinition = OpDefinition(
    "Sum", infer: reductionInference(DType.numbers),
    kernel: { setup in
      let axes = setup.attributes.optionalInts("axes")
      return try dispatch(
        setup, float32: { reduceKernel(Float.self, axes: axes, mean: false) },
        float64: { reduceKernel(Double.self, axes: axes, mean: false) },
        int32: { reduceKernel(Int32.self, axes: axes, mean: false) })
    },
    gradient: { context in
      [try broadcastReduced(context.gradient, like: context.inputs[0], context.attributes)]
    })

  static let mean: OpDefinition = OpDefinition(
    "Mean", infer: reductionInference(DType.numbers),
    kernel: { setup in
      let axes = setup.attributes.optionalInts("axes")
      return try dispatch(
        setup, float32: { reduceKernel(Float.self, axes: axes, mean: true) },
        float64: { reduceKernel(Double.self, axes: axes, mean: true) },
        int32: { reduceKernel(Int32.self, axes: axes, mean: true) })
    },
    gradient: { context in
      let input = context.inputs[0]
      let spread = try broadcastReduced(context.gradient, like: input, context.attributes)
      let scale = try context.graph.addOp(
        Ops.reductionScale, [input, context.outputs[0]], name: "count")
      return [try Frost.multiply(spread, scale)]
    })

  /// `1 / (elements of input 0 per element of input 1)` as a scalar of input 0's dtype: the
  /// factor of a mean's gradient, known only at run time when shapes are partial.
  static let reductionScale: OpDefinition = OpDefinition(
    "ReductionScale",
    infer: { context in [TensorType(context.inputs[0].dtype, .scalar)] },
    kernel: { setup in
      func make<T: FloatScalar>(_ type: T.Type) -> Kernel {
        { io in
          let ratio = io.input(0).count / max(io.input(1).count, 1)
          io.output(0).pointer(T.self)[0] = 1 / T(max(ratio, 1))
        }
      }
      return try dispatch(setup, float32: { make(Float.self) }, float64: { make(Double.self) })
    })

  /// Broadcasts a reduced gradient (input 0) back to the shape of the reduction's input
  /// (input 1): `reduceSum`'s gradient.
  static let broadcastLike: OpDefinition = OpDefinition(
    "BroadcastLike",
    infer: { context in [TensorType(context.inputs[0].dtype, context.inputs[1].shape)] },
    kernel: { setup in
      let axes = setup.attributes.optionalInts("axes")
      func make<T: NumericScalar>(_ type: T.Type) -> Kernel {
        { io in
          let reduced = io.input(0)
          let out = io.output(0)
          let keep = keptShape(out.shape, axes: axes)
          let x = reduced.pointer(T.self)
          let z = out.pointer(T.self)
          BroadcastLayout(out: out.shape, a: keep, b: out.shape).forEachRow {
            offsetA, _, offsetOut, length, stepA, _ in
            for j in 0..<length { z[offsetOut + j] = x[offsetA + j * stepA] }
          }
        }
      }
      return try dispatch(
        setup, float32: { make(Float.self) }, float64: { make(Double.self) },
        int32: { make(Int32.self) })
    },
    gradient: { context in
      let attributes = context.attributes
      return [
        try reduceSum(
          context.gradient, axes: attributes.optionalInts("axes"),
          keepDims: attributes.bool("keepDims")),
        nil,
      ]
    })
}

/// The reduction's input shape with every reduced axis set to 1.
func keptShape(_ shape: [Int], axes: [Int]?) -> [Int] {
  guard let axes else { return shape.map { _ in 1 } }
  var kept = shape
  for axis in axes { kept[axis] = 1 }
  return kept
}

private func broadcastReduced(_ gradient: Tensor, like input: Tensor, _ attributes: Attributes)
  throws -> Tensor
{
  var values: [String: AttributeValue] = ["keepDims": .bool(attributes.bool("keepDims"))]
  if let axes = attributes.optionalInts("axes") { values["axes"] = .ints(axes) }
  return try gradient.graph.addOp(
    Ops.broadcastLike, [gradient, input], attributes: values, name: "BroadcastLike")
}

/// Shape function of a reduction: the `axes` attribute (absent for all axes, normalized
/// to non-negative when present) and `keepDims`.
func reductionInference(_ allowed: Set<DType>) -> @Sendable (inout InferenceContext) throws
  -> [TensorType]
{
  { context in
    let dtype = try context.dtype(of: 0, in: allowed)
    let keepDims = context.attributes.bool("keepDims")
    let axes = context.attributes.optionalInts("axes")
    guard let dims = context.inputs[0].shape.dims else {
      return [TensorType(dtype, axes == nil && !keepDims ? .scalar : .unknown)]
    }
    if let axes {
      for axis in axes where axis >= dims.count {
        throw context.error("axis \(axis) is out of range for \(context.describeInput(0))")
      }
    }
    let reduced = Set(axes ?? Array(dims.indices))
    var out: [Int?] = []
    for (axis, dim) in dims.enumerated() {
      if reduced.contains(axis) {
        if keepDims { out.append(1) }
      } else {
        out.append(dim)
      }
    }
    return [TensorType(dtype, Shape(out))]
  }
}

/// Sums or averages over `axes` (all when `nil`). Reducing leading or trailing axes takes
/// contiguous loops; other axis sets walk rows. Float sums of whole rows accumulate in
/// double precision.
private func reduceKernel<T: NumericScalar>(_ type: T.Type, axes: [Int]?, mean: Bool) -> Kernel {
  { io in
    let input = io.input(0)
    let out = io.output(0)
    let x = input.pointer(T.self)
    let z = out.pointer(T.self)
    let outCount = out.count
    guard outCount > 0 else { return }
    let perOutput = outCount == 0 ? 0 : input.count / outCount
    let shape = input.shape
    let reduced = Set(axes ?? Array(shape.indices))
    let rank = shape.count
    let trailing = (0..<rank).filter { !reduced.contains($0) }.allSatisfy { axis in
      (0..<axis).allSatisfy { !reduced.contains($0) }
    }
    let leading = reduced.allSatisfy { axis in (0..<axis).allSatisfy { reduced.contains($0) } }
    func finish(_ total: Double) -> T {
      mean ? T(fromDouble: perOutput == 0 ? .nan : total / Double(perOutput)) : T(fromDouble: total)
    }
    if trailing {
      // Each output is the sum of one contiguous run of `perOutput` inputs.
      for i in 0..<outCount {
        var total = 0.0
        let base = i * perOutput
        for j in 0..<perOutput { total += x[base + j].asDouble }
        z[i] = finish(total)
      }
    } else if leading {
      // Column sums: out[j] = sum over i of x[i * outCount + j].
      out.buffer(T.self).update(repeating: .zero)
      for i in 0..<perOutput {
        let row = x + i * outCount
        for j in 0..<outCount { z[j] = T.plus(z[j], row[j]) }
      }
      if mean {
        let count = T(fromDouble: Double(perOutput))
        for j in 0..<outCount { z[j] = T.divide(z[j], count) }
      }
    } else {
      out.buffer(T.self).update(repeating: .zero)
      let keep = keptShape(shape, axes: axes)
      BroadcastLayout(out: shape, a: keep, b: shape).forEachRow {
        offsetOut, _, offsetIn, length, stepOut, _ in
        for j in 0..<length {
          z[offsetOut + j * stepOut] = T.plus(z[offsetOut + j * stepOut], x[offsetIn + j])
        }
      }
      if mean {
        let count = T(fromDouble: Double(perOutput))
        for j in 0..<outCount { z[j] = T.divide(z[j], count) }
      }
    }
  }
}

/// Resolves `axes` against `x`'s rank: negative axes count from the end; duplicates and
/// out-of-range axes are errors naming the op.
private func normalizedAxes(_ axes: [Int]?, for x: Tensor, op: String) throws -> [Int]? {
  guard let axes else { return nil }
  guard let rank = x.shape.rank else {
    if axes.allSatisfy({ $0 >= 0 }) { return axes.sorted() }
    throw FrostError.invalidArgument(
      "\(op): negative axes need a known rank, but '\(x.name)' has shape \(x.shape)")
  }
  var result: [Int] = []
  for axis in axes {
    let resolved = axis < 0 ? axis + rank : axis
    guard resolved >= 0, resolved < rank else {
      throw FrostError.invalidArgument(
        "\(op): axis \(axis) is out of range for '\(x.name)' of shape \(x.shape)")
    }
    guard !result.contains(resolved) else {
      throw FrostError.invalidArgument("\(op): axis \(axis) appears twice")
    }
    result.append(resolved)
  }
  return result.sorted()
}

private func reduction(
  _ op: OpDefinition, _ x: Tensor, axes: [Int]?, keepDims: Bool, name: String
) throws -> Tensor {
  var attributes: [String: AttributeValue] = ["keepDims": .bool(keepDims)]
  if let axes = try normalizedAxes(axes, for: x, op: op.name) { attributes["axes"] = .ints(axes) }
  return try x.graph.addOp(op, [x], attributes: attributes, name: name)
}

/// The sum of `x`'s elements over `axes` (all axes when `nil`), keeping reduced axes as
/// size 1 when `keepDims` (TensorFlow's `tf.reduce_sum`). An empty `axes` list copies `x`.
///
/// - Throws: `FrostError.invalidArgument` for a bool input or an axis out of range.
public func reduceSum(_ x: Tensor, axes: [Int]? = nil, keepDims: Bool = false, name: String? = nil)
  throws -> Tensor
{
  try reduction(Ops.sum, x, axes: axes, keepDims: keepDims, name: name ?? "Sum")
}

/// The mean of `x`'s elements over `axes` (all axes when `nil`); see `reduceSum`. The mean
/// of an int32 tensor truncates, and the mean of nothing is NaN for floats.
///
/// - Throws: `FrostError.invalidArgument` for a bool input or an axis out of range.
public func reduceMean(
  _ x: Tensor, axes: [Int]? = nil, keepDims: Bool = false, name: String? = nil
) throws -> Tensor {
  try reduction(Ops.mean, x, axes: axes, keepDims: keepDims, name: name ?? "Mean")
}
