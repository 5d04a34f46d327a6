extension Ops {
  /// Every op type by name: how graph files find an op. A family of ops adds its list here.
  static let registry: [String: OpDefinition] = {
    var all: [OpDefinition] = [
      placeholder, constant, variable, assign, noOp, identity, stopGradient, onesLike,
      zerosLike, add, subtract, multiply, divide, negate, addN, sumToShape, matMul, relu,
      reluGrad, sum, mean, reductionScale, broadcastLike,
    ]

    // Elementwise math, comparisons, logic and activations.

    // Losses, reductions beyond sum and mean, and clipping.
    all += [
      sparseSoftmaxCrossEntropyWithLogits, softmaxCrossEntropyWithLogits,
      softmaxCrossEntropyLabelsGrad, sigmoidCrossEntropyWithLogits,
      sigmoidCrossEntropyWithLogitsGrad, l2Loss, reduceMax, reduceMin, reduceProd,
      minOrMaxGrad, prodGrad, euclideanNorm, argMax, argMin, inTopK, clipByValue,
      clipByValueGrad, globalNorm,
    ]

    // Shapes and indexing.

    // Linear algebra, random numbers and control flow.

    var table: [String: OpDefinition] = [:]
    for op in all {
      precondition(table[op.name] == nil, "op type \(op.name) is registered twice")
      table[op.name] = op
    }
    return table
  }()
}
