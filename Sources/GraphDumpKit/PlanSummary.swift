import Frost

/// The plan a session would run for the requested fetches, feeds and targets, from
/// `Graph.explain` (the code `Session.explain` runs), with each step's node details.
struct PlanSummary {
  /// The plan as `Graph.explain` returns it.
  let plan: ExecutionPlan
  /// How a name scope given for `--fetch` or `--feed` was read, one line each.
  let notes: [String]
  /// The plan's steps with their details, in execution order.
  let steps: [NodeSummary]
  /// The steps' counted FLOPs per example.
  let flops: Int
  let flopsComplete: Bool
  /// Top-level scopes (as the table orders them) with at least one step, and without.
  let scopesRun: [String]
  let scopesNotRun: [String]

  /// Resolves the names and explains the plan.
  ///
  /// - Throws: `UsageError` naming an unknown name with the closest known ones, or a
  ///   request the planner refuses (a tensor fed twice).
  init(
    graph: Graph, summary: GraphSummary, fetches: [String], feeds: [String], targets: [String]
  ) throws(UsageError) {
    var notes: [String] = []
    func tensors(_ names: [String], flag: String) throws(UsageError) -> [Tensor] {
      var result: [Tensor] = []
      for name in names {
        let (tensor, note) = try Self.resolveTensor(name, flag: flag, graph: graph)
        if let note { notes.append(note) }
        result.append(tensor)
      }
      return result
    }
    let fetchTensors = try tensors(fetches, flag: "--fetch")
    let feedTensors = try tensors(feeds, flag: "--feed")
    var targetOperations: [Frost.Operation] = []
    for name in targets {
      do {
        targetOperations.append(try graph.operation(named: name))
      } catch {
        throw UsageError(
          message: "--target: no operation named '\(name)' in the graph"
            + Self.hint(graph.closestNames(to: name)))
      }
    }

    let plan: ExecutionPlan
    do {
      plan = try graph.explain(fetches: fetchTensors, feeds: feedTensors, targets: targetOperations)
    } catch {
      throw UsageError(message: "cannot plan this run: \(error)")
    }
    self.plan = plan
    self.notes = notes
    steps = plan.steps.compactMap { summary.nodes[$0.name] }
    flops = steps.reduce(0) { $0 + $1.flops.value }
    flopsComplete = !steps.contains { $0.flops == .unknown }
    let run = Set(steps.map(\.scope))
    scopesRun = summary.scopes.map(\.name).filter(run.contains)
    scopesNotRun = summary.scopes.map(\.name).filter { !run.contains($0) }
  }

  /// The tensor `name` names, or, when `name` is a name scope and no node, the scope's
  /// output: the last operation created directly in it that has outputs and is not a
  /// variable (`hidden2` → `hidden2/Relu`), with a note saying so.
  static func resolveTensor(_ name: String, flag: String, graph: Graph) throws(UsageError)
    -> (Tensor, note: String?)
  {
    do {
      return (try graph.tensor(named: name), nil)
    } catch {
      // `op:9` naming an existing op: the library's message says which outputs it has.
      if let colon = name.lastIndex(of: ":"),
        (try? graph.operation(named: String(name[..<colon]))) != nil
      {
        throw UsageError(message: "\(flag): \(error)")
      }
    }
    let prefix = name + "/"
    let direct = graph.operations.filter { operation in
      operation.name.hasPrefix(prefix)
        && !operation.name.dropFirst(prefix.count).contains("/")
        && !operation.outputs.isEmpty && operation.type != "Variable"
    }
    if let output = direct.last?.outputs.first {
      return (output, "\(flag) '\(name)' is a name scope: using its output '\(output.name)'")
    }
    throw UsageError(
      message: "\(flag): no tensor or name scope '\(name)' in the graph"
        + hint(closestNames(to: name, in: graph)))
  }

  /// `; did you mean a, b?`, or nothing without suggestions.
  static func hint(_ suggestions: [String]) -> String {
    suggestions.isEmpty ? "" : "; did you mean " + suggestions.joined(separator: ", ") + "?"
  }

  /// Up to three node or name-scope names nearest to `name`, as `Graph.closestNames` picks
  /// node names (edit distance at most max(2, half the name's length)), nearest first.
  static func closestNames(to name: String, in graph: Graph, limit: Int = 3) -> [String] {
    var candidates: Set<String> = []
    for operation in graph.operations {
      candidates.insert(operation.name)
      var scope = ""
      for part in operation.name.split(separator: "/").dropLast() {
        scope += (scope.isEmpty ? "" : "/") + part
        candidates.insert(scope)
      }
    }
    let bound = max(2, name.count / 2)
    return candidates.map { (distance($0, name), $0) }
      .filter { $0.0 <= bound }
      .sorted { $0 < $1 }
      .prefix(limit).map(\.1)
  }

  /// Levenshtein distance.
  static func distance(_ a: String, _ b: String) -> Int {
    let x = Array(a)
    let y = Array(b)
    var previous = Array(0...y.count)
    for i in x.indices {
      var current = [i + 1]
      for j in y.indices {
        current.append(
          min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x[i] == y[j] ? 0 : 1)))
      }
      previous = current
    }
    return previous[y.count]
  }
}
