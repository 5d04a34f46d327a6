// Inverse, solve, determinant and Cholesky factorization of square matrices through
// LAPACKE (row-major getrf, getri, getrs, potrf), and the band part of a matrix.
//
// LAPACK factors in place, so every kernel first copies its inputs to memory it owns (its
// output, or scratch allocated per run): inputs may be a user's fed arrays. The scratch
// (an n×n copy, n pivots, and the copies LAPACKE makes to convert row-major storage) is
// O(n²) beside O(n³) of work.

import CLAPACKE

extension Ops {
  static let matrixInverse: OpDefinition = OpDefinition(
    "MatrixInverse", traits: [.canFail], infer: squareMatrixInference(output: .same),
    kernel: { setup in
      let adjoint = setup.attributes.bool("adjoint")
      return try dispatch(
        setup, float32: { inverseKernel(Float.self, adjoint: adjoint, node: setup.nodeName) },
        float64: { inverseKernel(Double.self, adjoint: adjoint, node: setup.nodeName) })
    },
    gradient: { context in
      // With C the output: d(A⁻¹) = -C dA C gives -Cᵀ G Cᵀ; d(A⁻ᵀ) = -C dAᵀ C gives -C Gᵀ C.
      let c = context.outputs[0]
      let g = context.gradient
      let product =
        context.attributes.bool("adjoint")
        ? try matmul(matmul(c, g, transposeB: true), c)
        : try matmul(matmul(c, g, transposeA: true), c, transposeB: true)
      return [try Frost.negate(product)]
    })

  static let matrixSolve: OpDefinition = OpDefinition(
    "MatrixSolve", traits: [.canFail],
    infer: { context in
      let dtype = try context.sameDType(DType.floats)
      let n = try squareSize(context)
      try context.requireRank(1, 2)
      let rhs = context.inputs[1].shape.dims ?? [nil, nil]
      if let n, let rows = rhs[0], rows != n {
        throw context.error(
          "cannot solve with \(context.describeInput(0)) for \(context.describeInput(1)):"
            + " the right-hand side needs \(n) rows")
      }
      return [TensorType(dtype, Shape([n ?? rhs[0], rhs[1]]))]
    },
    kernel: { setup in
      let adjoint = setup.attributes.bool("adjoint")
      return try dispatch(
        setup, float32: { solveKernel(Float.self, adjoint: adjoint, node: setup.nodeName) },
        float64: { solveKernel(Double.self, adjoint: adjoint, node: setup.nodeName) })
    },
    gradient: { context in
      // X = op(A)⁻¹ B: the gradient of B solves with op(A)ᵀ, and A's is -(grad B) Xᵀ, or
      // its transpose when op(A) = Aᵀ.
      let (a, x) = (context.inputs[0], context.outputs[0])
      let adjoint = context.attributes.bool("adjoint")
      let gradB = try Frost.matrixSolve(a, context.gradient, adjoint: !adjoint)
      var gradA: Tensor?
      if context.needs(0) {
        gradA = try Frost.negate(
          adjoint ? matmul(x, gradB, transposeB: true) : matmul(gradB, x, transposeB: true))
      }
      return [gradA, context.needs(1) ? gradB : nil]
    })

  static let matrixDeterminant: OpDefinition = OpDefinition(
    "MatrixDeterminant", infer: squareMatrixInference(output: .scalar),
    kernel: { setup in
      try dispatch(
        setup, float32: { determinantKernel(Float.self) },
        float64: { determinantKernel(Double.self) })
    },
    gradient: { context in
      // d det(A) = det(A) tr(A⁻¹ dA): the gradient is G det(A) A⁻ᵀ.
      let scale = try Frost.multiply(context.gradient, context.outputs[0])
      return [try Frost.multiply(scale, Frost.matrixInverse(context.inputs[0], adjoint: true))]
    })

