import Foundation

/// A plan compiled once per (fetches, feeds, targets) in one session: kernels resolved,
/// every tensor given a slot, variables bound to the session's storage. Runs reuse it,
/// and reuse its buffers as long as the fed shapes stay the same.
final class CompiledPlan: @unchecked Sendable {
  enum SlotSource {
    case step(Int)
    case feed(Int)
    case variable(VariableRecord)
    case constant(NDArray)
    /// An intermediate that a fused step computes without storing.
    case elided
  }

  struct Step {
    let nodeID: Int
    let name: String
    let op: OpDefinition
    let attributes: Attributes
    let inputNames: [String]
    let kernel: Kernel
    let inputs: [Int]
    let outputs: [Int]
    /// The variables this step writes.
    let writes: [VariableRecord]
  }

  let request: PlanRequest
  let description: ExecutionPlan
  let slotTypes: [TensorType]
  let slotSources: [SlotSource]
  let steps: [Step]
  /// The slot of each fed tensor, in `request.feeds` order.
  let feedSlots: [Int]
  /// The slot of each fetch, in `request.fetches` order.
  let fetchSlots: [Int]
  let variables: [(slot: Int, record: VariableRecord)]
  let constants: [(slot: Int, value: NDArray)]
  /// Variables that some step reads before any step of the plan assigns them.
  let mustBeInitialized: [VariableRecord]
  /// Whether the plan writes variables: such runs hold the session exclusively.
  let isExclusive: Bool
  /// Variables to copy before running and restore if a step fails after a write.
  let restoreOnFailure: [VariableRecord]
  /// Fetches read from a variable the plan also writes, captured before the first write:
  /// (fetch index, step index after which its value is complete; -1 before any step).
  let earlyCaptures: [(fetch: Int, afterStep: Int)]

  /// For each slot, the slot owning its memory (itself unless an aliasing step made it).
  let aliasRoot: [Int]
  /// Buffer roots to release after each step: their last reader has run.
  let releaseAfterStep: [[Int]]
  /// Steps whose output 0 may take over input 0's buffer.
  let inPlaceSteps: Set<Int>
  /// Whether each slot's value is read by some step that runs, or fetched. A slot read
  /// only for its shape (a gradient's shape reference) need not be computed.
  let valueNeeded: [Bool]
  /// Whether each step runs: it writes variables, has no outputs, aliases (free), or some
  /// output's value is needed. Shapes are derived for every step regardless.
  let runs: [Bool]
  let randomSource: RandomSource

  private let poolLock = NSLock()
  private var pool: [RunState] = []

