import Foundation
import Testing

@testable import Frost

@Suite("Frozen cache")
struct FrozenCacheTests {
  /// X -> hidden1 -> hidden2 -> hidden3 -> loss, float64, trainable hidden3 only.
  struct Net {
    let graph = Graph()
    let x: Tensor
    let hidden2: Tensor
    let loss: Tensor
    let kernels: [Tensor]
    let train: Frost.Operation

    init() throws {
      let graph = self.graph
      x = graph.placeholder(.float64, shape: [nil, 4], name: "X")
      var h = x
      var kernels: [Tensor] = []
      var hidden2: Tensor?
      for (i, width) in [5, 3, 2].enumerated() {
        let input = h
        (h, kernels) = try graph.withNameScope("hidden\(i + 1)") {
          let kernel = try graph.variable(
            sample([input.shape.dims![1]!, width], seed: UInt64(i + 1)), name: "kernel")
          return (try relu(matmul(input, kernel)), kernels + [kernel])
        }
        if i == 1 { hidden2 = h }
      }
      self.hidden2 = hidden2!
      self.kernels = kernels
      loss = try reduceMean(h, name: "loss")
      train = try GradientDescentOptimizer(learningRate: 0.1)
        .minimize(loss, varList: try graph.trainableVariables(scope: "hidden3"))
    }
  }

  @Test func cacheMatchesEvaluatingTheTensorDirectly() throws {
    let net = try Net()
    let session = Session(graph: net.graph)
    try session.run(net.graph.globalVariablesInitializer())
    let data = sample([23, 4], seed: 9)
    let cache = try session.buildCache(
      of: net.hidden2, feeding: net.x, with: data, batchSize: 5, trainingOp: net.train,
      progress: .silent)
    #expect(cache.values == (try session.run(net.hidden2, feedDict: [net.x: data])))
    #expect(cache.dependencies.map(\.variable.name) == ["hidden1/kernel", "hidden2/kernel"])
    try cache.checkFresh(in: session)
    // Training from the cache leaves it fresh: nothing below the cut changes.
    for _ in 0..<3 {
      try session.run(net.train, feedDict: [net.hidden2: try cache.rows(0..<10, in: session)])
    }
    try cache.checkFresh(in: session)
  }

  @Test func refusesAVariableBelowTheCutThatTheTrainingOpWrites() throws {
    let net = try Net()
    let session = Session(graph: net.graph)
    try session.run(net.graph.globalVariablesInitializer())
    let everything = try GradientDescentOptimizer(learningRate: 0.1).minimize(net.loss)
    expectError(containing: "'hidden2/Relu'", "'hidden1/kernel'", "trained") {
      _ = try session.buildCache(
        of: net.hidden2, feeding: net.x, with: sample([3, 4]), trainingOp: everything,
        progress: .silent)
    }
    expectError(containing: "'hidden2/kernel'", "var list") {
      _ = try session.buildCache(
        of: net.hidden2, feeding: net.x, with: sample([3, 4]), varList: [net.kernels[1]],
        progress: .silent)
    }
  }

  @Test func aCacheIsStaleAfterARestoreOrAnAssignBelowTheCut() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let net = try Net()
    let session = Session(graph: net.graph)
    try session.run(net.graph.globalVariablesInitializer())
    let checkpoint = directory.file("pretrained.safetensors")
    try Saver(graph: net.graph).save(session, to: checkpoint)
    let cache = try session.buildCache(
      of: net.hidden2, feeding: net.x, with: sample([6, 4]), trainingOp: net.train,
      progress: .silent)
    try Saver(varList: [net.kernels[0]]).restore(session, from: checkpoint)
    expectError(containing: "'hidden2/Relu'", "stale", "'hidden1/kernel'") {
      try cache.checkFresh(in: session)
    }
    expectError(containing: "stale") { _ = try cache.rows(0..<2, in: session) }
  }

  @Test func onDiskCacheReloadsOnlyWhileValid() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let net = try Net()
    let session = Session(graph: net.graph)
    try session.run(net.graph.globalVariablesInitializer())
    let data = sample([8, 4], seed: 3)
    let path = directory.file("hidden2.cache.safetensors")
    let cache = try session.buildCache(
      of: net.hidden2, feeding: net.x, with: data, trainingOp: net.train, progress: .silent)
    try cache.save(to: path)

    // Another session with the same values (as a later process restoring the same
    // checkpoint) reloads it.
    let later = Session(graph: net.graph)
    try later.run(net.graph.globalVariablesInitializer())
    let loaded = try later.loadCache(
      from: path, of: net.hidden2, feeding: net.x, with: data, trainingOp: net.train)
    #expect(loaded.values == cache.values)
    try loaded.checkFresh(in: later)

    // Other data, or a changed variable below the cut: refused.
    expectError(containing: "stale") {
      _ = try later.loadCache(
        from: path, of: net.hidden2, feeding: net.x, with: sample([8, 4], seed: 4),
        trainingOp: net.train)
    }
    try later.run(assign(net.kernels[0], net.kernels[0] * 2))
    expectError(containing: "stale") {
      _ = try later.loadCache(
        from: path, of: net.hidden2, feeding: net.x, with: data, trainingOp: net.train)
    }
    expectError(containing: "'hidden2/Relu'") {
      _ = try later.loadCache(
        from: path, of: net.loss, feeding: net.x, with: data, trainingOp: net.train)
    }
  }
}

