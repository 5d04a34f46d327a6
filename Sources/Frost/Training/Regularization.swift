/// A weight penalty added to the regularization-losses collection (TensorFlow 1.x's
/// `tf.contrib.layers.l1_regularizer` and `l2_regularizer`, as the book uses them).
public enum Regularizer: Sendable {
  /// `scale · Σ|w|`.
  case l1(Double)
  /// `scale · Σw² / 2` (TensorFlow 1.x's `l2_regularizer`, which is `scale · l2_loss`).
  case l2(Double)
  /// Both penalties.
  case l1l2(l1: Double, l2: Double)

  /// The penalty of `weights` as a scalar tensor.
  ///
  /// - Throws: `FrostError.invalidArgument` unless `weights` is floating point.
  public func loss(of weights: Tensor) throws -> Tensor {
    let graph = weights.graph
    return try graph.withNameScope("Regularizer") {
      switch self {
      case .l1(let scale):
        return try reduceSum(abs(weights)) * scale
      case .l2(let scale):
        return try l2Loss(weights) * scale
      case .l1l2(let l1, let l2):
        return try add(reduceSum(abs(weights)) * l1, l2Loss(weights) * l2, name: "l1_l2")
      }
    }
  }
}

extension Graph {
  /// The regularization losses that layers added (TensorFlow's
  /// `tf.get_collection(REGULARIZATION_LOSSES)`); add their sum to the loss you minimize.
  public func regularizationLosses() -> [Tensor] {
    tensors(inCollection: GraphKeys.regularizationLosses)
  }

  /// The operations to run with each training step: batch normalization's moving
  /// averages (TensorFlow's `tf.get_collection(UPDATE_OPS)`).
  public func updateOps() -> [Operation] {
    operations(inCollection: GraphKeys.updateOps)
  }
}

/// An operation that clips each row (for `axes: [1]`, the weights into each unit) of
/// `variable` to an L2 norm of at most `threshold`, as the book's max-norm regularization
/// does; run it after each training step.
///
/// - Throws: `FrostError.invalidArgument` when `variable` is not a variable or `threshold`
///   is not positive.
public func maxNormConstraint(
  _ variable: Tensor, threshold: Double, axes: [Int] = [1], name: String? = nil
) throws -> Operation {
  guard variable.isVariable else {
    throw FrostError.invalidArgument("maxNormConstraint: '\(variable.name)' is not a variable")
  }
  let graph = variable.graph
  return try graph.atomically {
    try graph.withNameScope(name ?? "max_norm") {
      try assign(variable, clipByNorm(variable, clipNorm: threshold, axes: axes))
    }
  }
}
