// Matrix multiplication through OpenBLAS's sgemm/dgemm.

extension Ops {
  static let matMul: OpDefinition = OpDefinition(
    "MatMul",
    infer: { context in
      let dtype = try context.sameDType(DType.floats)
      try context.requireRank(0, 2)
      try context.requireRank(1, 2)
      let transposeA = context.attributes.bool("transposeA")
      let transposeB = context.attributes.bool("transposeB")
      let a = context.inputs[0].shape.dims ?? [nil, nil]
      let b = context.inputs[1].shape.dims ?? [nil, nil]
      let (m, k1) = transposeA ? (a[1], a[0]) : (a[0], a[1])
      let (k2, n) = transposeB ? (b[1], b[0]) : (b[0], b[1])
      if let k1, let k2, k1 != k2 {
        throw context.error(
          "cannot multiply \(context.describeInput(0))\(transposeA ? " (transposed)" : "")"
            + " by \(context.describeInput(1))\(transposeB ? " (transposed)" : ""):"
            + " inner dimensions \(k1) and \(k2) differ")
      }
      return [TensorType(dtype, Shape([m, n]))]
    },
    kernel: { setup in
      let transposeA = setup.attributes.bool("transposeA")
      let transposeB = setup.attributes.bool("transposeB")
      return try dispatch(
        setup, float32: { matMulKernel(Float.self, transposeA, transposeB) },
        float64: { matMulKernel(Double.self, transposeA, transposeB) })
    },
    gradient: { context in
      let (a, b) = (context.inputs[0], context.inputs[1])
      let g = context.gradient
      let transposeA = context.attributes.bool("transposeA")
      let transposeB = context.attributes.bool("transposeB")
      let gradA: Tensor?
      let gradB: Tensor?
      switch (transposeA, transposeB) {
      case (false, false):
        gradA = context.needs(0) ? try matmul(g, b, transposeB: true) : nil
        gradB = context.needs(1) ? try matmul(a, g, transposeA: true) : nil
      case (true, false):
        gradA = context.needs(0) ? try matmul(b, g, transposeB: true) : nil
        gradB = context.needs(1) ? try matmul(a, g) : nil
      case (false, true):
        gradA = context.needs(0) ? try matmul(g, b) : nil
        gradB = context.needs(1) ? try matmul(g, a, transposeA: true) : nil
      case (true, true):
        gradA = context.needs(0) ? try matmul(b, g, transposeA: true, transposeB: true) : nil
        gradB = context.needs(1) ? try matmul(g, a, transposeA: true, transposeB: true) : nil
      }
      return [gradA, gradB]
    })
}

private func matMulKernel<T: FloatScalar>(_ type: T.Type, _ transposeA: Bool, _ transposeB: Bool)
  -> Kernel
{
  { io in
    let a = io.input(0)
    let b = io.input(1)
    let c = io.output(0)
    let m = c.shape[0]
    let n = c.shape[1]
    let k = transposeA ? a.shape[0] : a.shape[1]
    guard m > 0, n > 0 else { return }
    guard k > 0 else {
      c.buffer(T.self).update(repeating: .zero)
      return
    }
    MatrixProduct.multiply(
      transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
      a: a.pointer(T.self), lda: a.shape[1], b: b.pointer(T.self), ldb: b.shape[1],
      c: c.pointer(T.self), ldc: n)
  }
}

/// The matrix product of two rank-2 tensors, `op(a) · op(b)` where `op` transposes when
/// its flag is set (TensorFlow's `tf.matmul`); float32 or float64 through OpenBLAS.
///
/// Only rank 2: batched matmul is not supported.
///
/// - Throws: `FrostError.invalidArgument` naming the op, both inputs and their shapes when
///   the inner dimensions differ, a rank is not 2, or the dtypes differ or are not floats.
public func matmul(
  _ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false,
  name: String? = nil
) throws -> Tensor {
  try a.graph.addOp(
    Ops.matMul, [a, b],
    attributes: ["transposeA": .bool(transposeA), "transposeB": .bool(transposeB)],
    name: name ?? "MatMul")
}
