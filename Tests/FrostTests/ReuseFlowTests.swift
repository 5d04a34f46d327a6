import Foundation
import Testing

@testable import Frost

/// The persistence issue's reuse flow on Fashion-MNIST (`ReuseFlow`, Docs/reuse.md): the
/// reused layers stay bit for bit A's, the new ones learn, and B's checkpoint reproduces B.
@Suite("Reuse flow")
struct ReuseFlowTests {
  /// The bit patterns of a float32 array: `==` on floats would let -0 pass for 0.
  func bits(_ array: NDArray) throws -> [UInt32] {
    try array.scalars(as: Float.self).map(\.bitPattern)
  }

  @Test func reusedLayersStayBitIdenticalAndBReproducesFromItsCheckpoint() throws {
    let run = try ReuseFlow.sharedRun()
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let paths = try run.write(to: directory.path)
    let checkpointA = try SafetensorsFile(path: paths[ReuseFlow.checkpointA]!)
    let checkpointB = try SafetensorsFile(path: paths[ReuseFlow.checkpointB]!)

    // Both models learned.
    #expect(run.lossA.after < run.lossA.before * 0.6, "A's loss \(run.lossA)")
    #expect(run.lossB.after < run.lossB.before * 0.6, "B's loss \(run.lossB)")

    // hidden1 and hidden2 are A's, bit for bit, in B's session after training and in B's
    // checkpoint.
    for name in ReuseFlow.reusedVariables {
      let saved = try bits(checkpointA.array(named: name))
      #expect(try bits(run.reusedAfterTraining[name]!) == saved, "\(name) in B's session")
      #expect(try bits(checkpointB.array(named: name)) == saved, "\(name) in B's checkpoint")
    }

    // The upper layers are B's own: new values, not A's.
    for name in ["hidden3/kernel", "hidden4/kernel", "outputs/kernel", "outputs/bias"] {
      #expect(
        try bits(checkpointB.array(named: name)) != bits(checkpointA.array(named: name)), "\(name)")
    }

