import Testing

@testable import Frost

@Suite("Linear algebra")
struct LinearAlgebraTests {
  /// `M Mᵀ + n I` for a sample `M`: symmetric, positive definite and well conditioned.
  static func wellConditioned(_ n: Int, seed: UInt64 = 1) -> NDArray {
    let m = sample([n, n], seed: seed).doubles
    var a = [Double](repeating: 0, count: n * n)
    for i in 0..<n {
      for j in 0..<n {
        a[i * n + j] = (0..<n).reduce(0) { $0 + m[i * n + $1] * m[j * n + $1] }
        if i == j { a[i * n + j] += Double(n) }
      }
    }
    return try! NDArray(shape: [n, n], scalars: a)
  }

  static func matrix(_ rows: [[Double]], dtype: DType = .float64) -> NDArray {
    try! NDArray(
      shape: [rows.count, rows.first?.count ?? 0], doubles: rows.flatMap { $0 }, dtype: dtype)
  }

  /// The solution of `a x = b` by Gaussian elimination with partial pivoting in double
  /// precision: the tests' reference, independent of LAPACK.
  static func referenceSolve(_ a: [[Double]], _ b: [Double]) -> [Double] {
    var a = a
    var b = b
    let n = b.count
    for column in 0..<n {
      let pivot = (column..<n).max { abs(a[$0][column]) < abs(a[$1][column]) }!
      a.swapAt(column, pivot)
      b.swapAt(column, pivot)
      for row in (column + 1)..<n {
        let factor = a[row][column] / a[column][column]
        for k in column..<n { a[row][k] -= factor * a[column][k] }
        b[row] -= factor * b[column]
      }
    }
    var x = [Double](repeating: 0, count: n)
    for row in stride(from: n - 1, through: 0, by: -1) {
      let tail = ((row + 1)..<n).reduce(0) { $0 + a[row][$1] * x[$1] }
      x[row] = (b[row] - tail) / a[row][row]
    }
    return x
  }

  /// Evaluates `body` on constants of `inputs` in a fresh graph.
  static func evaluate(_ inputs: [NDArray], _ body: ([Tensor]) throws -> Tensor) throws
    -> NDArray
  {
    let graph = Graph()
    let tensors = inputs.map { graph.constant($0) }
    return try Session(graph: graph).run(body(tensors))
  }

  // MARK: - Values

  @Test func inverseOfATwoByTwoMatrixInBothPrecisions() throws {
    for dtype in [DType.float32, .float64] {
      let a = Self.matrix([[4, 7], [2, 6]], dtype: dtype)
      let inverse = try Self.evaluate([a]) { try matrixInverse($0[0]) }
      #expect(inverse.dtype == dtype)
      #expect(inverse.shape == [2, 2])
      // 1/10 · [[6, -7], [-2, 4]]; float32 to 1e-6.
      expectClose(inverse.doubles, [0.6, -0.7, -0.2, 0.4], tolerance: 1e-6)
      let adjoint = try Self.evaluate([a]) { try matrixInverse($0[0], adjoint: true) }
      expectClose(adjoint.doubles, [0.6, -0.2, -0.7, 0.4], tolerance: 1e-6)
    }
  }

  @Test func inverseTimesMatrixIsTheIdentity() throws {
    let a = Self.wellConditioned(5)
    let product = try Self.evaluate([a]) { try matmul(matrixInverse($0[0]), $0[0]) }
    let identity = (0..<25).map { $0 % 6 == 0 ? 1.0 : 0 }
    expectClose(product.doubles, identity, tolerance: 1e-12)
  }

  @Test func solveAgreesWithTheReferenceAndWithAdjoint() throws {
    let rows: [[Double]] = [[2, 1, -1], [-3, -1, 2], [-2, 1, 2]]
    for dtype in [DType.float32, .float64] {
      let a = Self.matrix(rows, dtype: dtype)
      let rhs = Self.matrix([[8, 1], [-11, 0], [-3, 2]], dtype: dtype)
      let x = try Self.evaluate([a, rhs]) { try matrixSolve($0[0], $0[1]) }
      #expect(x.shape == [3, 2])
      let column0 = Self.referenceSolve(rows, [8, -11, -3])  // (2, 3, -1)
      let column1 = Self.referenceSolve(rows, [1, 0, 2])
      let tolerance = dtype == .float32 ? 1e-5 : 1e-12
      expectClose(
        x.doubles, Array(zip(column0, column1).map { [$0, $1] }.joined()), tolerance: tolerance)

      let transposed = (0..<3).map { i in (0..<3).map { j in rows[j][i] } }
      let xt = try Self.evaluate([a, rhs]) { try matrixSolve($0[0], $0[1], adjoint: true) }
      let t0 = Self.referenceSolve(transposed, [8, -11, -3])
      let t1 = Self.referenceSolve(transposed, [1, 0, 2])
      expectClose(xt.doubles, Array(zip(t0, t1).map { [$0, $1] }.joined()), tolerance: tolerance)
    }
  }