  static let cholesky: OpDefinition = OpDefinition(
    "Cholesky", traits: [.canFail], infer: squareMatrixInference(output: .same),
    kernel: { setup in
      try dispatch(
        setup, float32: { choleskyKernel(Float.self, node: setup.nodeName) },
        float64: { choleskyKernel(Double.self, node: setup.nodeName) })
    },
    gradient: { context in [try choleskyGradient(context.outputs[0], context.gradient)] })

  static let matrixBandPart: OpDefinition = OpDefinition(
    "MatrixBandPart", traits: [.inPlace],
    infer: { context in
      let dtype = try context.dtype(of: 0, in: DType.numbers)
      if let rank = context.inputs[0].shape.rank, rank < 2 {
        throw context.error("\(context.describeInput(0)) must have rank 2 or more")
      }
      return [TensorType(dtype, context.inputs[0].shape)]
    },
    kernel: { setup in
      let lower = setup.attributes.int("numLower")
      let upper = setup.attributes.int("numUpper")
      return try dispatch(
        setup, float32: { bandPartKernel(Float.self, lower, upper) },
        float64: { bandPartKernel(Double.self, lower, upper) },
        int32: { bandPartKernel(Int32.self, lower, upper) })
    },
    gradient: { context in
      let attributes = context.attributes
      return [
        try Frost.matrixBandPart(
          context.gradient, numLower: attributes.int("numLower"),
          numUpper: attributes.int("numUpper"))
      ]
    })
}

// MARK: - Shapes

private enum SquareOutput {
  case same
  case scalar
}

/// Checks that input 0 is a float square matrix; returns its size when known.
private func squareSize(_ context: InferenceContext) throws -> Int? {
  try context.requireRank(0, 2)
  let dims = context.inputs[0].shape.dims ?? [nil, nil]
  if let rows = dims[0], let columns = dims[1], rows != columns {
    throw context.error("\(context.describeInput(0)) must be a square matrix")
  }
  return dims[0] ?? dims[1]
}

private func squareMatrixInference(output: SquareOutput)
  -> @Sendable (inout InferenceContext) throws -> [TensorType]
{
  { context in
    let dtype = try context.dtype(of: 0, in: DType.floats)
    let n = try squareSize(context)
    switch output {
    case .same: return [TensorType(dtype, Shape([n, n]))]
    case .scalar: return [TensorType(dtype, .scalar)]
    }
  }
}

// MARK: - LAPACK

/// LAPACKE's `lapack_int` (a macro Swift does not import): 32 bits in the LP64 builds
/// distributions ship. An ILP64 build would fail to compile here rather than misbehave.
private typealias LAPACKInt = Int32

/// The LAPACKE routines of one precision, row-major, on n×n matrices with leading
/// dimension n. Each returns LAPACK's `info`.
private protocol LAPACKScalar: FloatScalar {
  typealias Pivots = UnsafeMutablePointer<LAPACKInt>

  static func getrf(_ n: Int, _ a: UnsafeMutablePointer<Self>, _ pivots: Pivots) -> LAPACKInt
  static func getri(_ n: Int, _ a: UnsafeMutablePointer<Self>, _ pivots: Pivots) -> LAPACKInt
  static func getrs(
    transpose: Bool, _ n: Int, rhs: Int, _ lu: UnsafePointer<Self>,
    _ pivots: Pivots, _ b: UnsafeMutablePointer<Self>
  ) -> LAPACKInt
  /// Factors the lower triangle.
  static func potrf(_ n: Int, _ a: UnsafeMutablePointer<Self>) -> LAPACKInt
}

private func character(_ c: Unicode.Scalar) -> CChar {
  CChar(truncatingIfNeeded: UInt8(ascii: c))
}

extension Float: LAPACKScalar {
  fileprivate static func getrf(_ n: Int, _ a: UnsafeMutablePointer<Float>, _ pivots: Pivots)
    -> LAPACKInt
  {
    LAPACKE_sgetrf(LAPACK_ROW_MAJOR, LAPACKInt(n), LAPACKInt(n), a, LAPACKInt(n), pivots)
  }

