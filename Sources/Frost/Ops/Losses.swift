// Losses: softmax cross entropy with sparse or dense labels (each one fused op that also
// yields its own gradient), sigmoid cross entropy, the L2 loss and the mean squared error.

extension Ops {
  /// Outputs the loss per row and `softmax(logits) - onehot(labels)`, the loss's gradient
  /// with respect to the logits, from one pass over each row.
  static let sparseSoftmaxCrossEntropyWithLogits: OpDefinition = OpDefinition(
    "SparseSoftmaxCrossEntropyWithLogits", traits: [.canFail],
    infer: { context in
      let dtype = try context.dtype(of: 0, in: DType.floats)
      _ = try context.dtype(of: 1, in: [.int32])
      try context.requireRank(0, 2)
      try context.requireRank(1, 1)
      let logits = context.inputs[0].shape.dims ?? [nil, nil]
      let labels = context.inputs[1].shape.dims ?? [nil]
      if let rows = logits[0], let count = labels[0], rows != count {
        throw context.error(
          "labels \(context.describeInput(1)) must hold one class index per row of logits"
            + " \(context.describeInput(0))")
      }
      let batch = logits[0] ?? labels[0]
      return [TensorType(dtype, Shape([batch])), TensorType(dtype, Shape([batch, logits[1]]))]
    },
    kernel: { setup in
      try dispatch(
        setup, float32: { sparseSoftmaxCrossEntropyKernel(Float.self, setup) },
        float64: { sparseSoftmaxCrossEntropyKernel(Double.self, setup) })
    },
    gradient: { context in [try softmaxLossGradient(context), nil] })

  /// Outputs the loss per row and `sum(labels) * softmax(logits) - labels`, its gradient
  /// with respect to the logits.
  static let softmaxCrossEntropyWithLogits: OpDefinition = OpDefinition(
    "SoftmaxCrossEntropyWithLogits",
    infer: { context in
      let dtype = try context.sameDType(DType.floats)
      try context.requireRank(0, 2)
      try context.requireRank(1, 2)
      guard let shape = context.inputs[0].shape.merged(with: context.inputs[1].shape) else {
        throw context.error(
          "labels \(context.describeInput(1)) and logits \(context.describeInput(0)) must have"
            + " the same shape")
      }
      let dims = shape.dims ?? [nil, nil]
      return [TensorType(dtype, Shape([dims[0]])), TensorType(dtype, shape)]
    },
    kernel: { setup in
      try dispatch(
        setup, float32: { softmaxCrossEntropyKernel(Float.self) },
        float64: { softmaxCrossEntropyKernel(Double.self) })
    },
    gradient: { context in
      [
        context.needs(0) ? try softmaxLossGradient(context) : nil,
        context.needs(1)
          ? try context.graph.addOp(
            Ops.softmaxCrossEntropyLabelsGrad, [context.inputs[0], context.gradient],
            name: "SoftmaxCrossEntropyLabelsGrad") : nil,
      ]
    })

  /// The gradient of a softmax cross entropy with respect to its labels, from the logits
  /// (input 0) and the loss's gradient (input 1): `-log_softmax(logits) * gradient` with the
  /// gradient broadcast along rows. No gradient of its own.
  static let softmaxCrossEntropyLabelsGrad: OpDefinition = OpDefinition(
    "SoftmaxCrossEntropyLabelsGrad", infer: { context in [context.inputs[0]] },
    kernel: { setup in
      try dispatch(
        setup, float32: { softmaxCrossEntropyLabelsGradKernel(Float.self) },
        float64: { softmaxCrossEntropyLabelsGradKernel(Double.self) })
    })

  static let sigmoidCrossEntropyWithLogits: OpDefinition = OpDefinition(
    "SigmoidCrossEntropyWithLogits", traits: [.inPlace], infer: sameShapeInference,
    kernel: { try floatBinaryKernel(SigmoidCrossEntropyFamily.self, $0) },
    gradient: { context in
      let (logits, labels) = (context.inputs[0], context.inputs[1])
      return [
        context.needs(0)
          ? try context.graph.addOp(
            Ops.sigmoidCrossEntropyWithLogitsGrad, [logits, labels, context.gradient],
            name: "SigmoidCrossEntropyWithLogitsGrad") : nil,
        context.needs(1) ? try Frost.negate(logits * context.gradient) : nil,
      ]
    })

