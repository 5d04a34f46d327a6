/// Which nodes a run executes, in what order, and where fed tensors cut the graph.
///
/// This is the pruning step of every run, and of `Graph.explain`: it refuses impossible
/// requests, cuts the inputs of every fed tensor, keeps what is reverse-reachable from the
/// fetches and targets, then orders it so that variable writes come as late as their
/// dependencies allow (every read in a run sees the values from before the run's writes,
/// unless it depends on a write).
struct PlanAnalysis {
  /// Nodes to execute or bind, in execution order.
  var schedule: [Int] = []
  /// Fed tensors that the walk reached and stopped at.
  var cuts: [Endpoint] = []
  /// Placeholders reached without a feed, each with the fetch or target that needs it.
  var missingFeeds: [(placeholder: Int, neededBy: String)] = []

  init(graph: Graph, fetches: [Endpoint], feeds: Set<Endpoint>, targets: [Int]) {
    var needed = Set<Int>()
    var cutSet = Set<Endpoint>()
    var missing: [Int: String] = [:]

    // Walk back from each root separately, so a missing feed names the root needing it.
    var roots: [(node: Int, label: String)] = []
    for fetch in fetches {
      if feeds.contains(fetch) {
        cutSet.insert(fetch)
      } else {
        roots.append((fetch.node, Tensor(graph: graph, endpoint: fetch).name))
      }
    }
    roots += targets.map { ($0, graph.node($0).name) }
    for root in roots {
      var stack = [root.node]
      while let id = stack.popLast() {
        guard needed.insert(id).inserted else { continue }
        let node = graph.node(id)
        if node.op === Ops.placeholder, missing[id] == nil { missing[id] = root.label }
        for input in node.inputs {
          if feeds.contains(input) {
            cutSet.insert(input)
          } else {
            stack.append(input.node)
          }
        }
        stack += node.controlInputs
      }
    }
    cuts = cutSet.sorted()
    missingFeeds = missing.keys.sorted().map { ($0, missing[$0]!) }
    schedule = Self.order(graph: graph, nodes: needed, feeds: feeds)
  }

  /// Kahn's algorithm over the needed nodes; reads first, writes only when nothing else is
  /// ready, and ties broken by creation order, so the schedule is deterministic.
  private static func order(graph: Graph, nodes: Set<Int>, feeds: Set<Endpoint>) -> [Int] {
    var pending: [Int: Int] = [:]
    var consumers: [Int: [Int]] = [:]
    for id in nodes {
      let node = graph.node(id)
      var producers = Set<Int>()
      for input in node.inputs where !feeds.contains(input) { producers.insert(input.node) }
      for control in node.controlInputs { producers.insert(control) }
      pending[id] = producers.count
      for producer in producers { consumers[producer, default: []].append(id) }
    }
    var reads = MinHeap()
    var writes = MinHeap()
    func release(_ id: Int) {
      if graph.node(id).op.writesVariables {
        writes.push(id)
      } else {
        reads.push(id)
      }
    }
    for (id, count) in pending where count == 0 { release(id) }
    var order: [Int] = []
    order.reserveCapacity(nodes.count)
    while let id = reads.pop() ?? writes.pop() {
      order.append(id)
      for consumer in consumers[id] ?? [] {
        pending[consumer]! -= 1
        if pending[consumer] == 0 { release(consumer) }
      }
    }
    precondition(order.count == nodes.count, "graph has a cycle")
    return order
  }
}

/// A binary min-heap of node ids.
struct MinHeap {
  private var items: [Int] = []

  mutating func push(_ value: Int) {
    items.append(value)
    var child = items.count - 1
    while child > 0 {
      let parent = (child - 1) / 2
      guard items[child] < items[parent] else { break }
      items.swapAt(child, parent)
      child = parent
    }
  }

  mutating func pop() -> Int? {
    guard let top = items.first else { return nil }
    let last = items.removeLast()
    if !items.isEmpty {
      items[0] = last
      var parent = 0
      while true {
        let left = 2 * parent + 1
        let right = left + 1
        var smallest = parent
        if left < items.count, items[left] < items[smallest] { smallest = left }
        if right < items.count, items[right] < items[smallest] { smallest = right }
        if smallest == parent { break }
        items.swapAt(parent, smallest)
        parent = smallest
      }
    }
    return top
  }
}

/// What a run would execute: the answer of `Graph.explain` and `Session.explain`.
public struct ExecutionPlan: Sendable, CustomStringConvertible {
  /// One operation of the plan.
  public struct Step: Sendable, Equatable {
    /// The operation's name (`hidden3/MatMul`).
    public let name: String
    /// Its op type (`MatMul`).
    public let type: String
  }