  init(
    request: PlanRequest, graph: Graph, analysis: PlanAnalysis, randomSource: RandomSource,
    variable: (Int) -> VariableRecord
  ) throws {
    self.request = request
    self.randomSource = randomSource
    self.description = graph.describe(request: request, analysis: analysis)

    // One slot per fed tensor, then one per output of each scheduled node.
    var slotOf: [Endpoint: Int] = [:]
    var types: [TensorType] = []
    var sources: [SlotSource] = []
    for (i, endpoint) in request.feeds.enumerated() {
      slotOf[endpoint] = types.count
      types.append(graph.node(endpoint.node).outputs[endpoint.index])
      sources.append(.feed(i))
    }
    var steps: [Step] = []
    var variables: [(Int, VariableRecord)] = []
    var constants: [(Int, NDArray)] = []
    for id in analysis.schedule {
      let node = graph.node(id)
      if node.op === Ops.variable {
        let endpoint = Endpoint(node: id, index: 0)
        guard slotOf[endpoint] == nil else { continue }
        slotOf[endpoint] = types.count
        let record = variable(id)
        variables.append((types.count, record))
        types.append(node.outputs[0])
        sources.append(.variable(record))
        continue
      }
      if node.op === Ops.constant {
        let endpoint = Endpoint(node: id, index: 0)
        guard slotOf[endpoint] == nil else { continue }
        let value = Attributes(node.attributes, owner: node.name).array("value")
        slotOf[endpoint] = types.count
        constants.append((types.count, value))
        types.append(node.outputs[0])
        sources.append(.constant(value))
        continue
      }
      guard let makeKernel = node.op.kernel else {
        preconditionFailure("op \(node.op.name) of '\(node.name)' cannot execute")
      }
      let inputs = node.inputs.map { endpoint in
        guard let slot = slotOf[endpoint] else {
          preconditionFailure("input of '\(node.name)' scheduled after it")
        }
        return slot
      }
      var outputs: [Int] = []
      for (index, type) in node.outputs.enumerated() {
        // A fed output of a node that runs for its other outputs keeps the feed's slot:
        // consumers read the fed value, and the node writes a slot nobody reads.
        let endpoint = Endpoint(node: id, index: index)
        if slotOf[endpoint] == nil { slotOf[endpoint] = types.count }
        outputs.append(types.count)
        types.append(type)
        sources.append(.step(steps.count))
      }
      var writes: [VariableRecord] = []
      for index in node.op.writtenInputs {
        let target = node.inputs[index]
        if request.feeds.contains(target) {
          throw FrostError.invalidArgument(
            "'\(node.name)' assigns variable '\(graph.node(target.node).name)',"
              + " which is fed in the same run")
        }
        writes.append(variable(target.node))
      }
      let attributes = Attributes(node.attributes, owner: node.name)
      let setup = KernelSetup(
        nodeID: id, nodeName: node.name, attributes: attributes,
        inputTypes: node.inputs.map { graph.node($0.node).outputs[$0.index] },
        outputTypes: node.outputs)
      steps.append(
        Step(
          nodeID: id, name: node.name, op: node.op, attributes: attributes,
          inputNames: node.inputs.map { Tensor(graph: graph, endpoint: $0).name },
          kernel: try makeKernel(setup), inputs: inputs, outputs: outputs, writes: writes))
    }
    let fetchSlots = request.fetches.map { slotOf[$0]! }
    steps = Fusion.fuse(steps, types: types, keep: Set(fetchSlots))
    for (index, step) in steps.enumerated() {
      for slot in step.outputs { sources[slot] = .step(index) }
    }
    for (slot, source) in sources.enumerated() {
      guard case .step(let index) = source else { continue }
      if index >= steps.count || !steps[index].outputs.contains(slot) { sources[slot] = .elided }
    }
    self.slotTypes = types
    self.slotSources = sources
    self.steps = steps
    self.feedSlots = request.feeds.map { slotOf[$0]! }
    self.fetchSlots = fetchSlots
    self.variables = variables
    self.constants = constants

    // Which variables must hold a value before the run: those read before being assigned.
    var assigned = Set<Int>()
    var mustBeInitialized: [VariableRecord] = []
    var checked = Set<Int>()
    let recordOfSlot = Dictionary(uniqueKeysWithValues: variables.map { ($0.0, $0.1) })
    for step in steps {
      let assignsOnly = !step.op.traits.contains(.readsWrittenVariables)
      for (position, slot) in step.inputs.enumerated() {
        guard let record = recordOfSlot[slot] else { continue }
        if assignsOnly && step.op.writtenInputs.contains(position) { continue }
        if !assigned.contains(record.node), checked.insert(record.node).inserted {
          mustBeInitialized.append(record)
        }
      }
      for record in step.writes { assigned.insert(record.node) }
    }
    for slot in fetchSlots {
      guard let record = recordOfSlot[slot], !assigned.contains(record.node) else { continue }
      if checked.insert(record.node).inserted { mustBeInitialized.append(record) }
    }
    self.mustBeInitialized = mustBeInitialized

    let written = steps.flatMap(\.writes)
    self.isExclusive = !written.isEmpty
    let firstWrite = steps.firstIndex { !$0.writes.isEmpty } ?? steps.count
    let failsAfterWrite = steps[firstWrite...].contains { $0.op.traits.contains(.canFail) }
    var uniqueWritten: [VariableRecord] = []
    for record in written where !uniqueWritten.contains(where: { $0 === record }) {
      uniqueWritten.append(record)
    }
    self.restoreOnFailure = failsAfterWrite ? uniqueWritten : []

    // A fetch whose memory is a written variable's must be copied before the write.
    let aliasRoot = Self.aliasRoots(steps: steps, slotCount: types.count)
    self.aliasRoot = aliasRoot
    var captures: [(Int, Int)] = []
    let writtenNodes = Set(written.map(\.node))
    for (fetch, slot) in fetchSlots.enumerated() {
      guard let record = recordOfSlot[aliasRoot[slot]], writtenNodes.contains(record.node)
      else { continue }
      let producer = steps.firstIndex { $0.outputs.contains(slot) } ?? -1
      captures.append((fetch, producer))
    }
    self.earlyCaptures = captures

    // Liveness of each buffer root: the last step reading it or any alias of it.
    var lastUse = [Int](repeating: -1, count: types.count)
    for (index, step) in steps.enumerated() {
      for slot in step.outputs { lastUse[aliasRoot[slot]] = max(lastUse[aliasRoot[slot]], index) }
      for slot in step.inputs { lastUse[aliasRoot[slot]] = index }
    }
    for slot in fetchSlots { lastUse[aliasRoot[slot]] = Int.max }
    var release = [[Int]](repeating: [], count: steps.count)
    for slot in 0..<types.count where aliasRoot[slot] == slot {
      guard case .step(let producer) = sources[slot],
        !steps[producer].op.traits.contains(.aliasesInput),
        lastUse[slot] != Int.max
      else { continue }
      release[max(lastUse[slot], producer)].append(slot)
    }
    self.releaseAfterStep = release
    var inPlace = Set<Int>()
    for (index, step) in steps.enumerated() where step.op.traits.contains(.inPlace) {
      let root = aliasRoot[step.inputs[0]]
      guard case .step(let producer) = sources[root],
        !steps[producer].op.traits.contains(.aliasesInput),
        lastUse[root] == index,
        types[root].dtype.byteSize == types[step.outputs[0]].dtype.byteSize
      else { continue }
      inPlace.insert(index)
    }
    self.inPlaceSteps = inPlace

    // Backwards: a step runs if anything reads its values; then it reads its inputs'.
    var needed = [Bool](repeating: false, count: types.count)
    for slot in fetchSlots { needed[slot] = true }
    var runs = [Bool](repeating: true, count: steps.count)
    for (index, step) in steps.enumerated().reversed() {
      let aliases = step.op.traits.contains(.aliasesInput)
      let live =
        !step.writes.isEmpty || step.outputs.isEmpty || aliases
        || step.outputs.contains { needed[$0] }
      runs[index] = live
      guard live else { continue }
      for (position, slot) in step.inputs.enumerated()
      where !step.op.shapeOnlyInputs.contains(position) {
        if aliases && position == 0 && !needed[step.outputs[0]] { continue }
        needed[slot] = true
      }
    }
    self.valueNeeded = needed
    self.runs = runs
  }

  /// For each slot, the slot whose memory it shares through aliasing steps (itself when
  /// it owns its memory).
  static func aliasRoots(steps: [Step], slotCount: Int) -> [Int] {
    var root = Array(0..<slotCount)
    for step in steps where step.op.traits.contains(.aliasesInput) {
      root[step.outputs[0]] = root[step.inputs[0]]
    }
    return root
  }

  /// A run state from the pool, or a new one.
  func checkOut() -> RunState {
    poolLock.lock()
    defer { poolLock.unlock() }
    return pool.popLast() ?? RunState(plan: self)
  }

  /// Returns a state to the pool, unless its buffers are large enough that keeping them
  /// would hold memory a one-off run (a whole dataset at once) should give back.
  func checkIn(_ state: RunState) {
    guard state.arenaBytes <= 64 << 20 else { return }
    poolLock.lock()
    defer { poolLock.unlock() }
    pool.append(state)
  }
}
