import Foundation
import Testing

@testable import Frost

@Suite("Graph files")
struct GraphFileTests {
  /// A small trainable model with constants of every dtype and a collection.
  func buildModel() throws -> (Graph, train: Frost.Operation, loss: Tensor, x: Tensor) {
    let graph = Graph(seed: 7)
    let x = graph.placeholder(.float32, shape: [nil, 3], name: "X")
    let w = try graph.withNameScope("hidden1") {
      try graph.variable(
        try NDArray(shape: [3, 2], scalars: (0..<6).map { Float($0) / 7 }), name: "kernel")
    }
    let flags = try graph.constant([true, false], shape: [2], name: "flags")
    let counts = try graph.constant([Int32(3), -4], shape: [2], name: "counts")
    let scale = graph.constant(NDArray(Double.nan), name: "nan")
    try graph.addToCollection("extras", flags)
    try graph.addToCollection("extras", scale.op)
    _ = counts
    let loss = try reduceMean(relu(matmul(x, w)), name: "loss")
    let train = try GradientDescentOptimizer(learningRate: 0.5).minimize(loss)
    return (graph, train, loss, x)
  }

  @Test func roundTripRunsBitForBitAndStillTrains() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let (graph, train, loss, x) = try buildModel()
    let path = directory.file("model.json")
    try graph.export(to: path)

    let imported = try Graph(importing: path)
    #expect(imported.nodeCount == graph.nodeCount)
    // Exporting the import gives the same file.
    let again = directory.file("again.json")
    try imported.export(to: again)
    #expect(try bytesOfFile(again) == bytesOfFile(path))
    #expect(imported.seed == 7)
    let batch = try NDArray(shape: [2, 3], scalars: [Float(1), 2, 3, -1, 0.5, 4])
    let importedX = try imported.tensor(named: "X")
    let importedLoss = try imported.tensor(named: "loss")
    let importedTrain = try imported.operation(named: train.name)