  /// `(sigmoid(logits) - labels) * gradient` from the logits, labels and loss gradient (all
  /// of one shape): the sigmoid cross entropy's gradient with respect to its logits. No
  /// gradient of its own.
  static let sigmoidCrossEntropyWithLogitsGrad: OpDefinition = OpDefinition(
    "SigmoidCrossEntropyWithLogitsGrad", traits: [.inPlace],
    infer: { context in [context.inputs[0]] },
    kernel: { setup in
      try dispatch(
        setup, float32: { sigmoidCrossEntropyGradKernel(Float.self) },
        float64: { sigmoidCrossEntropyGradKernel(Double.self) })
    })

  static let l2Loss: OpDefinition = OpDefinition(
    "L2Loss",
    infer: { context in [TensorType(try context.dtype(of: 0, in: DType.floats), .scalar)] },
    kernel: { setup in
      try dispatch(
        setup, float32: { l2LossKernel(Float.self) }, float64: { l2LossKernel(Double.self) })
    },
    gradient: { context in [try Frost.multiply(context.inputs[0], context.gradient)] })
}

/// Shape function of an op of two float inputs of one shape (no broadcasting).
private func sameShapeInference(_ context: inout InferenceContext) throws -> [TensorType] {
  let dtype = try context.sameDType(DType.floats)
  guard let shape = context.inputs[0].shape.merged(with: context.inputs[1].shape) else {
    throw context.error(
      "labels \(context.describeInput(1)) and logits \(context.describeInput(0)) must have the"
        + " same shape")
  }
  return [TensorType(dtype, shape)]
}

/// A softmax cross entropy's gradient with respect to its logits: the op's second output
/// times the loss's gradient broadcast along each row, so the softmax is not computed
/// again. A gradient reaching that second output would be a second-order gradient, which
/// this does not support: it throws rather than drop it.
private func softmaxLossGradient(_ context: GradientContext) throws -> Tensor {
  guard context.outputGradients[1] == nil else {
    throw FrostError.invalidArgument(
      "gradients: second-order gradients through \(context.op.type) '\(context.op.name)' are"
        + " not supported")
  }
  let backprop = context.outputs[1]
  let spread = try broadcastReduced(context.gradient, like: backprop, axes: [1], keepDims: false)
  return try Frost.multiply(backprop, spread)
}

/// Writes `exp(x[j] - max)` for the `count` elements of a row to `e` and returns the max
/// and the sum of those exponentials (at least 1 for finite rows).
@inline(__always)
private func shiftedExponentials<T: FloatScalar>(
  _ x: UnsafePointer<T>, into e: UnsafeMutablePointer<T>, count: Int
) -> (max: T, sum: T) {
  var largest = x[0]
  for j in 1..<count where x[j] > largest { largest = x[j] }
  var sum: T = 0
  for j in 0..<count {
    let value = T.exp(x[j] - largest)
    e[j] = value
    sum += value
  }
  return (largest, sum)
}

/// Per row: the max, the exponentials (into the backprop output), their sum, then the
/// loss `log(sum) - (x[label] - max)` and the backprop `exp / sum - onehot`. A label out
/// of range throws naming the node, the label and its row.
private func sparseSoftmaxCrossEntropyKernel<T: FloatScalar>(
  _ type: T.Type, _ setup: KernelSetup
) -> Kernel {
  { io in
    let logits = io.input(0)
    let classes = logits.shape[1]
    let rows = logits.shape[0]
    let x = UnsafePointer(logits.pointer(T.self))
    let labels = io.input(1).pointer(Int32.self)
    let loss = io.output(0).pointer(T.self)
    let backprop = io.output(1).pointer(T.self)
    for row in 0..<rows {
      let label = Int(labels[row])
      guard label >= 0, label < classes else {
        throw setup.error("label \(label) in row \(row) is out of range [0, \(classes))")
      }
    }
    // Three passes, so that the exponentials of the whole batch are one vectorized loop:
    // the shifted logits x − max per row (the loss keeps the label's), their exponentials,
    // then per row the sum, the loss log(sum) − (x[label] − max) and the backprop.
    for row in 0..<rows {
      let (xs, b) = (x + row * classes, backprop + row * classes)
      var largest = xs[0]
      for j in 1..<classes where xs[j] > largest { largest = xs[j] }
      for j in 0..<classes { b[j] = xs[j] - largest }
      loss[row] = b[Int(labels[row])]
    }
    T.exponentials(backprop, count: rows * classes)
    // A training step reads only the backprop: the losses' logarithms are skipped then.
    let lossNeeded = io.needsValue(ofOutput: 0)
    for row in 0..<rows {
      let b = backprop + row * classes
      var sum: T = 0
      for j in 0..<classes { sum += b[j] }
      let scale = 1 / sum
      for j in 0..<classes { b[j] *= scale }
      b[Int(labels[row])] -= 1
      if lossNeeded { loss[row] = T.log(sum) - loss[row] }
    }
  }
}

