import Foundation
import Testing

@testable import Frost

/// Batch normalization against a float64 reference computed here: both modes, the moving
/// statistics and when they change, the gradient in training mode.
@Suite("Batch normalization")
struct BatchNormalizationTests {
  static let momentum = 0.9
  static let epsilon = 0.001
  static let gamma = [1.5, 0.5, -2.0]
  static let beta = [0.1, -0.2, 0.3]
  static let movingMean = [0.2, -0.4, 1.0]
  static let movingVariance = [1.3, 0.7, 2.5]

  /// A 3-feature layer `bn` on a float64 placeholder, its training flag defaulting to false,
  /// and a session whose γ, β and moving statistics hold the values above.
  struct Fixture {
    let graph = Graph()
    let x: Tensor
    let training: Tensor
    let output: Tensor
    let session: Session
    let variables: [String: Tensor]

    init(shape: Shape = [nil, 3]) throws {
      x = graph.placeholder(.float64, shape: shape, name: "x")
      training = try placeholderWithDefault(
        graph.constant(NDArray(false)), shape: .scalar, name: "training")
      output = try batchNormalization(
        x, training: training, momentum: BatchNormalizationTests.momentum,
        epsilon: BatchNormalizationTests.epsilon, name: "bn")
      session = Session(graph: graph)
      try session.run(graph.globalVariablesInitializer())
      var variables: [String: Tensor] = [:]
      for name in ["gamma", "beta", "moving_mean", "moving_variance"] {
        variables[name] = try graph.tensor(named: "bn/" + name)
      }
      self.variables = variables
      try session.assignValues([
        variables["gamma"]!: NDArray(BatchNormalizationTests.gamma),
        variables["beta"]!: NDArray(BatchNormalizationTests.beta),
        variables["moving_mean"]!: NDArray(BatchNormalizationTests.movingMean),
        variables["moving_variance"]!: NDArray(BatchNormalizationTests.movingVariance),
      ])
    }

    func value(_ name: String) throws -> [Double] { try session.run(variables[name]!).doubles }
  }

  /// Per feature (the last axis of `x`, `features` wide): the mean and biased variance.
  static func statistics(_ x: [Double], features: Int) -> (mean: [Double], variance: [Double]) {
    let rows = Double(x.count / features)
    var mean = [Double](repeating: 0, count: features)
    var variance = [Double](repeating: 0, count: features)
    for (i, value) in x.enumerated() { mean[i % features] += value / rows }
    for (i, value) in x.enumerated() {
      variance[i % features] += (value - mean[i % features]) * (value - mean[i % features]) / rows
    }
    return (mean, variance)
  }

  /// `(x − mean) / sqrt(variance + ε) · γ + β`, feature by feature.
  static func normalize(_ x: [Double], mean: [Double], variance: [Double]) -> [Double] {
    x.enumerated().map { i, value in
      let f = i % mean.count
      return (value - mean[f]) / (variance[f] + epsilon).squareRoot() * gamma[f] + beta[f]
    }
  }

  @Test func trainingModeUsesTheBatchStatistics() throws {
    let fixture = try Fixture()
    let x = sample([8, 3], seed: 11)
    let output = try fixture.session.run(
      fixture.output, feedDict: [fixture.x: x, fixture.training: NDArray(true)])
    let (mean, variance) = Self.statistics(x.doubles, features: 3)
    #expect(output.shape == [8, 3])
    expectClose(
      output.doubles, Self.normalize(x.doubles, mean: mean, variance: variance),
      tolerance: 1e-12)
  }

  @Test func inferenceModeUsesTheMovingStatistics() throws {
    let fixture = try Fixture()
    let x = sample([5, 3], seed: 12)
    // The flag defaults to false: inference needs no feed but x.
    let output = try fixture.session.run(fixture.output, feedDict: [fixture.x: x])
    expectClose(
      output.doubles,
      Self.normalize(x.doubles, mean: Self.movingMean, variance: Self.movingVariance),
      tolerance: 1e-12)
    // A single example is normalized the same way whatever the batch around it.
    let one = try fixture.session.run(
      fixture.output, feedDict: [fixture.x: try x.rows(2..<3)])
    #expect(one.doubles == Array(output.doubles[6..<9]))
  }

  @Test func statisticsAreOverEveryAxisButTheLast() throws {
    let fixture = try Fixture(shape: [nil, 2, 3])
    let x = sample([4, 2, 3], seed: 13)
    let output = try fixture.session.run(
      fixture.output, feedDict: [fixture.x: x, fixture.training: NDArray(true)])
    // Eight rows of three features.
    let (mean, variance) = Self.statistics(x.doubles, features: 3)
    expectClose(
      output.doubles, Self.normalize(x.doubles, mean: mean, variance: variance),
      tolerance: 1e-12)
  }

