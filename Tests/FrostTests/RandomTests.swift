import Testing

@testable import Frost

@Suite("Random ops")
struct RandomTests {
  static func moments(_ values: [Double]) -> (mean: Double, variance: Double) {
    let mean = values.reduce(0, +) / Double(values.count)
    let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
    return (mean, variance)
  }

  // MARK: - Seeds

  @Test func graphAndOpSeedsReproduceTheSequenceInEverySession() throws {
    let graph = Graph(seed: 1)
    let u = try randomUniform(in: graph, shape: [4, 5], seed: 7)
    let first = Session(graph: graph)
    let (a1, a2) = (try first.run(u), try first.run(u))
    let second = Session(graph: graph)
    let (b1, b2) = (try second.run(u), try second.run(u))
    #expect(a1 == b1)
    #expect(a2 == b2)
    #expect(a1 != a2)  // successive runs draw new numbers
  }

  @Test func graphSeedAloneMakesRebuiltGraphsReproducible() throws {
    func build() throws -> (Graph, Tensor, Tensor) {
      let graph = Graph(seed: 42)
      let a = try randomNormal(in: graph, shape: [10])
      let b = try randomNormal(in: graph, shape: [10])
      return (graph, a, b)
    }
    let (g1, a1, b1) = try build()
    let (g2, a2, _) = try build()
    let v1 = try Session(graph: g1).run([a1, b1])
    #expect(v1[0] != v1[1])  // same graph seed, different ops: different numbers
    #expect(try Session(graph: g2).run(a2) == v1[0])
  }

  @Test func opSeedAloneUsesTheDefaultGraphSeed() throws {
    let implicit = Graph()
    let a = try randomUniform(in: implicit, shape: [8], seed: 5)
    let explicit = Graph(seed: 87_654_321)
    let b = try randomUniform(in: explicit, shape: [8], seed: 5)
    #expect(try Session(graph: implicit).run(a) == Session(graph: explicit).run(b))
  }

  @Test func withoutSeedsSessionsDiffer() throws {
    let graph = Graph()
    let u = try randomUniform(in: graph, shape: [16], dtype: .float64)
    #expect(try Session(graph: graph).run(u) != Session(graph: graph).run(u))
  }

  @Test func randomOpsCarryTheRandomTrait() {
    for op in [
      Ops.randomUniform, Ops.randomNormal, Ops.truncatedNormal, Ops.randomShuffle,
      Ops.dropoutMask,
    ] {
      #expect(op.traits.contains(.random), "\(op.name)")
    }
  }

  // MARK: - Distributions

  /// 100 000 draws: the mean's standard error is below 0.3% of the standard deviation, so
  /// the tolerances below are more than six standard errors wide (seeded: no flakiness).
  @Test func uniformMomentsAndRange() throws {
    let graph = Graph(seed: 3)
    let u = try randomUniform(in: graph, shape: [100_000], minval: 2, maxval: 5, dtype: .float64)
    let values = try Session(graph: graph).run(u).doubles
    #expect(values.allSatisfy { $0 >= 2 && $0 < 5 })
    let (mean, variance) = Self.moments(values)
    #expect(abs(mean - 3.5) < 0.02)  // standard error 0.0027
    #expect(abs(variance - 0.75) < 0.01)  // (5 - 2)² / 12; standard error 0.0021

    let single = try randomUniform(in: graph, shape: [20_000], minval: -1, maxval: 1)
    let floats = try Session(graph: graph).run(single)
    #expect(floats.dtype == .float32)
    #expect(floats.doubles.allSatisfy { $0 >= -1 && $0 < 1 })
    #expect(abs(Self.moments(floats.doubles).mean) < 0.03)  // standard error 0.0041
  }

