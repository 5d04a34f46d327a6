/// The activation of a layer.
public enum Activation: Sendable {
  /// `max(x, 0)`.
  case relu
  /// `x` for x > 0, `exp(x) - 1` otherwise.
  case elu
  /// `x` for x > 0, `alpha · x` otherwise.
  case leakyRelu(Double)
  /// Scaled ELU with TensorFlow's constants.
  case selu
  /// `1 / (1 + exp(-x))`.
  case sigmoid
  /// The hyperbolic tangent.
  case tanh
  /// Softmax over the last axis.
  case softmax
  /// Any function of a tensor, built inside the layer's scope.
  case custom(@Sendable (Tensor) throws -> Tensor)

  func apply(_ x: Tensor) throws -> Tensor {
    switch self {
    case .relu: try Frost.relu(x)
    case .elu: try Frost.elu(x)
    case .leakyRelu(let alpha): try Frost.leakyRelu(x, alpha: alpha)
    case .selu: try Frost.selu(x)
    case .sigmoid: try Frost.sigmoid(x)
    case .tanh: try Frost.tanh(x)
    case .softmax: try Frost.softmax(x)
    case .custom(let function): try function(x)
    }
  }
}

/// A fully connected layer, `activation(inputs · kernel + bias)`, as TensorFlow 1.x's
/// `tf.layers.dense`: variables named exactly `NAME/kernel` ([inputs, units]) and
/// `NAME/bias` ([units]); ops `NAME/MatMul`, `NAME/BiasAdd` and the activation's
/// (`NAME/Relu`). Without a name the layer is `dense`, `dense_1`...
///
/// - Throws: `FrostError.invalidArgument` when `inputs` is not a floating-point matrix
///   with a known number of columns, `units` is not positive, or `NAME/kernel` exists
///   already. The graph is unchanged on error.
public func dense(
  _ inputs: Tensor, units: Int, activation: Activation? = nil,
  kernelInitializer: Initializer = .glorotUniform(), biasInitializer: Initializer = .zeros,
  kernelRegularizer: Regularizer? = nil, useBias: Bool = true, trainable: Bool = true,
  name: String? = nil
) throws -> Tensor {
  let graph = inputs.graph
  let layer = name ?? "dense"
  guard units > 0 else {
    throw FrostError.invalidArgument("dense '\(layer)': units \(units) is not positive")
  }
  guard inputs.dtype.isFloatingPoint, inputs.shape.rank == 2,
    let inputWidth = inputs.shape.dims?[1]
  else {
    throw FrostError.invalidArgument(
      "dense '\(layer)': '\(inputs.name)' of shape \(inputs.shape) must be a float matrix with"
        + " a known number of columns")
  }
  if let name {
    let kernelName = graph.currentNameScope + name + "/kernel"
    if (try? graph.operation(named: kernelName)) != nil {
      throw FrostError.invalidArgument(
        "dense '\(name)': variable '\(kernelName)' already exists; give the layer another name")
    }
  }
  return try graph.atomically {
    let scope = name.map { graph.currentNameScope + $0 + "/" } ?? "dense"
    return try graph.withNameScope(scope) {
      let kernel = try graph.variable(
        shape: [inputWidth, units], dtype: inputs.dtype, initializer: kernelInitializer,
        trainable: trainable, name: "kernel")
      if let kernelRegularizer {
        try graph.addToCollection(
          GraphKeys.regularizationLosses,
          graph.withNameScope(kernel.op.name + "/") { try kernelRegularizer.loss(of: kernel) })
      }
      var output = try matmul(inputs, kernel)
      if useBias {
        let bias = try graph.variable(
          shape: [units], dtype: inputs.dtype, initializer: biasInitializer,
          trainable: trainable, name: "bias")
        output = try add(output, bias, name: "BiasAdd")
      }
      return try activation?.apply(output) ?? output
    }
  }
}

