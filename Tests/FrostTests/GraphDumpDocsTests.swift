import Foundation
import Testing

/// Regenerates Docs/model.svg with the built graph-dump, when asked:
/// `GRAPH_DUMP_WRITE_DOCS=1 swift test --filter GraphDumpDocs`.
@Suite("GraphDumpDocs")
struct GraphDumpDocsTests {
  @Test(.enabled(if: ProcessInfo.processInfo.environment["GRAPH_DUMP_WRITE_DOCS"] == "1"))
  func writeModelPicture() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let files = try GraphDumpFixture.write(to: directory.path)
    _ = files
    if let keep = ProcessInfo.processInfo.environment["GRAPH_DUMP_KEEP"] {
      try GraphDumpFixture.write(to: keep)
    }
  }
}
