import Foundation
import Frost

/// The persistence issue's reuse flow, end to end, on Fashion-MNIST (Docs/reuse.md walks
/// through the same code).
///
/// 1. Model A, the project's 784-300-50-50-20-10 ReLU network (`hidden1`...`hidden4`,
///    `outputs`, He-initialized hidden layers), trains with Adam on classes 0–4; its graph
///    and checkpoint are saved.
/// 2. In a new graph and session, model B is built in code with the same layer names:
///    `hidden1` and `hidden2` are restored from A's checkpoint file (a `Saver` over those
///    four variables), `hidden3`, `hidden4` and `outputs` are fresh, and plain gradient
///    descent trains only `trainedScope` on classes 5–9, feeding hidden2's outputs computed
///    once (the frozen layers never change, so caching them is exact).
/// 3. B's graph and checkpoint are saved.
///
/// Small enough for a debug build: `examplesPerGroup` training examples per class group,
/// `epochs` epochs of batches of `batchSize`.
enum ReuseFlow {
  /// The files the flow writes.
  static let graphA = "model_a.json"
  static let checkpointA = "model_a.safetensors"
  static let graphB = "model_b.json"
  static let checkpointB = "model_b.safetensors"

  /// The layers model B reuses from model A, and their variables.
  static let reusedLayers = ["hidden1", "hidden2"]
  static let reusedVariables = reusedLayers.flatMap { ["\($0)/kernel", "\($0)/bias"] }

  /// The scope regex of the variables B trains (`trainableVariables(scope:)`).
  static let trainedScope = "hidden[34]|outputs"

  /// The classes each model learns.
  static let classesA = 0..<5
  static let classesB = 5..<10

  static let examplesPerGroup = 2_000
  static let epochs = 2
  static let batchSize = 50
  /// Test images of classes 5–9 whose logits B's restored copies must reproduce.
  static let probeCount = 100

  /// The graph seeds of A and B: B's fresh layers start from values of their own.
  static let seedA: UInt64 = 42
  static let seedB: UInt64 = 7

  /// One model's graph and the tensors the flow uses.
  struct Model: Sendable {
    let graph: Graph
    let x: Tensor
    let y: Tensor
    let hidden2: Tensor
    let logits: Tensor
    let loss: Tensor
    let train: Frost.Operation
  }

  /// Builds the network in `graph`, with its loss and `optimizer`'s training op over the
  /// trainable variables matching `trainedScope` (all of them when `nil`).
  static func buildModel(
    in graph: Graph, optimizer: some Optimizer, trainedScope: String?
  ) throws -> Model {
    let x = graph.placeholder(.float32, shape: [nil, 784], name: "X")
    let y = graph.placeholder(.int32, shape: [nil], name: "y")
    let he = Initializer.heNormal()
    let hidden1 = try dense(
      x, units: 300, activation: .relu, kernelInitializer: he, name: "hidden1")
    let hidden2 = try dense(
      hidden1, units: 50, activation: .relu, kernelInitializer: he, name: "hidden2")
    let hidden3 = try dense(
      hidden2, units: 50, activation: .relu, kernelInitializer: he, name: "hidden3")
    let hidden4 = try dense(
      hidden3, units: 20, activation: .relu, kernelInitializer: he, name: "hidden4")
    let logits = try dense(hidden4, units: 10, name: "outputs")
    let crossEntropy = try sparseSoftmaxCrossEntropyWithLogits(labels: y, logits: logits)
    let loss = try reduceMean(crossEntropy, name: "loss")
    let train = try optimizer.minimize(
      loss, varList: graph.trainableVariables(scope: trainedScope))
    return Model(
      graph: graph, x: x, y: y, hidden2: hidden2, logits: logits, loss: loss, train: train)
  }

  /// Model A: every layer trains, with Adam (so its checkpoint also holds Adam's slots).
  static func buildModelA() throws -> Model {
    try buildModel(in: Graph(seed: seedA), optimizer: AdamOptimizer(), trainedScope: nil)
  }

  /// Model B: only `trainedScope` trains, with plain gradient descent (the training op is
  /// named `GradientDescent`).
  static func buildModelB() throws -> Model {
    try buildModel(
      in: Graph(seed: seedB), optimizer: GradientDescentOptimizer(learningRate: 0.05),
      trainedScope: trainedScope)
  }

  /// What a run of the flow produced.
  struct Run: Sendable {
    /// The bytes of the four files, by file name.
    let files: [String: [UInt8]]
    /// Model A's mean loss on its training examples before and after training.
    let lossA: (before: Float, after: Float)
    /// Model B's mean loss on its training examples before and after training.
    let lossB: (before: Float, after: Float)
    /// Model B's graph and the session that trained it.
    let modelB: Model
    let sessionB: Session
    /// The values of `reusedVariables` in B's session after training.
    let reusedAfterTraining: [String: NDArray]
    /// `probeCount` test images of classes 5–9, and B's logits on them after training.
    let probe: NDArray
    let outputsB: NDArray
    /// The examples each model trained on.
    let dataA: LabeledData
    let dataB: LabeledData

