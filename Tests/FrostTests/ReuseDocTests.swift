import Foundation
import Frost
import Testing

// Docs/reuse.md's Swift code, compiled with the tests so that the page keeps compiling
// against the API; `docsHoldThisCode` checks that the page and this file hold the same code,
// line for line. ReuseFlowTests runs the same flow and checks its results.

// BEGIN Docs/reuse.md
/// The network's inputs, the output of its hidden2 layer, its logits and its loss.
struct Network {
  let x: Tensor
  let y: Tensor
  let hidden2: Tensor
  let logits: Tensor
  let loss: Tensor
}

func buildNetwork(in graph: Graph) throws -> Network {
  let x = graph.placeholder(.float32, shape: [nil, 784], name: "X")
  let y = graph.placeholder(.int32, shape: [nil], name: "y")
  let he = Initializer.heNormal()
  let hidden1 = try dense(x, units: 300, activation: .relu, kernelInitializer: he, name: "hidden1")
  let hidden2 = try dense(
    hidden1, units: 50, activation: .relu, kernelInitializer: he, name: "hidden2")
  let hidden3 = try dense(
    hidden2, units: 50, activation: .relu, kernelInitializer: he, name: "hidden3")
  let hidden4 = try dense(
    hidden3, units: 20, activation: .relu, kernelInitializer: he, name: "hidden4")
  let logits = try dense(hidden4, units: 10, name: "outputs")
  let crossEntropy = try sparseSoftmaxCrossEntropyWithLogits(labels: y, logits: logits)
  let loss = try reduceMean(crossEntropy, name: "loss")
  return Network(x: x, y: y, hidden2: hidden2, logits: logits, loss: loss)
}
// END Docs/reuse.md

@Suite("Docs/reuse.md")
struct ReuseDocTests {
  /// The page's statements, in order. Never run here: they write files in the current
  /// directory; `ReuseFlow` runs the same steps in a temporary one.
  func pageStatements() throws {
    // BEGIN Docs/reuse.md
    let data = try FashionMNIST.load()
    let firstTask = try data.train.filtered(classes: 0..<5).prefix(2_000)

    let graphA = Graph(seed: 42)
    let modelA = try buildNetwork(in: graphA)
    let trainA = try AdamOptimizer().minimize(modelA.loss)  // the training op is named "Adam"
    let sessionA = Session(graph: graphA)
    try sessionA.run(graphA.globalVariablesInitializer())
    for epoch in 0..<2 {
      let batches = try shuffledBatches(
        firstTask.images, firstTask.labels, batchCount: firstTask.count / 50, seed: UInt64(epoch))
      for (xBatch, yBatch) in batches {
        try sessionA.run(trainA, feedDict: [modelA.x: xBatch, modelA.y: yBatch])
      }
    }

    try graphA.export(to: "model_a.json")
    try Saver(graph: graphA).save(
      sessionA, to: "model_a.safetensors", metadata: ["classes": "0-4", "global_step": "80"])
    let secondTask = try data.train.filtered(classes: 5..<10).prefix(2_000)

    let graph = Graph(seed: 7)
    let model = try buildNetwork(in: graph)
    let trainedVariables = try graph.trainableVariables(scope: "hidden[34]|outputs")
    let train = try GradientDescentOptimizer(learningRate: 0.05)
      .minimize(model.loss, varList: trainedVariables)  // named "GradientDescent"
    let session = Session(graph: graph)
    try session.run(graph.globalVariablesInitializer())

    let reused = try ["hidden1/kernel", "hidden1/bias", "hidden2/kernel", "hidden2/bias"]
      .map { try graph.tensor(named: $0) }
    try Saver(varList: reused).restore(session, from: "model_a.safetensors")
    let hidden2Outputs = try session.run(model.hidden2, feedDict: [model.x: secondTask.images])
    for epoch in 0..<2 {
      let batches = try shuffledBatches(
        hidden2Outputs, secondTask.labels, batchCount: secondTask.count / 50, seed: UInt64(epoch))
      for (hidden2Batch, yBatch) in batches {
        try session.run(train, feedDict: [model.hidden2: hidden2Batch, model.y: yBatch])
      }
    }
    try graph.export(to: "model_b.json")
    try Saver(graph: graph).save(
      session, to: "model_b.safetensors",
      metadata: ["classes": "5-9", "global_step": "80", "reused_from": "model_a.safetensors"])
    let probe = try data.test.filtered(classes: 5..<10).prefix(100).images
    let imported = try Graph(importing: "model_b.json")
    let restored = Session(graph: imported)
    try Saver(graph: imported).restore(restored, from: "model_b.safetensors")
    let logits = try restored.run(
      imported.tensor(named: "outputs/BiasAdd"), feedDict: [imported.tensor(named: "X"): probe])
    let graphAgain = try Graph(importing: "model_a.json")
    let sessionAgain = Session(graph: graphAgain)
    try Saver(graph: graphAgain).restore(sessionAgain, from: "model_a.safetensors")
    let x = try graphAgain.tensor(named: "X")
    let y = try graphAgain.tensor(named: "y")
    let lossA = try graphAgain.tensor(named: "loss")
    let adam = try graphAgain.operation(named: "Adam")
    let batch = try firstTask.prefix(200)
    try sessionAgain.run(adam, feedDict: [x: batch.images, y: batch.labels])
    print(try sessionAgain.run(lossA, feedDict: [x: batch.images, y: batch.labels]))
    let host = Graph(seed: 3)
    try host.importGraph(from: "model_a.json", scope: "a")
    let hostX = try host.tensor(named: "a/X")
    let hostY = host.placeholder(.int32, shape: [nil], name: "y")
    let reusedOutput = try host.tensor(named: "a/hidden2/Relu")
    let newHidden3 = try dense(reusedOutput, units: 50, activation: .relu, name: "hidden3")
    let newHidden4 = try dense(newHidden3, units: 20, activation: .relu, name: "hidden4")
    let newLogits = try dense(newHidden4, units: 10, name: "outputs")
    let newLoss = try reduceMean(
      sparseSoftmaxCrossEntropyWithLogits(labels: hostY, logits: newLogits), name: "loss")
    let newTrain = try GradientDescentOptimizer(learningRate: 0.05)
      .minimize(newLoss, varList: host.trainableVariables(scope: "hidden[34]|outputs"))
    let hostSession = Session(graph: host)
    try hostSession.run(host.globalVariablesInitializer())
    var mapping: [String: Tensor] = [:]
    for name in ["hidden1/kernel", "hidden1/bias", "hidden2/kernel", "hidden2/bias"] {
      mapping[name] = try host.tensor(named: "a/" + name)
    }
    try Saver(mapping).restore(hostSession, from: "model_a.safetensors")
    try hostSession.run(newTrain, feedDict: [hostX: batch.images, hostY: batch.labels])
    // END Docs/reuse.md
    _ = logits
  }

