import Foundation
import Frost

/// A file that is missing or invalid, an output that cannot be written, or Graphviz
/// missing: exit status 2.
struct FileFailure: Error, Equatable {
  let message: String
}

/// What one run of `graph-dump` prints and how it exits.
public struct GraphDumpResult: Equatable, Sendable {
  /// The text for standard output.
  public var standardOutput: String
  /// The text for standard error: empty, or one error message with its hint.
  public var standardError: String
  /// 0 success; 1 bad usage (unknown flag, missing value, unknown name); 2 a missing or
  /// invalid file, an output that cannot be written, or Graphviz missing.
  public var status: Int32
}

/// The `graph-dump` command: inspects Frost graph files, execution plans and checkpoints.
public enum GraphDump {
  /// The tool's version.
  public static let version = "0.1.0"

  /// Runs the command for `arguments` (without the program name). Writes only the
  /// pictures `--svg` and `--png` ask for; everything else is returned.
  ///
  /// `environment` supplies `PATH`, where Graphviz's `dot` is looked for.
  public static func run(arguments: [String], environment: [String: String]) -> GraphDumpResult {
    do {
      switch try ArgumentParser.parse(arguments) {
      case .help:
        return GraphDumpResult(standardOutput: HelpText.help, standardError: "", status: 0)
      case .version:
        return GraphDumpResult(
          standardOutput: "graph-dump \(version) (Frost graph files, format version"
            + " \(GraphFileFormat.version))\n", standardError: "", status: 0)
      case .dump(let options):
        return try dump(options, environment: environment)
      }
    } catch let error as UsageError {
      return GraphDumpResult(
        standardOutput: "",
        standardError: "graph-dump: error: \(error.message)\n"
          + "Run 'graph-dump --help' for usage.\n", status: 1)
    } catch let failure as FileFailure {
      return GraphDumpResult(
        standardOutput: "", standardError: "graph-dump: error: \(failure.message)\n", status: 2)
    } catch {
      return GraphDumpResult(
        standardOutput: "", standardError: "graph-dump: error: \(error)\n", status: 2)
    }
  }

  /// Loads the files, builds the sections asked for and renders them.
  static func dump(_ options: GraphDumpOptions, environment: [String: String]) throws
    -> GraphDumpResult
  {
    // Files first: a missing file is reported before a name that is not in it.
    var graph: Graph?
    var summary: GraphSummary?
    if let path = options.graphPath {
      let loaded: Graph
      do {
        loaded = try Graph(importing: path)
      } catch {
        throw FileFailure(message: "\(error)")
      }
      graph = loaded
      do {
        summary = try GraphSummary(
          graph: loaded, path: path, trainableScope: options.trainableScope)
      } catch {
        throw UsageError(message: "--trainable: \(error)")
      }
    }
    var checkpoint: CheckpointSummary?
    if let path = options.checkpointPath {
      do {
        checkpoint = try CheckpointSummary(path: path, graph: graph)
      } catch {
        throw FileFailure(message: "\(error)")
      }
    }
    var plan: PlanSummary?
    if options.wantsPlan, let graph, let summary {
      plan = try PlanSummary(
        graph: graph, summary: summary, fetches: options.fetches, feeds: options.feeds,
        targets: options.targets)
    }

    // Pictures, then standard output.
    if let summary {
      let pictures = [("svg", options.svgPath), ("png", options.pngPath)]
      for case let (format, path?) in pictures {
        try Graphviz.render(
          DOTRenderer.render(summary, plan: plan), format: format, to: path,
          environment: environment)
      }
    }
    let showGraph = plan == nil && checkpoint == nil
    let output: String
    switch options.format {
    case .dot:
      output = summary.map { DOTRenderer.render($0, plan: plan) } ?? ""
    case .json:
      output = JSONRenderer.render(
        graph: showGraph ? summary : nil, plan: plan, checkpoint: checkpoint)
    case .text:
      var sections: [String] = []
      if showGraph, let summary { sections.append(TextRenderer.render(summary)) }
      if let plan, let path = options.graphPath {
        sections.append(TextRenderer.render(plan, graphPath: path))
      }
      if let checkpoint { sections.append(TextRenderer.render(checkpoint)) }
      output = sections.joined(separator: "\n")
    }
    return GraphDumpResult(standardOutput: output, standardError: "", status: 0)
  }
}
