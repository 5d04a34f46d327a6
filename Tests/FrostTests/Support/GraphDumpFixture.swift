import Foundation
import Frost

/// The files that graph-dump's tests inspect: model B of the reuse flow (`ReuseFlow`), its
/// graph and its checkpoint as the flow saved them. B is the project's 784-300-50-50-20-10
/// network (`dense` layers `hidden1`...`hidden4` and `outputs`, the loss `loss`), with
/// `hidden1` and `hidden2` restored from model A and a training op, `GradientDescent`, that
/// trains only `hidden3`, `hidden4` and `outputs`.
///
/// The flow runs once per test process, on Fashion-MNIST; without the dataset, `write(to:)`
/// throws an error that says what to install.
enum GraphDumpFixture {
  /// The file names inside the directory given to `write(to:)`.
  static let graphFile = "reuse.json"
  static let checkpointFile = "reuse.safetensors"
  /// The scope regex of the training op's variables.
  static let trainedScope = ReuseFlow.trainedScope

  /// The training op's name.
  static func trainingOpName() throws -> String { try ReuseFlow.sharedRun().modelB.train.name }

  /// Writes model B's graph and checkpoint, as the reuse flow saved them, into `directory`
  /// under `graphFile` and `checkpointFile`; returns their paths.
  @discardableResult
  static func write(to directory: String) throws -> (graph: String, checkpoint: String) {
    let run = try ReuseFlow.sharedRun()
    let graphPath = directory + "/" + graphFile
    let checkpointPath = directory + "/" + checkpointFile
    try Data(run.files[ReuseFlow.graphB]!).write(to: URL(fileURLWithPath: graphPath))
    try Data(run.files[ReuseFlow.checkpointB]!).write(to: URL(fileURLWithPath: checkpointPath))
    return (graphPath, checkpointPath)
  }
}