  /// The moving statistics change only when the update ops run: not by evaluating the
  /// layer in training mode, not by a training op alone.
  @Test func movingStatisticsChangeOnlyWhenTheUpdateOpsRun() throws {
    let fixture = try Fixture()
    let graph = fixture.graph
    let target = graph.constant(sample([8, 3], seed: 14))
    let loss = try reduceMean(square(fixture.output - target))
    let trainingOp = try GradientDescentOptimizer(learningRate: 0.1).minimize(loss)
    let session = fixture.session
    let x = sample([8, 3], seed: 15)
    let feeds = [fixture.x: x, fixture.training: NDArray(true)]
    let moving = [fixture.variables["moving_mean"]!, fixture.variables["moving_variance"]!]
    let versions = try moving.map { try session.version(of: $0) }

    // γ and β train; the moving statistics are not trainable, so not in the var list.
    #expect(
      try graph.trainableVariables().map(\.name) == ["bn/gamma", "bn/beta"])
    #expect(graph.updateOps().count == 2)

    // The layer in training mode, then the training op alone: unchanged, bit for bit.
    _ = try session.run(fixture.output, feedDict: feeds)
    try session.run(trainingOp, feedDict: feeds)
    #expect(try fixture.value("moving_mean") == Self.movingMean)
    #expect(try fixture.value("moving_variance") == Self.movingVariance)
    #expect(try moving.map { try session.version(of: $0) } == versions)
    #expect(try fixture.value("gamma") != Self.gamma)

    // With the update ops as targets: moving · momentum + batch · (1 − momentum).
    _ = try session.run([], feedDict: feeds, targets: [trainingOp] + graph.updateOps())
    let (mean, variance) = Self.statistics(x.doubles, features: 3)
    let m = Self.momentum
    expectClose(
      try fixture.value("moving_mean"),
      zip(Self.movingMean, mean).map { $0 * m + $1 * (1 - m) }, tolerance: 1e-12)
    expectClose(
      try fixture.value("moving_variance"),
      zip(Self.movingVariance, variance).map { $0 * m + $1 * (1 - m) }, tolerance: 1e-12)
  }

  /// As in TensorFlow, whose update is a `smart_cond` on the flag: the update ops run in
  /// inference mode leave the moving statistics as they are (a regression test: they used to
  /// average in the statistics of the inference batch).
  @Test func updateOpsRunInInferenceModeChangeNothing() throws {
    let fixture = try Fixture()
    _ = try fixture.session.run(
      [], feedDict: [fixture.x: sample([8, 3], seed: 18)], targets: fixture.graph.updateOps())
    #expect(try fixture.value("moving_mean") == Self.movingMean)
    #expect(try fixture.value("moving_variance") == Self.movingVariance)
  }

  @Test func gradientInTrainingModeMatchesCentralDifferences() throws {
    let graph = Graph()
    let x = graph.placeholder(.float64, shape: [5, 3], name: "x")
    let output = try batchNormalization(
      x, training: graph.constant(NDArray(true)), epsilon: 0.01, name: "bn")
    // Weight the outputs so the check sees more than the (zero-sum) normalized values.
    let weights = graph.constant(sample([5, 3], seed: 16))
    let y = try reduceSum(square(output * weights))
    let gamma = try graph.tensor(named: "bn/gamma")
    let beta = try graph.tensor(named: "bn/beta")
    // The moving statistics are read (and ignored) in training mode: initialize them.
    let session = Session(graph: graph)
    try session.run(graph.globalVariablesInitializer())
    let check = try checkGradient(
      of: y, withRespectTo: [x, gamma, beta],
      feedDict: [
        x: sample([5, 3], seed: 17), gamma: NDArray([1.5, 0.5, -2.0]),
        beta: NDArray([0.1, -0.2, 0.3]),
      ], session: session)
    #expect(check.maxRelativeError <= 1e-6, "\(check)")
  }

  @Test func variablesAreNamedLikeTensorFlows() throws {
    let fixture = try Fixture()
    #expect(
      fixture.graph.globalVariables().map(\.name) == [
        "bn/gamma", "bn/beta", "bn/moving_mean", "bn/moving_variance",
      ])
    #expect(fixture.output.op.name == "bn/output")
    // The default name, then its suffixed successor.
    let second = try batchNormalization(fixture.x, training: fixture.training)
    let third = try batchNormalization(fixture.x, training: fixture.training)
    #expect(second.op.name.hasPrefix("batch_normalization/"))
    #expect(third.op.name.hasPrefix("batch_normalization_1/"))
  }

  @Test func misuseThrowsAndLeavesTheGraphUnchanged() throws {
    let graph = Graph()
    let x = graph.placeholder(.float32, shape: [nil, 3], name: "x")
    let flag = graph.constant(NDArray(true))
    let ints = graph.placeholder(.int32, shape: [nil, 3], name: "ints")
    let unknown = graph.placeholder(.float32, shape: [nil, nil], name: "unknown")
    let notBool = graph.constant(NDArray(Float(1)), name: "not_bool")
    let count = graph.nodeCount
    expectError(containing: "'ints'", "float") {
      _ = try batchNormalization(ints, training: flag)
    }
    expectError(containing: "'unknown'", "last dimension") {
      _ = try batchNormalization(unknown, training: flag)
    }
    expectError(containing: "training flag 'not_bool'", "bool scalar") {
      _ = try batchNormalization(x, training: notBool)
    }
    #expect(graph.nodeCount == count)
    #expect(graph.globalVariables().isEmpty && graph.updateOps().isEmpty)
  }
}