    let original = Session(graph: graph)
    let copy = Session(graph: imported)
    try original.run(graph.globalVariablesInitializer())
    try copy.run(imported.globalVariablesInitializer())
    for _ in 0..<3 {
      try original.run(train, feedDict: [x: batch])
      try copy.run(importedTrain, feedDict: [importedX: batch])
    }
    let a = try original.run(loss, feedDict: [x: batch])
    let b = try copy.run(importedLoss, feedDict: [importedX: batch])
    #expect(a == b)
    #expect(
      try copy.run(imported.tensor(named: "hidden1/kernel"))
        == original.run(graph.tensor(named: "hidden1/kernel")))
    #expect(try copy.run(imported.tensor(named: "counts")).doubles == [3, -4])
    #expect(try copy.run(imported.tensor(named: "flags")).doubles == [1, 0])
    #expect(try copy.run(imported.tensor(named: "nan")).doubles[0].isNaN)
    #expect(imported.tensors(inCollection: "extras").map(\.name) == ["flags", "nan"])
    #expect(try imported.trainableVariables().map(\.name) == ["hidden1/kernel"])

  }

  @Test func importUnderAScopePrefixesEveryName() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let (graph, _, _, _) = try buildModel()
    let path = directory.file("model.json")
    try graph.export(to: path)
    let host = Graph()
    let mapping = try host.importGraph(from: path, scope: "pretrained")
    #expect(mapping["hidden1/kernel"]?.name == "pretrained/hidden1/kernel")
    #expect(try host.trainableVariables(scope: "pretrained/hidden1").count == 1)
    let session = Session(graph: host)
    try session.run(host.globalVariablesInitializer())
    let value = try session.run(
      host.tensor(named: "pretrained/loss"),
      feedDict: [
        try host.tensor(named: "pretrained/X"): try NDArray(zeros: [1, 3])
      ])
    #expect(value.doubles == [0])
    // A second import of the same file under the same scope is suffixed, not merged.
    let second = try host.importGraph(from: path, scope: "pretrained")
    #expect(second["loss"]?.name == "pretrained_1/loss")
  }

  /// Writes a graph file from JSON text and expects its import to fail naming the file and
  /// `parts`, leaving the host graph unchanged.
  func expectRejected(
    _ json: String, _ parts: String..., sourceLocation: SourceLocation = #_sourceLocation
  ) throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let path = try directory.write(Array(json.utf8), to: "bad.json")
    let host = Graph()
    _ = host.placeholder(.float32, name: "existing")
    let error = expectFrostError(sourceLocation: sourceLocation) {
      try host.importGraph(from: path)
    }
    guard case .invalidFile(let file, let reason)? = error else {
      Issue.record(
        "expected invalidFile, got \(String(describing: error))", sourceLocation: sourceLocation)
      return
    }
    #expect(file == path, sourceLocation: sourceLocation)
    for part in parts where !reason.contains(part) {
      Issue.record("\"\(reason)\" does not mention \"\(part)\"", sourceLocation: sourceLocation)
    }
    #expect(host.nodeCount == 1, sourceLocation: sourceLocation)
  }

  static func file(_ nodes: String, version: Int = 1) -> String {
    """
    {"format": "frost-graph", "version": \(version), "nodes": [\(nodes)]}
    """
  }

  static let placeholder = """
    {"name": "x", "op": "Placeholder", "inputs": [], "attributes": {"dtype": {"dtype": "float32"},
     "shape": {"shape": [2]}}, "outputs": [{"dtype": "float32", "shape": [2]}]}
    """

  @Test func badFilesAreRejectedWithClearErrors() throws {
    try expectRejected("not json", "not a JSON graph file")
    try expectRejected(#"{"format": "other", "version": 1, "nodes": []}"#, "not a Frost graph file")
    try expectRejected(Self.file("", version: 9), "unsupported version 9")
    try expectRejected(
      Self.file(#"{"name": "a", "op": "Frobnicate", "inputs": [], "outputs": []}"#),
      "'a'", "unknown op type 'Frobnicate'")
    try expectRejected(
      Self.file(
        #"{"name": "r", "op": "Relu", "inputs": ["ghost"], "outputs": [{"dtype": "float32", "shape": null}]}"#
      ),
      "'r'", "'ghost'", "dangling")
    // A cycle: r reads s, which comes after it.
    try expectRejected(
      Self.file(
        Self.placeholder + ","
          + #"{"name": "r", "op": "Relu", "inputs": ["s"], "outputs": [{"dtype": "float32", "shape": [2]}]},"#
          + #"{"name": "s", "op": "Relu", "inputs": ["r"], "outputs": [{"dtype": "float32", "shape": [2]}]}"#
      ),
      "'r'", "'s'", "cycle")
    // Recorded shape contradicts what the input gives.
    try expectRejected(
      Self.file(
        Self.placeholder + ","
          + #"{"name": "r", "op": "Relu", "inputs": ["x"], "outputs": [{"dtype": "float32", "shape": [3]}]}"#
      ),
      "'r'", "(3,)", "(2,)")
    // A shape error that inference itself reports.
    try expectRejected(
      Self.file(
        Self.placeholder + ","
          + #"{"name": "m", "op": "MatMul", "inputs": ["x", "x"], "attributes": {"transposeA": {"bool": false}, "transposeB": {"bool": false}}, "outputs": [{"dtype": "float32", "shape": null}]}"#
      ),
      "'m'", "rank 2")
    // A constant of 10^12 elements is refused before anything is allocated.
    try expectRejected(
      Self.file(
        #"{"name": "c", "op": "Const", "inputs": [], "attributes": {"value": {"array": {"dtype": "float32", "shape": [1000000, 1000000], "base64": ""}}}, "outputs": [{"dtype": "float32", "shape": [1000000, 1000000]}]}"#
      ),
      "'c'", "larger than this machine's memory")
    // A constant whose data does not match its shape.
    try expectRejected(
      Self.file(
        #"{"name": "c", "op": "Const", "inputs": [], "attributes": {"value": {"array": {"dtype": "float32", "shape": [2], "base64": "AAAAAA=="}}}, "outputs": [{"dtype": "float32", "shape": [2]}]}"#
      ),
      "'c'", "8 bytes")
  }

  /// A file whose variable collections hold something `globalVariablesInitializer()`
  /// cannot initialize is refused on import (it used to be accepted, and building the
  /// initializer then stopped the process).
  @Test func variableCollectionsHoldOnlyVariablesWithTheirInitializers() throws {
    let graph = Graph()
    _ = graph.placeholder(.float32, shape: [1], name: "x")
    _ = try graph.variable(NDArray([Float(1)]), name: "v")
    guard case .object(let members) = graph.exportJSON() else {
      Issue.record("the export is not an object")
      return
    }
    func replacing(_ key: String, with value: JSONValue) -> String {
      JSONValue.object(members.map { $0.key == key ? (key, value) : $0 }).serialized()
    }
    let assign: JSONValue = ["variable": "v", "initializer": "v/Assign"]
    try expectRejected(
      replacing("collections", with: ["variables": [["tensor": "x"]]]),
      "collection 'variables' holds 'x', which is not a variable")
    try expectRejected(
      replacing("collections", with: ["trainable_variables": [["operation": "x"]]]),
      "collection 'trainable_variables' holds 'x', which is not a variable")
    try expectRejected(
      replacing("variables", with: []), "variable 'v'", "no entry in \"variables\"")
    try expectRejected(
      replacing("variables", with: [["variable": "v", "initializer": "x"]]),
      "the initializer of variable 'v', 'x', is not an Assign to it")
    try expectRejected(
      replacing("variables", with: [assign, assign]),
      "variable 'v' has two entries in \"variables\"")

    // The same rule when building: the variable collections take variables only.
    let x = try graph.tensor(named: "x")
    expectError(containing: "'x' is not a variable", "'variables'") {
      try graph.addToCollection(GraphKeys.globalVariables, x)
    }
    expectError(containing: "'x' is not a variable", "'trainable_variables'") {
      try graph.addToCollection(GraphKeys.trainableVariables, x.op)
    }
    try graph.addToCollection(GraphKeys.globalVariables, graph.operation(named: "v"))
    #expect(graph.globalVariables().map(\.name) == ["v", "v"])
    _ = graph.globalVariablesInitializer()
  }

  @Test func missingFileIsNamed() {
    expectError(containing: "/nonexistent/model.json") {
      _ = try Graph(importing: "/nonexistent/model.json")
    }
  }
}
