import Frost
import Testing

/// The core issue's snippet, as written there (with `pixels`, `labels` and `batches`
/// supplied), compiled and trained: the user story the project is judged by.
@Suite("The project's snippet")
struct SnippetTests {
  @Test func snippetCompilesAsWrittenAndTrains() throws {
    // Synthetic stand-ins for the snippet's data: 550 examples whose label is the brightest
    // of ten pixel bands, so there is something to learn.
    var rng = PhiloxRandom(seed: 3)
    let count = 550
    var pixels: [Float] = []
    var labels: [Int32] = []
    for _ in 0..<count {
      let label = Int32(rng.next32() % 10)
      for p in 0..<784 {
        let band = p / 79
        pixels.append(Float(rng.nextFloat()) * 0.3 + (band == Int(label) ? 0.7 : 0))
      }
      labels.append(label)
    }

    let graph = Graph()
    // The snippet's names are the core issue's, verbatim (issue 2): `X` stays upper case.
    // swift-format-ignore: AlwaysUseLowerCamelCase
    let X = graph.placeholder(.float32, shape: [nil, 784], name: "X")
    let y = graph.placeholder(.int32, shape: [nil], name: "y")

    let hidden1 = try dense(X, units: 300, activation: .relu, name: "hidden1")
    let hidden2 = try dense(hidden1, units: 50, activation: .relu, name: "hidden2")
    let hidden3 = try dense(hidden2, units: 50, activation: .relu, name: "hidden3")
    let hidden4 = try dense(hidden3, units: 20, activation: .relu, name: "hidden4")
    let logits = try dense(hidden4, units: 10, name: "outputs")

    let xentropy = try sparseSoftmaxCrossEntropyWithLogits(labels: y, logits: logits)
    let loss = try reduceMean(xentropy, name: "loss")
    let trainVars = try graph.trainableVariables(scope: "hidden[34]|outputs")
    let trainingOp = try GradientDescentOptimizer(learningRate: 0.01)
      .minimize(loss, varList: trainVars)

    let session = Session(graph: graph)
    try session.run(graph.globalVariablesInitializer())

    let xTrain = try NDArray(shape: [550, 784], scalars: pixels)
    let yTrain = try NDArray(shape: [550], scalars: labels)

    let hidden1Before = try session.run(try graph.tensor(named: "hidden1/kernel"))
    let lossBefore = try session.run(loss, feedDict: [X: xTrain, y: yTrain]).scalar(as: Float.self)

    // Run the whole training set through the frozen layers once...
    let hidden2Outputs = try session.run(hidden2, feedDict: [X: xTrain])
    // ...then train by feeding hidden2: nothing below it is evaluated, and X needs no feed.
    for epoch in 0..<20 {
      let batches = try shuffledBatches(hidden2Outputs, yTrain, batchCount: 5, seed: UInt64(epoch))
      for (hidden2Batch, yBatch) in batches {
        try session.run(trainingOp, feedDict: [hidden2: hidden2Batch, y: yBatch])
      }
    }

    // A variable is fetched like any tensor; scalars come back with their type checked.
    let kernel3 = try graph.tensor(named: "hidden3/kernel")
    let weights: [Float] = try session.run(kernel3).scalars(as: Float.self)

    #expect(weights.count == 50 * 50)
    #expect(try session.run(try graph.tensor(named: "hidden1/kernel")) == hidden1Before)
    let lossAfter = try session.run(loss, feedDict: [X: xTrain, y: yTrain]).scalar(as: Float.self)
    #expect(lossAfter < lossBefore - 0.05, "loss \(lossBefore) -> \(lossAfter)")
    let plan = try session.explain(feeds: [hidden2, y], targets: [trainingOp])
    #expect(!plan.runsAnything(inScope: "hidden1"))
    #expect(!plan.runsAnything(inScope: "hidden2"))
    #expect(plan.missingPlaceholders.isEmpty)
  }
}
