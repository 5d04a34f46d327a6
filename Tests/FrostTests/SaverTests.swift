import Foundation
import Testing

@testable import Frost

@Suite("Saver")
struct SaverTests {
  struct Model {
    let graph: Graph
    let session: Session
    let weights: Tensor
    let counts: Tensor
    let mask: Tensor
    let precise: Tensor

    init() throws {
      let graph = Graph()
      self.graph = graph
      weights = try graph.withNameScope("hidden1") {
        try graph.variable(sample([3, 2]).converted(to: .float32), name: "kernel")
      }
      counts = try graph.variable(NDArray([Int32(1), -2, 3]), name: "counts")
      mask = try graph.variable(NDArray([true, false]), name: "mask")
      precise = try graph.variable(NDArray(Double.pi), name: "precise")
      session = Session(graph: graph)
      try session.run(graph.globalVariablesInitializer())
    }

    func values() throws -> [NDArray] { try session.run([weights, counts, mask, precise]) }
  }

  @Test func saveThenRestoreGivesIdenticalVariablesOfEveryDtype() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let model = try Model()
    let path = directory.file("model.safetensors")
    try Saver(graph: model.graph).save(model.session, to: path, metadata: ["global_step": "12"])
    #expect(try SafetensorsFile(path: path).metadata == ["global_step": "12"])
    #expect(
      try SafetensorsFile(path: path).names == ["counts", "hidden1/kernel", "mask", "precise"])

    let fresh = Session(graph: model.graph)
    try Saver(graph: model.graph).restore(fresh, from: path)
    #expect(
      try fresh.run([model.weights, model.counts, model.mask, model.precise]) == model.values())
  }

  @Test func restoresASubsetAndMapsKeys() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let model = try Model()
    let path = directory.file("model.safetensors")
    try Saver(graph: model.graph).save(model.session, to: path)

    let other = Graph()
    let renamed = try other.variable(try NDArray(zeros: [3, 2]), name: "pretrained_kernel")
    let untouched = try other.variable(NDArray([Int32(0)]), name: "counts")
    let session = Session(graph: other)
    try session.run(other.globalVariablesInitializer())
    try Saver(["hidden1/kernel": renamed]).restore(session, from: path)
    #expect(try session.run(renamed) == model.values()[0])
    #expect(try session.run(untouched).doubles == [0])
  }

  @Test func everyRestoreErrorNamesTheKeyAndChangesNothing() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let model = try Model()
    let before = try model.values()
    let versions = try [model.weights, model.counts].map { try model.session.version(of: $0) }
    func expectUnchanged(sourceLocation: SourceLocation = #_sourceLocation) throws {
      #expect(try model.values() == before, sourceLocation: sourceLocation)
      #expect(
        try [model.weights, model.counts].map { try model.session.version(of: $0) } == versions,
        sourceLocation: sourceLocation)
    }
    let saver = try Saver(graph: model.graph)

    // A key missing from the file (the other keys are valid and must not be assigned).
    let partial = directory.file("partial.safetensors")
    try SafetensorsFile.write(["hidden1/kernel": before[0], "counts": before[1]], to: partial)
    expectError(containing: "partial.safetensors", "'mask'") {
      try saver.restore(model.session, from: partial)
    }
    try expectUnchanged()

    // A dtype mismatch and a shape mismatch.
    let wrongType = directory.file("type.safetensors")
    try SafetensorsFile.write(
      [
        "hidden1/kernel": before[0], "counts": NDArray([Float(1), 2, 3]), "mask": before[2],
        "precise": before[3],
      ], to: wrongType)
    expectError(containing: "'counts'", "F32", "int32") {
      try saver.restore(model.session, from: wrongType)
    }
    try expectUnchanged()
    let wrongShape = directory.file("shape.safetensors")
    try SafetensorsFile.write(
      [
        "hidden1/kernel": try NDArray(zeros: [2, 3]), "counts": before[1], "mask": before[2],
        "precise": before[3],
      ], to: wrongShape)
    expectError(containing: "'hidden1/kernel'", "(2, 3)", "(3, 2)") {
      try saver.restore(model.session, from: wrongShape)
    }
    try expectUnchanged()

    // A corrupt file and a missing one.
    let corrupt = try directory.write([1, 2, 3], to: "corrupt.safetensors")
    expectError(containing: "corrupt.safetensors") {
      try saver.restore(model.session, from: corrupt)
    }
    expectError(containing: "missing.safetensors") {
      try saver.restore(model.session, from: directory.file("missing.safetensors"))
    }
    try expectUnchanged()
  }

  @Test func savingAnUninitializedVariableNamesIt() throws {
    let graph = Graph()
    _ = try graph.variable(NDArray([Float(1)]), name: "lonely")
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let error = expectFrostError {
      try Saver(graph: graph).save(Session(graph: graph), to: directory.file("x.safetensors"))
    }
    #expect(error == .uninitializedVariable("lonely"))
    #expect(try directory.contents().isEmpty)
    expectError(containing: "not a variable") {
      _ = try Saver(varList: [graph.placeholder(.float32, name: "p")])
    }
  }
}

extension NDArray {
  /// This array's values in another dtype (test convenience).
  func converted(to dtype: DType) -> NDArray {
    try! NDArray(shape: shape, doubles: doubleValues, dtype: dtype)
  }
}