  @Test func uniformIntegersCoverTheirRangeEvenly() throws {
    let graph = Graph(seed: 4)
    let u = try randomUniform(in: graph, shape: [70_000], minval: -3, maxval: 4, dtype: .int32)
    let values = try Session(graph: graph).run(u).scalars(as: Int32.self)
    var counts = [Int32: Int]()
    for value in values { counts[value, default: 0] += 1 }
    #expect(counts.keys.sorted() == Array(-3...3))
    // Each of the 7 values expects 10 000 draws, standard deviation 93.
    #expect(counts.values.allSatisfy { abs($0 - 10_000) < 600 })
  }

  @Test func normalMoments() throws {
    let graph = Graph(seed: 5)
    let n = try randomNormal(in: graph, shape: [100_000], mean: 1, stddev: 2, dtype: .float64)
    let (mean, variance) = Self.moments(try Session(graph: graph).run(n).doubles)
    #expect(abs(mean - 1) < 0.04)  // standard error 0.0063
    #expect(abs(variance - 4) < 0.12)  // standard error of the variance 0.018
  }

  @Test func truncatedNormalStaysWithinTwoStandardDeviations() throws {
    let graph = Graph(seed: 6)
    let t = try truncatedNormal(in: graph, shape: [100_000], mean: -1, stddev: 0.5)
    let values = try Session(graph: graph).run(t).doubles
    #expect(values.allSatisfy { $0 >= -2 && $0 <= 0 })
    let (mean, variance) = Self.moments(values)
    #expect(abs(mean + 1) < 0.01)  // standard error 0.0014
    // A standard normal truncated to [-2, 2] has variance 0.7737; times 0.5².
    #expect(abs(variance - 0.7737 * 0.25) < 0.006)
  }

  @Test func emptyAndScalarShapes() throws {
    let graph = Graph(seed: 1)
    let empty = try randomNormal(in: graph, shape: [0, 3])
    let scalar = try randomUniform(in: graph, shape: [])
    let values = try Session(graph: graph).run([empty, scalar])
    #expect(values[0].shape == [0, 3])
    #expect(values[1].shape == [])
    #expect(empty.shape == [0, 3])
  }

  // MARK: - Shuffle

  @Test func shuffleIsAPermutationOfRowsAndChangesEachRun() throws {
    let graph = Graph(seed: 8)
    let rows = 20
    let x = try graph.constant((0..<(rows * 2)).map { Double($0) }, shape: [rows, 2])
    let shuffled = try randomShuffle(x, seed: 1)
    let session = Session(graph: graph)
    let first = try session.run(shuffled).doubles
    let second = try session.run(shuffled).doubles
    for values in [first, second] {
      let pairs = (0..<rows).map { [values[2 * $0], values[2 * $0 + 1]] }
      #expect(pairs.allSatisfy { $0[1] == $0[0] + 1 && Int($0[0]) % 2 == 0 })  // rows intact
      #expect(Set(pairs.map { $0[0] }) == Set((0..<rows).map { Double(2 * $0) }))
    }
    #expect(first != (0..<(rows * 2)).map(Double.init))
    #expect(first != second)
  }

  @Test func shuffleHandlesEveryDtypeAndDegenerateShapes() throws {
    let graph = Graph(seed: 9)
    let ints = try randomShuffle(graph.constant((0..<50).map(Int32.init), shape: [50]))
    let bools = try randomShuffle(graph.constant((0..<50).map { $0 < 10 }, shape: [50]))
    let scalar = try randomShuffle(graph.constant(3.5, dtype: .float64))
    let single = try randomShuffle(graph.constant([Float(1), 2, 3], shape: [1, 3]))
    let empty = try randomShuffle(graph.constant([Float](), shape: [0, 4]))
    let values = try Session(graph: graph).run([ints, bools, scalar, single, empty])
    #expect(values[0].doubles.sorted() == (0..<50).map(Double.init))
    #expect(values[1].doubles.filter { $0 == 1 }.count == 10)
    #expect(values[2].doubles == [3.5])
    #expect(values[3].doubles == [1, 2, 3])
    #expect(values[4].shape == [0, 4])
  }