  fileprivate static func getri(_ n: Int, _ a: UnsafeMutablePointer<Float>, _ pivots: Pivots)
    -> LAPACKInt
  {
    LAPACKE_sgetri(LAPACK_ROW_MAJOR, LAPACKInt(n), a, LAPACKInt(n), pivots)
  }

  fileprivate static func getrs(
    transpose: Bool, _ n: Int, rhs: Int, _ lu: UnsafePointer<Float>,
    _ pivots: Pivots, _ b: UnsafeMutablePointer<Float>
  ) -> LAPACKInt {
    LAPACKE_sgetrs(
      LAPACK_ROW_MAJOR, character(transpose ? "T" : "N"), LAPACKInt(n), LAPACKInt(rhs), lu,
      LAPACKInt(n), pivots, b, LAPACKInt(rhs))
  }

  fileprivate static func potrf(_ n: Int, _ a: UnsafeMutablePointer<Float>) -> LAPACKInt {
    LAPACKE_spotrf(LAPACK_ROW_MAJOR, character("L"), LAPACKInt(n), a, LAPACKInt(n))
  }
}

extension Double: LAPACKScalar {
  fileprivate static func getrf(_ n: Int, _ a: UnsafeMutablePointer<Double>, _ pivots: Pivots)
    -> LAPACKInt
  {
    LAPACKE_dgetrf(LAPACK_ROW_MAJOR, LAPACKInt(n), LAPACKInt(n), a, LAPACKInt(n), pivots)
  }

  fileprivate static func getri(_ n: Int, _ a: UnsafeMutablePointer<Double>, _ pivots: Pivots)
    -> LAPACKInt
  {
    LAPACKE_dgetri(LAPACK_ROW_MAJOR, LAPACKInt(n), a, LAPACKInt(n), pivots)
  }

  fileprivate static func getrs(
    transpose: Bool, _ n: Int, rhs: Int, _ lu: UnsafePointer<Double>,
    _ pivots: Pivots, _ b: UnsafeMutablePointer<Double>
  ) -> LAPACKInt {
    LAPACKE_dgetrs(
      LAPACK_ROW_MAJOR, character(transpose ? "T" : "N"), LAPACKInt(n), LAPACKInt(rhs), lu,
      LAPACKInt(n), pivots, b, LAPACKInt(rhs))
  }

  fileprivate static func potrf(_ n: Int, _ a: UnsafeMutablePointer<Double>) -> LAPACKInt {
    LAPACKE_dpotrf(LAPACK_ROW_MAJOR, character("L"), LAPACKInt(n), a, LAPACKInt(n))
  }
}

/// Throws the numerical error a LAPACK status stands for: `positive(info)` explains a
/// positive status (a zero pivot, a minor that is not positive). A negative status means
/// LAPACKE rejected an argument, which after the finiteness checks below only a value
/// overflowing during the factorization can cause.
private func check(
  _ info: LAPACKInt, _ routine: String, node: String, positive: (Int) -> String
) throws {
  if info == 0 { return }
  if info > 0 { throw FrostError.numerical(op: node, reason: positive(Int(info))) }
  throw FrostError.numerical(
    op: node,
    reason: "LAPACK \(routine) rejected argument \(-info): a value overflowed to infinity or NaN")
}

private func singular(_ info: Int) -> String {
  "the matrix is singular: its LU factorization has a zero pivot in column \(info - 1)"
}

/// Throws unless the `count` elements at `x` are finite: LAPACK would reject a NaN, and
/// its results on infinities mean nothing.
private func requireFinite<T: FloatScalar>(
  _ x: UnsafePointer<T>, count: Int, _ what: String, node: String
) throws {
  for i in 0..<count where !x[i].isFinite {
    throw FrostError.numerical(op: node, reason: "\(what) holds \(x[i]) at element \(i)")
  }
}

// MARK: - Kernels

