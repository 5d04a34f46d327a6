import Foundation

/// Runs a graph: evaluates the tensors you fetch, given values for the tensors you feed,
/// as TensorFlow 1.x's `sess.run(fetches, feed_dict)` does.
///
/// Variables' values live in the session. Any tensor can be fed, not only placeholders:
/// a run walks back from its fetches and targets and stops at fed tensors, so nothing
/// upstream of a fed tensor runs and placeholders upstream of it need no feed.
///
/// Each combination of fetches, feeds and targets is compiled once into a plan that later
/// runs reuse. Runs that assign no variable may come from several threads at once; runs
/// that assign variables (initializers, training ops) take the session exclusively.
public final class Session: @unchecked Sendable {
  /// The graph this session runs.
  public let graph: Graph

  private let planLock = NSLock()
  private var plans: [PlanRequest: CompiledPlan] = [:]
  private var records: [Int: VariableRecord] = [:]
  let stateLock = ReadWriteLock()
  let randomSource = RandomSource()

  /// A session for `graph`, with every variable uninitialized.
  public init(graph: Graph) {
    self.graph = graph
  }

  // MARK: - Running

  /// Evaluates one tensor.
  ///
  /// - Throws: `FrostError` for a feed of the wrong dtype or shape, a needed placeholder
  ///   without a feed, an uninitialized variable, a tensor of another graph, or a kernel
  ///   failure. A failed run changes no variable.
  public func run(_ fetch: Tensor, feedDict: [Tensor: NDArray] = [:]) throws -> NDArray {
    try run([fetch], feedDict: feedDict)[0]
  }

  /// Evaluates several tensors in one run (every fetch sees the same variable values),
  /// after or alongside the target operations.
  ///
  /// - Throws: as `run(_:feedDict:)`.
  public func run(
    _ fetches: [Tensor], feedDict: [Tensor: NDArray] = [:], targets: [Operation] = []
  ) throws -> [NDArray] {
    let (plan, values) = try prepare(fetches: fetches, feedDict: feedDict, targets: targets)
    return try execute(plan, feeds: values)
  }

  /// The compiled plan for a request and the fed values in the plan's feed order.
  private func prepare(
    fetches: [Tensor], feedDict: [Tensor: NDArray], targets: [Operation]
  ) throws -> (CompiledPlan, [NDArray]) {
    let feeds = feedDict.sorted { $0.key.endpoint < $1.key.endpoint }
    let request = try PlanRequest(
      graph: graph, fetches: fetches, feeds: feeds.map(\.key), targets: targets)
    return (try plan(for: request), feeds.map(\.value))
  }

  /// Runs an operation for its effect (an initializer, a training op).
  ///
  /// - Throws: as `run(_:feedDict:)`.
  public func run(_ target: Operation, feedDict: [Tensor: NDArray] = [:]) throws {
    _ = try run([], feedDict: feedDict, targets: [target])
  }

  /// The plan a run with these fetches, feeds and targets executes; see `Graph.explain`.
  public func explain(
    fetches: [Tensor] = [], feeds: [Tensor] = [], targets: [Operation] = []
  ) throws -> ExecutionPlan {
    try graph.explain(fetches: fetches, feeds: feeds, targets: targets)
  }

  /// The number of plans compiled so far: a repeated run compiles nothing new.
  public var compiledPlanCount: Int {
    planLock.lock()
    defer { planLock.unlock() }
    return plans.count
  }

  func execute(_ plan: CompiledPlan, feeds: [NDArray]) throws -> [NDArray] {
    for (i, slot) in plan.feedSlots.enumerated() {
      let expected = plan.slotTypes[slot]
      let value = feeds[i]
      guard value.dtype == expected.dtype, expected.shape.accepts(value.shape) else {
        let name = Tensor(graph: graph, endpoint: plan.request.feeds[i]).name
        throw FrostError.invalidArgument(
          "feed for '\(name)': expected \(expected), got \(value.dtype)"
            + " \(describeShape(value.shape))")
      }
    }
    let body = {
      let state = plan.checkOut()
      defer { plan.checkIn(state) }
      return try FloatingPointMode.withDenormalsFlushed { try state.run(feeds: feeds) }
    }
    return try plan.isExclusive
      ? stateLock.withWriteLock(body) : stateLock.withReadLock(body)
  }

  func plan(for request: PlanRequest) throws -> CompiledPlan {
    planLock.lock()
    defer { planLock.unlock() }
    if let plan = plans[request] { return plan }
    let analysis = PlanAnalysis(
      graph: graph, fetches: request.fetches, feeds: Set(request.feeds),
      targets: request.targets)
    if let missing = analysis.missingFeeds.first {
      throw FrostError.missingFeed(
        placeholder: graph.node(missing.placeholder).name, neededBy: missing.neededBy)
    }
    let plan = try CompiledPlan(
      request: request, graph: graph, analysis: analysis, randomSource: randomSource,
      variable: record(for:))
    plans[request] = plan
    return plan
  }

