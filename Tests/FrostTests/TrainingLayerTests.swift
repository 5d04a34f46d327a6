import Foundation
import Testing

@testable import Frost

/// Dense layers, initializers, regularizers, max-norm, dropout, learning-rate schedules and
/// the global step.
@Suite("Training building blocks")
struct TrainingLayerTests {
  // MARK: - Dense

  @Test func denseLayersAreNamedLikeTensorFlows() throws {
    let graph = Graph()
    let x = graph.placeholder(.float32, shape: [nil, 4], name: "X")
    let hidden = try dense(x, units: 3, activation: .relu, name: "hidden1")
    #expect(hidden.op.name == "hidden1/Relu")
    #expect(hidden.shape == [nil, 3])
    let names = Set(graph.operations.map(\.name))
    for name in ["hidden1/kernel", "hidden1/bias", "hidden1/MatMul", "hidden1/BiasAdd"] {
      #expect(names.contains(name), "missing \(name)")
    }
    let kernel = try graph.tensor(named: "hidden1/kernel")
    let bias = try graph.tensor(named: "hidden1/bias")
    #expect(kernel.shape == [4, 3] && bias.shape == [3])
    #expect(kernel.isVariable && bias.isVariable)
    #expect(try graph.trainableVariables().map(\.name) == ["hidden1/kernel", "hidden1/bias"])
    // The kernel's initial-value ops live under its own scope.
    #expect(graph.operations.contains { $0.name.hasPrefix("hidden1/kernel/Initializer/") })

    // Without a name: dense, dense_1; without an activation the output is the BiasAdd.
    let first = try dense(x, units: 2)
    let second = try dense(x, units: 2)
    #expect(first.op.name == "dense/BiasAdd")
    #expect(second.op.name == "dense_1/BiasAdd")
    #expect(try graph.tensor(named: "dense_1/kernel").shape == [4, 2])

    // Inside a name scope.
    let scoped = try graph.withNameScope("dnn") {
      try dense(x, units: 2, activation: .tanh, name: "hidden1")
    }
    #expect(scoped.op.name.hasPrefix("dnn/hidden1/"))
    #expect(try graph.tensor(named: "dnn/hidden1/kernel").shape == [4, 2])

    // No bias: MatMul is the output.
    let noBias = try dense(x, units: 2, useBias: false, name: "linear")
    #expect(noBias.op.name == "linear/MatMul")
    #expect(!names.contains("linear/bias") && (try? graph.tensor(named: "linear/bias")) == nil)
  }

  @Test func denseComputesActivationOfInputsTimesKernelPlusBias() throws {
    let graph = Graph()
    let x = graph.placeholder(.float64, shape: [nil, 2], name: "X")
    let output = try dense(
      x, units: 3, activation: .relu, kernelInitializer: .constant(0.5),
      biasInitializer: .constant(-1), name: "layer")
    let session = Session(graph: graph)
    try session.run(graph.globalVariablesInitializer())
    let value = try session.run(
      output, feedDict: [x: NDArray(shape: [2, 2], scalars: [1.0, 2, 3, 4])])
    // Row sums 3 and 7, times 0.5, minus 1: 0.5 and 2.5 in every unit.
    #expect(value.doubles == [0.5, 0.5, 0.5, 2.5, 2.5, 2.5])
  }

