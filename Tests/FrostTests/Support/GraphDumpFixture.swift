import Foundation
import Frost

/// The graph that graph-dump's tests inspect: the reuse flow's 784-300-50-50-20-10 network
/// (TensorFlow 1.x teaching material, chapter 11), built with the core API, with a
/// training op that trains only `hidden3`, `hidden4` and `outputs`.
///
/// To test against the reuse flow's own saved files instead, make `write(to:)` copy them
/// into the directory under the same two names; the tests use nothing else.
enum GraphDumpFixture {
  /// The file names inside the directory given to `write(to:)`.
  static let graphFile = "reuse.json"
  static let checkpointFile = "reuse.safetensors"
  /// The scope regex of the training op's variables.
  static let trainedScope = "hidden[34]|outputs"
  /// The layer widths, input first.
  static let widths = [784, 300, 50, 50, 20, 10]

  /// Builds the network and its training op: placeholders `X` (?, 784) and `y` (?),
  /// dense ReLU layers `hidden1`...`hidden4` and the linear `outputs`, each with `kernel`
  /// and `bias` variables, the loss `loss`, and plain gradient descent on `trainedScope`.
  static func build() throws -> (graph: Graph, loss: Tensor, train: Frost.Operation) {
    let graph = Graph(seed: 42)
    let x = graph.placeholder(.float32, shape: [nil, widths[0]], name: "X")
    let y = graph.placeholder(.int32, shape: [nil], name: "y")
    let names = ["hidden1", "hidden2", "hidden3", "hidden4", "outputs"]
    var activation = x
    for (i, name) in names.enumerated() {
      let (fanIn, fanOut) = (widths[i], widths[i + 1])
      activation = try graph.withNameScope(name) {
        let stddev = (2.0 / Double(fanIn + fanOut)).squareRoot()
        let kernel = try graph.variable(
          initialValue: truncatedNormal(in: graph, shape: [fanIn, fanOut], stddev: stddev),
          name: "kernel")
        let bias = try graph.variable(try NDArray(zeros: [fanOut]), name: "bias")
        let linear = try matmul(activation, kernel) + bias
        return name == "outputs" ? linear : try relu(linear)
      }
    }
    let crossEntropy = try sparseSoftmaxCrossEntropyWithLogits(labels: y, logits: activation)
    let loss = try reduceMean(crossEntropy, name: "loss")
    let train = try GradientDescentOptimizer(learningRate: 0.01).minimize(
      loss, varList: try graph.trainableVariables(scope: trainedScope))
    return (graph, loss, train)
  }

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
