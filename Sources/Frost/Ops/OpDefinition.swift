/// Everything Frost knows about one op type, kept together: how its output types follow
/// from its inputs, how it runs, and how it differentiates.
///
/// Definitions are static values of `Ops` (one file per family of ops) and are listed in
/// `Ops.registry`, which graph files use to find an op by its type name.
final class OpDefinition: Sendable {
  /// The op type as graphs and files name it (`MatMul`).
  let name: String
  /// Output types from input types and attributes. Called with static (maybe partial)
  /// shapes while a graph is built, and again with concrete shapes when a plan meets new
  /// feed shapes: given concrete inputs, it must return concrete outputs.
  let infer: @Sendable (inout InferenceContext) throws -> [TensorType]
  /// Resolves a kernel for one node, once per plan; `nil` for nodes that never execute
  /// (placeholders) or whose values the executor binds itself (constants, variables).
  let kernel: (@Sendable (KernelSetup) throws -> Kernel)?
  /// Gradients with respect to the inputs from gradients of the outputs; `nil` when the
  /// op is not differentiable.
  let gradient: GradientFunction?
  let traits: OpTraits
  /// The inputs that are variables this op writes in place (Assign, optimizer updates);
  /// each must be a variable node's output.
  let writtenInputs: [Int]
  /// Inputs whose values the kernel never reads, only their shapes (a gradient's reference
  /// to the shape it must take): a plan need not compute them for this op.
  let shapeOnlyInputs: Set<Int>

  /// Whether running the op changes variables.
  var writesVariables: Bool { !writtenInputs.isEmpty }

  init(
    _ name: String, traits: OpTraits = [], writes writtenInputs: [Int] = [],
    shapeOnly shapeOnlyInputs: Set<Int> = [],
    infer: @escaping @Sendable (inout InferenceContext) throws -> [TensorType],
    kernel: (@Sendable (KernelSetup) throws -> Kernel)?,
    gradient: GradientFunction? = nil
  ) {
    self.name = name
    self.traits = traits
    self.writtenInputs = writtenInputs
    self.shapeOnlyInputs = shapeOnlyInputs
    self.infer = infer
    self.kernel = kernel
    self.gradient = gradient
  }
}

/// What the planner and executor must know about an op beyond its kernel.
struct OpTraits: OptionSet, Sendable {
  let rawValue: Int

  /// Reads the previous values of the variables it writes (an update, not an Assign):
  /// they must be initialized.
  static let readsWrittenVariables = OpTraits(rawValue: 1 << 1)
  /// Draws random numbers: its values change from run to run (the session's generators
  /// are locked per draw), so the frozen cache refuses it below a cached tensor.
  static let random = OpTraits(rawValue: 1 << 2)
  /// Output 0 is input 0's memory under another shape (identity, reshape): no copy.
  static let aliasesInput = OpTraits(rawValue: 1 << 3)
  /// Its kernel may throw on values (a singular matrix, an index out of range).
  static let canFail = OpTraits(rawValue: 1 << 4)
  /// Output 0 may reuse input 0's buffer when nothing else needs it (elementwise ops).
  /// Only for arithmetic: a loop that selects (`x > 0 ? x : 0`) and writes the buffer it
  /// reads compiles to conditional stores, which the compiler does not vectorize, while
  /// the out-of-place loop is vectorized.
  static let inPlace = OpTraits(rawValue: 1 << 5)
  /// Switches behaviour on a value a user may feed (placeholderWithDefault).
  static let switchable = OpTraits(rawValue: 1 << 6)
}

/// What a shape function sees: the node being built, its input types and attributes.
struct InferenceContext {
  let nodeName: String
  let opType: String
  var inputs: [TensorType]
  let inputNames: [String]
  let attributes: Attributes

  /// An error that names the op, its node and, through `message`, its inputs.
  func error(_ message: String) -> FrostError {
    FrostError.invalidArgument("\(opType) '\(nodeName)': \(message)")
  }

  /// `'hidden2/Relu' of shape (?, 50)`, for messages.
  func describeInput(_ i: Int) -> String {
    "'\(inputNames[i])' of shape \(inputs[i].shape)"
  }

  /// Throws unless every input has one of `allowed` dtypes and all share one; returns it.
  func sameDType(_ allowed: Set<DType>) throws -> DType {
    guard let first = inputs.first?.dtype else {
      preconditionFailure("\(opType): sameDType on an op without inputs")
    }
    for (i, input) in inputs.enumerated() where input.dtype != first {
      throw error(
        "inputs must have the same dtype, but '\(inputNames[0])' is \(first)"
          + " and '\(inputNames[i])' is \(input.dtype)")
    }
    guard allowed.contains(first) else {
      let names = allowed.map(\.rawValue).sorted().joined(separator: ", ")
      throw error("'\(inputNames[0])' is \(first); expected one of \(names)")
    }
    return first
  }

  /// Throws unless input `i` has one of `allowed` dtypes; returns it.
  func dtype(of i: Int, in allowed: Set<DType>) throws -> DType {
    let dtype = inputs[i].dtype
    guard allowed.contains(dtype) else {
      let names = allowed.map(\.rawValue).sorted().joined(separator: ", ")
      throw error("'\(inputNames[i])' is \(dtype); expected one of \(names)")
    }
    return dtype
  }

  /// Throws unless input `i` has rank `rank` (or an unknown rank).
  func requireRank(_ i: Int, _ rank: Int) throws {
    if let actual = inputs[i].shape.rank, actual != rank {
      throw error("\(describeInput(i)) must have rank \(rank)")
    }
  }
}

extension DType {
  static let floats: Set<DType> = [.float32, .float64]
  static let numbers: Set<DType> = [.float32, .float64, .int32]
  static let all: Set<DType> = [.float32, .float64, .int32, .bool]
}

/// The namespace of op definitions. Each family of ops extends it in its own file.
enum Ops {}