  @Test func determinantSignsAndSingularity() throws {
    let cases: [([[Double]], Double)] = [
      ([[4, 7], [2, 6]], 10),
      ([[0, 1], [1, 0]], -1),  // one row swap
      ([[2, 0, 0], [0, 3, 0], [0, 0, 4]], 24),
      ([[1, 2], [2, 4]], 0),  // singular: 0, no error
      ([[-3]], -3),
    ]
    for dtype in [DType.float32, .float64] {
      for (rows, expected) in cases {
        let det = try Self.evaluate([Self.matrix(rows, dtype: dtype)]) {
          try matrixDeterminant($0[0])
        }
        #expect(det.shape == [])
        expectClose(det.doubles, [expected], tolerance: 1e-6)
      }
    }
    let nan = try Self.evaluate([Self.matrix([[1, .nan], [0, 1]])]) {
      try matrixDeterminant($0[0])
    }
    #expect(nan.doubles[0].isNaN)
  }

  @Test func choleskyOfAKnownMatrixReadsOnlyTheLowerTriangle() throws {
    // The upper triangle holds garbage: only the lower one is read.
    let a = Self.matrix([[4, 99, -99], [12, 37, 1e9], [-16, -43, 98]])
    for dtype in [DType.float32, .float64] {
      let input = try NDArray(shape: [3, 3], doubles: a.doubles, dtype: dtype)
      let l = try Self.evaluate([input]) { try cholesky($0[0]) }
      expectClose(l.doubles, [2, 0, 0, 6, 1, 0, -8, 5, 3], tolerance: 1e-6)
    }
  }

  @Test func sizeOneAndEmptyMatrices() throws {
    let one = Self.matrix([[4]])
    #expect(try Self.evaluate([one]) { try matrixInverse($0[0]) }.doubles == [0.25])
    #expect(try Self.evaluate([one]) { try matrixDeterminant($0[0]) }.doubles == [4])
    #expect(try Self.evaluate([one]) { try cholesky($0[0]) }.doubles == [2])
    #expect(
      try Self.evaluate([one, Self.matrix([[2, 8]])]) { try matrixSolve($0[0], $0[1]) }.doubles == [
        0.5, 2,
      ])

