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
    #expect(try GradientDescentOptimizer(learningRate: 0.1).minimize(loss).name == "GradientDescent_1")
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
    #expect(plan.steps.filter { $0.type.hasPrefix("Apply") }.map(\.name) == [
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
