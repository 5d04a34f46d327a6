import Testing

@testable import Frost

@Suite("Session")
struct SessionTests {
  /// X -> hidden1 -> hidden2 -> loss, with variables; built by hand from core ops.
  struct TwoLayerNet {
    let graph = Graph()
    let x: Tensor
    let hidden1: Tensor
    let hidden2: Tensor
    let output: Tensor
    let w1: Tensor
    let w2: Tensor

    init() throws {
      let g = graph
      let input = graph.placeholder(.float32, shape: [nil, 3], name: "X")
      let (w1, h1) = try graph.withNameScope("hidden1") {
        let w = try g.variable(
          try NDArray(shape: [3, 2], scalars: [Float](repeating: 0.5, count: 6)), name: "kernel")
        return (w, try relu(matmul(input, w)))
      }
      let (w2, h2) = try graph.withNameScope("hidden2") {
        let w = try g.variable(
          try NDArray(shape: [2, 2], scalars: [Float(1), -1, 2, 1]), name: "kernel")
        return (w, try relu(matmul(h1, w)))
      }
      (x, self.w1, hidden1, self.w2, hidden2) = (input, w1, h1, w2, h2)
      output = try reduceSum(h2, name: "loss")
    }
  }

  @Test func runsAndCutsAtFedTensor() throws {
    let net = try TwoLayerNet()
    let session = Session(graph: net.graph)
    try session.run(net.graph.globalVariablesInitializer())
    let x = try NDArray(shape: [1, 3], scalars: [Float(1), 2, 3])
    // hidden1 = relu([1,2,3] . 0.5) = [3, 3]; hidden2 = relu([3*1+3*2, -3+3]) = [9, 0].
    #expect(try session.run(net.hidden2, feedDict: [net.x: x]).doubles == [9, 0])

    // Feeding hidden1: X needs no feed, and nothing of hidden1 runs.
    let fed = try NDArray(shape: [1, 2], scalars: [Float(1), 1])
    #expect(try session.run(net.output, feedDict: [net.hidden1: fed]).doubles == [3])
    let plan = try session.explain(fetches: [net.output], feeds: [net.hidden1])
    #expect(!plan.runsAnything(inScope: "hidden1"))
    #expect(!plan.runs("X"))
    #expect(plan.missingPlaceholders.isEmpty)
    #expect(plan.cuts == ["hidden1/Relu"])
    #expect(plan.runs("hidden2/MatMul"))
  }

  @Test func fetchingAFedTensorReturnsTheFedValue() throws {
    let net = try TwoLayerNet()
    let session = Session(graph: net.graph)
    let fed = try NDArray(shape: [2, 2], scalars: [Float(1), 2, 3, 4])
    #expect(try session.run(net.hidden1, feedDict: [net.hidden1: fed]) == fed)
  }

  @Test func plansAreCompiledOnce() throws {
    let net = try TwoLayerNet()
    let session = Session(graph: net.graph)
    try session.run(net.graph.globalVariablesInitializer())
    let count = session.compiledPlanCount
    for rows in [1, 4, 4, 2] {
      let x = try NDArray(zeros: [rows, 3])
      _ = try session.run(net.output, feedDict: [net.x: x])
    }
    #expect(session.compiledPlanCount == count + 1)
  }

  @Test func missingFeedNamesPlaceholderAndFetch() throws {
    let net = try TwoLayerNet()
    let session = Session(graph: net.graph)
    try session.run(net.graph.globalVariablesInitializer())
    expectError(containing: "'X'", "hidden2/Relu") { _ = try session.run(net.hidden2) }
  }

  @Test func uninitializedVariableIsNamed() throws {
    let net = try TwoLayerNet()
    let session = Session(graph: net.graph)
    let error = expectFrostError { _ = try session.run(net.w2) }
    #expect(error == .uninitializedVariable("hidden2/kernel"))
  }

  @Test func badFeedsAreRefused() throws {
    let net = try TwoLayerNet()
    let session = Session(graph: net.graph)
    try session.run(net.graph.globalVariablesInitializer())
    expectError(containing: "'X'", "(?, 3)", "(2, 4)") {
      _ = try session.run(net.output, feedDict: [net.x: try NDArray(zeros: [2, 4])])
    }
    expectError(containing: "'X'", "int32") {
      _ = try session.run(
        net.output, feedDict: [net.x: try NDArray(shape: [1, 3], scalars: [Int32(1), 2, 3])])
    }
    let other = Graph().placeholder(.float32, name: "Z")
    expectError(containing: "'Z'", "another graph") { _ = try session.run(other) }
    expectError(containing: "'Z'", "another graph") {
      _ = try session.run(net.output, feedDict: [other: try NDArray(zeros: [1])])
    }
  }
}