@Suite("Frozen cache refusals")
struct FrozenCacheRefusalTests {
  @Test func refusesDropoutBelowTheCut() throws {
    let graph = Graph(seed: 1)
    let x = graph.placeholder(.float32, shape: [nil, 4], name: "X")
    let training = try placeholderWithDefault(
      graph.constant(NDArray(false)), shape: .scalar, name: "training")
    let hidden1 = try dense(x, units: 3, activation: .relu, name: "hidden1")
    let dropped = try dropout(hidden1, rate: 0.5, training: training, name: "drop")
    let hidden2 = try dense(dropped, units: 2, activation: .relu, name: "hidden2")
    let session = Session(graph: graph)
    try session.run(graph.globalVariablesInitializer())
    // Even with the flag pinned to false the dropout op is on the path: refused, naming it.
    expectError(containing: "'hidden2/Relu'", "random op", "drop/dropped/mask") {
      _ = try session.buildCache(
        of: hidden2, feeding: x, with: sample([4, 4]).converted(to: .float32),
        pinned: [training: NDArray(false)], progress: .silent)
    }
  }

  @Test func refusesBatchNormWithAnUnpinnedFlagAndAcceptsItPinned() throws {
    let graph = Graph(seed: 1)
    let x = graph.placeholder(.float32, shape: [nil, 4], name: "X")
    let training = try placeholderWithDefault(
      graph.constant(NDArray(false)), shape: .scalar, name: "training")
    let hidden1 = try dense(x, units: 3, name: "hidden1")
    let normalized = try batchNormalization(hidden1, training: training, name: "bn1")
    let hidden2 = try relu(normalized, name: "hidden2")
    let session = Session(graph: graph)
    try session.run(graph.globalVariablesInitializer())
    let data = sample([6, 4]).converted(to: .float32)
    expectError(containing: "'hidden2'", "'training'", "pin") {
      _ = try session.buildCache(of: hidden2, feeding: x, with: data, progress: .silent)
    }
    let cache = try session.buildCache(
      of: hidden2, feeding: x, with: data, pinned: [training: NDArray(false)], progress: .silent)
    #expect(
      cache.values
        == (try session.run(hidden2, feedDict: [x: data, training: NDArray(false)])))
  }
}

@Suite("Frozen cache, two modes")
struct FrozenCacheTwoModeTests {
  /// The benchmark's experiment in small: the same training from the same weights with the
  /// same batches, feeding inputs (uncached) or the cache of hidden2 (cached).
  @Test func uncachedAndCachedTrainingAgree() throws {
    let rows = 2_000
    var rng = PhiloxRandom(seed: 11)
    var pixels: [Float] = []
    var labels: [Int32] = []
    for _ in 0..<rows {
      let label = Int32(rng.next32() % 10)
      for p in 0..<784 { pixels.append(rng.nextFloat() * 0.5 + (p / 79 == Int(label) ? 0.5 : 0)) }
      labels.append(label)
    }
    let x = try NDArray(shape: [rows, 784], scalars: pixels)
    let y = try NDArray(shape: [rows], scalars: labels)

    let graph = Graph(seed: 5)
    let inputs = graph.placeholder(.float32, shape: [nil, 784], name: "inputs")
    let targets = graph.placeholder(.int32, shape: [nil], name: "y")
    let hidden1 = try dense(inputs, units: 300, activation: .relu, name: "hidden1")
    let hidden2 = try dense(hidden1, units: 50, activation: .relu, name: "hidden2")
    let hidden3 = try dense(hidden2, units: 50, activation: .relu, name: "hidden3")
    let hidden4 = try dense(hidden3, units: 20, activation: .relu, name: "hidden4")
    let logits = try dense(hidden4, units: 10, name: "outputs")
    let loss = try reduceMean(sparseSoftmaxCrossEntropyWithLogits(labels: targets, logits: logits))
    let trained = try graph.trainableVariables(scope: "hidden[34]|outputs")
    let step = try GradientDescentOptimizer(learningRate: 0.01).minimize(loss, varList: trained)

    let sessions = try (0..<2).map { _ in
      let session = Session(graph: graph)
      try session.run(graph.globalVariablesInitializer())
      return session
    }
    let cache = try sessions[1].buildCache(
      of: hidden2, feeding: inputs, with: x, batchSize: 500, trainingOp: step, progress: .silent)
    for epoch in 0..<2 {
      let uncached = try shuffledBatches(x, y, batchCount: 20, seed: UInt64(epoch))
      let cached = try shuffledBatches(cache.values, y, batchCount: 20, seed: UInt64(epoch))
      for (a, b) in zip(uncached, cached) {
        try sessions[0].run(step, feedDict: [inputs: a.x, targets: a.y])
        try sessions[1].run(step, feedDict: [hidden2: b.x, targets: b.y])
      }
    }
    // OpenBLAS computes a row's product with bits that depend on the row's position in
    // the batch (its micro-kernel handles edge rows differently), so hidden2 from a
    // shuffled batch and from the cache may differ in the last bit; the trained weights
    // then agree to float32 rounding, not bit for bit.
    for variable in trained {
      let a = try sessions[0].run(variable).doubles
      let b = try sessions[1].run(variable).doubles
      expectClose(a, b, tolerance: 1e-5)
    }
    #expect(
      try sessions[0].run(graph.tensor(named: "hidden1/kernel"))
        == sessions[1].run(graph.tensor(named: "hidden1/kernel")))
  }
}