  // MARK: - Profiling

  /// Runs the plan for these fetches, feeds and targets `runs` times with a timer around
  /// every kernel, and returns each operation's mean time per run, in plan order. Steps the
  /// plan skips (their values are read by nobody, only their shapes) are left out; fused
  /// steps appear once, under their last operation's name. The runs are real: a training
  /// op trains.
  ///
  /// - Throws: as `run(_:feedDict:targets:)`.
  public func profile(
    fetches: [Tensor] = [], targets: [Operation] = [], feedDict: [Tensor: NDArray] = [:],
    runs: Int = 100
  ) throws -> [KernelTiming] {
    let (plan, values) = try prepare(fetches: fetches, feedDict: feedDict, targets: targets)
    _ = try execute(plan, feeds: values)
    var seconds = [Double](repeating: 0, count: plan.steps.count)
    let body = {
      let state = plan.checkOut()
      defer { plan.checkIn(state) }
      try seconds.withUnsafeMutableBufferPointer { buffer in
        try FloatingPointMode.withDenormalsFlushed {
          for _ in 0..<max(runs, 1) {
            _ = try state.run(feeds: values, stepSeconds: buffer.baseAddress)
          }
        }
      }
      return plan.steps.map { step in
        step.inputs.map { describeShape(state.shapes[$0]) }.joined(separator: ", ")
      }
    }
    let shapes = try plan.isExclusive ? stateLock.withWriteLock(body) : stateLock.withReadLock(body)
    return plan.steps.enumerated().filter { plan.runs[$0.offset] }.map { index, step in
      KernelTiming(
        name: step.name, type: step.op.name, inputShapes: shapes[index],
        microseconds: seconds[index] / Double(max(runs, 1)) * 1e6)
    }
  }

  // MARK: - Variables

  /// The session's record of a variable node, created on first use. Called under
  /// `planLock` or with the state lock held.
  func record(for node: Int) -> VariableRecord {
    if let record = records[node] { return record }
    let definition = graph.node(node)
    let type = definition.outputs[0]
    let record = VariableRecord(
      node: node, name: definition.name, dtype: type.dtype, shape: type.shape.concrete!)
    records[node] = record
    return record
  }

  /// Looks up a variable's record for the API below, creating it when needed.
  func variableRecord(_ variable: Tensor) throws -> VariableRecord {
    guard variable.graph === graph else {
      throw FrostError.invalidArgument("'\(variable.name)' belongs to another graph")
    }
    guard variable.isVariable else {
      throw FrostError.invalidArgument("'\(variable.name)' is not a variable")
    }
    planLock.lock()
    defer { planLock.unlock() }
    return record(for: variable.endpoint.node)
  }

  /// Whether `variable` holds a value in this session.
  public func isInitialized(_ variable: Tensor) throws -> Bool {
    let record = try variableRecord(variable)
    return stateLock.withReadLock { record.isInitialized }
  }

  /// How many times `variable` has been written in this session (assignments, updates,
  /// restores); 0 before its first value.
  public func version(of variable: Tensor) throws -> UInt64 {
    let record = try variableRecord(variable)
    return stateLock.withReadLock { record.version }
  }

  /// Sets several variables at once, as a restore does: every value is checked against its
  /// variable first, and nothing is written unless all are valid.
  ///
  /// - Throws: `FrostError.invalidArgument` naming the variable whose value has the wrong
  ///   dtype or shape, or that is not a variable of this graph.
  public func assignValues(_ values: [Tensor: NDArray]) throws {
    let checked = try values.sorted { $0.key.endpoint < $1.key.endpoint }.map { variable, value in
      let record = try variableRecord(variable)
      guard value.dtype == record.dtype, value.shape == record.shape else {
        throw FrostError.invalidArgument(
          "value for variable '\(record.name)' is \(value.dtype) \(describeShape(value.shape)),"
            + " but the variable is \(record.dtype) \(describeShape(record.shape))")
      }
      return (record, value)
    }
    stateLock.withWriteLock {
      for (record, value) in checked { record.write(value) }
    }
  }
}

/// The time one operation of a plan took, from `Session.profile`.
public struct KernelTiming: Sendable {
  /// The operation's name.
  public let name: String
  /// Its op type.
  public let type: String
  /// Its inputs' concrete shapes, as `(110, 50), (50, 50)`.
  public let inputShapes: String
  /// Mean microseconds per run.
  public let microseconds: Double
}
