import Frost

/// An estimate of the floating-point operations one node costs per example.
enum FLOPEstimate: Equatable {
  /// Counted: this many operations on a batch of one example.
  case counted(Int)
  /// Not counted: a shape the estimate needs has unknown rank.
  case unknown
  /// Not counted: the node only initializes variables, once per session.
  case initializer

  /// The count, 0 for nodes that are not counted.
  var value: Int {
    if case .counted(let count) = self { return count }
    return 0
  }
}

/// The FLOPs rule, as `--help` and Docs/graph-dump.md state it.
///
/// Each op costs what it would on a batch of one example: every unknown dimension (the
/// batch) is taken as 1. MatMul `[m,k]×[k,n]` costs 2·m·k·n, so `[?,784]×[784,300]` is
/// 470,400; a matrix decomposition or inverse `[..., n, n]` costs n³ per matrix; ops that
/// only move, reshape or hold data cost 0; every other op costs the element count of its
/// largest input or output (an elementwise op its elements, a reduction the elements it
/// reduces, an optimizer update the variable's elements). Ops that have no batch
/// dimension (optimizer updates) are thus counted once, as for a batch of one.
enum FLOPRule {
  /// Op types that only move, reshape or hold data, or do nothing.
  static let free: Set<String> = [
    "Placeholder", "Const", "Variable", "Assign", "NoOp", "Identity", "StopGradient",
    "PlaceholderWithDefault", "Reshape", "ReshapeLike", "ExpandDims", "Squeeze", "Transpose",
    "ConcatV2", "SplitLike", "Pack", "Unpack", "Tile", "Shape", "Size", "Fill", "Slice",
    "SliceGrad", "GatherV2", "OneHot", "ZerosLike", "OnesLike", "BroadcastLike",
    "RandomShuffle", "Cast",
  ]

  /// Op types whose cost is n³ per `[n, n]` matrix of input 0.
  static let cubic: Set<String> = [
    "MatrixInverse", "MatrixSolve", "MatrixDeterminant", "Cholesky",
  ]

  /// The number of elements of `shape` in a batch of one: unknown dimensions count as 1;
  /// `nil` when the rank is unknown.
  static func elementsPerExample(_ shape: Shape) -> Int? {
    guard let dims = shape.dims else { return nil }
    return dims.reduce(1) { $0 * ($1 ?? 1) }
  }

  /// The estimate for an operation of type `type` with these input and output types.
  static func estimate(
    type: String, attributes: [String: AttributeValue],
    inputs: [Shape], outputs: [Shape]
  ) -> FLOPEstimate {
    if free.contains(type) { return .counted(0) }
    if type == "MatMul" { return matMul(attributes: attributes, inputs: inputs) }
    if cubic.contains(type) {
      guard let dims = inputs.first?.dims, dims.count >= 2 else { return .unknown }
      let n = dims[dims.count - 1] ?? 1
      let matrices = dims.dropLast(2).reduce(1) { $0 * ($1 ?? 1) }
      return .counted(matrices * n * n * n)
    }
    var largest = 0
    for shape in inputs + outputs {
      guard let count = elementsPerExample(shape) else { return .unknown }
      largest = max(largest, count)
    }
    return .counted(largest)
  }

  /// 2·m·k·n for `[m,k]×[k,n]`, after the transposes the attributes ask for.
  private static func matMul(attributes: [String: AttributeValue], inputs: [Shape])
    -> FLOPEstimate
  {
    guard inputs.count == 2, let a = inputs[0].dims, let b = inputs[1].dims, a.count == 2,
      b.count == 2
    else { return .unknown }
    let transposeA = attributes["transposeA"] == .bool(true)
    let transposeB = attributes["transposeB"] == .bool(true)
    let (m, k) = transposeA ? (a[1], a[0]) : (a[0], a[1])
    let (k2, n) = transposeB ? (b[1], b[0]) : (b[0], b[1])
    return .counted(2 * (m ?? 1) * (k ?? k2 ?? 1) * (n ?? 1))
  }
}