/// Per row: loss `sum_j labels[j] * (log(sum) - (x[j] - max))`, backprop
/// `sum(labels) * exp / sum - labels` (TensorFlow's `softmax - labels` when the labels sum
/// to 1, and the exact derivative when they do not).
private func softmaxCrossEntropyKernel<T: FloatScalar>(_ type: T.Type) -> Kernel {
  { io in
    let logits = io.input(0)
    let classes = logits.shape[1]
    let x = UnsafePointer(logits.pointer(T.self))
    let labels = io.input(1).pointer(T.self)
    let loss = io.output(0).pointer(T.self)
    let backprop = io.output(1).pointer(T.self)
    guard classes > 0 else {
      io.output(0).buffer(T.self).update(repeating: 0)
      return
    }
    for row in 0..<logits.shape[0] {
      let offset = row * classes
      let (largest, sum) = shiftedExponentials(x + offset, into: backprop + offset, count: classes)
      let logSum = T.log(sum)
      let (p, b, xs) = (labels + offset, backprop + offset, x + offset)
      var mass: T = 0
      for j in 0..<classes { mass += p[j] }
      let scale = mass / sum
      var total: T = 0
      for j in 0..<classes {
        total += p[j] * (logSum - (xs[j] - largest))
        b[j] = b[j] * scale - p[j]
      }
      loss[row] = total
    }
  }
}

private func softmaxCrossEntropyLabelsGradKernel<T: FloatScalar>(_ type: T.Type) -> Kernel {
  { io in
    let logits = io.input(0)
    let classes = logits.shape[1]
    let x = logits.pointer(T.self)
    let g = io.input(1).pointer(T.self)
    let z = io.output(0).pointer(T.self)
    guard classes > 0 else { return }
    for row in 0..<logits.shape[0] {
      let offset = row * classes
      let (largest, sum) = shiftedExponentials(x + offset, into: z + offset, count: classes)
      let logSum = T.log(sum)
      for j in 0..<classes { z[offset + j] = (logSum - (x[offset + j] - largest)) * g[row] }
    }
  }
}

/// TensorFlow's stable form of `-z log(sigmoid(x)) - (1 - z) log(1 - sigmoid(x))`:
/// `max(x, 0) - x z + log(1 + exp(-|x|))`.
private enum SigmoidCrossEntropyFamily: FloatBinaryFamily {
  static func apply<T: FloatScalar>(_ x: T, _ z: T) -> T {
    (x > 0 ? x : 0) - x * z + T.log1p(T.exp(-x.magnitude))
  }
}

private func sigmoidCrossEntropyGradKernel<T: FloatScalar>(_ type: T.Type) -> Kernel {
  { io in
    let x = io.input(0).pointer(T.self)
    let labels = io.input(1).pointer(T.self)
    let g = io.input(2).pointer(T.self)
    let out = io.output(0)
    let z = out.pointer(T.self)
    for i in 0..<out.count {
      // sigmoid without overflow: exp of a non-positive number only.
      let e = T.exp(-x[i].magnitude)
      let sigmoid = x[i] >= 0 ? 1 / (1 + e) : e / (1 + e)
      z[i] = (sigmoid - labels[i]) * g[i]
    }
  }
}

/// Sums squares in double precision, halves, rounds once.
private func l2LossKernel<T: FloatScalar>(_ type: T.Type) -> Kernel {
  { io in
    let input = io.input(0)
    let x = input.pointer(T.self)
    var total = 0.0
    for i in 0..<input.count {
      let value = x[i].asDouble
      total += value * value
    }
    io.output(0).pointer(T.self)[0] = T(fromDouble: total / 2)
  }
}

