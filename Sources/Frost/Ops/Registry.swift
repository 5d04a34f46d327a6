extension Ops {
  /// Every op type by name: how graph files find an op. A family of ops adds its list here.
  static let registry: [String: OpDefinition] = {
    var all: [OpDefinition] = [
      placeholder, constant, variable, assign, noOp, identity, stopGradient, onesLike,
      zerosLike, add, subtract, multiply, divide, negate, addN, sumToShape, matMul, relu,
      reluGrad, sum, mean, reductionScale, broadcastLike,
    ]
    all += updateOps + [floorOp]

    // Elementwise math, comparisons, logic and activations.
    all += [
      absOp, sign, square, sqrtOp, rsqrt, expOp, logOp, log1pOp, sinOp, cosOp, powOp, maximum,
      minimum, equal, notEqual, less, lessEqual, greater, greaterEqual, logicalAnd, logicalOr,
      logicalNot, cast, select, relu6, relu6Grad, leakyRelu, leakyReluGrad, elu, eluGrad, selu,
      seluGrad, sigmoid, sigmoidGrad, tanhOp, tanhGrad, softplus, softmax, softmaxGrad,
      logSoftmax, logSoftmaxGrad,
    ]

    // Losses, reductions beyond sum and mean, and clipping.
    all += [
      sparseSoftmaxCrossEntropyWithLogits, softmaxCrossEntropyWithLogits,
      softmaxCrossEntropyLabelsGrad, sigmoidCrossEntropyWithLogits,
      sigmoidCrossEntropyWithLogitsGrad, l2Loss, reduceMax, reduceMin, reduceProd,
      minOrMaxGrad, prodGrad, euclideanNorm, argMax, argMin, inTopK, clipByValue,
      clipByValueGrad, globalNorm,
    ]

    // Shapes and indexing.
    all += [
      reshape, reshapeLike, transpose, expandDims, squeeze, concat, splitLike, stack, unstack,
      tile, tileGrad, shape, size, fill, slice, sliceGrad, gather, gatherGrad, oneHot,
    ]

    // Linear algebra, random numbers and control flow.
    all += [
      matrixInverse, matrixSolve, matrixDeterminant, cholesky, matrixBandPart, randomUniform,
      randomNormal, truncatedNormal, randomShuffle, dropoutMask, placeholderWithDefault,
    ]

    var table: [String: OpDefinition] = [:]
    for op in all {
      precondition(table[op.name] == nil, "op type \(op.name) is registered twice")
      table[op.name] = op
    }
    return table
  }()
}