    /// Writes the four files into `directory`; returns the path of each, by file name.
    @discardableResult
    func write(to directory: String) throws -> [String: String] {
      var paths: [String: String] = [:]
      for (name, bytes) in files {
        let path = directory + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        paths[name] = path
      }
      return paths
    }
  }

  /// Runs the whole flow on `data`, writing the four files into `directory`.
  static func run(on data: MNISTDataset, in directory: String) throws -> Run {
    let path = { (name: String) in directory + "/" + name }
    let dataA = try data.train.filtered(classes: classesA).prefix(examplesPerGroup)
    let dataB = try data.train.filtered(classes: classesB).prefix(examplesPerGroup)

    // Step 1: train A on classes 0–4, save its graph and its checkpoint.
    let modelA = try buildModelA()
    let sessionA = Session(graph: modelA.graph)
    try sessionA.run(modelA.graph.globalVariablesInitializer())
    let lossA = try train(modelA, in: sessionA, on: dataA, feeding: modelA.x, with: dataA.images)
    try modelA.graph.export(to: path(graphA))
    try Saver(graph: modelA.graph).save(
      sessionA, to: path(checkpointA),
      metadata: ["classes": "0-4", "global_step": String(steps(dataA))])

    // Step 2, as a new process would: B in code, hidden1 and hidden2 restored from A's
    // checkpoint over freshly initialized variables, the upper layers trained on 5–9.
    let modelB = try buildModelB()
    let graph = modelB.graph
    let sessionB = Session(graph: graph)
    try sessionB.run(graph.globalVariablesInitializer())
    let reused = try reusedVariables.map { try graph.tensor(named: $0) }
    try Saver(varList: reused).restore(sessionB, from: path(checkpointA))
    let cached = try sessionB.run(modelB.hidden2, feedDict: [modelB.x: dataB.images])
    let lossB = try train(modelB, in: sessionB, on: dataB, feeding: modelB.hidden2, with: cached)

    // Step 3: B's graph and its checkpoint.
    try graph.export(to: path(graphB))
    try Saver(graph: graph).save(
      sessionB, to: path(checkpointB),
      metadata: [
        "classes": "5-9", "global_step": String(steps(dataB)), "reused_from": checkpointA,
      ])

    let probe = try data.test.filtered(classes: classesB).prefix(probeCount).images
    var files: [String: [UInt8]] = [:]
    for name in [graphA, checkpointA, graphB, checkpointB] {
      files[name] = try bytesOfFile(path(name))
    }
    return Run(
      files: files, lossA: lossA, lossB: lossB, modelB: modelB, sessionB: sessionB,
      reusedAfterTraining: Dictionary(
        uniqueKeysWithValues: zip(reusedVariables, try sessionB.run(reused))),
      probe: probe, outputsB: try sessionB.run(modelB.logits, feedDict: [modelB.x: probe]),
      dataA: dataA, dataB: dataB)
  }

  /// The training steps of `train(_:in:on:feeding:with:)` on `data`.
  static func steps(_ data: LabeledData) -> Int { epochs * (data.count / batchSize) }

  /// Trains `model` for `epochs` epochs of shuffled batches, feeding `input` (X, or the
  /// cached output of a frozen layer) with `inputs`; returns the mean loss on all of `data`
  /// before and after.
  static func train(
    _ model: Model, in session: Session, on data: LabeledData, feeding input: Tensor,
    with inputs: NDArray
  ) throws -> (before: Float, after: Float) {
    let lossFeed = [input: inputs, model.y: data.labels]
    let before = try session.run(model.loss, feedDict: lossFeed).scalar(as: Float.self)
    for epoch in 0..<epochs {
      let batches = try shuffledBatches(
        inputs, data.labels, batchCount: data.count / batchSize, seed: UInt64(epoch))
      for (batch, labels) in batches {
        try session.run(model.train, feedDict: [input: batch, model.y: labels])
      }
    }
    let after = try session.run(model.loss, feedDict: lossFeed).scalar(as: Float.self)
    return (before, after)
  }

  /// The flow run once per test process on the installed Fashion-MNIST, or why it could
  /// not run.
  static let shared: Result<Run, any Error> = Result {
    let data = try FashionMNIST.load()
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    return try run(on: data, in: directory.path)
  }

  /// Why the shared run is unavailable, with what to install when that is the reason.
  struct Unavailable: Error, CustomStringConvertible {
    let description: String
  }

  /// The shared run. A missing Fashion-MNIST is an error that says what to install, so a
  /// test that needs the flow fails rather than passing without checking anything.
  static func sharedRun() throws -> Run {
    switch shared {
    case .success(let run):
      return run
    case .failure(let error as FrostError):
      guard case .notFound = error else {
        throw Unavailable(description: "the reuse flow failed: \(error)")
      }
      throw Unavailable(
        description: "Fashion-MNIST is not installed, so the reuse flow cannot run: install"
          + " the Debian package \(FashionMNIST.debianPackage) (apt-get install"
          + " \(FashionMNIST.debianPackage)); \(error)")
    case .failure(let error):
      throw Unavailable(description: "the reuse flow failed: \(error)")
    }
  }
}