    let empty = try NDArray(zeros: [0, 0], dtype: .float64)
    #expect(try Self.evaluate([empty]) { try matrixInverse($0[0]) }.shape == [0, 0])
    #expect(try Self.evaluate([empty]) { try cholesky($0[0]) }.shape == [0, 0])
    #expect(try Self.evaluate([empty]) { try matrixDeterminant($0[0]) }.doubles == [1])
    let rhs = try NDArray(zeros: [0, 3], dtype: .float64)
    #expect(try Self.evaluate([empty, rhs]) { try matrixSolve($0[0], $0[1]) }.shape == [0, 3])
    let noColumns = try NDArray(zeros: [2, 0], dtype: .float64)
    let x = try Self.evaluate([Self.matrix([[1, 2], [3, 4]]), noColumns]) {
      try matrixSolve($0[0], $0[1])
    }
    #expect(x.shape == [2, 0])
  }

  @Test func kernelsNeverWriteTheirFedInputs() throws {
    let graph = Graph()
    let a = graph.placeholder(.float64, shape: [3, 3], name: "A")
    let b = graph.placeholder(.float64, shape: [3, 1], name: "b")
    let fetches = [
      try matrixInverse(a), try matrixInverse(a, adjoint: true), try matrixSolve(a, b),
      try matrixDeterminant(a), try cholesky(a),
    ]
    let aValue = Self.wellConditioned(3)
    let bValue = Self.matrix([[1], [2], [3]])
    let (aBefore, bBefore) = (aValue.doubles, bValue.doubles)
    _ = try Session(graph: graph).run(fetches, feedDict: [a: aValue, b: bValue])
    #expect(aValue.doubles == aBefore)
    #expect(bValue.doubles == bBefore)
  }

  @Test func bandPartKeepsTheRequestedDiagonals() throws {
    let x = try NDArray(shape: [3, 4], scalars: (1...12).map(Int32.init))
    let lower = try Self.evaluate([x]) { try matrixBandPart($0[0], numLower: -1, numUpper: 0) }
    #expect(lower.doubles == [1, 0, 0, 0, 5, 6, 0, 0, 9, 10, 11, 0])
    let band = try Self.evaluate([x]) { try matrixBandPart($0[0], numLower: 1, numUpper: 1) }
    #expect(band.doubles == [1, 2, 0, 0, 5, 6, 7, 0, 0, 10, 11, 12])
    let all = try Self.evaluate([x]) { try matrixBandPart($0[0], numLower: -1, numUpper: -1) }
    #expect(all.doubles == x.doubles)

    // A batch of two 2×2 matrices: each keeps its diagonal.
    let batch = try NDArray(shape: [2, 2, 2], scalars: (1...8).map(Double.init))
    let diagonal = try Self.evaluate([batch]) {
      try matrixBandPart($0[0], numLower: 0, numUpper: 0)
    }
    #expect(diagonal.doubles == [1, 0, 0, 4, 5, 0, 0, 8])
  }

  /// The project's acceptance test: linear regression by the normal equation in float32,
  /// against a float64 solution computed here.
  @Test func normalEquationMatchesAFloat64Reference() throws {
    let m = 64
    let features = sample([m, 2], seed: 7).doubles
    let noise = sample([m], seed: 8).doubles
    var xRows: [[Double]] = []
    var y: [Double] = []
    for i in 0..<m {
      let (a, b) = (features[2 * i], features[2 * i + 1])
      xRows.append([1, a, b])
      y.append(4 - 2 * a + 0.5 * b + 0.1 * noise[i])
    }

    let graph = Graph()
    let x = try graph.constant(xRows.flatMap { $0 }.map { Float($0) }, shape: [m, 3], name: "X")
    let target = try graph.constant(y.map { Float($0) }, shape: [m, 1], name: "y")
    let theta = try matmul(
      matmul(matrixInverse(matmul(x, x, transposeA: true)), x, transposeB: true), target)
    let value = try Session(graph: graph).run(theta)
    #expect(value.shape == [3, 1])

    // Reference: solve (XᵀX) θ = Xᵀy in double precision.
    let gram = (0..<3).map { i in
      (0..<3).map { j in (0..<m).reduce(0.0) { $0 + xRows[$1][i] * xRows[$1][j] } }
    }
    let moment = (0..<3).map { i in (0..<m).reduce(0.0) { $0 + xRows[$1][i] * y[$1] } }
    let reference = Self.referenceSolve(gram, moment)
    expectClose(value.doubles, reference, tolerance: 1e-4)
    expectClose(reference, [4, -2, 0.5], tolerance: 0.1)
  }

  // MARK: - Errors

  @Test func singularAndNonPositiveDefiniteMatricesThrowNamingTheNode() throws {
    let graph = Graph()
    let a = graph.placeholder(.float64, shape: [2, 2], name: "A")
    let b = graph.placeholder(.float64, shape: [2, 1], name: "b")
    let inverse = try matrixInverse(a, name: "inv")
    let solve = try matrixSolve(a, b, name: "solve")
    let factor = try cholesky(a, name: "chol")
    let session = Session(graph: graph)
    let singular = Self.matrix([[1, 2], [2, 4]])
    let rhs = Self.matrix([[1], [1]])
    expectError(containing: "inv", "singular") {
      _ = try session.run(inverse, feedDict: [a: singular])
    }
    expectError(containing: "solve", "singular") {
      _ = try session.run(solve, feedDict: [a: singular, b: rhs])
    }
    expectError(containing: "chol", "not positive definite") {
      _ = try session.run(factor, feedDict: [a: Self.matrix([[1, 0], [0, -1]])])
    }
    expectError(containing: "inv", "nan") {
      _ = try session.run(inverse, feedDict: [a: Self.matrix([[1, .nan], [0, 1]])])
    }
    expectError(containing: "solve", "right-hand side", "inf") {
      _ = try session.run(
        solve, feedDict: [a: Self.matrix([[1, 0], [0, 1]]), b: Self.matrix([[1], [.infinity]])])
    }
    if case .numerical(let op, _)? = expectFrostError({
      _ = try session.run(inverse, feedDict: [a: singular])
    }) {
      #expect(op == "inv")
    } else {
      Issue.record("expected FrostError.numerical")
    }
    // The session still works afterwards.
    expectClose(
      try session.run(inverse, feedDict: [a: Self.matrix([[2, 0], [0, 4]])]).doubles,
      [0.5, 0, 0, 0.25], tolerance: 0)
  }

  @Test func shapeAndTypeMistakesAreNamed() throws {
    let graph = Graph()
    let rect = graph.placeholder(.float64, shape: [2, 3], name: "rect")
    let vector = graph.placeholder(.float64, shape: [3], name: "vector")
    let ints = graph.placeholder(.int32, shape: [2, 2], name: "ints")
    let square = graph.placeholder(.float64, shape: [3, 3], name: "square")
    let float32 = graph.placeholder(.float32, shape: [3, 1], name: "single")
    let wrongRows = graph.placeholder(.float64, shape: [2, 1], name: "rows")
    expectError(containing: "MatrixInverse", "'rect'", "square") { _ = try matrixInverse(rect) }
    expectError(containing: "Cholesky", "'vector'", "rank 2") { _ = try cholesky(vector) }
    expectError(containing: "MatrixDeterminant", "'ints'", "int32") {
      _ = try matrixDeterminant(ints)
    }
    expectError(containing: "MatrixSolve", "'square'", "'rows'", "3 rows") {
      _ = try matrixSolve(square, wrongRows)
    }
    expectError(containing: "MatrixSolve", "'single'", "dtype") {
      _ = try matrixSolve(square, float32)
    }
    expectError(containing: "MatrixBandPart", "'vector'", "rank 2 or more") {
      _ = try matrixBandPart(vector, numLower: 0, numUpper: 0)
    }

    // Partial shapes pass at build time and are checked when the run knows them.
    let partial = graph.placeholder(.float64, shape: [nil, nil], name: "partial")
    let inverse = try matrixInverse(partial)
    #expect(inverse.shape == [nil, nil])
    expectError(containing: "MatrixInverse", "square") {
      _ = try Session(graph: graph).run(inverse, feedDict: [partial: Self.matrix([[1, 2, 3]])])
    }
  }

  // MARK: - Gradients

  @Test func inverseGradients() throws {
    let a = Self.wellConditioned(3)
    try expectGradient([a]) { try matrixInverse($0[0]) }
    try expectGradient([a]) { try matrixInverse($0[0], adjoint: true) }
    // A non-symmetric input, so that the transposes in the formula matter.
    try expectGradient([Self.matrix([[3, 1, 0], [-1, 4, 1], [0.5, 0, 2]])]) {
      try matrixInverse($0[0])
    }
    try expectGradient([Self.matrix([[3, 1, 0], [-1, 4, 1], [0.5, 0, 2]])]) {
      try matrixInverse($0[0], adjoint: true)
    }
  }

  @Test func solveGradients() throws {
    let a = Self.matrix([[3, 1, 0], [-1, 4, 1], [0.5, 0, 2]])
    let b = sample([3, 2], seed: 3)
    try expectGradient([a, b]) { try matrixSolve($0[0], $0[1]) }
    try expectGradient([a, b]) { try matrixSolve($0[0], $0[1], adjoint: true) }
  }

  @Test func determinantGradient() throws {
    try expectGradient([Self.matrix([[3, 1, 0], [-1, 4, 1], [0.5, 0, 2]])]) {
      try matrixDeterminant($0[0])
    }
    try expectGradient([Self.wellConditioned(4, seed: 2)]) { try matrixDeterminant($0[0]) }
  }

  @Test func choleskyGradientThroughASymmetricInput() throws {
    // A = M Mᵀ + 3 I is symmetric, as the gradient assumes.
    let identity = Self.matrix([[3, 0, 0], [0, 3, 0], [0, 0, 3]])
    try expectGradient([sample([3, 3], seed: 4)]) { inputs in
      let m = inputs[0]
      let a = try matmul(m, m, transposeB: true) + m.graph.constant(identity)
      return try cholesky(a)
    }
  }

  @Test func choleskyGradientIsDifferentiableAgain() throws {
    let identity = Self.matrix([[3, 0], [0, 3]])
    try expectGradient([sample([2, 2], seed: 5)]) { inputs in
      let m = inputs[0]
      let a = try matmul(m, m, transposeB: true) + m.graph.constant(identity)
      let l = try cholesky(a)
      let first = try gradients(of: [reduceSum(l * l * l)], withRespectTo: [m])[0]!
      return first
    }
  }

  @Test func bandPartGradient() throws {
    try expectGradient([sample([3, 4])]) { try matrixBandPart($0[0], numLower: 1, numUpper: 0) }
  }
}