  /// The operations that run (or are bound: variables, constants), in execution order.
  public let steps: [Step]
  /// The fetched tensors' names.
  public let fetches: [String]
  /// The targets' names.
  public let targets: [String]
  /// The fed tensors where the walk stopped: nothing upstream of them runs.
  public let cuts: [String]
  /// The fed tensors the plan did not need (fed but not reached).
  public let unusedFeeds: [String]
  /// Placeholders the plan needs that are not fed; a run with these feeds would throw.
  public let missingPlaceholders: [String]

  /// Whether the plan runs an operation named `name`.
  public func runs(_ name: String) -> Bool { steps.contains { $0.name == name } }

  /// Whether the plan runs any operation in the name scope `scope` (`hidden1`).
  public func runsAnything(inScope scope: String) -> Bool {
    steps.contains { $0.name.hasPrefix(scope + "/") || $0.name == scope }
  }

  /// A readable listing: fetches and targets, the steps in order, the cuts, the
  /// placeholders still needed.
  public var description: String {
    var lines: [String] = []
    lines.append("fetches: " + (fetches.isEmpty ? "-" : fetches.joined(separator: ", ")))
    lines.append("targets: " + (targets.isEmpty ? "-" : targets.joined(separator: ", ")))
    lines.append("cut at fed tensors: " + (cuts.isEmpty ? "-" : cuts.joined(separator: ", ")))
    if !unusedFeeds.isEmpty {
      lines.append("fed but not needed: " + unusedFeeds.joined(separator: ", "))
    }
    lines.append(
      "placeholders still needed: "
        + (missingPlaceholders.isEmpty ? "none" : missingPlaceholders.joined(separator: ", ")))
    lines.append("\(steps.count) operations, in order:")
    let width = String(steps.count).count
    for (i, step) in steps.enumerated() {
      let number = String(i + 1)
      lines.append(
        "  " + String(repeating: " ", count: width - number.count) + number + "  "
          + step.name + "  (" + step.type + ")")
    }
    return lines.joined(separator: "\n")
  }
}

extension Graph {
  /// The plan a session would run for these fetches, feeds and targets, without running
  /// anything: which operations run in which order, where the feeds cut the graph, and
  /// which placeholders would still need a feed.
  ///
  /// - Throws: `FrostError.invalidArgument` when a tensor or operation belongs to another
  ///   graph, or there is nothing to fetch or run.
  public func explain(
    fetches: [Tensor] = [], feeds: [Tensor] = [], targets: [Operation] = []
  ) throws -> ExecutionPlan {
    let request = try PlanRequest(graph: self, fetches: fetches, feeds: feeds, targets: targets)
    let analysis = PlanAnalysis(
      graph: self, fetches: request.fetches, feeds: Set(request.feeds), targets: request.targets)
    return describe(request: request, analysis: analysis)
  }

  func describe(request: PlanRequest, analysis: PlanAnalysis) -> ExecutionPlan {
    let name = { (endpoint: Endpoint) in Tensor(graph: self, endpoint: endpoint).name }
    let cutSet = Set(analysis.cuts)
    return ExecutionPlan(
      steps: analysis.schedule.map {
        let node = node($0)
        return ExecutionPlan.Step(name: node.name, type: node.op.name)
      },
      fetches: request.fetches.map(name),
      targets: request.targets.map { node($0).name },
      cuts: analysis.cuts.map(name),
      unusedFeeds: request.feeds.filter { !cutSet.contains($0) }.map(name),
      missingPlaceholders: analysis.missingFeeds.map { node($0.placeholder).name })
  }
}

/// Fetches, feeds and targets, checked and in canonical order: the key of a compiled plan.
struct PlanRequest: Hashable {
  let fetches: [Endpoint]
  let feeds: [Endpoint]
  let targets: [Int]

  init(graph: Graph, fetches: [Tensor], feeds: [Tensor], targets: [Operation]) throws {
    guard !fetches.isEmpty || !targets.isEmpty else {
      throw FrostError.invalidArgument("nothing to run: no fetches and no targets")
    }
    for tensor in fetches where tensor.graph !== graph {
      throw FrostError.invalidArgument("fetch '\(tensor.name)' belongs to another graph")
    }
    for tensor in feeds where tensor.graph !== graph {
      throw FrostError.invalidArgument("feed '\(tensor.name)' belongs to another graph")
    }
    for op in targets where op.graph !== graph {
      throw FrostError.invalidArgument("target '\(op.name)' belongs to another graph")
    }
    let feedEndpoints = feeds.map(\.endpoint).sorted()
    for (a, b) in zip(feedEndpoints, feedEndpoints.dropFirst()) where a == b {
      throw FrostError.invalidArgument(
        "tensor '\(Tensor(graph: graph, endpoint: a).name)' is fed twice")
    }
    self.fetches = fetches.map(\.endpoint)
    self.feeds = feedEndpoints
    self.targets = targets.map(\.id)
  }
}
