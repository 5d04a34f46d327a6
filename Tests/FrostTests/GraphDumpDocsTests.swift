import Foundation
import Testing

@testable import GraphDumpKit

/// Keeps Docs/graph-dump.md and Docs/model.svg made by the tool itself.
///
/// The examples in the doc are the built graph-dump's output on the reuse-flow fixture,
/// between `<!-- example: NAME -->` and `<!-- end of example -->`. A test checks that they
/// are current; `GRAPH_DUMP_WRITE_DOCS=1 swift test --filter GraphDumpDocs` rewrites them
/// and renders Docs/model.svg (which needs Graphviz).
@Suite("GraphDumpDocs")
struct GraphDumpDocsTests {
  /// Each example's name and its arguments.
  static let examples: [(name: String, arguments: [String])] = [
    ("table", ["reuse.json", "--trainable", "hidden[34]|outputs"]),
    ("plan", ["reuse.json", "--fetch", "loss", "--feed", "hidden2"]),
    ("checkpoint", ["reuse.json", "--checkpoint", "reuse.safetensors"]),
  ]

  /// The picture's arguments, before `--svg PATH`.
  static let pictureArguments = ["reuse.json", "--trainable", "hidden[34]|outputs"]

  static let docsFolder = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Docs")

  static var writes: Bool { ProcessInfo.processInfo.environment["GRAPH_DUMP_WRITE_DOCS"] == "1" }

  /// `$ graph-dump ARGS`, quoted for a POSIX shell where needed.
  static func commandLine(_ arguments: [String]) -> String {
    let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=,:")
    return "$ graph-dump "
      + arguments.map { $0.allSatisfy(safe.contains) ? $0 : "'\($0)'" }
      .joined(separator: " ")
  }

  /// The doc's text with each example block replaced by `outputs[name]`.
  static func replacingExamples(in text: String, with outputs: [String: String]) -> String {
    var lines = text.components(separatedBy: "\n")
    var result: [String] = []
    var index = 0
    while index < lines.count {
      let line = lines[index]
      result.append(line)
      index += 1
      guard line.hasPrefix("<!-- example: "), line.hasSuffix(" -->") else { continue }
      let name = String(line.dropFirst("<!-- example: ".count).dropLast(" -->".count))
      guard let output = outputs[name] else { continue }
      while index < lines.count, lines[index] != "<!-- end of example -->" { index += 1 }
      result.append(output)
      if index < lines.count {
        result.append(lines[index])
        index += 1
      }
    }
    lines = result
    return lines.joined(separator: "\n")
  }

  /// Runs each example on a fresh fixture; returns the blocks to put in the doc.
  func exampleBlocks(in directory: TemporaryDirectory) throws -> [String: String]? {
    var blocks: [String: String] = [:]
    for (name, arguments) in Self.examples {
      guard let run = try GraphDumpExecutable.run(arguments, in: directory.path) else {
        return nil
      }
      #expect(run.status == 0, "\(name): \(run.standardError)")
      blocks[name] =
        "```console\n" + Self.commandLine(arguments) + "\n" + run.standardOutput + "```"
    }
    return blocks
  }

  /// `text` with every decimal number (one with a point or an exponent) replaced by `#`
  /// and runs of spaces by one (columns widen with their values).
  static func maskingDecimals(_ text: String) -> String {
    text.replacingOccurrences(
      of: #"-?[0-9]+\.[0-9]*(e[-+]?[0-9]+)?|-?[0-9]+e[-+]?[0-9]+"#, with: "#",
      options: .regularExpression
    ).replacingOccurrences(of: " +", with: " ", options: .regularExpression)
  }

  @Test func docExamplesAreTheToolsOutput() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    try GraphDumpFixture.write(to: directory.path)
    guard let blocks = try exampleBlocks(in: directory) else { return }
    let doc = Self.docsFolder.appendingPathComponent("graph-dump.md")
    let text = try String(contentsOf: doc, encoding: .utf8)
    let current = Self.replacingExamples(in: text, with: blocks)
    if Self.writes {
      try Data(current.utf8).write(to: doc)
    } else {
      for (name, _) in Self.examples {
        #expect(text.contains("<!-- example: \(name) -->"), "Docs/graph-dump.md lacks \(name)")
      }
      // Trained values (a checkpoint's mean, std, min, max) follow every change to the
      // kernels or the data pipeline; the examples are compared with decimal numbers
      // masked, so names, shapes, dtypes, counts and the order of lines must match.
      let (expected, actual) = (Self.maskingDecimals(text), Self.maskingDecimals(current))
      // Name the first stale line rather than printing the whole page.
      let stale = zip(
        expected.components(separatedBy: "\n"), actual.components(separatedBy: "\n")
      ).enumerated().first { $0.element.0 != $0.element.1 }
      if expected != actual {
        let line = stale.map { "line \($0.offset + 1) should read: \($0.element.1)" } ?? ""
        Issue.record(
          """
          Docs/graph-dump.md's examples are out of date (\(line)); \
          run GRAPH_DUMP_WRITE_DOCS=1 swift test --filter GraphDumpDocs
          """)
      }
    }
  }

  @Test(.enabled(if: GraphDumpDocsTests.writes)) func writeModelPicture() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    try GraphDumpFixture.write(to: directory.path)
    let picture = Self.docsFolder.appendingPathComponent("model.svg").path
    guard
      let run = try GraphDumpExecutable.run(
        Self.pictureArguments + ["--svg", picture], in: directory.path)
    else { return }
    #expect(run.status == 0, "\(run.standardError)")
  }

  @Test func examplesAreReplacedBetweenTheirMarkers() {
    let text = """
      intro
      <!-- example: a -->
      old
      lines
      <!-- end of example -->
      <!-- example: unknown -->
      kept
      <!-- end of example -->
      """
    #expect(
      Self.replacingExamples(in: text, with: ["a": "new"]) == """
        intro
        <!-- example: a -->
        new
        <!-- end of example -->
        <!-- example: unknown -->
        kept
        <!-- end of example -->
        """)
    #expect(
      Self.commandLine(["m.json", "--trainable", "hidden[34]|outputs"])
        == "$ graph-dump m.json --trainable 'hidden[34]|outputs'")
  }
}
