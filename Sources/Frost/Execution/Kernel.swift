/// A resolved kernel: runs one node of a plan on the buffers the executor bound for it.
typealias Kernel = @Sendable (KernelIO) throws -> Void

/// What a kernel may know when it is resolved, once per plan.
struct KernelSetup {
  let nodeID: Int
  let nodeName: String
  let attributes: Attributes
  let inputTypes: [TensorType]
  let outputTypes: [TensorType]

  /// An error that names this node, for kernels that fail on values.
  func error(_ message: String) -> FrostError {
    FrostError.invalidArgument("'\(nodeName)': \(message)")
  }
}

/// One tensor as a kernel sees it: memory and concrete shape.
struct TensorView {
  let data: UnsafeMutableRawPointer
  let shape: [Int]
  let count: Int

  func pointer<T>(_ type: T.Type) -> UnsafeMutablePointer<T> {
    data.assumingMemoryBound(to: T.self)
  }

  func buffer<T>(_ type: T.Type) -> UnsafeMutableBufferPointer<T> {
    UnsafeMutableBufferPointer(start: pointer(T.self), count: count)
  }
}

/// The operands of one step of a running plan.
struct KernelIO {
  let state: RunState
  let inputSlots: [Int]
  let outputSlots: [Int]
  let nodeID: Int

  var inputCount: Int { inputSlots.count }

  func input(_ i: Int) -> TensorView { state.view(inputSlots[i]) }

  func output(_ i: Int) -> TensorView { state.view(outputSlots[i]) }

  /// Whether anything reads output `k`'s value in this plan; a kernel may skip computing
  /// outputs nobody reads.
  func needsValue(ofOutput k: Int) -> Bool { state.plan.valueNeeded[outputSlots[k]] }

  /// Makes output 0 share input 0's memory; only for ops with the `aliasesInput` trait.
  func aliasInput() {
    state.data[outputSlots[0]] = state.data[inputSlots[0]]
  }

  /// The node's random generator in this session; only for ops with the `random` trait,
  /// whose plans run one at a time.
  func withRandom<R>(seed: (UInt64, UInt64), _ body: (inout PhiloxRandom) -> R) -> R {
    state.randomSource.withGenerator(node: nodeID, seed: seed, body)
  }
}
