import Foundation
import Frost

/// The readable text of each report: the graph table, the plan, the checkpoint.
enum TextRenderer {
  /// The graph table: one block per top-level name scope, then the variables, the totals
  /// and a legend.
  static func render(_ summary: GraphSummary) -> String {
    var lines: [String] = []
    let variableCount = summary.variables.count
    let named = summary.scopes.filter { !$0.name.isEmpty }.count
    lines.append(
      "graph \(summary.path): \(count(summary.nodeCount, "node")),"
        + " \(count(variableCount, "variable")), \(count(named, "top-level name scope"))")
    for scope in summary.scopes {
      lines.append("")
      lines.append(
        "\(displayName(scope: scope.name)): \(describe(scope.parameters)),"
          + " \(flops(scope.flops, complete: scope.flopsComplete)) FLOPs/example")
      let rows = scope.nodes.map { node -> [String] in
        [
          node.name, node.type, dtypes(node.outputs), shapes(node.outputs),
          node.variableKind?.rawValue ?? "-", cell(node.flops), inputs(of: node),
        ]
      }
      lines += table(
        header: ["name", "op", "dtype", "shape", "variable", "FLOPs", "inputs"], rows: rows,
        rightAligned: [5])
    }

    lines.append("")
    lines.append("variables:")
    if summary.variables.isEmpty {
      lines.append("  none")
    } else {
      lines += table(
        header: ["name", "dtype", "shape", "elements", "mark", "trained by"],
        rows: summary.variables.map {
          [
            $0.name, $0.dtype.rawValue, $0.shape.description, grouped($0.elements),
            $0.kind.rawValue, $0.trainedBy.isEmpty ? "-" : $0.trainedBy.joined(separator: ", "),
          ]
        }, rightAligned: [3])
    }

    lines.append("")
    lines.append(
      "total: \(describe(summary.totals)),"
        + " \(flops(summary.flops, complete: summary.flopsComplete)) FLOPs/example")
    lines.append("")
    lines += legend(trainableScope: summary.trainableScope)
    return lines.joined(separator: "\n") + "\n"
  }

  /// What the marks and counts mean.
  static func legend(trainableScope: String?) -> [String] {
    let restriction = trainableScope.map { ", restricted to names matching '\($0)'" } ?? ""
    var lines = [
      "trainable: in the trainable collection\(restriction).",
      "frozen: any other variable that is not optimizer state: not in the trainable collection"
        + (trainableScope == nil ? "." : ","),
      "state: optimizer bookkeeping outside the trainable collection: inputs of update ops",
      "  (slots, beta powers) and integer variables assigns write (a global step).",
      "parameters: elements of trainable and frozen variables; optimizer state is apart.",
      "FLOPs: per example, each op on a batch of one (see --help); init: only initializes",
      "  variables, not counted; ?: a shape of unknown rank, not counted (totals are then >=).",
    ]
    if trainableScope != nil { lines.insert("  or outside the --trainable regex.", at: 2) }
    return lines
  }

  /// The plan: what is fetched, fed and run, where the feeds cut, what still needs a
  /// feed, which scopes run, then the steps in order.
  static func render(_ plan: PlanSummary, graphPath: String) -> String {
    let p = plan.plan
    var lines: [String] = ["plan for \(graphPath)"]
    lines.append("fetches: " + list(p.fetches))
    lines.append("targets: " + list(p.targets))
    lines.append("feeds: " + list(p.cuts + p.unusedFeeds))
    lines += plan.notes.map { "note: " + $0 }
    lines.append("cut at fed tensors: " + list(p.cuts))
    if !p.unusedFeeds.isEmpty { lines.append("fed but not needed: " + list(p.unusedFeeds)) }
    lines.append(
      "placeholders still needed: "
        + (p.missingPlaceholders.isEmpty ? "none" : list(p.missingPlaceholders)))
    lines.append("scopes run: " + list(plan.scopesRun.map(displayName(scope:))))
    lines.append("scopes not run: " + list(plan.scopesNotRun.map(displayName(scope:))))
    lines.append(
      "\(count(plan.steps.count, "operation")) in order,"
        + " \(flops(plan.flops, complete: plan.flopsComplete)) FLOPs/example:")
    let rows = plan.steps.enumerated().map { i, node -> [String] in
      [
        String(i + 1), node.name, node.type, dtypes(node.outputs), shapes(node.outputs),
        cell(node.flops),
      ]
    }
    lines += table(
      header: ["#", "name", "op", "dtype", "shape", "FLOPs"], rows: rows, rightAligned: [0, 5])
    return lines.joined(separator: "\n") + "\n"
  }

