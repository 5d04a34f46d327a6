import Foundation
import Frost
import Testing

/// The first example of Docs/getting-started.md, run; its printed value must be the one the
/// page shows.
@Suite("Getting started")
struct GettingStartedTests {
  @Test func firstExamplePrintsWhatThePageSays() throws {
    let graph = Graph()
    let x = graph.placeholder(.float32, shape: [nil, 3], name: "x")
    let w = try graph.variable(
      try NDArray(shape: [3, 1], scalars: [Float(0.5), -1, 2]), name: "w")
    let y = try relu(matmul(x, w) + 1)

    let session = Session(graph: graph)
    try session.run(graph.globalVariablesInitializer())
    let value = try session.run(
      y, feedDict: [x: try NDArray(shape: [2, 3], scalars: [Float(1), 2, 3, 4, 5, 6])])

    let page = try String(
      contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Docs/getting-started.md"), encoding: .utf8)
    let printed = value.description.replacingOccurrences(of: "\n", with: "")
    #expect(page.contains("print(value)  // \(printed)"), "the page should show \(printed)")
  }
}
