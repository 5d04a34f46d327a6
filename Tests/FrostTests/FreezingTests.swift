import Testing

@testable import Frost

/// Freezing the lower layers (the book's reuse of a pretrained network): variables outside
/// the var list are never written by the training op, bit for bit, and its plan builds and
/// runs no gradient or update for them.
@Suite("Freezing layers")
struct FreezingTests {
  /// Synthetic examples for the project's network: the label is the brightest of ten pixel
  /// bands.
  static func examples(count: Int, seed: UInt64) throws -> (x: NDArray, y: NDArray) {
    var rng = PhiloxRandom(seed: seed)
    var pixels: [Float] = []
    var labels: [Int32] = []
    for _ in 0..<count {
      let label = Int32(rng.next32() % 10)
      for p in 0..<784 {
        pixels.append(Float(rng.nextFloat()) * 0.3 + (p / 79 == Int(label) ? 0.7 : 0))
      }
      labels.append(label)
    }
    return (try NDArray(shape: [count, 784], scalars: pixels), NDArray(labels))
  }

  /// Values and versions of `variables` in `session`.
  static func snapshot(_ variables: [Tensor], in session: Session) throws
    -> [(value: NDArray, version: UInt64)]
  {
    try variables.map { (try session.run($0), try session.version(of: $0)) }
  }

