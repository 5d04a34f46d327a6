import Foundation
import Frost

/// A JSON value with object members in the order they were written, so the output reads
/// in the same order as the text and is the same from run to run.
indirect enum JSON: Equatable {
  case null
  case bool(Bool)
  case int(Int)
  /// A finite number; NaN and infinities are written as the strings `nan`, `inf`, `-inf`
  /// (JSON has none), as graph files do.
  case double(Double)
  case string(String)
  case array([JSON])
  case object([(String, JSON)])

  static func == (lhs: JSON, rhs: JSON) -> Bool { lhs.serialized() == rhs.serialized() }

  /// The text, indented by two spaces per level; arrays of scalars on one line.
  func serialized(indent: Int = 0) -> String {
    let pad = String(repeating: "  ", count: indent + 1)
    let closing = String(repeating: "  ", count: indent)
    switch self {
    case .null: return "null"
    case .bool(let value): return value ? "true" : "false"
    case .int(let value): return String(value)
    case .double(let value):
      if value.isNaN { return "\"nan\"" }
      if value.isInfinite { return value < 0 ? "\"-inf\"" : "\"inf\"" }
      return "\(value)"
    case .string(let value): return Self.quote(value)
    case .array(let items):
      if items.isEmpty { return "[]" }
      if items.allSatisfy(\.isScalar) {
        return "[" + items.map { $0.serialized() }.joined(separator: ", ") + "]"
      }
      return "[\n"
        + items.map { pad + $0.serialized(indent: indent + 1) }
        .joined(separator: ",\n") + "\n" + closing + "]"
    case .object(let members):
      if members.isEmpty { return "{}" }
      return "{\n"
        + members.map { pad + Self.quote($0.0) + ": " + $0.1.serialized(indent: indent + 1) }
        .joined(separator: ",\n") + "\n" + closing + "}"
    }
  }

  private var isScalar: Bool {
    switch self {
    case .array, .object: false
    default: true
    }
  }

  /// A JSON string literal, with control characters escaped.
  static func quote(_ text: String) -> String {
    var result = "\""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\"": result += "\\\""
      case "\\": result += "\\\\"
      case "\n": result += "\\n"
      case "\r": result += "\\r"
      case "\t": result += "\\t"
      case _ where scalar.value < 0x20:
        result += String(format: "\\u%04x", scalar.value)
      default: result.unicodeScalars.append(scalar)
      }
    }
    return result + "\""
  }
}

/// The reports as JSON: the same facts as the text, under `graph`, `plan` and `checkpoint`.
enum JSONRenderer {
  /// The JSON document holding the sections given.
  static func render(graph: GraphSummary?, plan: PlanSummary?, checkpoint: CheckpointSummary?)
    -> String
  {
    var members: [(String, JSON)] = [
      ("tool", .string("graph-dump")), ("version", .string(GraphDump.version)),
    ]
    if let graph { members.append(("graph", json(graph))) }
    if let plan { members.append(("plan", json(plan))) }
    if let checkpoint { members.append(("checkpoint", json(checkpoint))) }
    return JSON.object(members).serialized() + "\n"
  }

  static func json(_ summary: GraphSummary) -> JSON {
    .object([
      ("file", .string(summary.path)),
      ("trainableScope", summary.trainableScope.map(JSON.string) ?? .null),
      ("nodeCount", .int(summary.nodeCount)),
      ("parameters", json(summary.totals)),
      ("flopsPerExample", .int(summary.flops)),
      ("flopsComplete", .bool(summary.flopsComplete)),
      (
        "scopes",
        .array(
          summary.scopes.map { scope in
            .object([
              ("name", .string(scope.name)),
              ("parameters", json(scope.parameters)),
              ("flopsPerExample", .int(scope.flops)),
              ("flopsComplete", .bool(scope.flopsComplete)),
              ("nodes", .array(scope.nodes.map(json))),
            ])
          })
      ),
      (
        "variables",
        .array(
          summary.variables.map { variable in
            .object([
              ("name", .string(variable.name)), ("dtype", .string(variable.dtype.rawValue)),
              ("shape", json(variable.shape)), ("elements", .int(variable.elements)),
              ("kind", .string(variable.kind.rawValue)),
              ("trainedBy", .array(variable.trainedBy.map(JSON.string))),
            ])
          })
      ),
    ])
  }

