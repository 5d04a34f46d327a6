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
