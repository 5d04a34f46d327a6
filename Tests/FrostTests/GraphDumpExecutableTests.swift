import Foundation
import Frost
import Testing

@testable import GraphDumpKit

/// What one run of the built `graph-dump` printed and how it exited.
struct GraphDumpRun {
  let standardOutput: String
  let standardError: String
  let status: Int32

  /// The lines of standard output.
  var lines: [String] { standardOutput.components(separatedBy: "\n") }
}

/// Finds and runs the `graph-dump` that `swift build` or `swift test` built.
enum GraphDumpExecutable {
  /// The executable's path: `GRAPH_DUMP_EXECUTABLE` when set, else the first `graph-dump`
  /// beside the test bundle (SwiftPM puts products and test bundles in one folder, such as
  /// `.build/x86_64-unknown-linux-gnu/debug`), else in this package's `.build/debug`.
  static let path: String? = {
    let environment = ProcessInfo.processInfo.environment
    if let explicit = environment["GRAPH_DUMP_EXECUTABLE"] { return explicit }
    var folders: [URL] = []
    if let executable = Bundle.main.executableURL {
      folders.append(executable.deletingLastPathComponent())
    }
    for bundle in [Bundle.main] + Bundle.allBundles {
      folders += [bundle.bundleURL, bundle.bundleURL.deletingLastPathComponent()]
    }
    let package = URL(fileURLWithPath: #filePath)
      .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    folders.append(package.appendingPathComponent(".build/debug"))
    return folders.map { $0.appendingPathComponent("graph-dump").path }
      .first { FileManager.default.isExecutableFile(atPath: $0) }
  }()

  /// Runs `graph-dump arguments` in `directory`, with `environment` (this process's when
  /// `nil`); records an issue and returns `nil` when the executable is not built.
  static func run(
    _ arguments: [String], in directory: String, environment: [String: String]? = nil,
    sourceLocation: SourceLocation = #_sourceLocation
  ) throws -> GraphDumpRun? {
    guard let path else {
      let message =
        "graph-dump is not built next to the tests: run `swift build` (or set"
        + " GRAPH_DUMP_EXECUTABLE)"
      Issue.record("\(message)", sourceLocation: sourceLocation)
      return nil
    }
    // Outputs go to files, so that a large output cannot fill a pipe and block.
    let output = URL(fileURLWithPath: directory).appendingPathComponent("stdout-\(UUID())")
    let errors = URL(fileURLWithPath: directory).appendingPathComponent("stderr-\(UUID())")
    _ = FileManager.default.createFile(atPath: output.path, contents: nil)
    _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
    defer {
      try? FileManager.default.removeItem(at: output)
      try? FileManager.default.removeItem(at: errors)
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    process.currentDirectoryURL = URL(fileURLWithPath: directory)
    if let environment { process.environment = environment }
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = try FileHandle(forWritingTo: output)
    process.standardError = try FileHandle(forWritingTo: errors)
    try process.run()
    process.waitUntilExit()
    return GraphDumpRun(
      standardOutput: try String(contentsOf: output, encoding: .utf8),
      standardError: try String(contentsOf: errors, encoding: .utf8),
      status: process.terminationStatus)
  }
}

/// End-to-end tests: the built executable on the reuse flow's graph and checkpoint.
@Suite("GraphDump executable")
struct GraphDumpExecutableTests {
  /// A fresh directory holding the fixture's `reuse.json` and `reuse.safetensors`.
  func fixture() throws -> TemporaryDirectory {
    let directory = try TemporaryDirectory()
    try GraphDumpFixture.write(to: directory.path)
    return directory
  }

  func run(
    _ arguments: [String], in directory: TemporaryDirectory,
    environment: [String: String]? = nil, sourceLocation: SourceLocation = #_sourceLocation
  ) throws -> GraphDumpRun? {
    try GraphDumpExecutable.run(
      arguments, in: directory.path, environment: environment, sourceLocation: sourceLocation)
  }

  /// The cells of a table row: the text between runs of two or more spaces (cells hold
  /// single spaces only, as in `(?, 300)`).
  func cells(_ line: String) -> [String] {
    line.components(separatedBy: "  ").map { $0.trimmingCharacters(in: .whitespaces) }
      .filter { !$0.isEmpty }
  }

  /// The numbered steps of a plan's text, by name.
  func steps(_ run: GraphDumpRun) -> [String] {
    run.lines.map(cells).compactMap { row in
      guard row.count == 6, Int(row[0]) != nil else { return nil }
      return row[1]
    }
  }

  /// The row of the variables table for `name`: name, dtype, shape, elements, mark,
  /// trained by.
  func variableRow(_ name: String, in run: GraphDumpRun) -> [String]? {
    run.lines.map(cells).first { $0.first == name && $0.count == 6 && $0[1] != "Variable" }
  }

  @Test func tableGroupsTheReuseGraphByScope() throws {
    let directory = try fixture()
    defer { directory.remove() }
    guard let result = try run([GraphDumpFixture.graphFile], in: directory) else { return }
    #expect(result.status == 0)
    #expect(result.standardError == "")
    #expect(result.lines[0].hasPrefix("graph reuse.json: "))
    for header in [
      "hidden1: 235,500 parameters (235,500 trainable, 0 frozen), 471,000 FLOPs/example",
      "hidden2: 15,050 parameters (15,050 trainable, 0 frozen), 30,100 FLOPs/example",
      "hidden3: 2,550 parameters (2,550 trainable, 0 frozen), 5,100 FLOPs/example",
      "hidden4: 1,020 parameters (1,020 trainable, 0 frozen), 2,040 FLOPs/example",
      "outputs: 210 parameters (210 trainable, 0 frozen), 410 FLOPs/example",
    ] {
      #expect(result.lines.contains(header), "missing scope header: \(header)")
    }
    #expect(result.lines.contains { $0.hasPrefix("total: 254,330 parameters (254,330 trainable") })
    // Node rows: name, op, dtype, shape, mark, FLOPs, inputs.
    let matmul = result.lines.first { $0.hasPrefix("  hidden1/MatMul ") }.map(cells)
    #expect(
      matmul
        == ["hidden1/MatMul", "MatMul", "float32", "(?, 300)", "-", "470,400", "X, hidden1/kernel"])
    let kernel = result.lines.first { $0.hasPrefix("  hidden1/kernel ") }.map(cells)
    #expect(
      kernel == ["hidden1/kernel", "Variable", "float32", "(784, 300)", "trainable", "0", "-"])
    // The training op trains only hidden3, hidden4 and outputs.
    #expect(variableRow("hidden1/kernel", in: result)?.suffix(2) == ["trainable", "-"])
    #expect(
      variableRow("hidden3/kernel", in: result)?.suffix(2) == ["trainable", "GradientDescent"])
    #expect(
      result.standardOutput.contains("frozen: any other variable that is not optimizer state"))
  }

  @Test func trainableRegexMarksTheReusedLayersFrozen() throws {
    let directory = try fixture()
    defer { directory.remove() }
    guard
      let result = try run(
        [GraphDumpFixture.graphFile, "--trainable", GraphDumpFixture.trainedScope], in: directory)
    else { return }
    #expect(result.status == 0)
    #expect(
      result.lines.contains {
        $0.hasPrefix("total: 254,330 parameters (3,780 trainable, 250,550 frozen)")
      })
    for name in ["hidden1/kernel", "hidden1/bias", "hidden2/kernel", "hidden2/bias"] {
      #expect(variableRow(name, in: result)?[4] == "frozen", "\(name)")
    }
    for name in ["hidden3/kernel", "hidden4/bias", "outputs/kernel"] {
      #expect(variableRow(name, in: result)?[4] == "trainable", "\(name)")
    }
  }

  @Test func planForLossFedAtHidden2RunsNothingOfHidden1() throws {
    let directory = try fixture()
    defer { directory.remove() }
    guard
      let result = try run(
        [GraphDumpFixture.graphFile, "--fetch", "loss", "--feed", "hidden2"], in: directory)
    else { return }
    #expect(result.status == 0)
    #expect(result.standardError == "")
    let names = steps(result)
    #expect(!names.isEmpty)
    #expect(!names.contains { $0.hasPrefix("hidden1/") || $0.hasPrefix("hidden2/") })
    #expect(names.contains("hidden3/MatMul") && names.last == "loss")
    #expect(result.lines.contains("cut at fed tensors: hidden2/Relu"))
    #expect(result.lines.contains("placeholders still needed: y"))
    #expect(result.lines.contains { $0.hasPrefix("scopes not run: hidden1, hidden2") })
    #expect(
      result.lines.contains(
        "note: --feed 'hidden2' is a name scope: using its output 'hidden2/Relu'"))

    // The same steps, in the same order, as the library's own explain.
    let graph = try Graph(importing: directory.file(GraphDumpFixture.graphFile))
    let plan = try graph.explain(
      fetches: [graph.tensor(named: "loss")], feeds: [graph.tensor(named: "hidden2/Relu")])
    #expect(names == plan.steps.map(\.name))
  }

  @Test func planAsJSON() throws {
    let directory = try fixture()
    defer { directory.remove() }
    guard
      let result = try run(
        [GraphDumpFixture.graphFile, "--fetch=loss", "--feed=hidden2/Relu", "--json"],
        in: directory)
    else { return }
    #expect(result.status == 0)
    let root = try #require(
      try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any])
    #expect(root["graph"] == nil)
    let plan = try #require(root["plan"] as? [String: Any])
    #expect(plan["cuts"] as? [String] == ["hidden2/Relu"])
    #expect(plan["missingPlaceholders"] as? [String] == ["y"])
    let names = (plan["steps"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
    #expect(!names.isEmpty && !names.contains { $0.hasPrefix("hidden1/") })
  }

  @Test func graphJSONCountsParameters() throws {
    let directory = try fixture()
    defer { directory.remove() }
    guard let result = try run([GraphDumpFixture.graphFile, "--json"], in: directory) else {
      return
    }
    #expect(result.status == 0)
    let root = try #require(
      try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any])
    let graph = try #require(root["graph"] as? [String: Any])
    let parameters = try #require(graph["parameters"] as? [String: Int])
    #expect(parameters["total"] == 254_330)
    let scopes = (graph["scopes"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
    #expect(scopes.starts(with: ["", "hidden1", "hidden2", "hidden3", "hidden4", "outputs"]))
  }

  @Test func dotParsesWithGraphviz() throws {
    let directory = try fixture()
    defer { directory.remove() }
    let train = try GraphDumpFixture.trainingOpName()
    for extra in [[], ["--fetch", "loss", "--feed", "hidden2"], ["--target", train]] {
      guard let result = try run([GraphDumpFixture.graphFile, "--dot"] + extra, in: directory)
      else { return }
      #expect(result.status == 0)
      #expect(result.standardOutput.hasPrefix("digraph \"reuse.json\" {"))
      for scope in ["hidden1", "hidden2", "hidden3", "hidden4", "outputs", "gradients"] {
        #expect(result.standardOutput.contains("subgraph \"cluster_\(scope)\" {"))
      }
      guard let dot = Graphviz.locateDot(environment: ProcessInfo.processInfo.environment) else {
        let message =
          "Graphviz's dot is not installed, so the DOT was not parsed: install graphviz"
          + " (apt-get install graphviz; .ci/install-deps test does)"
        Issue.record("\(message)")
        return
      }
      let file = directory.file("graph.dot")
      try Data(result.standardOutput.utf8).write(to: URL(fileURLWithPath: file))
      let process = Process()
      process.executableURL = URL(fileURLWithPath: dot)
      process.arguments = ["-Tcanon", "-o", "/dev/null", file]
      process.standardError = FileHandle.nullDevice
      try process.run()
      process.waitUntilExit()
      #expect(process.terminationStatus == 0, "dot rejected the DOT for \(extra)")
    }
  }

  @Test func svgAndPNGAreRenderedBesidesTheTable() throws {
    let directory = try fixture()
    defer { directory.remove() }
    guard Graphviz.locateDot(environment: ProcessInfo.processInfo.environment) != nil else {
      Issue.record("Graphviz's dot is not installed: install graphviz (apt-get install graphviz)")
      return
    }
    guard
      let result = try run(
        [GraphDumpFixture.graphFile, "--svg", "model.svg", "--png", "model.png"], in: directory)
    else { return }
    #expect(result.status == 0)
    #expect(result.standardError == "")
    #expect(result.lines[0].hasPrefix("graph reuse.json"))
    let svg = try String(contentsOfFile: directory.file("model.svg"), encoding: .utf8)
    #expect(svg.contains("<svg") && svg.contains("hidden1"))
    let png = try bytesOfFile(directory.file("model.png"))
    #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]))
  }

  @Test func withoutGraphvizTheMessageSaysWhatToInstall() throws {
    let directory = try fixture()
    defer { directory.remove() }
    guard
      let result = try run(
        [GraphDumpFixture.graphFile, "--svg", "model.svg"], in: directory,
        environment: ["PATH": "/nonexistent"])
    else { return }
    #expect(result.status == 2)
    #expect(result.standardOutput == "")
    #expect(
      result.standardError
        == "graph-dump: error: cannot write model.svg: Graphviz's 'dot' is not installed (or not"
        + " on PATH); install it (Debian: apt-get install graphviz), or use --dot and render"
        + " elsewhere\n")
    #expect(!FileManager.default.fileExists(atPath: directory.file("model.svg")))
  }

  @Test func checkpointStatisticsMatchTheSavedValues() throws {
    let directory = try fixture()
    defer { directory.remove() }
    guard
      let result = try run(
        [GraphDumpFixture.graphFile, "--checkpoint", GraphDumpFixture.checkpointFile],
        in: directory)
    else { return }
    #expect(result.status == 0)
    #expect(
      result.lines.contains(
        "metadata: classes=5-9, global_step=80, reused_from=model_a.safetensors"))
    #expect(result.lines.contains("graph variables the checkpoint lacks: none"))
    #expect(result.lines.contains("checkpoint keys the graph does not know: none"))

    // Each row's mean, std, min and max are the values' own, to six digits.
    let file = try SafetensorsFile(path: directory.file(GraphDumpFixture.checkpointFile))
    for name in file.names {
      let values = try file.array(named: name).scalars(as: Float.self).map(Double.init)
      let mean = values.reduce(0, +) / Double(values.count)
      let std = (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count))
        .squareRoot()
      let expected = [mean, std, values.min()!, values.max()!].map { String(format: "%.6g", $0) }
      let row = result.lines.first { $0.hasPrefix("  \(name) ") }.map(cells)
      #expect(row.map { Array($0[3..<7]) } == expected, "\(name)")
      #expect(row?.last == "ok")
    }
  }

  @Test func checkpointThatDoesNotFitTheGraph() throws {
    let directory = try fixture()
    defer { directory.remove() }
    try SafetensorsFile.write(
      ["hidden1/kernel": try NDArray(zeros: [2, 2]), "extra": NDArray([Float(1)])],
      to: directory.file("other.safetensors"))
    guard
      let result = try run(
        [GraphDumpFixture.graphFile, "--checkpoint", "other.safetensors"], in: directory)
    else { return }
    #expect(result.status == 0)
    #expect(
      result.lines.contains(
        "graph variables the checkpoint lacks: hidden1/bias, hidden2/kernel, hidden2/bias,"
          + " hidden3/kernel, hidden3/bias, hidden4/kernel, hidden4/bias, outputs/kernel,"
          + " outputs/bias"))
    #expect(result.lines.contains("checkpoint keys the graph does not know: extra"))
    #expect(
      result.lines.contains {
        $0.hasPrefix("  hidden1/kernel ")
          && $0.hasSuffix("mismatch: the graph's variable is float32 (784, 300)")
      })
  }

  @Test func helpAndVersion() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    guard let help = try run(["--help"], in: directory),
      let version = try run(["--version"], in: directory)
    else { return }
    #expect(help.status == 0 && help.standardError == "")
    #expect(help.standardOutput == HelpText.help)
    #expect(version.status == 0)
    #expect(
      version.standardOutput
        == "graph-dump \(GraphDump.version) (Frost graph files, format version 1)\n")
  }

  /// Every error: the status, the message on standard error, nothing on standard output.
  @Test func everyErrorHasItsStatusAndMessage() throws {
    let directory = try fixture()
    defer { directory.remove() }
    let notJSON = try directory.write(Array("hello".utf8), to: "notes.json")
    let otherFormat = try directory.write(Array("{\"format\": \"other\"}".utf8), to: "other.json")
    let badCheckpoint = try directory.write([1, 2, 3], to: "bad.safetensors")
    let graph = GraphDumpFixture.graphFile
    let usage = "\nRun 'graph-dump --help' for usage.\n"
    let cases: [(arguments: [String], status: Int32, message: String)] = [
      (["missing.json"], 2, "graph-dump: error: missing.json: no such file\n"),
      ([notJSON], 2, "graph-dump: error: \(notJSON): not a JSON graph file"),
      ([otherFormat], 2, "graph-dump: error: \(otherFormat): not a Frost graph file"),
      ([graph, "--checkpoint", "missing.safetensors"], 2, "missing.safetensors: no such file\n"),
      ([graph, "--checkpoint", badCheckpoint], 2, "graph-dump: error: \(badCheckpoint): "),
      ([graph, "--svg", "/nonexistent/folder/model.svg"], 2, "cannot write /nonexistent/folder"),
      ([], 1, "graph-dump: error: no graph file given" + usage),
      ([graph, "--bogus"], 1, "graph-dump: error: unknown option '--bogus'" + usage),
      ([graph, "--fetch"], 1, "graph-dump: error: --fetch needs a value" + usage),
      ([graph, "--dot", "--json"], 1, "--dot and --json exclude each other" + usage),
      (
        [graph, "--fetch", "los"], 1,
        "graph-dump: error: --fetch: no tensor or name scope 'los' in the graph; did you mean"
          + " loss?" + usage
      ),
      (
        [graph, "--fetch", "loss", "--feed", "hiden2"], 1,
        "--feed: no tensor or name scope 'hiden2' in the graph; did you mean hidden2,"
      ),
      (
        [graph, "--target", "GradientDescnt"], 1,
        "--target: no operation named 'GradientDescnt' in the graph; did you mean"
      ),
      (
        [graph, "--trainable", "hidden[34"], 1,
        "graph-dump: error: --trainable: scope 'hidden[34' is not a valid regular expression"
          + usage
      ),
    ]
    for (arguments, status, message) in cases {
      if arguments.contains(where: { $0.hasSuffix(".svg") }),
        Graphviz.locateDot(environment: ProcessInfo.processInfo.environment) == nil
      {
        continue  // Without dot the message is about Graphviz, tested apart.
      }
      guard let result = try run(arguments, in: directory) else { return }
      #expect(result.status == status, "\(arguments)")
      #expect(result.standardOutput == "", "\(arguments)")
      #expect(
        result.standardError.hasPrefix("graph-dump: error: "),
        "\(arguments): \(result.standardError)")
      #expect(
        result.standardError.contains(message), "\(arguments): \(result.standardError)")
      #expect(result.standardError.hasSuffix("\n"))
    }
  }
}