  @Test func denseErrorsLeaveTheGraphUnchanged() throws {
    let graph = Graph()
    let x = graph.placeholder(.float32, shape: [nil, 4], name: "X")
    let unknownWidth = graph.placeholder(.float32, shape: [nil, nil], name: "unknown")
    let ints = graph.placeholder(.int32, shape: [nil, 4], name: "ints")
    _ = try dense(x, units: 3, name: "hidden1")
    let count = graph.nodeCount
    let variables = graph.globalVariables()

    expectError(containing: "hidden1/kernel", "already exists") {
      _ = try dense(x, units: 3, name: "hidden1")
    }
    expectError(containing: "units 0") { _ = try dense(x, units: 0) }
    expectError(containing: "'unknown'", "known number of columns") {
      _ = try dense(unknownWidth, units: 2)
    }
    expectError(containing: "'ints'", "float matrix") { _ = try dense(ints, units: 2) }
    // A failure halfway through, after the variables were made, undoes them too.
    struct Refused: Error {}
    #expect(throws: Refused.self) {
      _ = try dense(x, units: 2, activation: .custom { _ in throw Refused() }, name: "broken")
    }
    #expect(graph.nodeCount == count)
    #expect(graph.globalVariables() == variables)
    // Names were given back: the next unnamed layer is still `dense`, and `broken` is free.
    #expect(try dense(x, units: 2).op.name == "dense/BiasAdd")
    #expect(try dense(x, units: 2, name: "broken").op.name == "broken/BiasAdd")
  }

  // MARK: - Initializers

  /// The initial value `initializer` gives a variable of `shape`.
  static func initialValue(
    _ initializer: Initializer, shape: [Int], dtype: DType = .float32, graphSeed: UInt64? = nil
  ) throws -> NDArray {
    let graph = Graph(seed: graphSeed)
    let variable = try graph.variable(
      shape: shape, dtype: dtype, initializer: initializer, name: "w")
    let session = Session(graph: graph)
    try session.run(graph.globalVariablesInitializer())
    return try session.run(variable)
  }

  static func meanAndStandardDeviation(_ values: [Double]) -> (Double, Double) {
    let mean = values.reduce(0, +) / Double(values.count)
    let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
    return (mean, variance.squareRoot())
  }

  @Test func constantInitializersAreExact() throws {
    for dtype in [DType.float32, .float64] {
      let zeros = try Self.initialValue(.zeros, shape: [3, 2], dtype: dtype)
      let ones = try Self.initialValue(.ones, shape: [3, 2], dtype: dtype)
      let constant = try Self.initialValue(.constant(0.25), shape: [4], dtype: dtype)
      #expect(zeros.dtype == dtype && zeros.shape == [3, 2])
      #expect(zeros.doubles == [Double](repeating: 0, count: 6))
      #expect(ones.doubles == [Double](repeating: 1, count: 6))
      #expect(constant.doubles == [0.25, 0.25, 0.25, 0.25])
    }
  }

  /// 240,000 draws: the bounds hold exactly, the moments to several standard errors.
  @Test func glorotUniformHasTheGlorotLimit() throws {
    let values = try Self.initialValue(.glorotUniform(seed: 3), shape: [400, 600]).doubles
    let limit = (6.0 / (400 + 600)).squareRoot()
    let largest = values.map(Swift.abs).max()!
    #expect(largest <= limit)
    #expect(largest >= 0.999 * limit)
    let (mean, deviation) = Self.meanAndStandardDeviation(values)
    #expect(Swift.abs(mean) < 4e-4)
    // A uniform's standard deviation is limit / sqrt(3).
    #expect(Swift.abs(deviation / (limit / 3.0.squareRoot()) - 1) < 0.01)
  }

  @Test func heNormalHasStandardDeviationSqrtTwoOverFanIn() throws {
    let values = try Self.initialValue(.heNormal(seed: 4), shape: [500, 400]).doubles
    let expected = (2.0 / 500).squareRoot()
    let (mean, deviation) = Self.meanAndStandardDeviation(values)
    #expect(Swift.abs(mean) < 1e-3)
    #expect(Swift.abs(deviation / expected - 1) < 0.01, "std \(deviation), expected \(expected)")
    // Truncated at two standard deviations of the underlying (corrected) normal.
    let bound = 2 * expected / 0.879_625_661_034_239_78
    let largest = values.map(Swift.abs).max()!
    #expect(largest <= bound * (1 + 1e-6))
    #expect(largest >= 0.99 * bound)
  }

  @Test func truncatedNormalStaysWithinTwoStandardDeviations() throws {
    let values = try Self.initialValue(
      .truncatedNormal(mean: 1, stddev: 0.5, seed: 5), shape: [100, 1000], dtype: .float64
    ).doubles
    #expect(values.allSatisfy { $0 >= 0 && $0 <= 2 })
    let (mean, deviation) = Self.meanAndStandardDeviation(values)
    #expect(Swift.abs(mean - 1) < 0.005)
    // A unit normal truncated at ±2 has standard deviation 0.8796.
    #expect(Swift.abs(deviation / (0.5 * 0.879_625_661_034_239_78) - 1) < 0.01)

    let normal = try Self.initialValue(
      .randomNormal(mean: -2, stddev: 3, seed: 6), shape: [200, 500]
    ).doubles
    let (normalMean, normalDeviation) = Self.meanAndStandardDeviation(normal)
    #expect(Swift.abs(normalMean + 2) < 0.04 && Swift.abs(normalDeviation / 3 - 1) < 0.01)
    #expect(normal.contains { $0 > 4 } && normal.contains { $0 < -8 })

    let uniform = try Self.initialValue(
      .randomUniform(minval: -1, maxval: 3, seed: 7), shape: [1000]
    ).doubles
    #expect(uniform.allSatisfy { $0 >= -1 && $0 < 3 })
  }

  @Test func varianceScalingCountsFansAsTensorFlowDoes() throws {
    #expect(Initializer.fans([784, 300]) == (784, 300))
    #expect(Initializer.fans([3, 3, 16, 32]) == (144, 288))
    #expect(Initializer.fans([5]) == (5, 5))
    #expect(Initializer.fans([]) == (1, 1))
    // fanOut with a uniform distribution: limit sqrt(3 · scale / fanOut).
    let values = try Self.initialValue(
      .varianceScaling(scale: 3, mode: .fanOut, distribution: .uniform, seed: 8),
      shape: [10, 900]
    ).doubles
    let limit = (3.0 * 3 / 900).squareRoot()
    #expect(values.allSatisfy { Swift.abs($0) <= limit })
    #expect(values.map(Swift.abs).max()! > 0.99 * limit)
    expectError(containing: "scale 0", "not positive") {
      _ = try Self.initialValue(.varianceScaling(scale: 0), shape: [2, 2])
    }
    expectError(containing: "'w'", "negative dimension") {
      _ = try Self.initialValue(.zeros, shape: [2, -1])
    }
  }

  @Test func seedsMakeInitialValuesReproducible() throws {
    let shape = [20, 30]
    // An op seed: the same values in any graph and session.
    let a = try Self.initialValue(.glorotUniform(seed: 11), shape: shape)
    #expect(try Self.initialValue(.glorotUniform(seed: 11), shape: shape) == a)
    #expect(try Self.initialValue(.glorotUniform(seed: 12), shape: shape) != a)
    // A graph seed alone: the same values for the same graph built the same way.
    let b = try Self.initialValue(.heNormal(), shape: shape, graphSeed: 42)
    #expect(try Self.initialValue(.heNormal(), shape: shape, graphSeed: 42) == b)
    #expect(try Self.initialValue(.heNormal(), shape: shape, graphSeed: 43) != b)
    // Two sessions of one seeded graph start from the same weights.
    let graph = Graph(seed: 9)
    let x = graph.placeholder(.float32, shape: [nil, 30], name: "X")
    _ = try dense(x, units: 20, name: "hidden1")
    let kernel = try graph.tensor(named: "hidden1/kernel")
    let values = try (0..<2).map { _ in
      let session = Session(graph: graph)
      try session.run(graph.globalVariablesInitializer())
      return try session.run(kernel)
    }
    #expect(values[0] == values[1])
    // Without any seed, each session draws anew.
    let unseeded = Graph()
    let w = try unseeded.variable(shape: shape, initializer: .glorotUniform(), name: "w")
    let draws = try (0..<2).map { _ in
      let session = Session(graph: unseeded)
      try session.run(unseeded.globalVariablesInitializer())
      return try session.run(w)
    }
    #expect(draws[0] != draws[1])
  }

  // MARK: - Regularizers

  static let weights = [[1.0, -2], [3, -0.5]]

  static func penalty(_ regularizer: Regularizer) throws -> Double {
    let graph = Graph()
    let w = try graph.constant(weights.flatMap { $0 }, shape: [2, 2])
    return try Session(graph: graph).run(regularizer.loss(of: w)).scalar(as: Double.self)
  }

  @Test func regularizersMatchHandComputedPenalties() throws {
    // Σ|w| = 6.5; Σw² = 14.25, and TensorFlow's l2_regularizer halves it.
    expectClose([try Self.penalty(.l1(0.1))], [0.65], tolerance: 1e-15)
    expectClose([try Self.penalty(.l2(0.1))], [0.7125], tolerance: 1e-15)
    expectClose([try Self.penalty(.l1l2(l1: 0.1, l2: 0.2))], [0.65 + 1.425], tolerance: 1e-15)
    expectError(containing: "'ints'") {
      let graph = Graph()
      _ = try Regularizer.l2(0.1).loss(of: graph.constant(NDArray([Int32(1)]), name: "ints"))
    }
  }

  @Test func denseAddsItsKernelPenaltyToTheRegularizationLosses() throws {
    let graph = Graph()
    let x = graph.placeholder(.float64, shape: [nil, 2], name: "X")
    let hidden = try dense(
      x, units: 2, activation: .elu, kernelInitializer: .constant(0.5),
      kernelRegularizer: .l2(0.1), name: "hidden1")
    let outputs = try dense(
      hidden, units: 3, kernelInitializer: .constant(-2), kernelRegularizer: .l1(0.01),
      name: "outputs")
    _ = outputs
    let losses = graph.regularizationLosses()
    #expect(losses.count == 2)
    // Under the kernel's scope, as TensorFlow's `hidden1/kernel/Regularizer/...`.
    #expect(losses.map { $0.op.name.hasPrefix("hidden1/kernel/Regularizer/") } == [true, false])
    #expect(losses.map { $0.op.name.hasPrefix("outputs/kernel/Regularizer/") } == [false, true])
    let session = Session(graph: graph)
    try session.run(graph.globalVariablesInitializer())
    // 0.1 · (4 · 0.25) / 2 and 0.01 · 6 · 2.
    expectClose(
      try session.run(losses).map(\.doubles).flatMap { $0 }, [0.05, 0.12], tolerance: 1e-15)
    // A layer without a regularizer adds none.
    _ = try dense(x, units: 2, name: "plain")
    #expect(graph.regularizationLosses().count == 2)
  }

  // MARK: - Max-norm

  @Test func maxNormClipsOnlyTheRowsAboveTheThreshold() throws {
    let graph = Graph()
    let rows: [[Double]] = [[3, 4], [0.3, 0.4], [0, 0], [-1.2, 0.9]]
    let w = try graph.variable(NDArray(shape: [4, 2], scalars: rows.flatMap { $0 }), name: "w")
    let clip = try maxNormConstraint(w, threshold: 1.5)
    #expect(clip.name.hasPrefix("max_norm/"))
    let session = Session(graph: graph)
    try session.run(graph.globalVariablesInitializer())
    try session.run(clip)
    let clipped = try session.run(w).doubles
    // Norms 5, 0.5, 0 and 1.5: only the first row is scaled, to norm 1.5.
    expectClose(Array(clipped[0..<2]), [0.9, 1.2], tolerance: 1e-15)
    #expect(Array(clipped[2...]) == [0.3, 0.4, 0, 0, -1.2, 0.9])
    // Columns with axes [0].
    let v = try graph.variable(NDArray(shape: [2, 2], scalars: [3.0, 0.1, 4, 0.2]), name: "v")
    let clipColumns = try maxNormConstraint(v, threshold: 1, axes: [0])
    try session.run(graph.initializer(of: v))
    try session.run(clipColumns)
    expectClose(try session.run(v).doubles, [0.6, 0.1, 0.8, 0.2], tolerance: 1e-15)

    expectError(containing: "'c'", "not a variable") {
      _ = try maxNormConstraint(graph.constant(NDArray([1.0]), name: "c"), threshold: 1)
    }
    expectError(containing: "clipNorm") { _ = try maxNormConstraint(w, threshold: 0) }
  }

  // MARK: - Dropout

  @Test func dropoutIsTheIdentityUnlessTraining() throws {
    let graph = Graph()
    let x = graph.placeholder(.float64, shape: [nil, 100], name: "x")
    let training = try placeholderWithDefault(
      graph.constant(NDArray(false)), shape: .scalar, name: "training")
    let rate = 0.3
    let output = try dropout(x, rate: rate, training: training, seed: 5)
    let session = Session(graph: graph)
    let input = try NDArray(
      shape: [200, 100], scalars: (0..<20_000).map { Double($0 % 97) / 7 + 1 })

    // Not training: bit for bit the input.
    #expect(try session.run(output, feedDict: [x: input]) == input)

    // Training: about `rate` zeros, the rest scaled by 1 / (1 − rate).
    let dropped = try session.run(output, feedDict: [x: input, training: NDArray(true)]).doubles
    let zeros = dropped.filter { $0 == 0 }.count
    // Standard deviation of the fraction: sqrt(0.3 · 0.7 / 20,000) ≈ 0.0032.
    #expect(Swift.abs(Double(zeros) / 20_000 - rate) < 0.015, "\(zeros) zeros")
    let scale = 1 / (1 - rate)
    for (kept, original) in zip(dropped, input.doubles) where kept != 0 {
      #expect(kept == original * scale)
    }
    // A new mask each run.
    let again = try session.run(output, feedDict: [x: input, training: NDArray(true)]).doubles
    #expect(again != dropped)

    expectError(containing: "training flag", "bool scalar") {
      _ = try dropout(x, rate: 0.5, training: graph.constant(1.0, dtype: .float64))
    }
    expectError(containing: "rate 1") {
      _ = try dropout(x, rate: 1, training: training)
    }
  }

  // MARK: - Schedules and the global step

  /// The rate at each of `steps`, with the global step set to it.
  static func decayedRates(staircase: Bool, steps: [Int32]) throws -> [Double] {
    let graph = Graph()
    let globalStep = try graph.globalStep()
    let rate = try exponentialDecay(
      learningRate: 0.1, globalStep: globalStep, decaySteps: 10, decayRate: 0.96,
      staircase: staircase)
    #expect(rate.dtype == .float32 && rate.shape == .scalar)
    let session = Session(graph: graph)
    return try steps.map { step in
      try session.assignValues([globalStep: NDArray(step)])
      return try session.run(rate).doubles[0]
    }
  }

  @Test func exponentialDecayMatchesTensorFlowsFormula() throws {
    let steps: [Int32] = [0, 1, 5, 9, 10, 15, 37, 100, 1000]
    let smooth = try Self.decayedRates(staircase: false, steps: steps)
    let staircase = try Self.decayedRates(staircase: true, steps: steps)
    // float32 throughout: relative error near 1e-7.
    expectClose(
      smooth, steps.map { 0.1 * pow(0.96, Double($0) / 10) }, tolerance: 1e-6)
    expectClose(
      staircase, steps.map { 0.1 * pow(0.96, (Double($0) / 10).rounded(.down)) }, tolerance: 1e-6)
    #expect(staircase[0] == staircase[3] && staircase[3] != staircase[4])

    let graph = Graph()
    let floatStep = try graph.variable(NDArray(Float(0)), name: "float_step")
    expectError(containing: "'float_step'", "int32 scalar") {
      _ = try exponentialDecay(
        learningRate: 0.1, globalStep: floatStep, decaySteps: 10, decayRate: 0.5)
    }
    expectError(containing: "decaySteps 0") {
      _ = try exponentialDecay(
        learningRate: 0.1, globalStep: graph.globalStep(), decaySteps: 0, decayRate: 0.5)
    }
  }

  @Test func theGlobalStepIsCreatedOnceAndCountsTrainingSteps() throws {
    let graph = Graph()
    let step = try graph.withNameScope("train") { try graph.globalStep() }
    #expect(step.name == "global_step")
    #expect(step.dtype == .int32 && step.shape == .scalar)
    #expect(try graph.globalStep() == step)
    #expect(try graph.trainableVariables().isEmpty)
    #expect(graph.globalVariables() == [step])

    let w = try graph.variable(NDArray([1.0, 2]), name: "w")
    let trainingOp = try GradientDescentOptimizer(learningRate: 0.1)
      .minimize(reduceSum(square(w)), globalStep: step)
    let session = Session(graph: graph)
    try session.run(graph.globalVariablesInitializer())
    #expect(try session.run(step).scalar(as: Int32.self) == 0)
    for expected: Int32 in 1...3 {
      try session.run(trainingOp)
      #expect(try session.run(step).scalar(as: Int32.self) == expected)
    }
  }
}
