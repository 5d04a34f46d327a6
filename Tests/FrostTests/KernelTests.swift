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
      #expect(Swift.abs(Double(result) - exact) <= 2 * ulp, "exp(\(input)) = \(result), exact \(exact)")
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