  /// The non-blank lines of the page's Swift blocks, and of this file's marked regions,
  /// without their indentation (the page's statements sit in a function here).
  static func codeLines(_ text: String, markedOnly: Bool) -> [String] {
    var lines: [String] = []
    var inside = !markedOnly
    for line in text.components(separatedBy: "\n") {
      let trimmed = line.trimmingCharacters(in: .whitespaces)
      if markedOnly, trimmed == "// BEGIN Docs/reuse.md" || trimmed == "// END Docs/reuse.md" {
        inside = trimmed.hasPrefix("// BEGIN")
        continue
      }
      if inside, !trimmed.isEmpty, trimmed != "import Frost" { lines.append(trimmed) }
    }
    return lines
  }

  @Test func docsHoldThisCode() throws {
    let root = URL(fileURLWithPath: #filePath)
      .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let page = try String(
      contentsOf: root.appendingPathComponent("Docs/reuse.md"), encoding: .utf8)
    let blocks = page.components(separatedBy: "```swift\n").dropFirst()
      .map { $0.components(separatedBy: "```")[0] }
    let source = try String(contentsOfFile: #filePath, encoding: .utf8)
    let pageLines = Self.codeLines(blocks.joined(separator: "\n"), markedOnly: false)
    let fileLines = Self.codeLines(source, markedOnly: true)
    #expect(!pageLines.isEmpty)
    if let difference = zip(pageLines, fileLines).enumerated().first(where: { $1.0 != $1.1 }) {
      let (pageLine, fileLine) = difference.element
      let message =
        "Docs/reuse.md's code line \(difference.offset + 1) reads \"\(pageLine)\","
        + " this file's \"\(fileLine)\""
      Issue.record("\(message)")
    }
    #expect(pageLines.count == fileLines.count)
  }
}