  /// The checkpoint: each tensor with its statistics and how it fits the graph, then the
  /// graph variables it lacks and the keys the graph does not know.
  static func render(_ checkpoint: CheckpointSummary) -> String {
    var lines: [String] = [
      "checkpoint \(checkpoint.path): \(count(checkpoint.entries.count, "tensor"))"
    ]
    if !checkpoint.metadata.isEmpty {
      lines.append(
        "metadata: " + checkpoint.metadata.map { "\($0.key)=\($0.value)" }.joined(separator: ", "))
    }
    let rows = checkpoint.entries.map { entry -> [String] in
      let stats = entry.statistics
      return [
        entry.name, entry.storedType, Shape(entry.shape).description,
        stats.map { number($0.mean) } ?? "-", stats.map { number($0.std) } ?? "-",
        stats.map { number($0.min) } ?? "-", stats.map { number($0.max) } ?? "-",
        describe(entry.match) + (entry.note.map { " (\($0))" } ?? ""),
      ]
    }
    lines += table(
      header: ["name", "dtype", "shape", "mean", "std", "min", "max", "graph"], rows: rows,
      rightAligned: [3, 4, 5, 6])
    if checkpoint.hasGraph {
      let unknown = checkpoint.entries.filter { $0.match == .notInGraph }.map(\.name)
      lines.append("graph variables the checkpoint lacks: " + noneOr(checkpoint.missing))
      lines.append("checkpoint keys the graph does not know: " + noneOr(unknown))
    }
    lines.append("std is the population standard deviation (ddof 0), computed in float64.")
    return lines.joined(separator: "\n") + "\n"
  }

  // MARK: - Cells

  static func describe(_ match: CheckpointSummary.Match) -> String {
    switch match {
    case .matches: "ok"
    case .notInGraph: "not in graph"
    case .mismatch(let type): "mismatch: the graph's variable is \(type)"
    case .noGraph: "-"
    }
  }

  static func describe(_ counts: ParameterCounts) -> String {
    var text =
      "\(grouped(counts.parameters)) parameters (\(grouped(counts.trainable)) trainable,"
      + " \(grouped(counts.frozen)) frozen)"
    if counts.state > 0 { text += ", \(grouped(counts.state)) optimizer state" }
    return text
  }

  static func displayName(scope: String) -> String { scope.isEmpty ? "(top level)" : scope }

  static func dtypes(_ outputs: [TensorType]) -> String {
    outputs.isEmpty ? "-" : outputs.map(\.dtype.rawValue).joined(separator: " | ")
  }

  static func shapes(_ outputs: [TensorType]) -> String {
    outputs.isEmpty ? "-" : outputs.map(\.shape.description).joined(separator: " | ")
  }

  static func inputs(of node: NodeSummary) -> String {
    let all = node.inputs + node.controlInputs.map { "^" + $0 }
    return all.isEmpty ? "-" : all.joined(separator: ", ")
  }

  static func cell(_ estimate: FLOPEstimate) -> String {
    switch estimate {
    case .counted(let value): grouped(value)
    case .unknown: "?"
    case .initializer: "init"
    }
  }

  static func flops(_ value: Int, complete: Bool) -> String {
    (complete ? "" : ">=") + grouped(value)
  }

  static func list(_ names: [String]) -> String {
    names.isEmpty ? "-" : names.joined(separator: ", ")
  }

  static func noneOr(_ names: [String]) -> String {
    names.isEmpty ? "none" : names.joined(separator: ", ")
  }

  static func count(_ value: Int, _ noun: String) -> String {
    "\(grouped(value)) \(noun)\(value == 1 ? "" : "s")"
  }

  /// `1,234,567`.
  static func grouped(_ value: Int) -> String {
    let digits = String(value.magnitude)
    var result = ""
    for (i, digit) in digits.enumerated() {
      if i > 0 && (digits.count - i) % 3 == 0 { result += "," }
      result.append(digit)
    }
    return (value < 0 ? "-" : "") + result
  }

  /// Six significant digits (`%.6g`); `nan`, `inf`, `-inf`.
  static func number(_ value: Double) -> String {
    if value.isNaN { return "nan" }
    if value.isInfinite { return value < 0 ? "-inf" : "inf" }
    return String(format: "%.6g", value)
  }

  /// Columns separated by two spaces, indented by two, padded to the widest cell; the
  /// last column is not padded, and no line ends in spaces.
  static func table(header: [String], rows: [[String]], rightAligned: Set<Int> = [])
    -> [String]
  {
    let all = [header] + rows
    var widths = Array(repeating: 0, count: header.count)
    for row in all {
      for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) }
    }
    return all.map { row in
      var line = " "
      for (i, cell) in row.enumerated() {
        let padding = String(repeating: " ", count: widths[i] - cell.count)
        let last = i == row.count - 1
        line += " " + (rightAligned.contains(i) ? padding + cell : cell + (last ? "" : padding))
        if !last { line += " " }
      }
      while line.hasSuffix(" ") { line.removeLast() }
      return line
    }
  }
}
