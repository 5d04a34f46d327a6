import Foundation
import Testing

@testable import Frost

/// Each optimizer's first steps against TensorFlow 1.x's published update rules, computed
/// here in float64. The problem: loss = Σ aᵢ·wᵢ², so the gradient is 2·aᵢ·wᵢ.
@Suite("Optimizers")
struct OptimizerTests {
  static let a = [0.5, 2.0, -1.0]
  static let w0 = [1.0, -0.5, 2.0]

  /// Runs three steps of `optimizer` in float64 and returns w after each.
  func frostSteps(_ optimizer: some Optimizer) throws -> [[Double]] {
    let graph = Graph()
    let w = try graph.variable(NDArray(Self.w0), name: "w")
    let a = graph.constant(NDArray(Self.a))
    let loss = try reduceSum(a * w * w)
    let step = try optimizer.minimize(loss)
    let session = Session(graph: graph)
    try session.run(graph.globalVariablesInitializer())
    return try (0..<3).map { _ in
      try session.run(step)
      return try session.run(w).doubles
    }
  }

  /// Applies `update(w, g, t)` (t = 1, 2, 3) three times to the reference problem.
  func referenceSteps(_ update: (inout [Double], [Double], Int) -> Void) -> [[Double]] {
    var w = Self.w0
    return (1...3).map { t in
      let g = zip(Self.a, w).map { 2 * $0 * $1 }
      update(&w, g, t)
      return w
    }
  }

  func expectSteps(_ actual: [[Double]], _ expected: [[Double]]) {
    for (step, (x, y)) in zip(actual, expected).enumerated() {
      // float64 throughout; the formulas differ only in rounding order.
      expectClose(x, y, tolerance: 1e-12)
      _ = step
    }
  }

  @Test func gradientDescent() throws {
    let expected = referenceSteps { w, g, _ in for i in w.indices { w[i] -= 0.1 * g[i] } }
    expectSteps(try frostSteps(GradientDescentOptimizer(learningRate: 0.1)), expected)
  }

  @Test func momentumAndNesterov() throws {
    for nesterov in [false, true] {
      var accumulation = [0.0, 0, 0]
      let expected = referenceSteps { w, g, _ in
        for i in w.indices {
          accumulation[i] = 0.9 * accumulation[i] + g[i]
          w[i] -= nesterov ? 0.1 * g[i] + 0.1 * 0.9 * accumulation[i] : 0.1 * accumulation[i]
        }
      }
      let optimizer = MomentumOptimizer(learningRate: 0.1, momentum: 0.9, useNesterov: nesterov)
      expectSteps(try frostSteps(optimizer), expected)
    }
  }

  @Test func adagrad() throws {
    var accumulator = [0.1, 0.1, 0.1]
    let expected = referenceSteps { w, g, _ in
      for i in w.indices {
        accumulator[i] += g[i] * g[i]
        w[i] -= 0.1 * g[i] / accumulator[i].squareRoot()
      }
    }
    expectSteps(try frostSteps(AdagradOptimizer(learningRate: 0.1)), expected)
  }

  @Test func rmsPropPlainAndCentered() throws {
    for centered in [false, true] {
      var ms = [1.0, 1, 1]
      var mg = [0.0, 0, 0]
      var mom = [0.0, 0, 0]
      let expected = referenceSteps { w, g, _ in
        for i in w.indices {
          ms[i] = 0.9 * ms[i] + 0.1 * g[i] * g[i]
          mg[i] = 0.9 * mg[i] + 0.1 * g[i]
          let denominator = centered ? ms[i] - mg[i] * mg[i] + 1e-10 : ms[i] + 1e-10
          mom[i] = 0.5 * mom[i] + 0.01 * g[i] / denominator.squareRoot()
          w[i] -= mom[i]
        }
      }
      let optimizer = RMSPropOptimizer(learningRate: 0.01, momentum: 0.5, centered: centered)
      expectSteps(try frostSteps(optimizer), expected)
    }
  }

  @Test func adamWithBiasCorrection() throws {
    var m = [0.0, 0, 0]
    var v = [0.0, 0, 0]
    let expected = referenceSteps { w, g, t in
      let lr = 0.01 * (1 - pow(0.999, Double(t))).squareRoot() / (1 - pow(0.9, Double(t)))
      for i in w.indices {
        m[i] = 0.9 * m[i] + 0.1 * g[i]
        v[i] = 0.999 * v[i] + 0.001 * g[i] * g[i]
        w[i] -= lr * m[i] / (v[i].squareRoot() + 1e-8)
      }
    }
    expectSteps(try frostSteps(AdamOptimizer(learningRate: 0.01)), expected)
  }

