import Foundation
import Testing

@testable import Frost

@Suite("Kernels")
struct KernelTests {
  @Test func vectorizedFloatExponentialIsWithinTwoUlps() {
    var values: [Float] = []
    var x: Float = -87.3
    while x < 88.37 {
      values.append(x)
      x += 0.0137
    }
    values += [-0.0, 0, 1e-8, -1e-8, 1, -1, 88.37, -87.33]
    var results = values
    results.withUnsafeMutableBufferPointer { Float.exponentials($0.baseAddress!, count: $0.count) }
    for (input, result) in zip(values, results) {
      let exact = Foundation.exp(Double(input))
      // Two units in the last place of the float result.
      let ulp = Double(Float(exact).ulp)
      #expect(
        Swift.abs(Double(result) - exact) <= 2 * ulp, "exp(\(input)) = \(result), exact \(exact)")
    }
    var extremes: [Float] = [-200, -88, 89, 200, .infinity, -.infinity, 88.5]
    extremes.withUnsafeMutableBufferPointer { Float.exponentials($0.baseAddress!, count: $0.count) }
    #expect(extremes == [0, 0, .infinity, .infinity, .infinity, 0, .infinity])
  }
}

@Suite("Fusion")
struct FusionTests {
  @Test func denseLayersFuseAndAgreeWithTheUnfusedOps() throws {
    let graph = Graph(seed: 3)
    let x = graph.placeholder(.float32, shape: [nil, 40], name: "X")
    let hidden = try dense(x, units: 30, activation: .relu, name: "hidden")
    let output = try dense(hidden, units: 7, name: "output")
    let session = Session(graph: graph)
    try session.run(graph.globalVariablesInitializer())
    let data = sample([9, 40]).converted(to: .float32)

    // Fetching only the output lets both layers fuse; fetching the products keeps them.
    let fused = try session.run(output, feedDict: [x: data])
    let products = try [graph.tensor(named: "hidden/MatMul"), graph.tensor(named: "output/MatMul")]
    let unfused = try session.run(products + [output], feedDict: [x: data])[2]
    // The fused kernel does the separate ops' arithmetic: the same bits.
    #expect(fused == unfused)
    let steps = try session.profile(fetches: [output], feedDict: [x: data], runs: 1).map(\.type)
    #expect(steps.contains("MatMul+BiasAdd+Relu"))
    #expect(steps.contains("MatMul+BiasAdd"))
    #expect(!steps.contains("Relu"))
    let kept = try session.profile(fetches: products + [output], feedDict: [x: data], runs: 1)
    #expect(kept.filter { $0.type == "MatMul" }.count == 2)
  }

  @Test func fusedLayersDifferentiate() throws {
    try expectGradient([sample([5, 4]), sample([4, 3], seed: 2), sample([3], seed: 3)]) {
      try relu(matmul($0[0], $0[1]) + $0[2])
    }
  }
}

@Suite("Dead values")
struct DeadValueTests {
  @Test func aTrainingStepSkipsTheLossValueItOnlyNeedsTheShapeOf() throws {
    let graph = Graph(seed: 2)
    let x = graph.placeholder(.float32, shape: [nil, 4], name: "X")
    let y = graph.placeholder(.int32, shape: [nil], name: "y")
    let logits = try dense(x, units: 3, name: "outputs")
    let loss = try reduceMean(
      sparseSoftmaxCrossEntropyWithLogits(labels: y, logits: logits), name: "loss")
    let train = try GradientDescentOptimizer(learningRate: 0.1).minimize(loss)
    let session = Session(graph: graph)
    try session.run(graph.globalVariablesInitializer())
    let feeds: [Tensor: NDArray] = [
      x: sample([5, 4]).converted(to: .float32), y: NDArray([Int32(0), 1, 2, 1, 0]),
    ]
    // The gradient reads the loss only for its shape: the mean is not computed.
    let training = try session.profile(targets: [train], feedDict: feeds, runs: 1).map(\.name)
    #expect(!training.contains("loss"))
    // Fetching the loss brings it back, and its value is the mean of the losses.
    let both = try session.profile(fetches: [loss], targets: [train], feedDict: feeds, runs: 1)
    #expect(both.map(\.name).contains("loss"))
    let perExample = try session.run(
      graph.tensor(named: "SparseSoftmaxCrossEntropyWithLogits"), feedDict: feeds)
    let mean = try session.run(loss, feedDict: feeds)
    expectClose(mean.doubles, [perExample.doubles.reduce(0, +) / 5], tolerance: 1e-6)
  }
}