    // A's checkpoint holds its Adam state too; B's holds only B's ten variables.
    #expect(checkpointA.names.contains("hidden1/kernel/Adam"))
    #expect(checkpointA.names.contains("beta1_power"))
    #expect(checkpointB.names == run.modelB.graph.globalVariables().map(\.name).sorted())
    #expect(checkpointA.metadata == ["classes": "0-4", "global_step": "80"])
    #expect(
      checkpointB.metadata
        == ["classes": "5-9", "global_step": "80", "reused_from": "model_a.safetensors"])

    // A fresh session on B's graph, restored from B's checkpoint, gives B's outputs exactly.
    let graph = run.modelB.graph
    let session = Session(graph: graph)
    try Saver(graph: graph).restore(session, from: paths[ReuseFlow.checkpointB]!)
    let restored = try session.run(run.modelB.logits, feedDict: [run.modelB.x: run.probe])
    #expect(try bits(restored) == bits(run.outputsB))

    // So does B's graph imported from its file: the outputs are found by name.
    let imported = try Graph(importing: paths[ReuseFlow.graphB]!)
    let importedSession = Session(graph: imported)
    try Saver(graph: imported).restore(importedSession, from: paths[ReuseFlow.checkpointB]!)
    let importedOutputs = try importedSession.run(
      imported.tensor(named: "outputs/BiasAdd"),
      feedDict: [imported.tensor(named: "X"): run.probe])
    #expect(try bits(importedOutputs) == bits(run.outputsB))
  }

  /// After an import, A's tensors and training op are found by name, a checkpoint restores
  /// every variable with Adam's slots, and the training op built before the export trains.
  @Test func importedModelAIsFoundByNameAndItsTrainingOpStillTrains() throws {
    let run = try ReuseFlow.sharedRun()
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let paths = try run.write(to: directory.path)

    let graph = try Graph(importing: paths[ReuseFlow.graphA]!)
    let x = try graph.tensor(named: "X")
    let y = try graph.tensor(named: "y")
    let hidden2 = try graph.tensor(named: "hidden2/Relu")
    let loss = try graph.tensor(named: "loss")
    let train = try graph.operation(named: "Adam")
    #expect(hidden2.shape == [nil, 50])
    #expect(try graph.trainableVariables().count == 10)
    #expect(graph.globalVariables().count == 32)  // 10, two Adam slots each, two β powers

    let session = Session(graph: graph)
    try Saver(graph: graph).restore(session, from: paths[ReuseFlow.checkpointA]!)
    let checkpoint = try SafetensorsFile(path: paths[ReuseFlow.checkpointA]!)
    for name in ["hidden1/kernel", "hidden1/kernel/Adam", "outputs/bias/Adam_1", "beta1_power"] {
      #expect(
        try bits(session.run(graph.tensor(named: name))) == bits(checkpoint.array(named: name)))
    }

    // A few more steps of A's own training op, on one batch of its classes.
    let batch = try run.dataA.prefix(200)
    let feed = [x: batch.images, y: batch.labels]
    let kernel = try graph.tensor(named: "hidden1/kernel")
    let kernelBefore = try session.run(kernel)
    let power = try session.run(graph.tensor(named: "beta1_power")).scalar(as: Float.self)
    let before = try session.run(loss, feedDict: feed).scalar(as: Float.self)
    for _ in 0..<5 { try session.run(train, feedDict: feed) }
    let after = try session.run(loss, feedDict: feed).scalar(as: Float.self)
    #expect(after < before, "loss \(before) -> \(after)")
    #expect(try session.run(kernel) != kernelBefore)
    // Adam resumed from its restored state: β₁ᵗ went on from the checkpoint's value.
    let powerAfter = try session.run(graph.tensor(named: "beta1_power")).scalar(as: Float.self)
    #expect(powerAfter == power * 0.9 * 0.9 * 0.9 * 0.9 * 0.9)
  }

  /// The book's other way: import A under a scope, take its `hidden2` by name, build new
  /// layers on top, and restore hidden1 and hidden2 under the checkpoint's keys.
  @Test func newLayersOnAnImportedGraphUnderAScope() throws {
    let run = try ReuseFlow.sharedRun()
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let paths = try run.write(to: directory.path)

    let graph = Graph(seed: 3)
    try graph.importGraph(from: paths[ReuseFlow.graphA]!, scope: "a")
    let x = try graph.tensor(named: "a/X")
    let hidden2 = try graph.tensor(named: "a/hidden2/Relu")
    let y = graph.placeholder(.int32, shape: [nil], name: "y")
    let hidden3 = try dense(hidden2, units: 50, activation: .relu, name: "hidden3")
    let hidden4 = try dense(hidden3, units: 20, activation: .relu, name: "hidden4")
    let logits = try dense(hidden4, units: 10, name: "outputs")
    let loss = try reduceMean(
      sparseSoftmaxCrossEntropyWithLogits(labels: y, logits: logits), name: "loss")
    let trained = try graph.trainableVariables(scope: ReuseFlow.trainedScope)
    #expect(trained.map(\.name).allSatisfy { !$0.hasPrefix("a/") } && trained.count == 6)
    let train = try GradientDescentOptimizer(learningRate: 0.05).minimize(loss, varList: trained)

    let session = Session(graph: graph)
    try session.run(graph.globalVariablesInitializer())
    var mapping: [String: Tensor] = [:]
    for name in ReuseFlow.reusedVariables { mapping[name] = try graph.tensor(named: "a/" + name) }
    try Saver(mapping).restore(session, from: paths[ReuseFlow.checkpointA]!)

    let batch = try run.dataB.prefix(200)
    let feed = [x: batch.images, y: batch.labels]
    let before = try session.run(loss, feedDict: feed).scalar(as: Float.self)
    for _ in 0..<5 { try session.run(train, feedDict: feed) }
    let after = try session.run(loss, feedDict: feed).scalar(as: Float.self)
    #expect(after < before, "loss \(before) -> \(after)")
    let checkpoint = try SafetensorsFile(path: paths[ReuseFlow.checkpointA]!)
    for (name, variable) in mapping {
      #expect(try bits(session.run(variable)) == bits(checkpoint.array(named: name)), "\(name)")
    }
  }

  /// A restore that cannot fit names the file and the key, and changes nothing.
  @Test func restoresThatDoNotFitAreRefused() throws {
    let run = try ReuseFlow.sharedRun()
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let paths = try run.write(to: directory.path)

    // All of A, Adam's state included, from B's checkpoint, which has none.
    let modelA = try ReuseFlow.buildModelA()
    let session = Session(graph: modelA.graph)
    try session.run(modelA.graph.globalVariablesInitializer())
    let kernel = try modelA.graph.tensor(named: "hidden1/kernel")
    let before = try session.run(kernel)
    expectError(containing: ReuseFlow.checkpointB, "no tensor 'beta1_power'") {
      try Saver(graph: modelA.graph).restore(session, from: paths[ReuseFlow.checkpointB]!)
    }
    #expect(try session.run(kernel) == before)

    // hidden2 of another width.
    let graph = Graph()
    let x = graph.placeholder(.float32, shape: [nil, 784], name: "X")
    _ = try dense(dense(x, units: 300, name: "hidden1"), units: 100, name: "hidden2")
    let wide = Session(graph: graph)
    try wide.run(graph.globalVariablesInitializer())
    expectError(containing: "'hidden2/bias'", "F32 (50,)", "float32 (100,)") {
      try Saver(graph: graph).restore(wide, from: paths[ReuseFlow.checkpointA]!)
    }

    // Model B's graph file is not a checkpoint, and the other way round.
    expectError(containing: ReuseFlow.graphB) {
      _ = try SafetensorsFile(path: paths[ReuseFlow.graphB]!)
    }
    expectError(containing: ReuseFlow.checkpointB, "not a JSON graph file") {
      _ = try Graph(importing: paths[ReuseFlow.checkpointB]!)
    }
  }
}
