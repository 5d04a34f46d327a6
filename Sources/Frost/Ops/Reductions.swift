// Sum, mean, max, min and product over all axes or given axes, with or without keeping
// reduced dimensions; the index of the largest or smallest element along an axis; whether
// targets are among the top k predictions.

extension Ops {
  static let sum: OpDefinition = OpDefinition(
    "Sum", infer: reductionInference(DType.numbers),
    kernel: { setup in
      let axes = setup.attributes.optionalInts("axes")
      let rank = setup.inputTypes[0].shape.rank
      return try dispatch(
        setup, float32: { reduceKernel(Float.self, axes: axes, mean: false, rank: rank) },
        float64: { reduceKernel(Double.self, axes: axes, mean: false, rank: rank) },
        int32: { reduceKernel(Int32.self, axes: axes, mean: false, rank: rank) })
    },
    gradient: { context in
      [try broadcastReduced(context.gradient, like: context.inputs[0], context.attributes)]
    })

  static let mean: OpDefinition = OpDefinition(
    "Mean", infer: reductionInference(DType.numbers),
    kernel: { setup in
      let axes = setup.attributes.optionalInts("axes")
      let rank = setup.inputTypes[0].shape.rank
      return try dispatch(
        setup, float32: { reduceKernel(Float.self, axes: axes, mean: true, rank: rank) },
        float64: { reduceKernel(Double.self, axes: axes, mean: true, rank: rank) },
        int32: { reduceKernel(Int32.self, axes: axes, mean: true, rank: rank) })
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
    "ReductionScale", shapeOnly: [0, 1],
    infer: { context in [TensorType(context.inputs[0].dtype, .scalar)] },
    kernel: { setup in
      func make<T: FloatScalar>(_ type: T.Type) -> Kernel {
        { io in
          let ratio = io.input(0).count / max(io.input(1).count, 1)
          io.output(0).pointer(T.self)[0] = 1 / T(max(ratio, 1))
        }
      }
      return try dispatch(setup, float32: { make(Float.self) }, float64: { make(Double.self) })
    },
    gradient: { _ in [nil, nil] })

  /// Broadcasts a reduced gradient (input 0) back to the shape of the reduction's input
  /// (input 1): `reduceSum`'s gradient.
  static let broadcastLike: OpDefinition = OpDefinition(
    "BroadcastLike", shapeOnly: [1],
    infer: { context in [TensorType(context.inputs[0].dtype, context.inputs[1].shape)] },
    kernel: { setup in
      let axes = setup.attributes.optionalInts("axes")
      func make<T: NumericScalar>(_ type: T.Type) -> Kernel {
        { io in
          let reduced = io.input(0)
          let out = io.output(0)
          let x = reduced.pointer(T.self)
          let z = out.pointer(T.self)
          let n = out.count
          // Fast paths: from a scalar (a mean's gradient), and reduced trailing axes (each
          // value repeated over a contiguous run), as in the loss's gradient.
          if reduced.count == 1 {
            out.buffer(T.self).update(repeating: x[0])
            return
          }
          if reduced.count > 0, let axes,
            axes.allSatisfy({ $0 >= out.shape.count - axes.count })
          {
            let run = n / reduced.count
            for i in 0..<reduced.count {
              let value = x[i]
              let row = z + i * run
              for j in 0..<run { row[j] = value }
            }
            return
          }
          let keep = keptShape(out.shape, axes: axes)
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
  try broadcastReduced(
    gradient, like: input, axes: attributes.optionalInts("axes"),
    keepDims: attributes.bool("keepDims"))
}

/// Broadcasts `gradient`, the shape of `input` reduced over `axes` (all when `nil`), back
/// to `input`'s shape.
func broadcastReduced(_ gradient: Tensor, like input: Tensor, axes: [Int]?, keepDims: Bool)
  throws -> Tensor
{
  var values: [String: AttributeValue] = ["keepDims": .bool(keepDims)]
  if let axes { values["axes"] = .ints(axes) }
  return try gradient.graph.addOp(
    Ops.broadcastLike, [gradient, input], attributes: values, name: "BroadcastLike")
}

/// Shape function of a reduction: the `axes` attribute (absent for all axes, normalized
/// to non-negative when present) and `keepDims`.
func reductionInference(_ allowed: Set<DType>)
  -> @Sendable (inout InferenceContext) throws
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

/// How a reduction walks its input.
enum ReductionLayout {
  /// The reduced axes are the trailing ones: each output reduces one contiguous run.
  case runs
  /// The reduced axes are the leading ones: each output reduces one column.
  case columns
  /// Anything else: rows of the innermost dimension, each output gathered by strides.
  case general

  init(shape: [Int], axes: [Int]?) {
    let reduced = Set(axes ?? Array(shape.indices))
    let kept = shape.indices.filter { !reduced.contains($0) }
    if kept.allSatisfy({ axis in (0..<axis).allSatisfy { !reduced.contains($0) } }) {
      self = .runs
    } else if reduced.allSatisfy({ axis in (0..<axis).allSatisfy { reduced.contains($0) } }) {
      self = .columns
    } else {
      self = .general
    }
  }
}

/// Sums or averages over `axes` (all when `nil`). Reducing leading or trailing axes takes
/// contiguous loops; other axis sets walk rows. Float sums of whole rows accumulate in
/// double precision.
private func reduceKernel<T: NumericScalar>(
  _ type: T.Type, axes: [Int]?, mean: Bool, rank: Int?
) -> Kernel {
  // The layout depends only on the rank and the axes: decide it once when the rank is known.
  let fixedLayout = rank.map { ReductionLayout(shape: Array(repeating: 2, count: $0), axes: axes) }
  return { io in
    let input = io.input(0)
    let out = io.output(0)
    let x = input.pointer(T.self)
    let z = out.pointer(T.self)
    let outCount = out.count
    guard outCount > 0 else { return }
    let perOutput = outCount == 0 ? 0 : input.count / outCount
    let shape = input.shape
    let layout = fixedLayout ?? ReductionLayout(shape: shape, axes: axes)
    func finish(_ total: Double) -> T {
      mean ? T(fromDouble: perOutput == 0 ? .nan : total / Double(perOutput)) : T(fromDouble: total)
    }
    if layout == .runs {
      // Each output is the sum of one contiguous run of `perOutput` inputs.
      for i in 0..<outCount {
        var total = 0.0
        let base = i * perOutput
        for j in 0..<perOutput { total += x[base + j].asDouble }
        z[i] = finish(total)
      }
    } else if layout == .columns {
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
func normalizedAxes(_ axes: [Int]?, for x: Tensor, op: String) throws -> [Int]? {
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

// MARK: - Max, min and product

extension Ops {
  static let reduceMax: OpDefinition = OpDefinition(
    "Max", infer: reductionInference(DType.numbers),
    kernel: { try foldKernel(MaxFold.self, $0) },
    gradient: { context in [try minOrMaxGradient(context)] })

  static let reduceMin: OpDefinition = OpDefinition(
    "Min", infer: reductionInference(DType.numbers),
    kernel: { try foldKernel(MinFold.self, $0) },
    gradient: { context in [try minOrMaxGradient(context)] })

  static let reduceProd: OpDefinition = OpDefinition(
    "Prod", infer: reductionInference(DType.numbers),
    kernel: { try foldKernel(ProductFold.self, $0) },
    gradient: { context in
      [
        try context.graph.addOp(
          Ops.prodGrad, [context.inputs[0], context.gradient],
          attributes: context.op.attributes, name: "ProdGrad")
      ]
    })

  /// `reduceMax`'s and `reduceMin`'s gradient from the input (0), the result (1) and the
  /// result's gradient (2): each element equal to its result gets an equal share of that
  /// result's gradient. Linear in input 2, so it has a gradient with respect to it; its
  /// gradient with respect to the input and the result is zero wherever it is defined.
  static let minOrMaxGrad: OpDefinition = OpDefinition(
    "MinOrMaxGrad", infer: { context in [context.inputs[0]] },
    kernel: { setup in
      let axes = setup.attributes.optionalInts("axes")
      return try dispatch(
        setup, float32: { minOrMaxGradKernel(Float.self, axes: axes) },
        float64: { minOrMaxGradKernel(Double.self, axes: axes) })
    },
    gradient: { context in
      let (x, y) = (context.inputs[0], context.inputs[1])
      let shares = try context.graph.addOp(
        Ops.minOrMaxGrad, [x, y, Frost.onesLike(context.inputs[2])],
        attributes: context.op.attributes, name: "MinOrMaxGrad")
      let attributes = context.attributes
      let gradient = try reduceSum(
        shares * context.gradient, axes: attributes.optionalInts("axes"),
        keepDims: attributes.bool("keepDims"))
      return [nil, nil, gradient]
    })

  /// `reduceProd`'s gradient from the input (0) and the result's gradient (1): each
  /// element's gradient is the product of the other elements it was reduced with, times
  /// the result's gradient. Exclusive products, not a division, so zeros are exact.
  static let prodGrad: OpDefinition = OpDefinition(
    "ProdGrad", infer: { context in [context.inputs[0]] },
    kernel: { setup in
      let axes = setup.attributes.optionalInts("axes")
      return try dispatch(
        setup, float32: { prodGradKernel(Float.self, axes: axes) },
        float64: { prodGradKernel(Double.self, axes: axes) })
    })

  /// `sqrt(sum(x²))` over axes: the norm `clipByNorm` divides by. Its gradient is
  /// `x / norm` times the result's gradient, and zero where the norm is zero.
  static let euclideanNorm: OpDefinition = OpDefinition(
    "EuclideanNorm", infer: reductionInference(DType.floats),
    kernel: { setup in
      let axes = setup.attributes.optionalInts("axes")
      func make<T: FloatScalar & FoldScalar>(_ type: T.Type) -> Kernel {
        let squares = foldKernel(SquareSumFold.self, T.self, axes: axes)
        return { io in
          try squares(io)
          let norms = io.output(0).buffer(T.self)
          for i in norms.indices { norms[i] = norms[i].squareRoot() }
        }
      }
      return try dispatch(setup, float32: { make(Float.self) }, float64: { make(Double.self) })
    },
    gradient: { context in
      let x = context.inputs[0]
      let perNorm = try context.gradient / safeDivisor(context.outputs[0])
      return [try x * broadcastReduced(perNorm, like: x, context.attributes)]
    })
}

/// `x` with zeros raised to the least normal number of its dtype: a divisor for gradients
/// of norms, which are zero where the norm is (the dividend is zero there too).
func safeDivisor(_ x: Tensor) throws -> Tensor {
  let least = x.dtype == .float32 ? Double(Float.leastNormalMagnitude) : .leastNormalMagnitude
  return try clipByValue(x, min: least, max: .infinity)
}

/// `sqrt(sum(x²))` of `x` over `axes` (all when `nil`); see `reduceSum` for the axes.
func euclideanNorm(_ x: Tensor, axes: [Int]?, keepDims: Bool, name: String? = nil) throws
  -> Tensor
{
  try reduction(Ops.euclideanNorm, x, axes: axes, keepDims: keepDims, name: name ?? "EuclideanNorm")
}

/// Element types with the identities of max and min, and a product that wraps for
/// integers (as TensorFlow's does) instead of trapping.
private protocol FoldScalar: NumericScalar {
  /// The identity of max: -infinity, or the least integer.
  static var lowest: Self { get }
  /// The identity of min: +infinity, or the greatest integer.
  static var highest: Self { get }
  static func wrappingProduct(_ a: Self, _ b: Self) -> Self
}

extension Float: FoldScalar {
  fileprivate static var lowest: Float { -.infinity }
  fileprivate static var highest: Float { .infinity }
  fileprivate static func wrappingProduct(_ a: Float, _ b: Float) -> Float { a * b }
}

extension Double: FoldScalar {
  fileprivate static var lowest: Double { -.infinity }
  fileprivate static var highest: Double { .infinity }
  fileprivate static func wrappingProduct(_ a: Double, _ b: Double) -> Double { a * b }
}

extension Int32: FoldScalar {
  fileprivate static var lowest: Int32 { .min }
  fileprivate static var highest: Int32 { .max }
  fileprivate static func wrappingProduct(_ a: Int32, _ b: Int32) -> Int32 { a &* b }
}

/// An associative combination with an identity, which `foldKernel` reduces with.
private protocol FoldFamily: SendableMetatype {
  static func identity<T: FoldScalar>(_ type: T.Type) -> T
  static func combine<T: FoldScalar>(_ accumulated: T, _ x: T) -> T
}

/// Max or min: keeps the preferred of two elements, and the first on ties.
private protocol ExtremumFamily: FoldFamily {
  /// Whether `x` replaces `current`: strictly better, or the first NaN (`x != x` only for
  /// NaN), so that a NaN wins as it does in TensorFlow.
  static func prefers<T: FoldScalar>(_ x: T, over current: T) -> Bool
}

extension ExtremumFamily {
  static func combine<T: FoldScalar>(_ accumulated: T, _ x: T) -> T {
    prefers(x, over: accumulated) ? x : accumulated
  }
}

private enum MaxFold: ExtremumFamily {
  static func identity<T: FoldScalar>(_ type: T.Type) -> T { T.lowest }
  static func prefers<T: FoldScalar>(_ x: T, over current: T) -> Bool {
    x > current || (x != x && current == current)
  }
}

private enum MinFold: ExtremumFamily {
  static func identity<T: FoldScalar>(_ type: T.Type) -> T { T.highest }
  static func prefers<T: FoldScalar>(_ x: T, over current: T) -> Bool {
    x < current || (x != x && current == current)
  }
}

private enum SquareSumFold: FoldFamily {
  static func identity<T: FoldScalar>(_ type: T.Type) -> T { T.zero }
  static func combine<T: FoldScalar>(_ accumulated: T, _ x: T) -> T { accumulated + x * x }
}

private enum ProductFold: FoldFamily {
  static func identity<T: FoldScalar>(_ type: T.Type) -> T { T.one }
  static func combine<T: FoldScalar>(_ accumulated: T, _ x: T) -> T {
    T.wrappingProduct(accumulated, x)
  }
}

private func foldKernel<F: FoldFamily>(_ family: F.Type, _ setup: KernelSetup) throws -> Kernel {
  let axes = setup.attributes.optionalInts("axes")
  return try dispatch(
    setup, float32: { foldKernel(F.self, Float.self, axes: axes) },
    float64: { foldKernel(F.self, Double.self, axes: axes) },
    int32: { foldKernel(F.self, Int32.self, axes: axes) })
}

/// Folds `F` over `axes` (all when `nil`), in the layouts of the sum's kernel. Every
/// output combines its elements in row-major order, whatever the layout.
private func foldKernel<F: FoldFamily, T: FoldScalar>(
  _ family: F.Type, _ type: T.Type, axes: [Int]?
) -> Kernel {
  { io in
    let input = io.input(0)
    let out = io.output(0)
    let x = input.pointer(T.self)
    let z = out.pointer(T.self)
    let outCount = out.count
    guard outCount > 0 else { return }
    let perOutput = input.count / outCount
    let identity = F.identity(T.self)
    switch ReductionLayout(shape: input.shape, axes: axes) {
    case .runs:
      for i in 0..<outCount {
        let run = x + i * perOutput
        var accumulated = identity
        for j in 0..<perOutput { accumulated = F.combine(accumulated, run[j]) }
        z[i] = accumulated
      }
    case .columns:
      out.buffer(T.self).update(repeating: identity)
      for i in 0..<perOutput {
        let row = x + i * outCount
        for j in 0..<outCount { z[j] = F.combine(z[j], row[j]) }
      }
    case .general:
      out.buffer(T.self).update(repeating: identity)
      let keep = keptShape(input.shape, axes: axes)
      BroadcastLayout(out: input.shape, a: keep, b: input.shape).forEachRow {
        offsetOut, _, offsetIn, length, stepOut, _ in
        for j in 0..<length {
          let k = offsetOut + j * stepOut
          z[k] = F.combine(z[k], x[offsetIn + j])
        }
      }
    }
  }
}

/// Calls `body(i, r)` for every element `i` of an array of `shape`, in row-major order or
/// its reverse, with `r` the index of the element's result in the reduction over `axes`.
private func forEachReduced(
  _ shape: [Int], axes: [Int]?, reversed: Bool = false, _ body: (Int, Int) -> Void
) {
  let count = shape.reduce(1, *)
  guard count > 0 else { return }
  let strides = BroadcastLayout.strides(of: keptShape(shape, axes: axes), in: shape)
  let rank = shape.count
  var index = reversed ? shape.map { $0 - 1 } : [Int](repeating: 0, count: rank)
  var r = reversed ? zip(index, strides).reduce(0) { $0 + $1.0 * $1.1 } : 0
  for step in 0..<count {
    body(reversed ? count - 1 - step : step, r)
    var axis = rank - 1
    while axis >= 0 {
      let last = shape[axis] - 1
      if reversed {
        if index[axis] > 0 {
          index[axis] -= 1
          r -= strides[axis]
          break
        }
        index[axis] = last
        r += strides[axis] * last
      } else {
        if index[axis] < last {
          index[axis] += 1
          r += strides[axis]
          break
        }
        index[axis] = 0
        r -= strides[axis] * last
      }
      axis -= 1
    }
  }
}

/// Splits each result's gradient equally among the elements equal to the result (ties
/// share, as in TensorFlow). Allocates one count per result on each run.
private func minOrMaxGradKernel<T: FloatScalar>(_ type: T.Type, axes: [Int]?) -> Kernel {
  { io in
    let input = io.input(0)
    let x = input.pointer(T.self)
    let y = io.input(1).pointer(T.self)
    let g = io.input(2).pointer(T.self)
    let z = io.output(0).pointer(T.self)
    var ties = [T](repeating: 0, count: io.input(1).count)
    forEachReduced(input.shape, axes: axes) { i, r in
      if x[i] == y[r] { ties[r] += 1 }
    }
    forEachReduced(input.shape, axes: axes) { i, r in
      z[i] = x[i] == y[r] ? g[r] / ties[r] : 0
    }
  }
}

/// Each element's gradient as (product of the elements before it) × (product of those
/// after it) × the result's gradient: a forward and a backward pass of running products,
/// one per result (allocated on each run).
private func prodGradKernel<T: FloatScalar>(_ type: T.Type, axes: [Int]?) -> Kernel {
  { io in
    let input = io.input(0)
    let x = input.pointer(T.self)
    let g = io.input(1).pointer(T.self)
    let z = io.output(0).pointer(T.self)
    var running = [T](repeating: 1, count: io.input(1).count)
    forEachReduced(input.shape, axes: axes) { i, r in
      z[i] = running[r]
      running[r] *= x[i]
    }
    for r in running.indices { running[r] = 1 }
    forEachReduced(input.shape, axes: axes, reversed: true) { i, r in
      z[i] *= running[r] * g[r]
      running[r] *= x[i]
    }
  }
}

private func minOrMaxGradient(_ context: GradientContext) throws -> Tensor {
  try context.graph.addOp(
    Ops.minOrMaxGrad, [context.inputs[0], context.outputs[0], context.gradient],
    attributes: context.op.attributes, name: "MinOrMaxGrad")
}

/// The largest of `x`'s elements over `axes` (all axes when `nil`), with `keepDims` as in
/// `reduceSum` (TensorFlow's `tf.reduce_max`). The max of nothing is -infinity (the least
/// int32 for ints); a NaN among the elements gives NaN.
///
/// The gradient is split equally among the elements equal to the max, as TensorFlow does.
///
/// - Throws: `FrostError.invalidArgument` for a bool input or an axis out of range.
public func reduceMax(_ x: Tensor, axes: [Int]? = nil, keepDims: Bool = false, name: String? = nil)
  throws -> Tensor
{
  try reduction(Ops.reduceMax, x, axes: axes, keepDims: keepDims, name: name ?? "Max")
}

/// The smallest of `x`'s elements over `axes`; see `reduceMax`. The min of nothing is
/// +infinity (the greatest int32 for ints); ties share the gradient equally.
///
/// - Throws: `FrostError.invalidArgument` for a bool input or an axis out of range.
public func reduceMin(_ x: Tensor, axes: [Int]? = nil, keepDims: Bool = false, name: String? = nil)
  throws -> Tensor
{
  try reduction(Ops.reduceMin, x, axes: axes, keepDims: keepDims, name: name ?? "Min")
}

/// The product of `x`'s elements over `axes`; see `reduceSum`. The product of nothing is
/// 1; int32 products wrap around on overflow.
///
/// The gradient of each element is the product of the others (exact with zeros among
/// them). That gradient has no gradient itself: second-order derivatives through
/// `reduceProd` are not supported.
///
/// - Throws: `FrostError.invalidArgument` for a bool input or an axis out of range.
public func reduceProd(
  _ x: Tensor, axes: [Int]? = nil, keepDims: Bool = false, name: String? = nil
) throws -> Tensor {
  try reduction(Ops.reduceProd, x, axes: axes, keepDims: keepDims, name: name ?? "Prod")
}

// MARK: - Arg max, arg min and top k

extension Ops {
  static let argMax: OpDefinition = OpDefinition(
    "ArgMax", infer: argInference,
    kernel: { try argKernel(MaxFold.self, $0) })

  static let argMin: OpDefinition = OpDefinition(
    "ArgMin", infer: argInference,
    kernel: { try argKernel(MinFold.self, $0) })

  static let inTopK: OpDefinition = OpDefinition(
    "InTopK",
    infer: { context in
      _ = try context.dtype(of: 0, in: DType.floats)
      _ = try context.dtype(of: 1, in: [.int32])
      try context.requireRank(0, 2)
      try context.requireRank(1, 1)
      let rows = context.inputs[0].shape.dims?[0]
      let targets = context.inputs[1].shape.dims?[0]
      if let rows, let targets, rows != targets {
        throw context.error(
          "\(context.describeInput(0)) and \(context.describeInput(1)) must have the same"
            + " number of rows")
      }
      return [TensorType(.bool, Shape([rows ?? targets]))]
    },
    kernel: { setup in
      let k = setup.attributes.int("k")
      return try dispatch(
        setup, float32: { inTopKKernel(Float.self, k: k) },
        float64: { inTopKKernel(Double.self, k: k) })
    })
}

/// Shape function of argMax and argMin: the input's shape without `axis`, as int32.
private func argInference(_ context: inout InferenceContext) throws -> [TensorType] {
  _ = try context.dtype(of: 0, in: DType.numbers)
  let axis = context.attributes.int("axis")
  guard var dims = context.inputs[0].shape.dims else { return [TensorType(.int32, .unknown)] }
  guard axis < dims.count else {
    throw context.error("axis \(axis) is out of range for \(context.describeInput(0))")
  }
  if dims[axis] == 0 {
    throw context.error("axis \(axis) of \(context.describeInput(0)) is empty")
  }
  dims.remove(at: axis)
  return [TensorType(.int32, Shape(dims))]
}

private func argKernel<F: ExtremumFamily>(_ family: F.Type, _ setup: KernelSetup) throws -> Kernel {
  let axis = setup.attributes.int("axis")
  return try dispatch(
    setup, float32: { argKernel(F.self, Float.self, axis: axis) },
    float64: { argKernel(F.self, Double.self, axis: axis) },
    int32: { argKernel(F.self, Int32.self, axis: axis) })
}

/// The index along `axis` of the element that `F` prefers; the first on ties, the first
/// NaN if there is one.
private func argKernel<F: ExtremumFamily, T: FoldScalar>(
  _ family: F.Type, _ type: T.Type, axis: Int
) -> Kernel {
  { io in
    let input = io.input(0)
    let shape = input.shape
    let length = shape[axis]
    let outer = shape[..<axis].reduce(1, *)
    let inner = shape[(axis + 1)...].reduce(1, *)
    let x = input.pointer(T.self)
    let z = io.output(0).pointer(Int32.self)
    guard length > 0 else { return }
    for o in 0..<outer {
      let block = x + o * length * inner
      let best = z + o * inner
      for k in 0..<inner { best[k] = 0 }
      for j in 1..<length {
        let row = block + j * inner
        for k in 0..<inner where F.prefers(row[k], over: block[Int(best[k]) * inner + k]) {
          best[k] = Int32(j)
        }
      }
    }
  }
}

/// TensorFlow's InTopK: a row's target is in the top k when fewer than `k` predictions
/// are strictly greater than the target's, so ties at the boundary all count as in. A
/// target out of range, or a row with a non-finite prediction, gives `false`.
private func inTopKKernel<T: FloatScalar>(_ type: T.Type, k: Int) -> Kernel {
  { io in
    let predictions = io.input(0)
    let classes = predictions.shape[1]
    let p = predictions.pointer(T.self)
    let targets = io.input(1).pointer(Int32.self)
    let z = io.output(0).pointer(Bool.self)
    for i in 0..<io.output(0).count {
      let target = Int(targets[i])
      let row = p + i * classes
      guard target >= 0, target < classes, row[target].isFinite else {
        z[i] = false
        continue
      }
      let value = row[target]
      var greater = 0
      var finite = true
      for j in 0..<classes {
        if !row[j].isFinite {
          finite = false
          break
        }
        if row[j] > value { greater += 1 }
      }
      z[i] = finite && greater < k
    }
  }
}

/// The index of the largest element of `x` along `axis` (negative counts from the end),
/// as int32: `x`'s shape without that axis (TensorFlow's `tf.argmax`). The first index
/// wins on ties; a NaN counts as the largest. No gradient flows through it (its output is
/// an integer).
///
/// - Throws: `FrostError.invalidArgument` for a bool input, an axis out of range, or an
///   empty axis (checked again when the graph runs).
public func argMax(_ x: Tensor, axis: Int, name: String? = nil) throws -> Tensor {
  try argReduction(Ops.argMax, x, axis: axis, name: name ?? "ArgMax")
}

/// The index of the smallest element of `x` along `axis`; see `argMax`. A NaN counts as
/// the smallest.
///
/// - Throws: `FrostError.invalidArgument` for a bool input, an axis out of range, or an
///   empty axis.
public func argMin(_ x: Tensor, axis: Int, name: String? = nil) throws -> Tensor {
  try argReduction(Ops.argMin, x, axis: axis, name: name ?? "ArgMin")
}

private func argReduction(_ op: OpDefinition, _ x: Tensor, axis: Int, name: String) throws
  -> Tensor
{
  let resolved = try normalizedAxes([axis], for: x, op: op.name)![0]
  return try x.graph.addOp(op, [x], attributes: ["axis": .int(resolved)], name: name)
}

/// Whether each row's target class is among the `k` largest predictions of that row, as
/// bool `[batch]` (TensorFlow's `tf.nn.in_top_k`): `predictions` is float `[batch,
/// classes]`, `targets` int32 `[batch]`. Classes tied with the k-th largest all count as
/// in the top k. A target outside `[0, classes)`, or a row holding a non-finite
/// prediction, gives `false`. No gradient.
///
/// - Throws: `FrostError.invalidArgument` for a negative `k`, ranks other than 2 and 1,
///   different numbers of rows, or wrong dtypes.
public func inTopK(predictions: Tensor, targets: Tensor, k: Int, name: String? = nil) throws
  -> Tensor
{
  guard k >= 0 else {
    throw FrostError.invalidArgument("InTopK: k must not be negative, but it is \(k)")
  }
  return try predictions.graph.addOp(
    Ops.inTopK, [predictions, targets], attributes: ["k": .int(k)], name: name ?? "InTopK")
}