/// The softmax cross entropy of each row of `logits` (float `[batch, classes]`) with the
/// class index of that row in `labels` (int32 `[batch]`): `-log(softmax(logits)[label])`,
/// as `[batch]` (TensorFlow's `tf.nn.sparse_softmax_cross_entropy_with_logits`).
///
/// One fused op computes the loss and its gradient (`softmax - onehot`) in one pass over
/// each row after subtracting the row's max, so any finite logits (±1e4 included) give a
/// finite loss and gradient. The gradient reuses that output instead of computing the
/// softmax again; the gradient has no gradient itself: second-order gradients through this
/// op are not supported (building one throws). Only rank 2: reshape higher ranks first.
///
/// - Throws: `FrostError.invalidArgument` for non-float logits, non-int32 labels, ranks
///   other than 2 and 1, or different batch sizes; when run, for a label outside
///   `[0, classes)` (the message names the node, the label and its row).
public func sparseSoftmaxCrossEntropyWithLogits(
  labels: Tensor, logits: Tensor, name: String? = nil
) throws -> Tensor {
  try logits.graph.addOp(
    Ops.sparseSoftmaxCrossEntropyWithLogits, [logits, labels],
    name: name ?? "SparseSoftmaxCrossEntropyWithLogits")
}

/// The softmax cross entropy of each row of `logits` with a probability distribution in
/// the same row of `labels` (both float `[batch, classes]`): `-sum(labels *
/// log_softmax(logits))`, as `[batch]` (TensorFlow's
/// `tf.nn.softmax_cross_entropy_with_logits`).
///
/// Stable like `sparseSoftmaxCrossEntropyWithLogits`, and fused the same way; it has
/// gradients with respect to both inputs (exact even for labels that do not sum to 1),
/// but no second-order gradients. Only rank 2.
///
/// - Throws: `FrostError.invalidArgument` when the inputs are not float, not of rank 2, or
///   differ in dtype or shape.
public func softmaxCrossEntropyWithLogits(labels: Tensor, logits: Tensor, name: String? = nil)
  throws -> Tensor
{
  try logits.graph.addOp(
    Ops.softmaxCrossEntropyWithLogits, [logits, labels],
    name: name ?? "SoftmaxCrossEntropyWithLogits")
}

/// The elementwise logistic loss of `logits` against `labels` in [0, 1] of the same shape:
/// `max(x, 0) - x * z + log(1 + exp(-|x|))`, TensorFlow's stable form of its
/// `tf.nn.sigmoid_cross_entropy_with_logits` (no overflow for any finite logits).
///
/// Gradients flow to both inputs; the gradient with respect to the logits has no gradient
/// of its own (no second order).
///
/// - Throws: `FrostError.invalidArgument` when the inputs are not float or differ in dtype
///   or shape (no broadcasting).
public func sigmoidCrossEntropyWithLogits(labels: Tensor, logits: Tensor, name: String? = nil)
  throws -> Tensor
{
  try logits.graph.addOp(
    Ops.sigmoidCrossEntropyWithLogits, [logits, labels], name: name ?? "logistic_loss")
}

/// `sum(x²) / 2` over every element, a scalar (TensorFlow's `tf.nn.l2_loss`); squares are
/// summed in double precision.
///
/// - Throws: `FrostError.invalidArgument` unless `x` is float32 or float64.
public func l2Loss(_ x: Tensor, name: String? = nil) throws -> Tensor {
  try x.graph.addOp(Ops.l2Loss, [x], name: name ?? "L2Loss")
}

/// The mean of `(predictions - labels)²` over every element, a scalar: TensorFlow's
/// `tf.losses.mean_squared_error` with its default weight and reduction. Built from
/// `subtract`, `multiply` and `reduceMean` under the name scope `name`.
///
/// - Throws: `FrostError.invalidArgument` when the inputs are not float, differ in dtype,
///   or have incompatible shapes (no broadcasting; the message names both).
public func meanSquaredError(labels: Tensor, predictions: Tensor, name: String? = nil) throws
  -> Tensor
{
  let graph = predictions.graph
  for tensor in [labels, predictions] where !tensor.dtype.isFloatingPoint {
    throw FrostError.invalidArgument(
      "meanSquaredError: '\(tensor.name)' is \(tensor.dtype); expected float32 or float64")
  }
  guard labels.dtype == predictions.dtype else {
    throw FrostError.invalidArgument(
      "meanSquaredError: predictions '\(predictions.name)' are \(predictions.dtype) but labels"
        + " '\(labels.name)' are \(labels.dtype)")
  }
  guard predictions.shape.isCompatible(with: labels.shape) else {
    throw FrostError.invalidArgument(
      "meanSquaredError: predictions '\(predictions.name)' of shape \(predictions.shape) and"
        + " labels '\(labels.name)' of shape \(labels.shape) must have the same shape")
  }
  return try graph.atomically {
    try graph.withNameScope(name ?? "mean_squared_error") {
      let difference = try subtract(predictions, labels)
      return try reduceMean(difference * difference, name: "value")
    }
  }
}
