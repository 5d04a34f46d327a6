import Testing

@testable import Frost

/// Shape and indexing ops. Values move without arithmetic, so they are compared exactly;
/// gradients are checked in float64 at 1e-6.
@Suite("Shape ops")
struct ShapeOpsTests {
  // MARK: - Helpers

  /// 0, 1, 2... as `dtype` (bool: alternating), shaped `shape`.
  static func iota(_ shape: [Int], _ dtype: DType = .float64) -> NDArray {
    let count = shape.reduce(1, *)
    let values = (0..<count).map { dtype == .bool ? Double($0 % 2) : Double($0) }
    return try! NDArray(shape: shape, doubles: values, dtype: dtype)
  }

  static func run(_ y: Tensor, _ feeds: [Tensor: NDArray] = [:]) throws -> NDArray {
    try Session(graph: y.graph).run(y, feedDict: feeds)
  }

  /// Builds `body` on a constant holding `value`, runs it and returns the result.
  static func apply(_ value: NDArray, _ body: (Tensor) throws -> Tensor) throws -> NDArray {
    let graph = Graph()
    return try run(body(graph.constant(value, name: "x")))
  }

  /// The transpose of `values` (of `dims`) by `perm`, computed element by element.
  static func referenceTranspose(_ values: [Double], dims: [Int], perm: [Int]) -> [Double] {
    let outDims = perm.map { dims[$0] }
    let strides = rowMajorStrides(dims)
    return (0..<values.count).map { flat in
      var rest = flat
      var source = 0
      for axis in perm.indices.reversed() {
        source += rest % outDims[axis] * strides[perm[axis]]
        rest /= outDims[axis]
      }
      return values[source]
    }
  }

  static func permutations(_ n: Int) -> [[Int]] {
    guard n > 0 else { return [[]] }
    return permutations(n - 1).flatMap { p in
      (0...p.count).map { i in
        var q = p
        q.insert(n - 1, at: i)
        return q
      }
    }
  }

  /// Whether, after a run, `output`'s buffer is `input`'s (the plan aliased them).
  static func sharesMemory(_ input: Tensor, _ output: Tensor, _ feeds: [Tensor: NDArray])
    throws -> Bool
  {
    let session = Session(graph: input.graph)
    _ = try session.run([input, output], feedDict: feeds)
    let sorted = feeds.sorted { $0.key.endpoint < $1.key.endpoint }
    let plan = try session.plan(
      for: PlanRequest(
        graph: input.graph, fetches: [input, output], feeds: sorted.map(\.key), targets: []))
    let state = plan.checkOut()
    defer { plan.checkIn(state) }
    return state.data[plan.fetchSlots[0]] == state.data[plan.fetchSlots[1]]
  }

  /// Checks the gradient of `sum(g * g)` where `g` is the gradient of `sum(op(x)²)`: this
  /// differentiates the op's gradient, and so the internal ops it is built from.
  static func expectSecondOrderGradient(
    _ input: NDArray, sourceLocation: SourceLocation = #_sourceLocation,
    _ op: @escaping (Tensor) throws -> Tensor
  ) throws {
    try expectGradient([input], sourceLocation: sourceLocation) { xs in
      let y = try op(xs[0])
      let g = try gradients(of: [reduceSum(y * y)], withRespectTo: [xs[0]])[0]!
      return try reduceSum(g * g * xs[0])
    }
  }

  // MARK: - reshape, expandDims, squeeze

