import Frost

/// The graph as Graphviz DOT: a cluster per name scope, variables styled by mark, and,
/// with a plan, the executed part highlighted and the cut drawn.
///
/// Nodes that only initialize variables are left out (the table lists them): they run
/// once, and would double the picture.
enum DOTRenderer {
  private enum Palette {
    static let trainable = "#c7e9c0"
    static let trainableLine = "#238b45"
    static let frozen = "#c6dbef"
    static let frozenLine = "#2171b5"
    static let state = "#eeeeee"
    static let stateLine = "#888888"
    static let placeholder = "#fff3b0"
    static let run = "#c0392b"
    static let faded = "#d9d9d9"
    static let fadedText = "#a6a6a6"
    static let cut = "#6a3d9a"
    static let needed = "#e67e22"
  }

  /// The DOT text of `summary`, highlighting `plan` when given.
  static func render(_ summary: GraphSummary, plan: PlanSummary? = nil) -> String {
    var lines: [String] = ["digraph \(quote(summary.path)) {"]
    var label = "\(summary.path)\n\(TextRenderer.describe(summary.totals))"
    label += "; \(TextRenderer.flops(summary.flops, complete: summary.flopsComplete)) FLOPs/example"
    if let plan {
      label += "\nplan: fetch \(TextRenderer.list(plan.plan.fetches))"
      if !plan.plan.targets.isEmpty { label += "; run \(TextRenderer.list(plan.plan.targets))" }
      if !plan.plan.cuts.isEmpty { label += "; feed \(TextRenderer.list(plan.plan.cuts))" }
    }
    lines += [
      "  graph [rankdir=TB, newrank=true, compound=true, fontname=\"Helvetica\", fontsize=12,"
        + " labelloc=t, nodesep=0.2, ranksep=0.3, label=\(quote(label))];",
      "  node [shape=box, style=\"rounded,filled\", fillcolor=\"#ffffff\", color=\"#555555\","
        + " fontname=\"Helvetica\", fontsize=9, height=0.3, margin=\"0.08,0.03\"];",
      "  edge [color=\"#777777\", arrowsize=0.5, fontname=\"Helvetica\", fontsize=8];",
    ]

    // Nodes, nested in one cluster per scope.
    let drawn = summary.scopes.flatMap(\.nodes).filter { $0.flops != .initializer }
    let drawnNames = Set(drawn.map(\.name))
    let context = Context(summary: summary, plan: plan)
    var root = Cluster(path: "")
    for node in drawn { root.insert(node) }
    lines += root.children.values.sorted { $0.order < $1.order }.flatMap {
      clusterLines($0, depth: 1, context: context)
    }
    lines += root.nodes.map { "  " + nodeLine($0, context: context) }

    // Edges: data, then control.
    for node in drawn {
      for input in node.inputs {
        let producer = opName(of: input)
        guard drawnNames.contains(producer) else { continue }
        lines.append("  " + edgeLine(from: producer, tensor: input, to: node, context: context))
      }
      for control in node.controlInputs where drawnNames.contains(control) {
        let color: String
        if context.plan == nil {
          color = "#999999"
        } else {
          color = context.runs(control) && context.runs(node.name) ? Palette.run : Palette.faded
        }
        lines.append(
          "  \(quote(control)) -> \(quote(node.name)) [style=dotted, color=\(quote(color))];")
      }
    }
    lines += legendLines(plan: plan)
    lines.append("}")
    return lines.joined(separator: "\n") + "\n"
  }

  /// What node and edge styles need to know.
  private struct Context {
    let summary: GraphSummary
    let plan: PlanSummary?
    let executed: Set<String>
    let fetched: Set<String>
    let cuts: Set<String>
    let missing: Set<String>

    init(summary: GraphSummary, plan: PlanSummary?) {
      self.summary = summary
      self.plan = plan
      executed = Set(plan?.steps.map(\.name) ?? [])
      fetched = Set((plan?.plan.fetches ?? []).map(opName(of:)) + (plan?.plan.targets ?? []))
      cuts = Set(plan?.plan.cuts ?? [])
      missing = Set(plan?.plan.missingPlaceholders ?? [])
    }

    /// Whether the node runs; every node does when no plan is drawn.
    func runs(_ name: String) -> Bool { plan == nil || executed.contains(name) }
  }

