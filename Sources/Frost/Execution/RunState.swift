import Foundation

/// The buffers and concrete shapes of one plan, reused from run to run.
///
/// A plan keeps a pool of these, one per concurrent run. Shapes are derived again, and
/// buffers assigned again, only when the fed shapes differ from the previous run's.
final class RunState {
  unowned let plan: CompiledPlan
  var data: [UnsafeMutableRawPointer?]
  var shapes: [[Int]]
  var counts: [Int]
  private var arena: [TensorStorage] = []
  private(set) var arenaBytes = 0
  private var derivedFor: [[Int]]?

  var randomSource: RandomSource { plan.randomSource }

  init(plan: CompiledPlan) {
    self.plan = plan
    let slotCount = plan.slotTypes.count
    data = Array(repeating: nil, count: slotCount)
    shapes = Array(repeating: [], count: slotCount)
    counts = Array(repeating: 0, count: slotCount)
    for (slot, record) in plan.variables {
      data[slot] = record.storage.bytes
      shapes[slot] = record.shape
      counts[slot] = record.shape.reduce(1, *)
    }
    for (slot, value) in plan.constants {
      data[slot] = value.rawPointer
      shapes[slot] = value.shape
      counts[slot] = value.count
    }
  }

  func view(_ slot: Int) -> TensorView {
    TensorView(data: data[slot]!, shape: shapes[slot], count: counts[slot])
  }

  /// Runs the plan on `feeds` (in `plan.request.feeds` order, already checked against the
  /// tensors' static types) and returns the fetched values.
  func run(feeds: [NDArray], stepSeconds: UnsafeMutablePointer<Double>? = nil) throws
    -> [NDArray]
  {
    var shapesChanged = derivedFor == nil
    for (i, slot) in plan.feedSlots.enumerated() {
      data[slot] = feeds[i].rawPointer
      if !shapesChanged, shapes[slot] != feeds[i].shape { shapesChanged = true }
    }
    if shapesChanged { try derive(feedShapes: feeds.map(\.shape)) }

    for record in plan.mustBeInitialized where !record.isInitialized {
      throw FrostError.uninitializedVariable(record.name)
    }

    let saved = plan.restoreOnFailure.map { ($0, $0.snapshot()) }
    var captured: [Int: NDArray] = [:]
    for capture in plan.earlyCaptures where capture.afterStep < 0 {
      captured[capture.fetch] = copyOut(plan.fetchSlots[capture.fetch])
    }
    do {
      for (index, step) in plan.steps.enumerated() where plan.runs[index] {
        let started = stepSeconds == nil ? 0 : monotonicSeconds()
        try step.kernel(
          KernelIO(
            state: self, inputSlots: step.inputs, outputSlots: step.outputs,
            nodeID: step.nodeID))
        if let stepSeconds { stepSeconds[index] += monotonicSeconds() - started }
        for record in step.writes {
          record.isInitialized = true
          record.version &+= 1
        }
        if !plan.earlyCaptures.isEmpty {
          for capture in plan.earlyCaptures where capture.afterStep == index {
            captured[capture.fetch] = copyOut(plan.fetchSlots[capture.fetch])
          }
        }
      }
    } catch {
      for (record, value) in saved { record.write(value) }
      throw error
    }

    return plan.fetchSlots.enumerated().map { fetch, slot in
      if let value = captured[fetch] { return value }
      switch plan.slotSources[slot] {
      case .feed(let i): return feeds[i]
      case .constant(let value): return value
      case .step, .variable, .elided: return copyOut(slot)
      }
    }
  }

  private func copyOut(_ slot: Int) -> NDArray {
    let type = plan.slotTypes[slot]
    let result = NDArray(
      dtype: type.dtype, shape: shapes[slot],
      storage: TensorStorage(byteCount: counts[slot] * type.dtype.byteSize, zeroed: false))
    result.rawPointer.copyMemory(from: data[slot]!, byteCount: result.byteCount)
    return result
  }

  /// Derives every concrete shape from the fed shapes, then assigns buffers.
  private func derive(feedShapes: [[Int]]) throws {
    derivedFor = nil
    for (i, slot) in plan.feedSlots.enumerated() {
      shapes[slot] = feedShapes[i]
      counts[slot] = feedShapes[i].reduce(1, *)
    }
    for step in plan.steps {
      var context = InferenceContext(
        nodeName: step.name, opType: step.op.name,
        inputs: step.inputs.map { TensorType(plan.slotTypes[$0].dtype, Shape(shapes[$0])) },
        inputNames: step.inputNames, attributes: step.attributes)
      let outputs = try step.op.infer(&context)
      for (slot, type) in zip(step.outputs, outputs) {
        guard let concrete = type.shape.concrete else {
          preconditionFailure("\(step.op.name) '\(step.name)': no concrete output shape")
        }
        shapes[slot] = concrete
        counts[slot] = concrete.reduce(1, *)
      }
    }
    assignBuffers()
    derivedFor = feedShapes
  }

  /// Gives every computed tensor a buffer, reusing a buffer once its last reader has run
  /// (best fit among free buffers) and reusing the arena of earlier shapes.
  private func assignBuffers() {
    var free = arena
    var owner = [TensorStorage?](repeating: nil, count: data.count)
    let dtypes = plan.slotTypes

    func take(bytes: Int) -> TensorStorage {
      var best: Int?
      for (i, buffer) in free.enumerated() where buffer.byteCount >= bytes {
        if best == nil || buffer.byteCount < free[best!].byteCount { best = i }
      }
      if let best { return free.remove(at: best) }
      let buffer = TensorStorage(byteCount: max(bytes, 64))
      arena.append(buffer)
      arenaBytes += buffer.byteCount
      return buffer
    }

    for (index, step) in plan.steps.enumerated() {
      if step.op.traits.contains(.aliasesInput) { continue }
      for (k, slot) in step.outputs.enumerated() {
        let bytes = counts[slot] * dtypes[slot].dtype.byteSize
        let inputRoot = step.inputs.isEmpty ? -1 : plan.aliasRoot[step.inputs[0]]
        if k == 0, plan.inPlaceSteps.contains(index), counts[step.inputs[0]] == counts[slot],
          let buffer = owner[inputRoot]
        {
          owner[inputRoot] = nil
          owner[slot] = buffer
        } else {
          owner[slot] = take(bytes: bytes)
        }
        data[slot] = owner[slot]!.bytes
      }
      for root in plan.releaseAfterStep[index] {
        if let buffer = owner[root] {
          free.append(buffer)
          owner[root] = nil
        }
      }
    }
  }
}

/// Seconds on a monotonic clock.
func monotonicSeconds() -> Double {
  var time = timespec()
  clock_gettime(CLOCK_MONOTONIC, &time)
  return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
}
