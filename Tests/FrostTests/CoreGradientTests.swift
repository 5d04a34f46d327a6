import Testing

@testable import Frost

@Suite("Core op gradients")
struct CoreGradientTests {
  @Test func arithmeticWithBroadcasting() throws {
    try expectGradient([sample([3, 4]), sample([4], seed: 2)]) { try $0[0] + $0[1] }
    try expectGradient([sample([3, 1]), sample([1, 4], seed: 2)]) { try $0[0] - $0[1] }
    try expectGradient([sample([2, 3, 4]), sample([3, 1], seed: 2)]) { try $0[0] * $0[1] }
    try expectGradient([sample([3, 4]), sample([3, 4], seed: 2)]) { try $0[0] / $0[1] }
    try expectGradient([sample([3])]) { try -$0[0] }
    try expectGradient([sample([2, 2]), sample([2, 2], seed: 2), sample([2, 2], seed: 3)]) {
      try addN($0)
    }
  }

  @Test func broadcastGradientOfPartialShapesIsResolvedAtRunTime() throws {
    // Both operands have an unknown leading dimension, so only the run can tell that the
    // second one was stretched from 1 row.
    let graph = Graph()
    let a = graph.placeholder(.float64, shape: [nil, 3], name: "a")
    let b = graph.placeholder(.float64, shape: [nil, 3], name: "b")
    let y = try reduceSum(a * b)
    let check = try checkGradient(
      of: y, withRespectTo: [a, b], feedDict: [a: sample([4, 3]), b: sample([1, 3], seed: 2)])
    #expect(check.maxRelativeError < 1e-6)
    let plan = try graph.explain(fetches: try gradients(of: [y], withRespectTo: [b]).map { $0! })
    #expect(plan.steps.contains { $0.type == "SumToShape" })
  }

  @Test func matmulInEveryTransposition() throws {
    for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
      let a = sample(ta ? [4, 3] : [3, 4])
      let b = sample(tb ? [2, 4] : [4, 2], seed: 2)
      try expectGradient([a, b]) { try matmul($0[0], $0[1], transposeA: ta, transposeB: tb) }
    }
  }

  @Test func reluAndReductions() throws {
    try expectGradient([sample([3, 4])]) { try relu($0[0]) }
    try expectGradient([sample([3, 4])]) { try reduceSum($0[0]) }
    try expectGradient([sample([3, 4])]) { try reduceSum($0[0], axes: [0]) }
    try expectGradient([sample([2, 3, 4])]) { try reduceSum($0[0], axes: [1], keepDims: true) }
    try expectGradient([sample([2, 3, 4])]) { try reduceMean($0[0], axes: [0, 2]) }
    try expectGradient([sample([3, 4])]) { try reduceMean($0[0]) }
  }

  @Test func gradientsFollowOnlyPathsFromXsToYs() throws {
    let graph = Graph()
    let x = graph.placeholder(.float64, shape: [2], name: "x")
    let z = graph.placeholder(.float64, shape: [2], name: "z")
    let y = try reduceSum(x * x + stopGradient(x) * z)
    let grads = try gradients(of: [y], withRespectTo: [x, z, graph.placeholder(.float64)])
    #expect(grads[2] == nil)
    let session = Session(graph: graph)
    let feeds: [Tensor: NDArray] = [x: NDArray([3.0, -1]), z: NDArray([10.0, 20])]
    // d/dx = 2x (the stopGradient term adds nothing); d/dz = x.
    #expect(try session.run(grads[0]!, feedDict: feeds).doubles == [6, -2])
    #expect(try session.run(grads[1]!, feedDict: feeds).doubles == [3, -1])
  }

  @Test func secondOrderGradientOfAProduct() throws {
    let graph = Graph()
    let x = graph.placeholder(.float64, shape: [2], name: "x")
    let y = try reduceSum(x * x * x)
    let first = try gradients(of: [y], withRespectTo: [x])[0]!
    let second = try gradients(of: [reduceSum(first)], withRespectTo: [x])[0]!
    let value = try Session(graph: graph).run(second, feedDict: [x: NDArray([1.0, 2])])
    #expect(value.doubles == [6, 12])  // d²/dx² of x³ is 6x.
  }

  @Test func gradientErrorsLeaveTheGraphUnchanged() throws {
    let graph = Graph()
    let x = graph.placeholder(.float64, shape: [2], name: "x")
    let y = try reduceSum(x * x)
    let count = graph.nodeCount
    expectError(containing: "'i'", "int32") {
      _ = try gradients(of: [graph.placeholder(.int32, name: "i")], withRespectTo: [x])
    }
    #expect(graph.nodeCount == count + 1)  // only the int placeholder built for the test
    let other = Graph().placeholder(.float64, name: "w")
    expectError(containing: "'w'", "another graph") {
      _ = try gradients(of: [y], withRespectTo: [other])
    }
  }
}

@Suite("Second-order gradients through run-time shapes")
struct SecondOrderShapeTests {
  @Test func throughMeanAndAmbiguousBroadcast() throws {
    let graph = Graph()
    let a = graph.placeholder(.float64, shape: [nil, 3], name: "a")
    let b = graph.placeholder(.float64, shape: [nil, 3], name: "b")
    let y = try reduceMean(a * a * b)
    let first = try gradients(of: [y], withRespectTo: [b])[0]!
    let second = try gradients(of: [reduceSum(first)], withRespectTo: [a])[0]!
    let value = try Session(graph: graph).run(
      second,
      feedDict: [
        a: NDArray(shape: [2, 3], doubles: [1, 2, 3, 4, 5, 6], dtype: .float64),
        b: NDArray(shape: [1, 3], doubles: [1, 1, 1], dtype: .float64),
      ])
    // y = mean(a² b) over 6 elements; dy/db sums 2 rows: Σᵢ aᵢⱼ² / 6; its sum's gradient
    // with respect to a is 2a / 6.
    expectClose(value.doubles, [1, 2, 3, 4, 5, 6].map { 2 * $0 / 6 }, tolerance: 1e-12)
  }
}
