// Fusing a plan's steps. Forward: where a matrix product feeds only a bias addition (and
// that only a relu), one kernel does all three: the GEMM, then one pass that adds the
// bias and applies the relu while the rows are in cache; the intermediates are never
// stored. Backward: a relu's gradient and the column sums of it that are the bias's
// gradient come out of one pass. The arithmetic is exactly the separate ops', so a fused
// plan gives the same bits as one that fetches the intermediates. The graph and `explain`
// are unchanged: fusion is a property of compiled plans only.

enum Fusion {
  /// `steps` with every fusable MatMul → Add(bias) [→ Relu] chain replaced by one step.
  /// Slots in `keep` (fetched) are never elided.
  static func fuse(_ steps: [CompiledPlan.Step], types: [TensorType], keep: Set<Int>)
    -> [CompiledPlan.Step]
  {
    // How many times each slot is read, and by which step when read once.
    var readers = [Int](repeating: 0, count: types.count)
    var reader = [Int](repeating: -1, count: types.count)
    for (index, step) in steps.enumerated() {
      for slot in step.inputs {
        readers[slot] += 1
        reader[slot] = index
      }
    }
    func soleReader(of slot: Int) -> Int? {
      readers[slot] == 1 && !keep.contains(slot) ? reader[slot] : nil
    }

    var replaced: [Int: CompiledPlan.Step] = [:]
    var removed = Set<Int>()
    for (index, step) in steps.enumerated() where step.op === Ops.matMul {
      let product = step.outputs[0]
      guard let addIndex = soleReader(of: product), steps[addIndex].op === Ops.add,
        let bias = biasInput(of: steps[addIndex], product: product, types: types)
      else { continue }
      var last = steps[addIndex]
      var relu = false
      if let reluIndex = soleReader(of: last.outputs[0]), steps[reluIndex].op === Ops.relu {
        removed.insert(addIndex)
        last = steps[reluIndex]
        relu = true
        replaced[reluIndex] = fusedStep(
          step, steps[addIndex], bias: bias, relu: relu, last: last, types: types)
      } else {
        replaced[addIndex] = fusedStep(
          step, steps[addIndex], bias: bias, relu: false, last: last, types: types)
      }
      removed.insert(index)
    }
    // A relu gradient whose column sums are also taken (a bias's gradient).
    for (index, step) in steps.enumerated() where step.op === Ops.reluGrad {
      let gradient = step.outputs[0]
      guard !removed.contains(index), replaced[index] == nil,
        types[step.inputs[0]].shape == types[step.inputs[1]].shape,
        types[gradient].shape.rank == 2, types[gradient].dtype.isFloatingPoint,
        let sumIndex = steps.indices.first(where: { later in
          later > index && steps[later].op === Ops.sum && steps[later].inputs == [gradient]
            && steps[later].attributes.optionalInts("axes") == [0]
            && !steps[later].attributes.bool("keepDims")
        })
      else { continue }
      let sum = steps[sumIndex]
      replaced[index] = CompiledPlan.Step(
        nodeID: step.nodeID, name: step.name + " + " + sum.name, op: Ops.fusedReluGradBiasGrad,
        attributes: step.attributes, inputNames: step.inputNames,
        kernel: types[gradient].dtype == .float64
          ? reluGradColumnSumKernel(Double.self) : reluGradColumnSumKernel(Float.self),
        inputs: step.inputs, outputs: step.outputs + sum.outputs, writes: [])
      removed.insert(sumIndex)
    }
    return steps.enumerated().compactMap { index, step in
      removed.contains(index) ? nil : replaced[index] ?? step
    }
  }

  /// The bias slot of an Add that adds a vector of the product's width to every row.
  private static func biasInput(
    of add: CompiledPlan.Step, product: Int, types: [TensorType]
  ) -> Int? {
    guard add.inputs.count == 2, add.inputs.contains(product) else { return nil }
    let bias = add.inputs[0] == product ? add.inputs[1] : add.inputs[0]
    guard add.inputs[0] != add.inputs[1],
      let width = types[product].shape.dims?.last ?? nil,
      types[bias].shape == Shape([width]),
      types[bias].dtype == types[product].dtype
    else { return nil }
    return bias
  }

  private static func fusedStep(
    _ product: CompiledPlan.Step, _ add: CompiledPlan.Step, bias: Int, relu: Bool,
    last: CompiledPlan.Step, types: [TensorType]
  ) -> CompiledPlan.Step {
    let transposeA = product.attributes.bool("transposeA")
    let transposeB = product.attributes.bool("transposeB")
    let kernel =
      types[product.outputs[0]].dtype == .float64
      ? denseKernel(Double.self, transposeA, transposeB, relu: relu)
      : denseKernel(Float.self, transposeA, transposeB, relu: relu)
    return CompiledPlan.Step(
      nodeID: last.nodeID, name: last.name, op: relu ? Ops.fusedDenseRelu : Ops.fusedDense,
      attributes: product.attributes,
      inputNames: product.inputNames + [add.inputNames[add.inputs[0] == bias ? 0 : 1]],
      kernel: kernel, inputs: product.inputs + [bias], outputs: last.outputs, writes: [])
  }
}