@Suite("Backward fusion")
struct BackwardFusionTests {
  @Test func reluGradientAndBiasGradientComeFromOnePass() throws {
    let graph = Graph(seed: 4)
    let x = graph.placeholder(.float64, shape: [nil, 3], name: "X")
    let hidden = try dense(x, units: 4, activation: .relu, name: "hidden")
    let loss = try reduceSum(hidden * hidden)
    let bias = try graph.tensor(named: "hidden/bias")
    let kernel = try graph.tensor(named: "hidden/kernel")
    let grads = try gradients(of: [loss], withRespectTo: [kernel, bias]).map { $0! }
    let session = Session(graph: graph)
    try session.run(graph.globalVariablesInitializer())
    let data = sample([6, 3])
    let steps = try session.profile(fetches: grads, feedDict: [x: data], runs: 1).map(\.type)
    #expect(steps.contains("ReluGrad+BiasAddGrad"))
    #expect(!steps.contains("Sum"))

    // Reference in float64: h = relu(xW + b), dL/dh = 2h, dL/db = Σ_rows 2h (where h > 0).
    let (w, b) = (try session.run(kernel).doubles, try session.run(bias).doubles)
    let xs = data.doubles
    var expected = [Double](repeating: 0, count: 4)
    for row in 0..<6 {
      for j in 0..<4 {
        var z = b[j]
        for p in 0..<3 { z += xs[row * 3 + p] * w[p * 4 + j] }
        if z > 0 { expected[j] += 2 * z }
      }
    }
    expectClose(try session.run(grads[1], feedDict: [x: data]).doubles, expected, tolerance: 1e-12)
  }
}

@Suite("Parallel matrix products")
struct ParallelProductTests {
  /// A product large enough to be split by columns over two threads, in every transposition,
  /// against a float64 reference; and the fused dense step on top of a split product.
  @Test func splitProductsMatchTheReference() throws {
    let (m, k, n) = (258, 256, 256)
    #expect(m * n * k >= BLASThreads.parallelThreshold)
    for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
      let a = sample(ta ? [k, m] : [m, k], seed: 8)
      let b = sample(tb ? [n, k] : [k, n], seed: 9)
      let (av, bv) = (a.doubles, b.doubles)
      let graph = Graph()
      let product = try matmul(
        graph.constant(a.converted(to: .float32)), graph.constant(b.converted(to: .float32)),
        transposeA: ta, transposeB: tb)
      let value = try Session(graph: graph).run(product).doubles
      // Spot-check columns on both sides of the split, against float64 sums (256 products of
      // magnitude < 2.25 accumulate well under 1e-4 in float32).
      for i in [0, 1, m / 2 - 1, m / 2, m - 1] {
        for j in [0, n / 2, n - 1] {
          var expected = 0.0
          for p in 0..<k {
            expected += (ta ? av[p * m + i] : av[i * k + p]) * (tb ? bv[j * k + p] : bv[p * n + j])
          }
          expectClose([value[i * n + j]], [expected], tolerance: 1e-4)
        }
      }
    }
  }

  @Test func fusedDenseOnASplitProductEqualsTheSeparateOps() throws {
    let graph = Graph(seed: 6)
    let x = graph.placeholder(.float32, shape: [nil, 512], name: "X")
    let hidden = try dense(x, units: 300, activation: .relu, name: "hidden")
    let session = Session(graph: graph)
    try session.run(graph.globalVariablesInitializer())
    let data = sample([120, 512]).converted(to: .float32)
    #expect(120 * 300 * 512 >= BLASThreads.parallelThreshold)
    let fused = try session.run(hidden, feedDict: [x: data])
    let separate = try session.run(
      [graph.tensor(named: "hidden/MatMul"), graph.tensor(named: "hidden/BiasAdd"), hidden],
      feedDict: [x: data])[2]
    #expect(fused == separate)
  }
}

@Suite("Floating-point mode")
struct FloatingPointModeTests {
  @Test func runsFlushDenormalsAndRestoreTheCallersMode() throws {
    let graph = Graph()
    let x = graph.placeholder(.float32, shape: [1], name: "x")
    let y = try x * 1e-3
    let session = Session(graph: graph)
    // 1e-38 · 1e-3 is a denormal: inside a run it is flushed to zero.
    #expect(try session.run(y, feedDict: [x: NDArray([Float(1e-38)])]).doubles == [0])
    // The caller's thread computes denormals as before once the run is over.
    let tiny = Float(1e-38) * Float(CommandLine.arguments.count) * 1e-3
    #expect(tiny > 0)
  }
}