  @Test func reshapeInfersOneDimension() throws {
    let y = try Self.apply(Self.iota([2, 3, 2])) { try reshape($0, shape: [3, -1]) }
    #expect(y.shape == [3, 4])
    #expect(y.doubles == Self.iota([12]).doubles)
    #expect(try Self.apply(Self.iota([2, 3], .int32)) { try reshape($0, shape: [6]) }.shape == [6])
    let flags = try Self.apply(Self.iota([4], .bool)) { try reshape($0, shape: [2, 1, 2]) }
    #expect(flags == (try Self.iota([4], .bool).reshaped([2, 1, 2])))
    #expect(try Self.apply(Self.iota([]), { try reshape($0, shape: [1, 1]) }).shape == [1, 1])
    #expect(try Self.apply(Self.iota([1, 1]), { try reshape($0, shape: []) }).shape == [])

    // Empty tensors: -1 resolves to 0 when the other sizes are not 0.
    #expect(
      try Self.apply(Self.iota([0, 3]), { try reshape($0, shape: [-1, 3]) }).shape == [0, 3])
    #expect(try Self.apply(Self.iota([0, 3]), { try reshape($0, shape: [3, 0, 2]) }).count == 0)
  }

  @Test func reshapeOfPartialShapeResolvesAtRunTime() throws {
    let graph = Graph()
    let x = graph.placeholder(.float32, shape: [nil, 3], name: "x")
    let flat = try reshape(x, shape: [-1])
    #expect(flat.shape == Shape([nil]))
    let rows = try reshape(x, shape: [-1, 6])
    #expect(rows.shape == [nil, 6])
    let fixed = try reshape(x, shape: [6])
    #expect(fixed.shape == [6])
    let value = Self.iota([4, 3], .float32)
    #expect(try Self.run(flat, [x: value]).shape == [12])
    #expect(try Self.run(rows, [x: value]).shape == [2, 6])
    expectError(containing: "Reshape", "'Reshape_2'", "'x'", "12 elements") {
      _ = try Self.run(fixed, [x: value])
    }
    expectError(containing: "Reshape", "'x' of shape (?, 3)", "[5]") {
      _ = try reshape(x, shape: [5])
    }
  }

  @Test func reshapeMisuseIsReported() throws {
    let graph = Graph()
    let x = graph.placeholder(.float32, shape: [2, 3], name: "x")
    expectError(containing: "Reshape", "'x' of shape (2, 3)", "6 elements", "[4]") {
      _ = try reshape(x, shape: [4])
    }
    expectError(containing: "Reshape", "more than one -1") { _ = try reshape(x, shape: [-1, -1]) }
    expectError(containing: "Reshape", "negative dimension -2") {
      _ = try reshape(x, shape: [-2, -3])
    }
    expectError(containing: "Reshape", "'x'", "cannot be inferred") {
      _ = try reshape(x, shape: [-1, 4])
    }
    let empty = graph.placeholder(.float32, shape: [0, 3], name: "empty")
    expectError(containing: "Reshape", "'empty'", "cannot be inferred") {
      _ = try reshape(empty, shape: [0, -1])
    }
  }

  @Test func reshapeExpandDimsAndSqueezeShareMemory() throws {
    let graph = Graph()
    let x = graph.placeholder(.float64, shape: [nil, 3], name: "x")
    let h = try relu(x)  // a computed buffer, not the feed
    let feeds = [x: Self.iota([2, 3])]
    let views = [
      try reshape(h, shape: [3, -1]), try expandDims(h, axis: 1),
      try squeeze(expandDims(h, axis: -1)),
    ]
    for view in views {
      #expect(try Self.sharesMemory(h, view, feeds), "\(view.op.type)")
      #expect(try Self.run(view, feeds).doubles == [0, 1, 2, 3, 4, 5])
    }
    #expect(try !Self.sharesMemory(h, transpose(h), feeds))
    for op in [Ops.reshape, Ops.reshapeLike, Ops.expandDims, Ops.squeeze] {
      #expect(op.traits.contains(.aliasesInput), "\(op.name)")
    }
  }

  @Test func expandDimsInsertsAxes() throws {
    let x = Self.iota([2, 3], .int32)
    #expect(try Self.apply(x, { try expandDims($0, axis: 0) }).shape == [1, 2, 3])
    #expect(try Self.apply(x, { try expandDims($0, axis: 2) }).shape == [2, 3, 1])
    #expect(try Self.apply(x, { try expandDims($0, axis: -1) }).shape == [2, 3, 1])
    #expect(try Self.apply(x, { try expandDims($0, axis: -3) }).shape == [1, 2, 3])
    let y = try Self.apply(Self.iota([3], .bool)) { try expandDims($0, axis: 1) }
    #expect(y == (try Self.iota([3], .bool).reshaped([3, 1])))
    #expect(try Self.apply(Self.iota([]), { try expandDims($0, axis: 0) }).shape == [1])

    let graph = Graph()
    let a = graph.placeholder(.float32, shape: [2, 3], name: "a")
    expectError(containing: "ExpandDims", "axis 3", "'a' of shape (2, 3)") {
      _ = try expandDims(a, axis: 3)
    }
    expectError(containing: "ExpandDims", "axis -4", "'a'") { _ = try expandDims(a, axis: -4) }
    let unknown = graph.placeholder(.float32, name: "u")
    expectError(containing: "ExpandDims", "negative axis -1", "'u'", "unknown") {
      _ = try expandDims(unknown, axis: -1)
    }
    // A non-negative axis on an unknown rank is checked when the rank is known.
    let late = try expandDims(unknown, axis: 2)
    #expect(late.shape == .unknown)
    #expect(try Self.run(late, [unknown: Self.iota([2, 2], .float32)]).shape == [2, 2, 1])
    expectError(containing: "ExpandDims", "axis 2", "'u'") {
      _ = try Self.run(late, [unknown: Self.iota([2], .float32)])
    }
  }

  @Test func squeezeRemovesSizeOneAxes() throws {
    let x = Self.iota([1, 2, 1, 3, 1])
    let all = try Self.apply(x) { try squeeze($0) }
    #expect(all.shape == [2, 3])
    #expect(all.doubles == x.doubles)
    #expect(try Self.apply(x, { try squeeze($0, axes: [0, -1]) }).shape == [2, 1, 3])
    #expect(try Self.apply(x, { try squeeze($0, axes: [2]) }).shape == [1, 2, 3, 1])
    #expect(try Self.apply(x, { try squeeze($0, axes: []) }).shape == [1, 2, 1, 3, 1])
    #expect(try Self.apply(Self.iota([1, 1], .int32), { try squeeze($0) }).shape == [])
    #expect(try Self.apply(Self.iota([1, 2], .bool), { try squeeze($0) }).shape == [2])
    #expect(try Self.apply(Self.iota([0, 1]), { try squeeze($0) }).shape == [0])

    let graph = Graph()
    let a = graph.placeholder(.float32, shape: [1, 3, nil], name: "a")
    #expect(try squeeze(a).shape == .unknown)
    #expect(try squeeze(a, axes: [2]).shape == [1, 3])
    expectError(containing: "Squeeze", "axis 1", "'a' of shape (1, 3, ?)", "size is 3") {
      _ = try squeeze(a, axes: [1])
    }
    expectError(containing: "Squeeze", "axis 3", "'a'") { _ = try squeeze(a, axes: [3]) }
    expectError(containing: "Squeeze", "axis -3", "twice") { _ = try squeeze(a, axes: [0, -3]) }
    let late = try squeeze(a, axes: [-1])
    expectError(containing: "Squeeze", "axis 2", "size is 4") {
      _ = try Self.run(late, [a: Self.iota([1, 3, 4], .float32)])
    }
  }

  // MARK: - transpose

  @Test func transposeOfMatrices() throws {
    let x = Self.iota([2, 3])
    let y = try Self.apply(x) { try transpose($0) }
    #expect(y.shape == [3, 2])
    #expect(y.doubles == [0, 3, 1, 4, 2, 5])
    #expect(try Self.apply(x, { try transpose($0, perm: [0, 1]) }) == x)

    // Larger than one 64 x 64 tile in both directions, with ragged edges and row blocks
    // of 8 plus a remainder, in every element size.
    for dtype in DType.allCases {
      let big = Self.iota([150, 70], dtype)
      let t = try Self.apply(big) { try transpose($0) }
      #expect(t.shape == [70, 150])
      let expected = Self.referenceTranspose(big.doubles, dims: [150, 70], perm: [1, 0])
      #expect(t.doubles == expected, "\(dtype)")
    }

    // Batched: the plane is walked once per leading index.
    let batch = Self.iota([3, 17, 10])
    for perm in [[0, 2, 1], [2, 1, 0], [1, 2, 0]] {
      let t = try Self.apply(batch) { try transpose($0, perm: perm) }
      #expect(t.doubles == Self.referenceTranspose(batch.doubles, dims: [3, 17, 10], perm: perm))
    }
  }

  @Test func transposeMatchesReferenceForEveryPermutation() throws {
    // Size-1 axes and axes that stay adjacent exercise the simplification; rank 5 mixes
    // row copies and tiled planes.
    for dims in [[2, 3, 1, 4], [3, 1, 1, 2], [2, 2, 3, 2, 3]] {
      let x = Self.iota(dims)
      let graph = Graph()
      let input = graph.constant(x, name: "x")
      let perms = Self.permutations(dims.count)
      let outputs = try perms.map { try transpose(input, perm: $0) }
      let values = try Session(graph: graph).run(outputs)
      for (perm, value) in zip(perms, values) {
        #expect(value.shape == perm.map { dims[$0] })
        #expect(
          value.doubles == Self.referenceTranspose(x.doubles, dims: dims, perm: perm),
          "dims \(dims) perm \(perm)")
      }
    }
  }

  @Test func transposeEdgeCasesAndErrors() throws {
    #expect(try Self.apply(Self.iota([0, 3]), { try transpose($0) }).shape == [3, 0])
    #expect(try Self.apply(Self.iota([]), { try transpose($0) }).shape == [])
    let flags = try Self.apply(Self.iota([2, 2], .bool)) { try transpose($0) }
    #expect(flags.doubles == [0, 0, 1, 1])

    let graph = Graph()
    let a = graph.placeholder(.float32, shape: [2, nil, 4], name: "a")
    #expect(try transpose(a).shape == [4, nil, 2])
    #expect(try transpose(a, perm: [1, 0, 2]).shape == [nil, 2, 4])
    expectError(containing: "Transpose", "[0, 1]", "'a' of shape (2, ?, 4)") {
      _ = try transpose(a, perm: [0, 1])
    }
    expectError(containing: "Transpose", "[0, 0, 1]", "'a'") {
      _ = try transpose(a, perm: [0, 0, 1])
    }
    expectError(containing: "Transpose", "[-1, 0, 1]", "'a'") {
      _ = try transpose(a, perm: [-1, 0, 1])
    }
    let unknown = graph.placeholder(.float32, name: "u")
    let reversed = try transpose(unknown)
    #expect(reversed.shape == .unknown)
    #expect(try transpose(unknown, perm: [1, 0]).shape == [nil, nil])
    #expect(try Self.run(reversed, [unknown: Self.iota([2, 3, 4], .float32)]).shape == [4, 3, 2])
  }

  // MARK: - concat, stack, unstack

  @Test func concatJoinsAlongAnAxis() throws {
    let graph = Graph()
    let a = graph.constant(Self.iota([2, 2]), name: "a")
    let b = graph.constant(try Self.iota([2, 1]).reshaped([2, 1]), name: "b")
    let rows = try concat([a, a], axis: 0)
    let columns = try concat([a, b], axis: -1)
    let values = try Session(graph: graph).run([rows, columns])
    #expect(values[0].shape == [4, 2])
    #expect(values[0].doubles == [0, 1, 2, 3, 0, 1, 2, 3])
    #expect(values[1].shape == [2, 3])
    #expect(values[1].doubles == [0, 1, 0, 2, 3, 1])

    let ints = try Self.apply(Self.iota([2, 3], .int32)) { x in
      try concat([x, x, x], axis: 1)
    }
    #expect(ints.shape == [2, 9])
    #expect(ints.doubles == [0, 1, 2, 0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5, 3, 4, 5])
    let flags = try Self.apply(Self.iota([2], .bool)) { x in try concat([x, x], axis: 0) }
    #expect(flags.doubles == [0, 1, 0, 1])
    #expect(try Self.apply(Self.iota([2]), { try concat([$0], axis: 0) }).doubles == [0, 1])
  }

  @Test func concatWithEmptyAndPartialInputs() throws {
    let graph = Graph()
    let x = graph.placeholder(.float64, shape: [nil, 2], name: "x")
    let c = graph.constant(Self.iota([3, 2]), name: "c")
    let joined = try concat([x, c], axis: 0)
    #expect(joined.shape == [nil, 2])
    let empty = try Self.run(joined, [x: Self.iota([0, 2])])
    #expect(empty.shape == [3, 2])
    #expect(empty.doubles == [0, 1, 2, 3, 4, 5])
    let full = try Self.run(joined, [x: Self.iota([1, 2])])
    #expect(full.doubles == [0, 1, 0, 1, 2, 3, 4, 5])
    #expect(try concat([c, c], axis: 1).shape == [3, 4])
  }

  @Test func concatMisuseIsReported() throws {
    let graph = Graph()
    let a = graph.placeholder(.float32, shape: [2, 3], name: "a")
    let b = graph.placeholder(.float32, shape: [2, 4], name: "b")
    let i = graph.placeholder(.int32, shape: [2, 3], name: "i")
    let v = graph.placeholder(.float32, shape: [3], name: "v")
    let s = graph.placeholder(.float32, shape: [], name: "s")
    expectError(containing: "ConcatV2", "'b' of shape (2, 4)", "'a' of shape (2, 3)", "dimension 1")
    {
      _ = try concat([a, b], axis: 0)
    }
    expectError(containing: "ConcatV2", "'a'", "'i'", "int32") { _ = try concat([a, i], axis: 0) }
    expectError(containing: "ConcatV2", "'v'", "rank 1", "rank 2") {
      _ = try concat([a, v], axis: 0)
    }
    expectError(containing: "ConcatV2", "scalars", "'s'") { _ = try concat([s, s], axis: 0) }
    expectError(containing: "ConcatV2", "axis 2", "'a'") { _ = try concat([a, b], axis: 2) }
    expectError(containing: "ConcatV2", "axis -3", "'a'") { _ = try concat([a, b], axis: -3) }
    expectError(containing: "ConcatV2", "no tensors") { _ = try concat([], axis: 0) }
    let u = graph.placeholder(.float32, name: "u")
    expectError(containing: "ConcatV2", "negative axis", "'u'") {
      _ = try concat([u, u], axis: -1)
    }
    #expect(try concat([u, a], axis: -1).shape == [2, nil])
  }

  @Test func stackAndUnstack() throws {
    let graph = Graph()
    let a = graph.constant(Self.iota([2, 3]), name: "a")
    let b = graph.constant(try NDArray(shape: [2, 3], scalars: [10.0, 11, 12, 13, 14, 15]))
    let first = try stack([a, b])
    let last = try stack([a, b], axis: -1)
    let middle = try stack([a, b], axis: 1)
    let values = try Session(graph: graph).run([first, last, middle])
    #expect(values[0].shape == [2, 2, 3])
    #expect(values[0].doubles == [0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15])
    #expect(values[1].shape == [2, 3, 2])
    #expect(values[1].doubles == [0, 10, 1, 11, 2, 12, 3, 13, 4, 14, 5, 15])
    #expect(values[2].shape == [2, 2, 3])
    #expect(values[2].doubles == [0, 1, 2, 10, 11, 12, 3, 4, 5, 13, 14, 15])

    let columns = try unstack(a, axis: -1)
    #expect(columns.count == 3)
    #expect(columns.map(\.shape) == [[2], [2], [2]])
    let parts = try Session(graph: graph).run(columns)
    #expect(parts.map(\.doubles) == [[0, 3], [1, 4], [2, 5]])
    #expect(try Session(graph: graph).run(unstack(a)).map(\.doubles) == [[0, 1, 2], [3, 4, 5]])

    let scalars = try Self.apply(Self.iota([3], .int32)) { x in
      try stack(unstack(x).reversed())
    }
    #expect(scalars.doubles == [2, 1, 0])
    let flags = try Self.apply(Self.iota([2], .bool)) { x in try stack([x, x], axis: 1) }
    #expect(flags.doubles == [0, 0, 1, 1])
    #expect(try Self.apply(Self.iota([0, 2]), { try stack([$0, $0]) }).shape == [2, 0, 2])
    #expect(try unstack(graph.constant(Self.iota([0, 2]))).isEmpty)
  }

  @Test func stackAndUnstackMisuseIsReported() throws {
    let graph = Graph()
    let a = graph.placeholder(.float32, shape: [2, 3], name: "a")
    let b = graph.placeholder(.float32, shape: [3, 2], name: "b")
    let p = graph.placeholder(.float32, shape: [nil, 3], name: "p")
    expectError(containing: "Pack", "'b' of shape (3, 2)", "'a' of shape (2, 3)") {
      _ = try stack([a, b])
    }
    expectError(containing: "Pack", "axis 3", "'a'") { _ = try stack([a, a], axis: 3) }
    expectError(containing: "Pack", "no tensors") { _ = try stack([]) }
    #expect(try stack([a, a], axis: -3).shape == [2, 2, 3])
    expectError(containing: "Unpack", "'p' of shape (?, 3)", "axis 0", "must be known") {
      _ = try unstack(p)
    }
    expectError(containing: "Unpack", "axis 2", "'a'") { _ = try unstack(a, axis: 2) }
    #expect(try unstack(p, axis: 1).map(\.shape) == [[nil], [nil], [nil]])
  }

  // MARK: - tile, shape, size, fill

  @Test func tileRepeatsAlongEachAxis() throws {
    let x = Self.iota([2, 3])
    let wide = try Self.apply(x) { try tile($0, multiples: [1, 2]) }
    #expect(wide.shape == [2, 6])
    #expect(wide.doubles == [0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5])
    let tall = try Self.apply(x) { try tile($0, multiples: [2, 1]) }
    #expect(tall.doubles == [0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5])
    let both = try Self.apply(Self.iota([2, 1, 2], .int32)) { try tile($0, multiples: [2, 2, 1]) }
    #expect(both.shape == [4, 2, 2])
    #expect(both.doubles == [0, 1, 0, 1, 2, 3, 2, 3, 0, 1, 0, 1, 2, 3, 2, 3])
    let flags = try Self.apply(Self.iota([2], .bool)) { try tile($0, multiples: [2]) }
    #expect(flags.doubles == [0, 1, 0, 1])
    #expect(try Self.apply(x, { try tile($0, multiples: [0, 2]) }).shape == [0, 6])
    #expect(try Self.apply(Self.iota([]), { try tile($0, multiples: []) }).doubles == [0])

    let graph = Graph()
    let a = graph.placeholder(.float32, shape: [nil, 3], name: "a")
    #expect(try tile(a, multiples: [2, 2]).shape == [nil, 6])
    expectError(containing: "Tile", "[2]", "'a' of shape (?, 3)", "rank 2") {
      _ = try tile(a, multiples: [2])
    }
    expectError(containing: "Tile", "negative entry -1") { _ = try tile(a, multiples: [1, -1]) }
  }

  @Test func shapeAndSizeAreComputedWhenRun() throws {
    let graph = Graph()
    let x = graph.placeholder(.bool, shape: [nil, 3], name: "x")
    let s = try shape(x)
    let n = try size(x)
    #expect(s.type == TensorType(.int32, [2]))
    #expect(n.type == TensorType(.int32, .scalar))
    let values = try Session(graph: graph).run([s, n], feedDict: [x: Self.iota([4, 3], .bool)])
    #expect(try values[0].scalars(as: Int32.self) == [4, 3])
    #expect(try values[1].scalar(as: Int32.self) == 12)
    let u = graph.placeholder(.float32, name: "u")
    #expect(try shape(u).shape == Shape([nil]))
    let empty = try Session(graph: graph).run(
      [shape(u), size(u)], feedDict: [u: Self.iota([2, 0], .float32)])
    #expect(empty.map(\.doubles) == [[2, 0], [0]])
    #expect(try Self.apply(Self.iota([]), { try shape($0) }).shape == [0])
  }

  @Test func fillWritesOneValue() throws {
    let graph = Graph()
    let f = try graph.fill(shape: [2, 3], value: 1.5)
    #expect(f.type == TensorType(.float32, [2, 3]))
    #expect(try Self.run(f).doubles == [Double](repeating: 1.5, count: 6))
    #expect(try Self.run(graph.fill(shape: [2], value: -7, dtype: .int32)).doubles == [-7, -7])
    #expect(try Self.run(graph.fill(shape: [3], value: 2, dtype: .bool)).doubles == [1, 1, 1])
    #expect(try Self.run(graph.fill(shape: [], value: 4, dtype: .float64)).doubles == [4])
    #expect(try Self.run(graph.fill(shape: [0, 2], value: 4)).count == 0)
    expectError(containing: "Fill", "'Fill", "negative dimension -2") {
      _ = try graph.fill(shape: [-2], value: 0)
    }
    expectError(containing: "Fill", "0.5 is not an int32") {
      _ = try graph.fill(shape: [1], value: 0.5, dtype: .int32)
    }
  }

  // MARK: - slice, gather, oneHot

  @Test func sliceCopiesBlocks() throws {
    let x = Self.iota([3, 4])
    let block = try Self.apply(x) { try slice($0, begin: [1, 1], size: [2, 2]) }
    #expect(block.shape == [2, 2])
    #expect(block.doubles == [5, 6, 9, 10])
    let rest = try Self.apply(x) { try slice($0, begin: [1, 2], size: [-1, -1]) }
    #expect(rest.doubles == [6, 7, 10, 11])
    let rows = try Self.apply(Self.iota([3, 4], .int32)) {
      try slice($0, begin: [1, 0], size: [1, 4])
    }
    #expect(rows.doubles == [4, 5, 6, 7])
    let deep = try Self.apply(Self.iota([2, 3, 2])) { x in
      try slice(x, begin: [1, 1, 0], size: [1, 2, -1])
    }
    #expect(deep.doubles == [8, 9, 10, 11])
    let flags = try Self.apply(Self.iota([4], .bool)) { try slice($0, begin: [1], size: [2]) }
    #expect(flags.doubles == [1, 0])
    #expect(try Self.apply(x, { try slice($0, begin: [3, 0], size: [0, 4]) }).shape == [0, 4])
    #expect(try Self.apply(Self.iota([]), { try slice($0, begin: [], size: []) }).doubles == [0])

    let graph = Graph()
    let a = graph.placeholder(.float32, shape: [nil, 4], name: "a")
    let s = try slice(a, begin: [1, 1], size: [-1, 2])
    #expect(s.shape == [nil, 2])
    #expect(try Self.run(s, [a: Self.iota([3, 4], .float32)]).doubles == [5, 6, 9, 10])
    expectError(containing: "Slice", "'a' of shape (?, 4)", "axis 1") {
      _ = try slice(a, begin: [0, 3], size: [1, 2])
    }
    expectError(containing: "Slice", "'a'", "rank 2") { _ = try slice(a, begin: [0], size: [1]) }
    expectError(containing: "Slice", "different lengths") {
      _ = try slice(a, begin: [0, 0], size: [1])
    }
    expectError(containing: "Slice", "non-negative") {
      _ = try slice(a, begin: [-1, 0], size: [1, 1])
    }
    let late = try slice(a, begin: [2, 0], size: [2, 4])
    expectError(containing: "Slice", "'a' of shape (3, 4)", "axis 0") {
      _ = try Self.run(late, [a: Self.iota([3, 4], .float32)])
    }
  }

  @Test func gatherPicksSlices() throws {
    let graph = Graph()
    let params = graph.constant(Self.iota([4, 3]), name: "params")
    let indices = try graph.constant([Int32(3), 0, 3, 1], shape: [2, 2], name: "indices")
    let rows = try gather(params, indices: indices)
    let columns = try gather(
      params, indices: try graph.constant([Int32(2), 0], shape: [2]), axis: -1)
    #expect(rows.shape == [2, 2, 3])
    #expect(columns.shape == [4, 2])
    let values = try Session(graph: graph).run([rows, columns])
    #expect(values[0].doubles == [9, 10, 11, 0, 1, 2, 9, 10, 11, 3, 4, 5])
    #expect(values[1].doubles == [2, 0, 5, 3, 8, 6, 11, 9])

    let ints = graph.constant(Self.iota([5], .int32))
    let scalarIndex = graph.constant(NDArray(Int32(4)))
    #expect(try Self.run(gather(ints, indices: scalarIndex)).doubles == [4])
    let flags = graph.constant(Self.iota([3, 2], .bool))
    let picked = try gather(flags, indices: try graph.constant([Int32(1)], shape: [1]), axis: 1)
    #expect(try Self.run(picked).doubles == [1, 1, 1])
    let none = try gather(params, indices: try graph.constant([Int32](), shape: [0]))
    #expect(try Self.run(none).shape == [0, 3])
  }

  @Test func gatherMisuseAndBadIndicesAreReported() throws {
    let graph = Graph()
    let params = graph.placeholder(.float32, shape: [4, 3], name: "params")
    let indices = graph.placeholder(.int32, shape: [nil], name: "ids")
    let rows = try gather(params, indices: indices, name: "lookup")
    let feedParams = Self.iota([4, 3], .float32)
    expectError(containing: "'lookup'", "index 4", "position 1", "[0, 4)") {
      _ = try Self.run(rows, [params: feedParams, indices: NDArray([Int32(0), 4])])
    }
    expectError(containing: "'lookup'", "index -1", "position 0") {
      _ = try Self.run(rows, [params: feedParams, indices: NDArray([Int32(-1)])])
    }
    let floats = graph.placeholder(.float32, shape: [2], name: "f")
    expectError(containing: "GatherV2", "'f'", "float32", "int32") {
      _ = try gather(params, indices: floats)
    }
    expectError(containing: "GatherV2", "axis 2", "'params'") {
      _ = try gather(params, indices: indices, axis: 2)
    }
    expectError(containing: "GatherV2", "axis -3", "'params'") {
      _ = try gather(params, indices: indices, axis: -3)
    }
  }

  @Test func oneHotEncodes() throws {
    let graph = Graph()
    let labels = try graph.constant([Int32(2), 0, 5, -1], shape: [4], name: "labels")
    let codes = try oneHot(labels, depth: 3)
    #expect(codes.type == TensorType(.float32, [4, 3]))
    #expect(try Self.run(codes).doubles == [0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0])
    let columns = try oneHot(labels, depth: 3, onValue: 5, offValue: -1, axis: 0, dtype: .int32)
    #expect(columns.shape == [3, 4])
    #expect(try Self.run(columns).doubles == [-1, 5, -1, -1, -1, -1, -1, -1, 5, -1, -1, -1])
    let grid = try graph.constant([Int32(1), 0], shape: [2, 1])
    let middle = try oneHot(grid, depth: 2, axis: 1, dtype: .bool)
    #expect(middle.shape == [2, 2, 1])
    #expect(try Self.run(middle).doubles == [0, 1, 1, 0])
    let wide = try oneHot(grid, depth: 2, dtype: .float64)
    #expect(try Self.run(wide).doubles == [0, 1, 1, 0])
    #expect(try Self.run(oneHot(graph.constant([Int32](), shape: [0]), depth: 2)).shape == [0, 2])
    let unknown = graph.placeholder(.int32, name: "u")
    let late = try oneHot(unknown, depth: 2)
    #expect(try Self.run(late, [unknown: NDArray([Int32(1)])]).doubles == [0, 1])

    let floats = graph.placeholder(.float32, shape: [2], name: "f")
    expectError(containing: "OneHot", "'f'", "float32") { _ = try oneHot(floats, depth: 2) }
    expectError(containing: "OneHot", "depth -1") { _ = try oneHot(labels, depth: -1) }
    expectError(containing: "OneHot", "axis 2", "'labels'") {
      _ = try oneHot(labels, depth: 2, axis: 2)
    }
    expectError(containing: "OneHot", "axis -2") { _ = try oneHot(labels, depth: 2, axis: -2) }
    expectError(containing: "OneHot", "nan is not an int32") {
      _ = try oneHot(labels, depth: 2, onValue: .nan, dtype: .int32)
    }
  }

  // MARK: - Gradients

  @Test func gradientsOfReshapingOps() throws {
    try expectGradient([sample([2, 3, 2])]) { try reshape($0[0], shape: [3, -1]) }
    try expectGradient([sample([2, 3])]) { try expandDims($0[0], axis: -2) }
    try expectGradient([sample([1, 3, 1])]) { try squeeze($0[0]) }
    try expectGradient([sample([1, 3, 1])]) { try squeeze($0[0], axes: [-1]) }
    try expectGradient([sample([2, 3])]) { try transpose($0[0]) }
    try expectGradient([sample([2, 3, 4])]) { try transpose($0[0], perm: [1, 2, 0]) }
  }

  @Test func gradientsOfJoiningAndSplittingOps() throws {
    try expectGradient([sample([2, 2]), sample([2, 3], seed: 2)]) {
      try concat($0, axis: 1)
    }
    try expectGradient([sample([2, 3]), sample([1, 3], seed: 2), sample([2, 3], seed: 3)]) {
      try concat([$0[0], $0[1], $0[0], $0[2]], axis: 0)
    }
    try expectGradient([sample([2, 3]), sample([2, 3], seed: 2)]) { try stack($0, axis: -1) }
    try expectGradient([sample([3, 2])]) { x in
      // Output 1 is unused: its gradient is zero.
      let parts = try unstack(x[0], axis: 0)
      return try parts[0] * parts[2]
    }
    try expectGradient([sample([2, 3])]) { try tile($0[0], multiples: [2, 3]) }
    try expectGradient([sample([2, 1, 2])]) { try tile($0[0], multiples: [1, 3, 2]) }
    try expectGradient([sample([3, 4])]) { try slice($0[0], begin: [1, 1], size: [2, -1]) }
  }

  @Test func gradientOfGatherAddsRepeatedRows() throws {
    try expectGradient([sample([4, 3])]) { x in
      let indices = try x[0].graph.constant([Int32(2), 0, 2, 2], shape: [2, 2])
      return try gather(x[0], indices: indices)
    }
    try expectGradient([sample([2, 4, 3])]) { x in
      let indices = try x[0].graph.constant([Int32(3), 3, 1], shape: [3])
      return try gather(x[0], indices: indices, axis: 1)
    }
    // Rows 1 and 3 are never gathered; row 0 twice.
    let graph = Graph()
    let params = graph.placeholder(.float64, shape: [4, 2], name: "params")
    let indices = try graph.constant([Int32(0), 2, 0], shape: [3])
    let y = try reduceSum(gather(params, indices: indices))
    let grad = try gradients(of: [y], withRespectTo: [params])[0]!
    #expect(try Self.run(grad, [params: Self.iota([4, 2])]).doubles == [2, 2, 0, 0, 1, 1, 0, 0])
  }

  @Test func gradientsOfPartialShapesUseRunTimeShapes() throws {
    let graph = Graph()
    let x = graph.placeholder(.float64, shape: [nil, nil, 2], name: "x")
    let flat = try reshape(x, shape: [-1])
    let squeezed = try squeeze(x)
    let y = try reduceSum(flat * flat) + reduceSum(squeezed)
    let check = try checkGradient(of: y, withRespectTo: [x], feedDict: [x: sample([1, 3, 2])])
    #expect(check.maxRelativeError < 1e-6, "\(check)")
    let grad = try gradients(of: [y], withRespectTo: [x])[0]!
    let plan = try graph.explain(fetches: [grad])
    #expect(plan.steps.filter { $0.type == "ReshapeLike" }.count == 2)

    // One unknown dimension: a plain Reshape with -1 suffices.
    let z = graph.placeholder(.float64, shape: [nil, 3], name: "z")
    let zGrad = try gradients(of: [reduceSum(reshape(z, shape: [-1]))], withRespectTo: [z])[0]!
    #expect(zGrad.op.type == "Reshape")
    #expect(try Self.run(zGrad, [z: sample([2, 3])]).shape == [2, 3])

    // Concat, tile, slice and gather of a tensor whose row count is known only when run.
    let rows = graph.placeholder(.float64, shape: [nil, 2], name: "rows")
    let fixed = graph.placeholder(.float64, shape: [3, 2], name: "fixed")
    let joined = try concat([rows, fixed], axis: 0)
    let tiled = try tile(rows, multiples: [2, 1])
    let sliced = try slice(rows, begin: [1, 0], size: [-1, 1])
    let picked = try gather(rows, indices: graph.constant([Int32(0), 1], shape: [2]))
    let total = try addN([
      reduceSum(joined * joined), reduceSum(tiled * tiled), reduceSum(sliced * sliced),
      reduceSum(picked * picked),
    ])
    let partial = try checkGradient(
      of: total, withRespectTo: [rows, fixed],
      feedDict: [rows: sample([2, 2]), fixed: sample([3, 2], seed: 2)])
    #expect(partial.maxRelativeError < 1e-6, "\(partial)")
  }

  @Test func internalGradientOpsCheckRunTimeShapes() throws {
    // A gradient fed through gradYs of a looser static shape must still fit at run time.
    let graph = Graph()
    let a = graph.placeholder(.float64, shape: [2, 2], name: "a")
    let b = graph.placeholder(.float64, shape: [nil, 2], name: "b")
    let seed = graph.placeholder(.float64, shape: [nil, nil], name: "seed")
    let y = try concat([a, b], axis: 0)
    let grads = try gradients(of: [y], withRespectTo: [a, b], gradYs: [seed])
    let feeds = [a: sample([2, 2]), b: sample([1, 2]), seed: sample([3, 2])]
    #expect(try Self.run(grads[1]!, feeds).shape == [1, 2])
    var bad = feeds
    bad[seed] = sample([3, 3])
    expectError(containing: "SplitLike", "'seed' of shape (3, 3)", "'a' of shape (2, 2)") {
      _ = try Self.run(grads[1]!, bad)
    }
    bad[seed] = sample([4, 2])
    expectError(containing: "SplitLike", "add up to 3") { _ = try Self.run(grads[1]!, bad) }

    let tiled = try tile(b, multiples: [2, 1])
    let tileSeed = graph.placeholder(.float64, shape: [nil, 2], name: "tileSeed")
    let tileGrad = try gradients(of: [tiled], withRespectTo: [b], gradYs: [tileSeed])[0]!
    expectError(containing: "TileGrad", "'tileSeed' of shape (3, 2)", "tiled [2, 1]") {
      _ = try Self.run(tileGrad, [b: sample([1, 2]), tileSeed: sample([3, 2])])
    }
  }

  @Test func gradientsOfGradientsThroughInternalOps() throws {
    try Self.expectSecondOrderGradient(sample([3, 2])) { x in
      try gather(x, indices: x.graph.constant([Int32(1), 1, 2], shape: [3]))
    }
    try Self.expectSecondOrderGradient(sample([3, 4])) {
      try slice($0, begin: [1, 1], size: [2, 2])
    }
    try Self.expectSecondOrderGradient(sample([2, 3])) { try tile($0, multiples: [2, 1]) }
    try Self.expectSecondOrderGradient(sample([2, 3])) { x in
      try concat([x, slice(x, begin: [0, 1], size: [2, 1])], axis: 1)
    }
    try Self.expectSecondOrderGradient(sample([3, 2])) { x in
      let parts = try unstack(x)
      return try stack([parts[2], parts[0]], axis: 1)
    }
    try Self.expectSecondOrderGradient(sample([2, 3])) { try transpose($0) }

    // ReshapeLike's own gradient, on a shape with two unknown dimensions.
    // (Products of tensors of unknown shape would differentiate through SumToShape, which
    // has no gradient; matmul squares the vector instead.)
    let graph = Graph()
    let x = graph.placeholder(.float64, shape: [nil, nil], name: "x")
    let y = try reshape(x, shape: [-1])
    let square = try matmul(reshape(y, shape: [1, -1]), reshape(y, shape: [-1, 1]))
    let g = try gradients(of: [reduceSum(square * square)], withRespectTo: [x])[0]!
    #expect(try graph.explain(fetches: [g]).steps.contains { $0.type == "ReshapeLike" })
    let check = try checkGradient(
      of: reduceSum(g * g), withRespectTo: [x], feedDict: [x: sample([2, 3])])
    #expect(check.maxRelativeError < 1e-6, "\(check)")
  }
}