extension Ops {
  /// `a · b + bias`, a fused plan step (never a graph node).
  static let fusedDense: OpDefinition = OpDefinition(
    "MatMul+BiasAdd", infer: fusedInference, kernel: nil)

  /// `relu(a · b + bias)`, a fused plan step (never a graph node).
  static let fusedDenseRelu: OpDefinition = OpDefinition(
    "MatMul+BiasAdd+Relu", infer: fusedInference, kernel: nil)
}

extension Ops {
  /// A relu's gradient and its column sums, a fused plan step (never a graph node).
  static let fusedReluGradBiasGrad: OpDefinition = OpDefinition(
    "ReluGrad+BiasAddGrad",
    infer: { context in
      var gradient = context
      let outputs = try Ops.reluGrad.infer(&gradient)
      let dims = outputs[0].shape.dims
      return outputs + [TensorType(outputs[0].dtype, Shape(dims.map { [$0[1]] } ?? [nil]))]
    },
    kernel: nil)
}

/// `r = y > 0 ? g : 0` for each row, and `s[j] = Σ_rows r[:, j]`, in one pass.
private func reluGradColumnSumKernel<T: FloatScalar>(_ type: T.Type) -> Kernel {
  { io in
    let g = io.input(0).pointer(T.self)
    let y = io.input(1).pointer(T.self)
    let r = io.output(0)
    let sums = io.output(1)
    let (m, n) = (r.shape[0], r.shape[1])
    let z = r.pointer(T.self)
    let s = sums.pointer(T.self)
    sums.buffer(T.self).update(repeating: 0)
    // Two short loops per row rather than one: each is vectorized (one store stream, no
    // aliasing the compiler must rule out), and the row stays in cache between them.
    for row in 0..<m {
      let (gr, yr, zr) = (g + row * n, y + row * n, z + row * n)
      for j in 0..<n {
        // Both loads unconditional, so the select is a vector select, not a branch.
        let (gradient, output) = (gr[j], yr[j])
        zr[j] = output > 0 ? gradient : 0
      }
      for j in 0..<n { s[j] = s[j] + zr[j] }
    }
  }
}

/// The product's shape function; the bias keeps its width.
private let fusedInference: @Sendable (inout InferenceContext) throws -> [TensorType] = {
  context in
  var product = context
  product.inputs = Array(context.inputs.prefix(2))
  return try Ops.matMul.infer(&product)
}

/// The fused kernel: the GEMM, then bias and relu in one pass over each row.
private func denseKernel<T: FloatScalar>(
  _ type: T.Type, _ transposeA: Bool, _ transposeB: Bool, relu: Bool
) -> Kernel {
  { io in
    let a = io.input(0)
    let b = io.input(1)
    let bias = io.input(2).pointer(T.self)
    let c = io.output(0)
    let m = c.shape[0]
    let n = c.shape[1]
    let k = transposeA ? a.shape[0] : a.shape[1]
    let z = c.pointer(T.self)
    guard m > 0, n > 0 else { return }
    // Each block of columns gets its bias and relu on the thread that computed it.
    let finish = { (columns: Range<Int>) in
      for row in 0..<m {
        addBias(
          z + row * n + columns.lowerBound, bias + columns.lowerBound, count: columns.count,
          relu: relu)
      }
    }
    if k > 0 {
      MatrixProduct.multiply(
        transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
        a: a.pointer(T.self), lda: a.shape[1], b: b.pointer(T.self), ldb: b.shape[1],
        c: z, ldc: n, epilogue: finish)
    } else {
      c.buffer(T.self).update(repeating: 0)
      finish(0..<n)
    }
  }
}

/// `row[j] = row[j] + bias[j]`, then `max(·, 0)` when `relu`. The relu is IEEE `maximum`,
/// which the compiler vectorizes in place (a select such as `v > 0 ? v : 0` over the
/// buffer it reads compiles to conditional stores, which it does not). NaN becomes 0, as
/// in the relu kernel.
@inline(__always)
func addBias<T: FloatScalar>(
  _ row: UnsafeMutablePointer<T>, _ bias: UnsafePointer<T>, count: Int, relu: Bool
) {
  if relu {
    for j in 0..<count { row[j] = T.maximum(row[j] + bias[j], 0) }
  } else {
    for j in 0..<count { row[j] = row[j] + bias[j] }
  }
}