  // MARK: - A matrix variable through a matmul, with a decaying learning rate

  /// The second problem: `loss = ½ Σ (X W − Y)²` for a 3×2 variable `W`, so the gradient is
  /// `Xᵀ (X W − Y)`; the learning rate is `exponentialDecay(0.1, globalStep, 1, 0.5)`, so
  /// step t (from 1) uses `0.1 · 0.5^(t − 1)`: the rate must be read before the step
  /// increments the global step.
  static let x = [[1.0, -0.5, 2], [0.25, 1, -1], [-1.5, 0.5, 0.75], [2, 1, 0.5]]
  static let y = [[1.0, -1], [0.5, 2], [-2, 0.25], [1.5, 0.5]]
  static let weights0 = [[0.5, -0.25], [1, 0.75], [-0.5, 0.125]]

  /// Three steps of `optimizer` (built with the decaying rate it is given) on the matrix
  /// problem in float64: W after each step, and the global step after the last.
  func frostMatrixSteps(_ makeOptimizer: (LearningRate) -> any Optimizer) throws
    -> (weights: [[Double]], globalStep: Int32)
  {
    let graph = Graph()
    let w = try graph.variable(NDArray(shape: [3, 2], scalars: Self.weights0.flatMap { $0 }))
    let x = try graph.constant(Self.x.flatMap { $0 }, shape: [4, 3], name: "X")
    let y = try graph.constant(Self.y.flatMap { $0 }, shape: [4, 2], name: "Y")
    let globalStep = try graph.globalStep()
    let rate = try exponentialDecay(
      learningRate: 0.1, globalStep: globalStep, decaySteps: 1, decayRate: 0.5, dtype: .float64)
    let loss = try reduceSum(square(matmul(x, w) - y)) * 0.5
    let step = try makeOptimizer(.tensor(rate)).minimize(loss, globalStep: globalStep)
    let session = Session(graph: graph)
    try session.run(graph.globalVariablesInitializer())
    let weights = try (0..<3).map { _ in
      try session.run(step)
      return try session.run(w).doubles
    }
    return (weights, try session.run(globalStep).scalar(as: Int32.self))
  }

  /// Applies `update(w, g, lr, t)` three times to the matrix problem, W flattened row-major.
  func referenceMatrixSteps(_ update: (inout [Double], [Double], Double, Int) -> Void)
    -> [[Double]]
  {
    var w = Self.weights0.flatMap { $0 }
    return (1...3).map { t in
      // Residual R = X W − Y (4×2), gradient G = Xᵀ R (3×2).
      var residual = [Double](repeating: 0, count: 8)
      for i in 0..<4 {
        for j in 0..<2 {
          residual[i * 2 + j] = (0..<3).reduce(-Self.y[i][j]) { $0 + Self.x[i][$1] * w[$1 * 2 + j] }
        }
      }
      var g = [Double](repeating: 0, count: 6)
      for k in 0..<3 {
        for j in 0..<2 {
          g[k * 2 + j] = (0..<4).reduce(0) { $0 + Self.x[$1][k] * residual[$1 * 2 + j] }
        }
      }
      update(&w, g, 0.1 * pow(0.5, Double(t - 1)), t)
      return w
    }
  }

  func expectMatrixSteps(
    _ makeOptimizer: (LearningRate) -> any Optimizer,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ update: (inout [Double], [Double], Double, Int) -> Void
  ) throws {
    let (actual, globalStep) = try frostMatrixSteps(makeOptimizer)
    let expected = referenceMatrixSteps(update)
    for (x, y) in zip(actual, expected) {
      expectClose(x, y, tolerance: 1e-12, sourceLocation: sourceLocation)
    }
    #expect(globalStep == 3, sourceLocation: sourceLocation)
  }

  @Test func gradientDescentOnAMatrixWithADecayingRate() throws {
    try expectMatrixSteps({ GradientDescentOptimizer(learningRate: $0) }) { w, g, lr, _ in
      for i in w.indices { w[i] -= lr * g[i] }
    }
  }

  @Test func momentumOnAMatrixWithADecayingRate() throws {
    for nesterov in [false, true] {
      var accumulation = [Double](repeating: 0, count: 6)
      try expectMatrixSteps({
        MomentumOptimizer(learningRate: $0, momentum: 0.8, useNesterov: nesterov)
      }) { w, g, lr, _ in
        for i in w.indices {
          accumulation[i] = 0.8 * accumulation[i] + g[i]
          w[i] -= nesterov ? lr * g[i] + lr * 0.8 * accumulation[i] : lr * accumulation[i]
        }
      }
    }
  }