  /// A name scope and what it holds, in creation order.
  private struct Cluster {
    let path: String
    var order = Int.max
    var nodes: [NodeSummary] = []
    var children: [String: Cluster] = [:]
    private var counter = 0

    init(path: String) { self.path = path }

    /// The names of the nodes in this scope and all scopes inside it.
    var allNodeNames: [String] { nodes.map(\.name) + children.values.flatMap(\.allNodeNames) }

    mutating func insert(_ node: NodeSummary) {
      insert(node, parts: node.name.split(separator: "/").dropLast().map(String.init))
    }

    private mutating func insert(_ node: NodeSummary, parts: [String]) {
      counter += 1
      guard let first = parts.first else {
        nodes.append(node)
        return
      }
      let childPath = path.isEmpty ? first : path + "/" + first
      var child = children[first] ?? Cluster(path: childPath)
      if child.order == .max { child.order = counter }
      child.insert(node, parts: Array(parts.dropFirst()))
      children[first] = child
    }
  }

  private static func clusterLines(_ cluster: Cluster, depth: Int, context: Context) -> [String] {
    let indent = String(repeating: "  ", count: depth)
    var label = cluster.path.split(separator: "/").last.map(String.init) ?? cluster.path
    if depth == 1, let scope = context.summary.scopes.first(where: { $0.name == cluster.path }) {
      label +=
        "\n\(TextRenderer.grouped(scope.parameters.parameters)) parameters,"
        + " \(TextRenderer.flops(scope.flops, complete: scope.flopsComplete)) FLOPs/example"
    }
    let active = cluster.allNodeNames.contains(where: context.runs)
    var lines = [
      indent + "subgraph \(quote("cluster_" + cluster.path)) {",
      indent + "  label=\(quote(label)); style=\"rounded,filled\"; fontsize=10;"
        + " fillcolor=\(quote(depth % 2 == 1 ? "#f7f7f7" : "#ffffff"));"
        + " color=\(quote(active ? "#999999" : Palette.faded));"
        + (active ? "" : " fontcolor=\(quote(Palette.fadedText));"),
    ]
    for child in cluster.children.values.sorted(by: { $0.order < $1.order }) {
      lines += clusterLines(child, depth: depth + 1, context: context)
    }
    lines += cluster.nodes.map { indent + "  " + nodeLine($0, context: context) }
    lines.append(indent + "}")
    return lines
  }

  private static func nodeLine(_ node: NodeSummary, context: Context) -> String {
    let short = node.name.split(separator: "/").last.map(String.init) ?? node.name
    var label = short == node.type ? short : "\(short)\n\(node.type)"
    if let output = node.outputs.first { label += " \(output.shape)" }
    var attributes: [(String, String)] = []
    switch node.variableKind {
    case .trainable?:
      label += "\ntrainable"
      attributes += [
        ("shape", "cylinder"), ("fillcolor", Palette.trainable), ("color", Palette.trainableLine),
      ]
    case .frozen?:
      label += "\nfrozen"
      attributes += [
        ("shape", "cylinder"), ("fillcolor", Palette.frozen), ("color", Palette.frozenLine),
        ("style", "filled,dashed"),
      ]
    case .state?:
      label += "\noptimizer state"
      attributes += [
        ("shape", "cylinder"), ("fillcolor", Palette.state), ("color", Palette.stateLine),
      ]
    case nil:
      if node.type == "Placeholder" {
        attributes += [("shape", "invhouse"), ("fillcolor", Palette.placeholder)]
      } else if node.type == "Const" {
        attributes += [("fontcolor", "#555555")]
      }
    }

    if context.plan != nil {
      if context.cuts.contains(node.name)
        || context.cuts.contains(where: { opName(of: $0) == node.name })
      {
        label += "\nfed (cut)"
        attributes += [("color", Palette.cut), ("penwidth", "2.5")]
      } else if context.missing.contains(node.name) {
        label += "\nneeds a feed"
        attributes += [("color", Palette.needed), ("penwidth", "2.5")]
      } else if context.executed.contains(node.name) {
        attributes += [("color", Palette.run), ("penwidth", "2")]
      } else {
        attributes += [
          ("fillcolor", "#fafafa"), ("color", Palette.faded),
          ("fontcolor", Palette.fadedText),
        ]
      }
      if context.fetched.contains(node.name) { attributes.append(("peripheries", "2")) }
    }
    attributes.insert(("label", label), at: 0)
    attributes.append(("tooltip", "\(node.name) (\(node.type))"))
    return quote(node.name) + " [" + attributeList(attributes) + "];"
  }