  static func expectUnchanged(
    _ variables: [Tensor], since before: [(value: NDArray, version: UInt64)], in session: Session,
    sourceLocation: SourceLocation = #_sourceLocation
  ) throws {
    for (variable, old) in zip(variables, before) {
      #expect(
        try session.run(variable) == old.value, "\(variable.name) changed",
        sourceLocation: sourceLocation)
      #expect(
        try session.version(of: variable) == old.version, "\(variable.name) was written",
        sourceLocation: sourceLocation)
    }
  }

  /// The project's 784-300-50-50-20-10 network with hidden1 and hidden2 frozen.
  @Test func theProjectsNetworkTrainsOnlyItsUpperLayers() throws {
    let graph = Graph(seed: 1)
    let x = graph.placeholder(.float32, shape: [nil, 784], name: "X")
    let y = graph.placeholder(.int32, shape: [nil], name: "y")
    let hidden1 = try dense(x, units: 300, activation: .relu, name: "hidden1")
    let hidden2 = try dense(hidden1, units: 50, activation: .relu, name: "hidden2")
    let hidden3 = try dense(hidden2, units: 50, activation: .relu, name: "hidden3")
    let hidden4 = try dense(hidden3, units: 20, activation: .relu, name: "hidden4")
    let logits = try dense(hidden4, units: 10, name: "outputs")
    let loss = try reduceMean(
      sparseSoftmaxCrossEntropyWithLogits(labels: y, logits: logits), name: "loss")
    let trainVars = try graph.trainableVariables(scope: "hidden[34]|outputs")
    #expect(
      trainVars.map(\.name) == [
        "hidden3/kernel", "hidden3/bias", "hidden4/kernel", "hidden4/bias", "outputs/kernel",
        "outputs/bias",
      ])
    let trainingOp = try GradientDescentOptimizer(learningRate: 0.05)
      .minimize(loss, varList: trainVars)

    // No gradient of the frozen layers is even built.
    let gradientOps = graph.operations.map(\.name).filter { $0.hasPrefix("gradients/") }
    #expect(!gradientOps.isEmpty)
    #expect(!gradientOps.contains { $0.hasPrefix("gradients/hidden1/") })
    #expect(!gradientOps.contains { $0.hasPrefix("gradients/hidden2/") })

    let session = Session(graph: graph)
    try session.run(graph.globalVariablesInitializer())
    let frozen = try graph.trainableVariables(scope: "hidden[12]")
    #expect(frozen.count == 4)
    let before = try Self.snapshot(frozen, in: session)
    let upperBefore = try session.run(trainVars[0])

    // Train through the whole network (X fed), then from cached hidden2 outputs.
    let (xTrain, yTrain) = try Self.examples(count: 200, seed: 3)
    let lossBefore = try session.run(loss, feedDict: [x: xTrain, y: yTrain]).doubles[0]
    for epoch in 0..<3 {
      let batches = try shuffledBatches(xTrain, yTrain, batchCount: 4, seed: UInt64(epoch))
      for (xBatch, yBatch) in batches {
        try session.run(trainingOp, feedDict: [x: xBatch, y: yBatch])
      }
    }
    let cached = try session.run(hidden2, feedDict: [x: xTrain])
    for _ in 0..<3 { try session.run(trainingOp, feedDict: [hidden2: cached, y: yTrain]) }

    try Self.expectUnchanged(frozen, since: before, in: session)
    #expect(try session.run(trainVars[0]) != upperBefore)
    let lossAfter = try session.run(loss, feedDict: [x: xTrain, y: yTrain]).doubles[0]
    #expect(lossAfter < lossBefore, "loss \(lossBefore) -> \(lossAfter)")

    // Fed at hidden2, the plan runs nothing of hidden1 or hidden2, and needs no X.
    let cut = try session.explain(feeds: [hidden2, y], targets: [trainingOp])
    #expect(!cut.runsAnything(inScope: "hidden1") && !cut.runsAnything(inScope: "hidden2"))
    #expect(
      !cut.steps.contains {
        $0.name.hasPrefix("gradients/hidden1/") || $0.name.hasPrefix("gradients/hidden2/")
      })
    #expect(Set(cut.cuts) == ["hidden2/Relu", "y"])
    #expect(cut.missingPlaceholders.isEmpty)

    // Fed at X (or not fed at all), it runs their forward ops (the variables are read) and
    // nothing else of theirs: no gradient, no update, no assignment.
    let forward = [
      "hidden1/kernel", "hidden1/bias", "hidden1/MatMul", "hidden1/BiasAdd", "hidden1/Relu",
      "hidden2/kernel", "hidden2/bias", "hidden2/MatMul", "hidden2/BiasAdd", "hidden2/Relu",
    ]
    let updates = trainVars.map { "GradientDescent/update_\($0.name)/ApplyGradientDescent" }
    for feeds in [[x, y], []] {
      let plan = try session.explain(feeds: feeds, targets: [trainingOp])
      let names = plan.steps.map(\.name)
      #expect(
        Set(names.filter { $0.hasPrefix("hidden1/") || $0.hasPrefix("hidden2/") })
          == Set(forward))
      #expect(!names.contains { $0.hasPrefix("gradients/hidden1/") })
      #expect(!names.contains { $0.hasPrefix("gradients/hidden2/") })
      #expect(plan.steps.filter { $0.type.hasPrefix("Apply") }.map(\.name) == updates)
      #expect(!plan.steps.contains { $0.type == "Assign" })
      #expect(plan.missingPlaceholders == (feeds.isEmpty ? ["X", "y"] : []))
    }
  }

  /// A regularized model trained by Adam on its upper layers: the lower layer's penalty is in
  /// the loss, yet its variables are not written, have no slots, and get no gradient.
  @Test func regularizationLossesAndSlotsNeverReachFrozenVariables() throws {
    func build() throws -> (Graph, Tensor, Tensor, Tensor) {
      let graph = Graph(seed: 2)
      let x = graph.placeholder(.float64, shape: [nil, 20], name: "X")
      let y = graph.placeholder(.int32, shape: [nil], name: "y")
      var layer = x
      for (name, units) in [("hidden1", 16), ("hidden2", 8)] {
        layer = try dense(
          layer, units: units, activation: .relu, kernelRegularizer: .l2(0.01), name: name)
      }
      let logits = try dense(layer, units: 4, kernelRegularizer: .l2(0.01), name: "outputs")
      let base = try reduceMean(sparseSoftmaxCrossEntropyWithLogits(labels: y, logits: logits))
      let loss = try add(base, addN(graph.regularizationLosses()), name: "loss")
      return (graph, x, y, loss)
    }
    let xValue = sample([32, 20], seed: 21)
    let yValue = NDArray((0..<32).map { Int32($0 % 4) })

    let (graph, x, y, loss) = try build()
    #expect(graph.regularizationLosses().count == 3)
    let upper = try graph.trainableVariables(scope: "hidden2|outputs")
    let trainingOp = try AdamOptimizer(learningRate: 0.01).minimize(loss, varList: upper)
    let frozen = try graph.trainableVariables(scope: "hidden1")
    #expect(frozen.map(\.name) == ["hidden1/kernel", "hidden1/bias"])

    // Slots for the trained variables only.
    let variableNames = graph.globalVariables().map(\.name)
    #expect(
      variableNames.filter { $0.hasPrefix("hidden1/") } == ["hidden1/kernel", "hidden1/bias"])
    for name in ["hidden2/kernel/Adam", "hidden2/kernel/Adam_1", "outputs/bias/Adam_1"] {
      #expect(variableNames.contains(name), "missing slot \(name)")
    }
    // Not even the gradient of hidden1's own penalty is built.
    #expect(!graph.operations.contains { $0.name.hasPrefix("gradients/hidden1/") })

    let session = Session(graph: graph)
    try session.run(graph.globalVariablesInitializer())
    let before = try Self.snapshot(frozen, in: session)
    let upperBefore = try Self.snapshot(upper, in: session)
    for _ in 0..<5 { try session.run(trainingOp, feedDict: [x: xValue, y: yValue]) }
    try Self.expectUnchanged(frozen, since: before, in: session)
    for (variable, old) in zip(upper, upperBefore) {
      #expect(try session.run(variable) != old.value, "\(variable.name) did not train")
      #expect(try session.version(of: variable) == old.version + 5)
    }

    // The control: the same model trained on every variable does move hidden1.
    let (controlGraph, cx, cy, controlLoss) = try build()
    let all = try AdamOptimizer(learningRate: 0.01).minimize(controlLoss)
    let control = Session(graph: controlGraph)
    try control.run(controlGraph.globalVariablesInitializer())
    let kernel = try controlGraph.tensor(named: "hidden1/kernel")
    // The same seeds: the same starting weights as the frozen run.
    #expect(try control.run(kernel) == before[0].value)
    for _ in 0..<5 { try control.run(all, feedDict: [cx: xValue, cy: yValue]) }
    #expect(try control.run(kernel) != before[0].value)
  }
}