  @Test func adagradOnAMatrixWithADecayingRate() throws {
    var accumulator = [Double](repeating: 0.5, count: 6)
    try expectMatrixSteps({
      AdagradOptimizer(learningRate: $0, initialAccumulatorValue: 0.5)
    }) { w, g, lr, _ in
      for i in w.indices {
        accumulator[i] += g[i] * g[i]
        w[i] -= lr * g[i] / accumulator[i].squareRoot()
      }
    }
  }

  @Test func rmsPropOnAMatrixWithADecayingRate() throws {
    for centered in [false, true] {
      var ms = [Double](repeating: 1, count: 6)
      var mg = [Double](repeating: 0, count: 6)
      var mom = [Double](repeating: 0, count: 6)
      try expectMatrixSteps({
        RMSPropOptimizer(
          learningRate: $0, decay: 0.8, momentum: 0.3, epsilon: 1e-6, centered: centered)
      }) { w, g, lr, _ in
        for i in w.indices {
          ms[i] = 0.8 * ms[i] + 0.2 * g[i] * g[i]
          mg[i] = 0.8 * mg[i] + 0.2 * g[i]
          let denominator = centered ? ms[i] - mg[i] * mg[i] + 1e-6 : ms[i] + 1e-6
          mom[i] = 0.3 * mom[i] + lr * g[i] / denominator.squareRoot()
          w[i] -= mom[i]
        }
      }
    }
  }

  @Test func adamOnAMatrixWithADecayingRate() throws {
    var m = [Double](repeating: 0, count: 6)
    var v = [Double](repeating: 0, count: 6)
    try expectMatrixSteps({
      AdamOptimizer(learningRate: $0, beta1: 0.8, beta2: 0.95, epsilon: 1e-4)
    }) { w, g, lr, t in
      let corrected = lr * (1 - pow(0.95, Double(t))).squareRoot() / (1 - pow(0.8, Double(t)))
      for i in w.indices {
        m[i] = 0.8 * m[i] + 0.2 * g[i]
        v[i] = 0.95 * v[i] + 0.05 * g[i] * g[i]
        w[i] -= corrected * m[i] / (v[i].squareRoot() + 1e-4)
      }
    }
  }

  /// A float32 schedule trains float64 variables, cast as TensorFlow casts it (a regression
  /// test: it was refused); a rate that is not a float scalar is refused, naming it.
  @Test func aRateTensorIsCastToTheVariablesDtype() throws {
    let graph = Graph()
    let w = try graph.variable(NDArray([1.0]), name: "w")
    let rate = graph.constant(0.25, dtype: .float32, name: "rate")
    let step = try GradientDescentOptimizer(learningRate: .tensor(rate))
      .minimize(reduceSum(w * w))
    let session = Session(graph: graph)
    try session.run(graph.globalVariablesInitializer())
    try session.run(step)
    #expect(try session.run(w).doubles == [0.5])
    expectError(containing: "'int_rate'", "float scalar") {
      let intRate = graph.constant(NDArray(Int32(1)), name: "int_rate")
      _ = try GradientDescentOptimizer(learningRate: .tensor(intRate)).minimize(reduceSum(w))
    }
    expectError(containing: "'vector_rate'", "float scalar") {
      let vectorRate = graph.constant(NDArray([0.1, 0.2]), name: "vector_rate")
      _ = try GradientDescentOptimizer(learningRate: .tensor(vectorRate)).minimize(reduceSum(w))
    }
  }

  /// Adam's step counter lives in the β powers, which start at β (the power the first step
  /// uses) and advance after each step: after three steps they are β⁴.
  @Test func adamPowersAdvanceOncePerStep() throws {
    let graph = Graph()
    let w = try graph.variable(NDArray([1.0, 2]), name: "w")
    let other = try graph.variable(NDArray([3.0]), name: "other")
    let step = try AdamOptimizer(learningRate: 0.1, beta1: 0.5, beta2: 0.25)
      .minimize(reduceSum(w * w) + reduceSum(other * other))
    let session = Session(graph: graph)
    try session.run(graph.globalVariablesInitializer())
    for _ in 0..<3 { try session.run(step) }
    // Shared by both variables, so advanced once per step, not once per variable.
    #expect(try session.run(graph.tensor(named: "beta1_power")).doubles == [0.0625])
    #expect(try session.run(graph.tensor(named: "beta2_power")).doubles == [1.0 / 256])
  }

