import Testing

@testable import Frost

/// Linear regression three ways, as the book's chapter 9 does it in float32: batch gradient
/// descent with hand-written gradients, with `gradients(of:withRespectTo:)`, and with
/// `GradientDescentOptimizer`. All three take the same steps and reach the normal
/// equation's theta (the normal equation alone is checked in `LinearAlgebraTests`).
@Suite("Linear regression")
struct LinearRegressionTests {
  static let m = 200
  static let features = 8
  static let learningRate = 0.1

  /// 200 rows of 8 features of different scales and offsets, standardized here in float64,
  /// with a bias column of ones first; targets a linear function of them plus noise.
  static let data: (x: [[Double]], y: [Double]) = {
    let raw = sample([m, features], seed: 31).doubles
    let noise = sample([m], seed: 32).doubles
    var columns = (0..<features).map { j in
      (0..<m).map { i in raw[i * features + j] * Double(j + 1) + Double(3 * j) }
    }
    // Correlate two columns a little, so the problem is not trivially diagonal.
    columns[1] = zip(columns[1], columns[0]).map { $0 + 0.5 * $1 }
    for j in 0..<features {
      let mean = columns[j].reduce(0, +) / Double(m)
      let deviation =
        (columns[j].reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(m)).squareRoot()
      columns[j] = columns[j].map { ($0 - mean) / deviation }
    }
    let trueTheta = [2.0, 1, -0.5, 0.25, 3, -2, 0.75, -1.25, 0.5]
    let x = (0..<m).map { i in [1.0] + (0..<features).map { columns[$0][i] } }
    let y = (0..<m).map { i in
      zip(x[i], trueTheta).reduce(0) { $0 + $1.0 * $1.1 } + 0.1 * noise[i]
    }
    return (x, y)
  }()

  /// The starting theta of every run: uniform-looking values in about [-1.5, 1.5].
  static let theta0 = sample([features + 1, 1], seed: 33).doubles

  /// The least-squares theta in float64: (XᵀX) θ = Xᵀy by Gaussian elimination.
  static func referenceTheta() -> [Double] {
    let (x, y) = data
    let n = features + 1
    let gram = (0..<n).map { i in
      (0..<n).map { j in (0..<m).reduce(0.0) { $0 + x[$1][i] * x[$1][j] } }
    }
    let moment = (0..<n).map { i in (0..<m).reduce(0.0) { $0 + x[$1][i] * y[$1] } }
    return LinearAlgebraTests.referenceSolve(gram, moment)
  }

  /// One batch gradient-descent step in float64: θ − lr · 2/m · Xᵀ(Xθ − y).
  static func referenceStep(_ theta: [Double]) -> [Double] {
    let (x, y) = data
    let errors = (0..<m).map { i in zip(x[i], theta).reduce(-y[i]) { $0 + $1.0 * $1.1 } }
    return theta.indices.map { k in
      let gradient = 2 / Double(m) * (0..<m).reduce(0.0) { $0 + x[$1][k] * errors[$1] }
      return theta[k] - learningRate * gradient
    }
  }

  /// A float32 graph holding X and y as constants, as the book builds it.
  struct Problem {
    let graph = Graph()
    let x: Tensor
    let y: Tensor

    init() throws {
      let (rows, targets) = LinearRegressionTests.data
      x = try graph.constant(
        rows.flatMap { $0 }.map { Float($0) }, shape: [rows.count, rows[0].count], name: "X")
      y = try graph.constant(targets.map { Float($0) }, shape: [targets.count, 1], name: "y")
    }

    func theta(_ name: String) throws -> Tensor {
      try graph.variable(
        NDArray(
          shape: [LinearRegressionTests.features + 1, 1],
          scalars: LinearRegressionTests.theta0.map { Float($0) }),
        name: name)
    }
  }

  /// The three ways, one theta each in one graph, run for `steps` steps; theta after the
  /// first step and after the last, and the mean squared error before and after.
  static func descend(steps: Int) throws -> (
    first: [[Double]], last: [[Double]], normal: [Double], mse: (Double, Double)
  ) {
    let problem = try Problem()
    let (graph, x, y) = (problem.graph, problem.x, problem.y)
    let rate = learningRate

    // By hand: gradients = 2/m · Xᵀ · error.
    let manual = try problem.theta("theta_manual")
    let manualError = try matmul(x, manual) - y
    let manualGradient = try matmul(x, manualError, transposeA: true) * (2 / Double(m))
    let manualStep = try assign(manual, manual - manualGradient * rate)

    // By autodiff of the mean squared error.
    let auto = try problem.theta("theta_autodiff")
    let autoMSE = try reduceMean(square(matmul(x, auto) - y), name: "mse_autodiff")
    let autoGradient = try gradients(of: [autoMSE], withRespectTo: [auto])[0]!
    let autoStep = try assign(auto, auto - autoGradient * rate)

    // By the optimizer.
    let optimized = try problem.theta("theta_optimizer")
    let mse = try reduceMean(square(matmul(x, optimized) - y), name: "mse")
    let optimizerStep = try GradientDescentOptimizer(learningRate: .constant(rate))
      .minimize(mse)

    // The normal equation, in the same float32 graph.
    let normal = try matmul(
      matmul(matrixInverse(matmul(x, x, transposeA: true)), x, transposeB: true), y)

    let session = Session(graph: graph)
    try session.run(graph.globalVariablesInitializer())
    let thetas = [manual, auto, optimized]
    let mseBefore = try session.run(mse).doubles[0]
    var first: [[Double]] = []
    for step in 0..<steps {
      _ = try session.run([], targets: [manualStep, autoStep, optimizerStep])
      if step == 0 { first = try session.run(thetas).map(\.doubles) }
    }
    return (
      first, try session.run(thetas).map(\.doubles), try session.run(normal).doubles,
      (mseBefore, try session.run(mse).doubles[0])
    )
  }

  @Test func threeWaysOfGradientDescentReachTheNormalEquationsTheta() throws {
    let result = try Self.descend(steps: 500)
    let reference = Self.referenceTheta()

    // The first step is the float64 reference's, in each of the three ways, to float32
    // rounding (measured: 2.5e-7 at most; theta is of order 1).
    let firstStep = Self.referenceStep(Self.theta0)
    for theta in result.first { expectClose(theta, firstStep, tolerance: 1e-6) }

    // After 500 steps the three agree with each other to an ulp or two (measured 6e-8)...
    for theta in result.last.dropFirst() { expectClose(theta, result.last[0], tolerance: 1e-6) }
    // ...and with the normal equation, computed in the float32 graph and in float64
    // (measured 1e-6 and 5e-7).
    for theta in result.last {
      expectClose(theta, result.normal, tolerance: 1e-5)
      expectClose(theta, reference, tolerance: 1e-5)
    }
    expectClose(result.normal, reference, tolerance: 1e-5)
    #expect(result.mse.1 < result.mse.0 / 100, "mse \(result.mse.0) -> \(result.mse.1)")
  }

  /// Too few steps leave theta measurably short of the solution: the comparison above can
  /// fail.
  @Test func fewStepsDoNotReachTheSolution() throws {
    let result = try Self.descend(steps: 3)
    let reference = Self.referenceTheta()
    let gap = zip(result.last[2], reference).map { Swift.abs($0 - $1) }.max()!
    #expect(gap > 1e-2, "gap \(gap)")
  }
}