  @Test func shuffleHasNoGradient() throws {
    let graph = Graph()
    let x = graph.placeholder(.float64, shape: [3], name: "x")
    let y = try reduceSum(randomShuffle(x, name: "shuffle"))
    expectError(containing: "shuffle", "RandomShuffle", "stopGradient") {
      _ = try gradients(of: [y], withRespectTo: [x])
    }
  }

  // MARK: - Dropout

  @Test func dropoutKeepsTheExpectedValueAndZeroesAboutRate() throws {
    let graph = Graph(seed: 10)
    let x = try graph.constant([Double](repeating: 2, count: 100_000), shape: [100_000])
    let y = try dropout(x, rate: 0.3)
    let values = try Session(graph: graph).run(y).doubles
    let zeros = Double(values.filter { $0 == 0 }.count) / Double(values.count)
    #expect(abs(zeros - 0.3) < 0.01)  // standard error 0.0014
    #expect(values.allSatisfy { $0 == 0 || abs($0 - 2 / 0.7) < 1e-12 })
    #expect(abs(Self.moments(values).mean - 2) < 0.02)  // standard error 0.0030
  }

  @Test func dropoutGradientReusesTheForwardMask() throws {
    let graph = Graph(seed: 11)
    let x = graph.placeholder(.float32, shape: [nil, 50], name: "x")
    let y = try dropout(x, rate: 0.5)
    let grad = try gradients(of: [y], withRespectTo: [x])[0]!
    let ones = try NDArray(shape: [4, 50], scalars: [Float](repeating: 1, count: 200))
    let session = Session(graph: graph)
    // With x = 1, y is the mask itself, and so must be the gradient of the same run.
    let values = try session.run([y, grad], feedDict: [x: ones])
    #expect(values[0] == values[1])
    #expect(Set(values[0].doubles) == [0, 2])
    // The mask op is not a gradient path: no gradient is computed for it.
    let plan = try session.explain(fetches: [grad], feeds: [x])
    #expect(plan.steps.filter { $0.type == "Mul" }.count == 2)
    #expect(y.op.name == "dropout/mul")
  }

  @Test func dropoutRateZeroIsTheIdentity() throws {
    let graph = Graph()
    let x = try graph.constant([1.0, -2, 3], shape: [3])
    #expect(try Session(graph: graph).run(dropout(x, rate: 0)).doubles == [1, -2, 3])
  }

  // MARK: - Errors

  @Test func mistakesAreNamedAndLeaveTheGraphUnchanged() throws {
    let graph = Graph()
    expectError(containing: "RandomUniform", "negative") {
      _ = try randomUniform(in: graph, shape: [2, -1])
    }
    expectError(containing: "RandomUniform", "minval 1", "maxval 1") {
      _ = try randomUniform(in: graph, shape: [2], minval: 1, maxval: 1)
    }
    expectError(containing: "RandomUniform", "bool") {
      _ = try randomUniform(in: graph, shape: [2], dtype: .bool)
    }
    expectError(containing: "RandomUniform", "int32 bounds") {
      _ = try randomUniform(in: graph, shape: [2], minval: 0, maxval: 2.5, dtype: .int32)
    }
    expectError(containing: "RandomNormal", "int32") {
      _ = try randomNormal(in: graph, shape: [2], dtype: .int32)
    }
    expectError(containing: "TruncatedNormal", "stddev -1") {
      _ = try truncatedNormal(in: graph, shape: [2], stddev: -1)
    }
    let x = graph.placeholder(.float32, shape: [3], name: "x")
    let ints = graph.placeholder(.int32, shape: [3], name: "ints")
    let count = graph.nodeCount
    expectError(containing: "DropoutMask", "rate 1") { _ = try dropout(x, rate: 1) }
    expectError(containing: "DropoutMask", "rate -0.1") { _ = try dropout(x, rate: -0.1) }
    expectError(containing: "dropout", "'ints'", "int32") { _ = try dropout(ints, rate: 0.5) }
    #expect(graph.nodeCount == count)
    #expect(try dropout(x, rate: 0.5).op.name == "dropout/mul")  // the scope name is free
  }
}