  private static func edgeLine(
    from producer: String, tensor: String, to node: NodeSummary,
    context: Context
  ) -> String {
    let type = context.summary.nodes[producer].flatMap { summary in
      summary.outputs.indices.contains(outputIndex(of: tensor))
        ? summary.outputs[outputIndex(of: tensor)] : nil
    }
    var attributes: [(String, String)] = [
      ("tooltip", tensor + (type.map { ": \($0)" } ?? ""))
    ]
    if context.plan != nil {
      if context.cuts.contains(tensor) && context.executed.contains(node.name) {
        attributes += [
          ("color", Palette.cut), ("style", "dashed"), ("penwidth", "2"), ("label", "cut: fed"),
          ("fontcolor", Palette.cut),
        ]
      } else if context.executed.contains(producer) && context.executed.contains(node.name) {
        attributes += [("color", Palette.run), ("penwidth", "1.5")]
      } else {
        attributes += [("color", Palette.faded)]
      }
    }
    return "\(quote(producer)) -> \(quote(node.name)) [" + attributeList(attributes) + "];"
  }

  private static func legendLines(plan: PlanSummary?) -> [String] {
    var entries: [(String, [(String, String)])] = [
      (
        "trainable variable",
        [
          ("shape", "cylinder"), ("fillcolor", Palette.trainable), ("color", Palette.trainableLine),
        ]
      ),
      (
        "frozen variable\n(not trainable)",
        [
          ("shape", "cylinder"), ("fillcolor", Palette.frozen), ("color", Palette.frozenLine),
          ("style", "filled,dashed"),
        ]
      ),
      (
        "optimizer state",
        [
          ("shape", "cylinder"), ("fillcolor", Palette.state), ("color", Palette.stateLine),
        ]
      ),
      ("placeholder", [("shape", "invhouse"), ("fillcolor", Palette.placeholder)]),
    ]
    if plan != nil {
      entries += [
        ("runs in the plan", [("color", Palette.run), ("penwidth", "2")]),
        ("fed: the cut", [("color", Palette.cut), ("penwidth", "2.5")]),
        ("needs a feed", [("color", Palette.needed), ("penwidth", "2.5")]),
        ("not run", [("color", Palette.faded), ("fontcolor", Palette.fadedText)]),
      ]
    }
    var lines = [
      "  subgraph \"cluster_legend\" {",
      "    label=\"legend (initializers not drawn)\"; style=\"rounded\"; color=\"#bbbbbb\";"
        + " fontsize=10;",
    ]
    for (i, entry) in entries.enumerated() {
      lines.append(
        "    \"legend:\(i)\" [" + attributeList([("label", entry.0)] + entry.1) + "];")
    }
    for i in entries.indices.dropLast() {
      lines.append("    \"legend:\(i)\" -> \"legend:\(i + 1)\" [style=invis];")
    }
    lines.append("  }")
    return lines
  }

  // MARK: - Helpers

  /// `name` without an output index (`split:1` → `split`).
  static func opName(of tensor: String) -> String {
    guard let colon = tensor.lastIndex(of: ":"), Int(tensor[tensor.index(after: colon)...]) != nil
    else { return tensor }
    return String(tensor[..<colon])
  }

  static func outputIndex(of tensor: String) -> Int {
    guard let colon = tensor.lastIndex(of: ":"),
      let index = Int(tensor[tensor.index(after: colon)...])
    else { return 0 }
    return index
  }

  static func attributeList(_ attributes: [(String, String)]) -> String {
    // A later value for the same key overrides an earlier one, as in DOT itself; keep the
    // last only, so the text states each attribute once.
    var seen: Set<String> = []
    var kept: [(String, String)] = []
    for (key, value) in attributes.reversed() where seen.insert(key).inserted {
      kept.append((key, value))
    }
    return kept.reversed().map { "\($0.0)=\(quote($0.1))" }.joined(separator: ", ")
  }

  /// A DOT double-quoted string; newlines become `\n` (a centred line break).
  static func quote(_ text: String) -> String {
    var result = "\""
    for character in text {
      switch character {
      case "\"": result += "\\\""
      case "\\": result += "\\\\"
      case "\n": result += "\\n"
      default: result.append(character)
      }
    }
    return result + "\""
  }
}