private func inverseKernel<T: LAPACKScalar>(_ type: T.Type, adjoint: Bool, node: String)
  -> Kernel
{
  { io in
    let a = io.input(0).pointer(T.self)
    let n = io.input(0).shape[0]
    let z = io.output(0).pointer(T.self)
    guard n > 0 else { return }
    try requireFinite(a, count: n * n, "the matrix", node: node)

    // Factor and invert in the output: inv(Aᵀ) is the inverse of the transposed copy.
    if adjoint {
      for i in 0..<n { for j in 0..<n { z[j * n + i] = a[i * n + j] } }
    } else {
      z.update(from: a, count: n * n)
    }
    var pivots = [LAPACKInt](repeating: 0, count: n)
    try pivots.withUnsafeMutableBufferPointer { pivots in
      let p = pivots.baseAddress!
      try check(T.getrf(n, z, p), "getrf", node: node, positive: singular)
      try check(T.getri(n, z, p), "getri", node: node, positive: singular)
    }
  }
}

private func solveKernel<T: LAPACKScalar>(_ type: T.Type, adjoint: Bool, node: String)
  -> Kernel
{
  { io in
    let a = io.input(0).pointer(T.self)
    let b = io.input(1)
    let n = io.input(0).shape[0]
    let k = b.shape[1]
    let x = io.output(0).pointer(T.self)
    guard n > 0 else { return }
    try requireFinite(a, count: n * n, "the matrix", node: node)
    try requireFinite(b.pointer(T.self), count: b.count, "the right-hand side", node: node)

    // Factor a copy of A; solve in the output, which starts as a copy of B.
    var lu = [T](repeating: 0, count: n * n)
    var pivots = [LAPACKInt](repeating: 0, count: n)
    x.update(from: b.pointer(T.self), count: b.count)
    try lu.withUnsafeMutableBufferPointer { lu in
      try pivots.withUnsafeMutableBufferPointer { pivots in
        let (l, p) = (lu.baseAddress!, pivots.baseAddress!)
        l.update(from: a, count: n * n)
        try check(T.getrf(n, l, p), "getrf", node: node, positive: singular)
        guard k > 0 else { return }
        try check(
          T.getrs(transpose: adjoint, n, rhs: k, l, p, x), "getrs", node: node,
          positive: singular)
      }
    }
  }
}

/// The determinant as the product of U's diagonal in P A = L U, signed by the number of
/// row swaps, accumulated in double precision. A singular matrix gives 0 and a NaN
/// anywhere gives NaN, as in TensorFlow: this op never fails.
private func determinantKernel<T: LAPACKScalar>(_ type: T.Type) -> Kernel {
  { io in
    let a = io.input(0).pointer(T.self)
    let n = io.input(0).shape[0]
    let out = io.output(0).pointer(T.self)
    guard n > 0 else {
      out[0] = 1
      return
    }
    guard (0..<(n * n)).allSatisfy({ !a[$0].isNaN }) else {
      out[0] = .nan
      return
    }
    var lu = [T](repeating: 0, count: n * n)
    var pivots = [LAPACKInt](repeating: 0, count: n)
    let info = lu.withUnsafeMutableBufferPointer { lu in
      pivots.withUnsafeMutableBufferPointer { pivots in
        lu.baseAddress!.update(from: a, count: n * n)
        return T.getrf(n, lu.baseAddress!, pivots.baseAddress!)
      }
    }
    guard info >= 0 else {
      out[0] = .nan
      return
    }
    var determinant = 1.0
    for i in 0..<n {
      determinant *= lu[i * n + i].asDouble
      if pivots[i] != LAPACKInt(i + 1) { determinant = -determinant }
    }
    out[0] = T(fromDouble: determinant)
  }
}

