import Frost

/// The project's network, 784-300-50-50-20-10 with relu, named as in the core issue's
/// snippet, with its loss, accuracy and a gradient-descent training op.
struct Model {
  let graph: Graph
  let x: Tensor
  let y: Tensor
  let hidden2: Tensor
  let loss: Tensor
  let accuracy: Tensor
  let trainingOp: Frost.Operation
  /// The variables the training op updates.
  let trained: [Tensor]

  /// Builds the network; the training op updates the trainable variables whose names match
  /// `trainScope` (all of them when `nil`).
  init(seed: UInt64, trainScope: String?, learningRate: Double) throws {
    let graph = Graph(seed: seed)
    let x = graph.placeholder(.float32, shape: [nil, 784], name: "X")
    let y = graph.placeholder(.int32, shape: [nil], name: "y")
    let hidden1 = try dense(x, units: 300, activation: .relu, name: "hidden1")
    let hidden2 = try dense(hidden1, units: 50, activation: .relu, name: "hidden2")
    let hidden3 = try dense(hidden2, units: 50, activation: .relu, name: "hidden3")
    let hidden4 = try dense(hidden3, units: 20, activation: .relu, name: "hidden4")
    let logits = try dense(hidden4, units: 10, name: "outputs")
    let xentropy = try sparseSoftmaxCrossEntropyWithLogits(labels: y, logits: logits)
    loss = try reduceMean(xentropy, name: "loss")
    accuracy = try reduceMean(
      cast(inTopK(predictions: logits, targets: y, k: 1), to: .float32), name: "accuracy")
    trained = try graph.trainableVariables(scope: trainScope)
    trainingOp = try GradientDescentOptimizer(learningRate: .constant(learningRate))
      .minimize(loss, varList: trained)
    self.graph = graph
    self.x = x
    self.y = y
    self.hidden2 = hidden2
  }

  /// The variables of hidden1 and hidden2: what is restored and frozen.
  func frozenVariables() throws -> [Tensor] {
    try graph.trainableVariables(scope: "hidden[12]/")
  }

  /// The mean loss over every row of `inputs` fed at `feed` (X, or hidden2 from a cache),
  /// in chunks that keep memory small.
  func meanLoss(_ session: Session, feed: Tensor, inputs: NDArray, labels: NDArray) throws
    -> Double
  {
    try chunkedMean(session, loss, feed: feed, inputs: inputs, labels: labels)
  }

  /// The accuracy over every row of `inputs` fed at `feed`.
  func meanAccuracy(_ session: Session, feed: Tensor, inputs: NDArray, labels: NDArray) throws
    -> Double
  {
    try chunkedMean(session, accuracy, feed: feed, inputs: inputs, labels: labels)
  }

  private func chunkedMean(
    _ session: Session, _ metric: Tensor, feed: Tensor, inputs: NDArray, labels: NDArray
  ) throws -> Double {
    let rows = labels.shape[0]
    var total = 0.0
    var start = 0
    while start < rows {
      let end = min(start + 5_000, rows)
      let value = try session.run(
        metric, feedDict: [feed: inputs.rows(start..<end), y: labels.rows(start..<end)])
      total += Double(try value.scalar(as: Float.self)) * Double(end - start)
      start = end
    }
    return total / Double(max(rows, 1))
  }
}