  static func json(_ node: NodeSummary) -> JSON {
    let flops: JSON
    switch node.flops {
    case .counted(let value): flops = .int(value)
    case .unknown: flops = .null
    case .initializer: flops = .string("init")
    }
    return .object([
      ("name", .string(node.name)), ("op", .string(node.type)),
      (
        "outputs",
        .array(
          node.outputs.map {
            .object([("dtype", .string($0.dtype.rawValue)), ("shape", json($0.shape))])
          })
      ),
      ("inputs", .array(node.inputs.map(JSON.string))),
      ("controlInputs", .array(node.controlInputs.map(JSON.string))),
      ("variable", node.variableKind.map { .string($0.rawValue) } ?? .null),
      ("flopsPerExample", flops),
    ])
  }

  static func json(_ plan: PlanSummary) -> JSON {
    let p = plan.plan
    return .object([
      ("fetches", .array(p.fetches.map(JSON.string))),
      ("targets", .array(p.targets.map(JSON.string))),
      ("cuts", .array(p.cuts.map(JSON.string))),
      ("unusedFeeds", .array(p.unusedFeeds.map(JSON.string))),
      ("missingPlaceholders", .array(p.missingPlaceholders.map(JSON.string))),
      ("notes", .array(plan.notes.map(JSON.string))),
      ("scopesRun", .array(plan.scopesRun.map(JSON.string))),
      ("scopesNotRun", .array(plan.scopesNotRun.map(JSON.string))),
      ("flopsPerExample", .int(plan.flops)),
      ("flopsComplete", .bool(plan.flopsComplete)),
      (
        "steps",
        .array(
          plan.steps.map { step in
            .object([
              ("name", .string(step.name)), ("op", .string(step.type)),
              ("outputs", .array(step.outputs.map { json($0.shape) })),
              ("flopsPerExample", step.flops == .unknown ? .null : .int(step.flops.value)),
            ])
          })
      ),
    ])
  }

  static func json(_ checkpoint: CheckpointSummary) -> JSON {
    .object([
      ("file", .string(checkpoint.path)),
      ("metadata", .object(checkpoint.metadata.map { ($0.key, .string($0.value)) })),
      (
        "tensors",
        .array(
          checkpoint.entries.map { entry in
            var members: [(String, JSON)] = [
              ("name", .string(entry.name)), ("dtype", .string(entry.storedType)),
              ("shape", .array(entry.shape.map(JSON.int))),
            ]
            if let stats = entry.statistics {
              members += [
                ("mean", .double(stats.mean)), ("std", .double(stats.std)),
                ("min", .double(stats.min)), ("max", .double(stats.max)),
              ]
            } else {
              members += [("mean", .null), ("std", .null), ("min", .null), ("max", .null)]
            }
            members.append(("note", entry.note.map(JSON.string) ?? .null))
            members.append(("graph", json(entry.match)))
            return .object(members)
          })
      ),
      (
        "missingFromCheckpoint",
        checkpoint.hasGraph ? .array(checkpoint.missing.map(JSON.string)) : .null
      ),
      (
        "unknownToGraph",
        checkpoint.hasGraph
          ? .array(checkpoint.entries.filter { $0.match == .notInGraph }.map { .string($0.name) })
          : .null
      ),
    ])
  }

  static func json(_ match: CheckpointSummary.Match) -> JSON {
    switch match {
    case .matches: .string("ok")
    case .notInGraph: .string("not in graph")
    case .mismatch(let type):
      .object([
        (
          "mismatch",
          .object([("dtype", .string(type.dtype.rawValue)), ("shape", json(type.shape))])
        )
      ])
    case .noGraph: .null
    }
  }

  static func json(_ counts: ParameterCounts) -> JSON {
    .object([
      ("total", .int(counts.parameters)), ("trainable", .int(counts.trainable)),
      ("frozen", .int(counts.frozen)), ("optimizerState", .int(counts.state)),
    ])
  }

  /// `[null, 784]`; `null` for an unknown rank.
  static func json(_ shape: Shape) -> JSON {
    guard let dims = shape.dims else { return .null }
    return .array(dims.map { $0.map(JSON.int) ?? .null })
  }
}