private func choleskyKernel<T: LAPACKScalar>(_ type: T.Type, node: String) -> Kernel {
  { io in
    let a = io.input(0).pointer(T.self)
    let n = io.input(0).shape[0]
    let l = io.output(0).pointer(T.self)

    // Only the lower triangle is read: copy it, zero the rest, factor in place.
    for i in 0..<n {
      for j in 0..<n { l[i * n + j] = j <= i ? a[i * n + j] : 0 }
    }
    guard n > 0 else { return }
    try requireFinite(l, count: n * n, "the matrix's lower triangle", node: node)
    try check(T.potrf(n, l), "potrf", node: node) { info in
      "the matrix is not positive definite: its leading minor of order \(info) is not positive"
    }
  }
}

private func bandPartKernel<T: NumericScalar>(_ type: T.Type, _ lower: Int, _ upper: Int)
  -> Kernel
{
  { io in
    let input = io.input(0)
    let x = input.pointer(T.self)
    let z = io.output(0).pointer(T.self)
    let rows = input.shape[input.shape.count - 2]
    let columns = input.shape[input.shape.count - 1]
    let matrices = rows * columns == 0 ? 0 : input.count / (rows * columns)
    for m in 0..<matrices {
      let base = m * rows * columns
      for i in 0..<rows {
        for j in 0..<columns {
          let inBand = (lower < 0 || i - j <= lower) && (upper < 0 || j - i <= upper)
          z[base + i * columns + j] = inBand ? x[base + i * columns + j] : .zero
        }
      }
    }
  }
}

// MARK: - Cholesky's gradient

/// The gradient of `A` from `L = cholesky(A)` and `grad`, the gradient of `L`
/// (Murray, "Differentiation of the Cholesky decomposition", 2016, as TensorFlow has it):
/// with Φ(X) the lower triangle of X with its diagonal halved,
/// `grad A = ½ (S + Sᵀ)`, `S = L⁻ᵀ Φ(Lᵀ grad) L⁻¹`. Here `S + Sᵀ` is computed as
/// `L⁻ᵀ (Φ(P) + Φ(P)ᵀ) L⁻¹` with `P = Lᵀ grad`, so that only matmul's transposes are needed.
private func choleskyGradient(_ l: Tensor, _ grad: Tensor) throws -> Tensor {
  let lInverse = try matrixInverse(l)
  let p = try matmul(l, grad, transposeA: true)
  let pTransposed = try matmul(grad, l, transposeA: true)

  // Φ(P) + Φ(P)ᵀ: P's strict lower triangle, its transpose above, P's diagonal once.
  let lowerWithDiagonal = try matrixBandPart(p, numLower: -1, numUpper: 0)
  let upperWithDiagonal = try matrixBandPart(pTransposed, numLower: 0, numUpper: -1)
  let diagonal = try matrixBandPart(p, numLower: 0, numUpper: 0)
  let middle = try lowerWithDiagonal + upperWithDiagonal - diagonal

  let product = try matmul(matmul(lInverse, middle, transposeA: true), lInverse)
  return try product * 0.5
}

// MARK: - Public functions

/// The inverse of a square matrix, or of its transpose with `adjoint` (TensorFlow's
/// `tf.linalg.inv`), by LU factorization with partial pivoting (LAPACK getrf and getri);
/// float32 or float64, shape `[n, n]` → `[n, n]`.
///
/// Only rank 2: batched inverses are not supported. The result is as accurate as the
/// matrix is well conditioned; a nearly singular matrix gives large, inaccurate values.
/// Each run allocates O(n²) scratch.
///
/// - Throws: `FrostError.invalidArgument` when the matrix is not square, not rank 2, or not
///   float; when run, `FrostError.numerical` naming the node when the matrix is singular
///   (a zero pivot) or holds a NaN or an infinity.
public func matrixInverse(_ matrix: Tensor, adjoint: Bool = false, name: String? = nil) throws
  -> Tensor
{
  try matrix.graph.addOp(
    Ops.matrixInverse, [matrix], attributes: ["adjoint": .bool(adjoint)],
    name: name ?? "MatrixInverse")
}

