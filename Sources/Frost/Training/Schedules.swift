/// `learningRate · decayRate^(globalStep / decaySteps)`, with the exponent floored when
/// `staircase` (TensorFlow's `tf.train.exponential_decay`): a float32 scalar tensor to
/// pass as `LearningRate.tensor`.
///
/// - Throws: `FrostError.invalidArgument` when `globalStep` is not an int32 scalar or
///   `decaySteps` is not positive.
public func exponentialDecay(
  learningRate: Double, globalStep: Tensor, decaySteps: Int, decayRate: Double,
  staircase: Bool = false, dtype: DType = .float32, name: String? = nil
) throws -> Tensor {
  guard globalStep.dtype == .int32, globalStep.shape.rank ?? 0 == 0 else {
    throw FrostError.invalidArgument(
      "exponentialDecay: global step '\(globalStep.name)' must be an int32 scalar")
  }
  guard decaySteps > 0 else {
    throw FrostError.invalidArgument("exponentialDecay: decaySteps \(decaySteps) is not positive")
  }
  let graph = globalStep.graph
  return try graph.atomically {
    try graph.withNameScope(name ?? "ExponentialDecay") {
      var exponent = try cast(globalStep, to: dtype) / Double(decaySteps)
      if staircase { exponent = try floor(exponent) }
      let decay = try pow(graph.constant(decayRate, dtype: dtype, name: "decay_rate"), exponent)
      return try multiply(graph.constant(learningRate, dtype: dtype, name: "learning_rate"), decay)
    }
  }
}

extension Graph {
  /// The graph's global step: an int32 scalar variable named `global_step`, not trainable,
  /// created on first use (TensorFlow's `tf.train.get_or_create_global_step`).
  public func globalStep() throws -> Tensor {
    if let existing = tensors(inCollection: "global_step").first { return existing }
    let step = try withNameScope("/") {
      try variable(NDArray(Int32(0)), trainable: false, name: "global_step")
    }
    try addToCollection("global_step", step)
    return step
  }
}