/// Batch normalization over the last axis (TensorFlow 1.x's
/// `tf.layers.batch_normalization`): in training, `(x − μ_B) / sqrt(σ²_B + ε) · γ + β` with
/// the batch's mean and (biased) variance over every axis but the last; in inference the
/// moving statistics replace them.
///
/// Variables `NAME/gamma` (ones) and `NAME/beta` (zeros) train; `NAME/moving_mean` (zeros)
/// and `NAME/moving_variance` (ones) do not. Their updates,
/// `moving = moving · momentum + batch · (1 − momentum)`, join the graph's update-ops
/// collection: run them with the training op, as in TensorFlow. Run while `training` is
/// false, they write the moving statistics back unchanged.
///
/// - Parameter training: a bool scalar, usually `placeholderWithDefault(false)`.
/// - Throws: `FrostError.invalidArgument` when `x` is not floating point with a known rank
///   and last dimension, or `training` is not a bool scalar.
public func batchNormalization(
  _ x: Tensor, training: Tensor, momentum: Double = 0.99, epsilon: Double = 0.001,
  name: String? = nil
) throws -> Tensor {
  let graph = x.graph
  let layer = name ?? "batch_normalization"
  guard x.dtype.isFloatingPoint, let rank = x.shape.rank, rank >= 1,
    let features = x.shape.dims?[rank - 1]
  else {
    throw FrostError.invalidArgument(
      "batchNormalization '\(layer)': '\(x.name)' of shape \(x.shape) needs a float dtype,"
        + " a known rank and a known last dimension")
  }
  guard training.dtype == .bool, training.shape.rank ?? 0 == 0 else {
    throw FrostError.invalidArgument(
      "batchNormalization '\(layer)': training flag '\(training.name)' must be a bool scalar")
  }
  return try graph.atomically {
    try graph.withNameScope(name.map { graph.currentNameScope + $0 + "/" } ?? layer) {
      let dtype = x.dtype
      let gamma = try graph.variable(
        shape: [features], dtype: dtype, initializer: .ones, name: "gamma")
      let beta = try graph.variable(
        shape: [features], dtype: dtype, initializer: .zeros, name: "beta")
      let movingMean = try graph.variable(
        shape: [features], dtype: dtype, initializer: .zeros, trainable: false,
        name: "moving_mean")
      let movingVariance = try graph.variable(
        shape: [features], dtype: dtype, initializer: .ones, trainable: false,
        name: "moving_variance")

      let axes = Array(0..<(rank - 1))
      let mean = try reduceMean(x, axes: axes, name: "mean")
      let variance = try reduceMean(square(x - mean), axes: axes, name: "variance")
      func normalize(_ mean: Tensor, _ variance: Tensor) throws -> Tensor {
        try (x - mean) * rsqrt(variance + epsilon) * gamma + beta
      }
      let batchOutput = try graph.withNameScope("batch") { try normalize(mean, variance) }
      let movingOutput = try graph.withNameScope("moving") {
        try normalize(movingMean, movingVariance)
      }
      // As TensorFlow's, an update run in inference mode leaves the statistics as they are.
      for (moving, batch) in [(movingMean, mean), (movingVariance, variance)] {
        let update = try graph.withNameScope("AssignMovingAvg") {
          let averaged = try moving * momentum + stopGradient(batch) * (1 - momentum)
          return try assign(moving, select(training, averaged, moving))
        }
        try graph.addToCollection(GraphKeys.updateOps, update)
      }
      return try select(training, batchOutput, movingOutput, name: "output")
    }
  }
}

/// Dropout when `training` is true, the identity otherwise (TensorFlow 1.x's
/// `tf.layers.dropout(x, rate, training=)`): elements are zeroed with probability `rate` and
/// the rest scaled by `1 / (1 − rate)`.
///
/// - Throws: `FrostError.invalidArgument` when `training` is not a bool scalar, or as
///   `dropout(_:rate:seed:name:)`.
public func dropout(
  _ x: Tensor, rate: Double, training: Tensor, seed: UInt64? = nil, name: String? = nil
) throws -> Tensor {
  guard training.dtype == .bool, training.shape.rank ?? 0 == 0 else {
    throw FrostError.invalidArgument(
      "dropout: training flag '\(training.name)' must be a bool scalar")
  }
  let graph = x.graph
  return try graph.atomically {
    try graph.withNameScope(name ?? "dropout") {
      let dropped = try dropout(x, rate: rate, seed: seed, name: "dropped")
      return try select(training, dropped, x, name: "output")
    }
  }
}