/// The solution `X` of `A X = rhs`, or of `Aᵀ X = rhs` with `adjoint` (TensorFlow's
/// `tf.linalg.solve`), by LU factorization with partial pivoting (LAPACK getrf and
/// getrs); float32 or float64, shapes `[n, n]`, `[n, k]` → `[n, k]`.
///
/// More accurate and cheaper than multiplying by the inverse. Only rank 2: batched systems
/// are not supported. Each run allocates O(n²) scratch.
///
/// - Throws: `FrostError.invalidArgument` when the matrix is not square, the right-hand
///   side does not have `n` rows, a rank is not 2, or the dtypes differ or are not float;
///   when run, `FrostError.numerical` naming the node when the matrix is singular or an
///   input holds a NaN or an infinity.
public func matrixSolve(
  _ matrix: Tensor, _ rhs: Tensor, adjoint: Bool = false, name: String? = nil
) throws -> Tensor {
  try matrix.graph.addOp(
    Ops.matrixSolve, [matrix, rhs], attributes: ["adjoint": .bool(adjoint)],
    name: name ?? "MatrixSolve")
}

/// The determinant of a square matrix, a scalar (TensorFlow's `tf.linalg.det`), from its
/// LU factorization (LAPACK getrf) with the product taken in double precision; float32 or
/// float64, shape `[n, n]` → `[]`. The determinant of a 0×0 matrix is 1.
///
/// A singular matrix gives 0 and a matrix holding a NaN gives NaN: the op never fails.
/// Its gradient, `G det(A) A⁻ᵀ`, needs the inverse, and so fails where A is singular.
/// Only rank 2: batched determinants are not supported. Each run allocates O(n²) scratch.
///
/// - Throws: `FrostError.invalidArgument` when the matrix is not square, not rank 2, or
///   not float.
public func matrixDeterminant(_ matrix: Tensor, name: String? = nil) throws -> Tensor {
  try matrix.graph.addOp(Ops.matrixDeterminant, [matrix], name: name ?? "MatrixDeterminant")
}

/// The Cholesky factor `L` of a symmetric positive definite matrix, `A = L Lᵀ` with `L`
/// lower triangular and its upper triangle zero (TensorFlow's `tf.linalg.cholesky`), by
/// LAPACK potrf; float32 or float64, shape `[n, n]` → `[n, n]`.
///
/// Only the lower triangle of the input is read; the matrix is assumed symmetric. Its
/// gradient is TensorFlow's symmetric one (Murray 2016), so it is correct for inputs
/// built symmetric (`M Mᵀ`, `(B + Bᵀ) / 2`), and it is differentiable again. Only rank 2:
/// batched factorizations are not supported.
///
/// - Throws: `FrostError.invalidArgument` when the matrix is not square, not rank 2, or
///   not float; when run, `FrostError.numerical` naming the node when the matrix is not
///   positive definite or its lower triangle holds a NaN or an infinity.
public func cholesky(_ matrix: Tensor, name: String? = nil) throws -> Tensor {
  try matrix.graph.addOp(Ops.cholesky, [matrix], name: name ?? "Cholesky")
}

/// The band of each innermost matrix of `input` that keeps `numLower` diagonals below the
/// main one and `numUpper` above it, zeroing the rest (TensorFlow's `tf.linalg.band_part`);
/// a negative count keeps that whole triangle. `numLower: -1, numUpper: 0` is the lower
/// triangle, `0, 0` the diagonal. Float32, float64 or int32, rank 2 or more (leading
/// dimensions are a batch), shape unchanged.
///
/// - Throws: `FrostError.invalidArgument` for a rank below 2 or a bool input.
public func matrixBandPart(
  _ input: Tensor, numLower: Int, numUpper: Int, name: String? = nil
) throws -> Tensor {
  try input.graph.addOp(
    Ops.matrixBandPart, [input],
    attributes: ["numLower": .int(numLower), "numUpper": .int(numUpper)],
    name: name ?? "MatrixBandPart")
}