  @Test func slotsAreNamedLikeTensorFlows() throws {
    let graph = Graph()
    let kernel = try graph.withNameScope("hidden3") {
      try graph.variable(NDArray([1.0, 2]), name: "kernel")
    }
    let loss = try reduceSum(kernel * kernel)
    _ = try AdamOptimizer().minimize(loss)
    _ = try MomentumOptimizer(learningRate: 0.1, momentum: 0.9).minimize(loss)
    _ = try RMSPropOptimizer(learningRate: 0.1).minimize(loss)
    let names = Set(graph.globalVariables().map(\.name))
    for expected in [
      "hidden3/kernel/Adam", "hidden3/kernel/Adam_1", "beta1_power", "beta2_power",
      "hidden3/kernel/Momentum", "hidden3/kernel/RMSProp", "hidden3/kernel/RMSProp_1",
    ] {
      #expect(names.contains(expected), "missing slot \(expected)")
    }
    #expect(try graph.trainableVariables().map(\.name) == ["hidden3/kernel"])
    // The training op takes its optimizer's name, as in TensorFlow.
    let step = try GradientDescentOptimizer(learningRate: 0.1).minimize(loss)
    #expect(step.name == "GradientDescent")
    #expect(
      try GradientDescentOptimizer(learningRate: 0.1).minimize(loss).name == "GradientDescent_1")
  }

  /// Centered RMSProp numbers its slots as TensorFlow does (rms, mg, momentum), so that
  /// checkpoints map slot to slot (a regression test: the moment was `RMSProp_1`).
  @Test func centeredRMSPropSlotsAreNumberedLikeTensorFlows() throws {
    let graph = Graph()
    let w = try graph.variable(NDArray([1.0]), name: "w")
    // g = 2w = 2: ms = 0.9 + 0.1·4 = 1.3, mg = 0.1·2 = 0.2, mom = 0.1·2 / sqrt(1.3 − 0.04).
    let step = try RMSPropOptimizer(learningRate: 0.1, centered: true).minimize(reduceSum(w * w))
    let session = Session(graph: graph)
    try session.run(graph.globalVariablesInitializer())
    try session.run(step)
    func slot(_ name: String) throws -> Double {
      try session.run(graph.tensor(named: "w/" + name)).doubles[0]
    }
    expectClose([try slot("RMSProp")], [1.3], tolerance: 1e-15)
    expectClose([try slot("RMSProp_1")], [0.2], tolerance: 1e-15)
    expectClose(
      [try slot("RMSProp_2")], [0.2 / (1.3 - 0.04 + 1e-10).squareRoot()], tolerance: 1e-15)
  }

  @Test func onlyTheVarListIsWrittenBitForBit() throws {
    let graph = Graph()
    let frozen = try graph.variable(sample([3, 3], seed: 5), name: "frozen")
    let trained = try graph.variable(sample([3, 3], seed: 6), name: "trained")
    let x = graph.placeholder(.float64, shape: [nil, 3], name: "x")
    let loss = try reduceMean(matmul(matmul(x, frozen), trained))
    let step = try AdamOptimizer(learningRate: 0.1).minimize(loss, varList: [trained])
    let session = Session(graph: graph)
    try session.run(graph.globalVariablesInitializer())
    let before = try session.run(frozen)
    let trainedBefore = try session.run(trained)
    for _ in 0..<5 { try session.run(step, feedDict: [x: sample([4, 3], seed: 7)]) }
    #expect(try session.run(frozen) == before)
    #expect(try session.version(of: frozen) == 1)
    #expect(try session.run(trained) != trainedBefore)
    // The only update in the training op's plan is the trained variable's.
    let plan = try session.explain(targets: [step])
    #expect(
      plan.steps.filter { $0.type.hasPrefix("Apply") }.map(\.name) == [
        "Adam/update_trained/ApplyAdam"
      ])
  }

  @Test func globalStepAndLearningRateTensor() throws {
    let graph = Graph()
    let w = try graph.variable(NDArray([1.0]), name: "w")
    let globalStep = try graph.variable(NDArray(Int32(0)), trainable: false, name: "global_step")
    let rate = graph.placeholder(.float64, shape: .scalar, name: "rate")
    let step = try GradientDescentOptimizer(learningRate: .tensor(rate))
      .minimize(reduceSum(w * w), globalStep: globalStep)
    let session = Session(graph: graph)
    try session.run(graph.globalVariablesInitializer())
    try session.run(step, feedDict: [rate: NDArray(0.25)])
    // w = 1 - 0.25 * 2 = 0.5.
    #expect(try session.run(w).doubles == [0.5])
    #expect(try session.run(globalStep).doubles == [1])
    expectError(containing: "'w'", "int32 scalar variable") {
      _ = try GradientDescentOptimizer(learningRate: 0.1).minimize(reduceSum(w), globalStep: w)
    }
    expectError(containing: "no gradients") {
      let other = try graph.variable(NDArray([1.0]), name: "unused")
      _ = try GradientDescentOptimizer(learningRate: 0.1).minimize(reduceSum(w), varList: [other])
    }
  }
}
