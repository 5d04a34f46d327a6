import Foundation
import Frost

/// The graph that graph-dump's tests inspect: the reuse flow's 784-300-50-50-20-10 network
/// (TensorFlow 1.x teaching material, chapter 11), built as the project's snippet builds it
/// (Tests/FrostTests/SnippetTests.swift): `dense` layers `hidden1`...`hidden4` and
/// `outputs`, a training op that trains only `hidden3`, `hidden4` and `outputs`.
///
/// To test against files the reuse flow saved itself, make `write(to:)` copy them into the
/// directory under the same two names; the tests use nothing else.
enum GraphDumpFixture {
  /// The file names inside the directory given to `write(to:)`.
  static let graphFile = "reuse.json"
  static let checkpointFile = "reuse.safetensors"
  /// The scope regex of the training op's variables.
  static let trainedScope = "hidden[34]|outputs"

  /// Builds the network and its training op: placeholders `X` (?, 784) and `y` (?), the
  /// layers with their `kernel` and `bias` variables, the loss `loss`, and plain gradient
  /// descent on `trainedScope`. The graph seed makes the initial values reproducible.
  static func build() throws -> (graph: Graph, loss: Tensor, train: Frost.Operation) {
    let graph = Graph(seed: 42)
    let x = graph.placeholder(.float32, shape: [nil, 784], name: "X")
    let y = graph.placeholder(.int32, shape: [nil], name: "y")
    let hidden1 = try dense(x, units: 300, activation: .relu, name: "hidden1")
    let hidden2 = try dense(hidden1, units: 50, activation: .relu, name: "hidden2")
    let hidden3 = try dense(hidden2, units: 50, activation: .relu, name: "hidden3")
    let hidden4 = try dense(hidden3, units: 20, activation: .relu, name: "hidden4")
    let logits = try dense(hidden4, units: 10, name: "outputs")
    let crossEntropy = try sparseSoftmaxCrossEntropyWithLogits(labels: y, logits: logits)
    let loss = try reduceMean(crossEntropy, name: "loss")
    let train = try GradientDescentOptimizer(learningRate: 0.01).minimize(
      loss, varList: try graph.trainableVariables(scope: trainedScope))
    return (graph, loss, train)
  }

  /// The training op's name.
  static func trainingOpName() throws -> String { try build().train.name }

  /// Exports the graph and a checkpoint of its freshly initialized variables into
  /// `directory`; returns their paths.
  @discardableResult
  static func write(to directory: String) throws -> (graph: String, checkpoint: String) {
    let (graph, _, _) = try build()
    let graphPath = directory + "/" + graphFile
    let checkpointPath = directory + "/" + checkpointFile
    try graph.export(to: graphPath)
    let session = Session(graph: graph)
    try session.run(graph.globalVariablesInitializer())
    try Saver(graph: graph).save(session, to: checkpointPath, metadata: ["global_step": "0"])
    return (graphPath, checkpointPath)
  }
}
