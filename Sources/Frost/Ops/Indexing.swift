// Ops that pick elements by position: slice, gather and oneHot, and the internal ops of
// their gradients (SliceGrad, GatherGrad), which scatter a gradient into zeros of the
// input's run-time shape.

extension Ops {
  static let slice: OpDefinition = OpDefinition(
    "Slice",
    infer: { context in
      let input = context.inputs[0]
      let begin = context.attributes.ints("begin")
      let size = context.attributes.ints("size")
      guard begin.count == size.count else {
        throw context.error("begin \(begin) and size \(size) have different lengths")
      }
      for (b, s) in zip(begin, size) where b < 0 || s < -1 {
        throw context.error(
          "begin \(begin) must be non-negative and size \(size) at least -1 (to the end)")
      }
      guard let dims = input.shape.dims else {
        return [TensorType(input.dtype, Shape(size.map { $0 == -1 ? nil : $0 }))]
      }
      guard dims.count == begin.count else {
        throw context.error(
          "begin \(begin) has \(begin.count) entries for \(context.describeInput(0)) of rank"
            + " \(dims.count)")
      }
      var out: [Int?] = []
      for (axis, dim) in dims.enumerated() {
        let (b, s) = (begin[axis], size[axis])
        guard let dim else {
          out.append(s == -1 ? nil : s)
          continue
        }
        let extent = s == -1 ? dim - b : s
        guard b <= dim, b + extent <= dim else {
          throw context.error(
            "begin \(begin) and size \(size) reach past \(context.describeInput(0)) along"
              + " axis \(axis)")
        }
        out.append(extent)
      }
      return [TensorType(input.dtype, Shape(out))]
    },
    kernel: { setup in
      let begin = setup.attributes.ints("begin")
      let elementSize = setup.inputTypes[0].dtype.byteSize
      return { io in
        let (input, out) = (io.input(0), io.output(0))
        forEachSliceRun(whole: input.shape, begin: begin, part: out.shape) {
          whole, part, length in
          (out.data + part * elementSize).copyMemory(
            from: input.data + whole * elementSize, byteCount: length * elementSize)
        }
      }
    },
    gradient: { context in
      [
        try context.graph.addOp(
          Ops.sliceGrad, [context.gradient, context.inputs[0]],
          attributes: [
            "begin": .ints(context.attributes.ints("begin")),
            "size": .ints(context.attributes.ints("size")),
          ],
          name: "SliceGrad")
      ]
    })

  /// Zeros of input 1's run-time shape with input 0 written at `begin`: the gradient of a
  /// slice (TensorFlow pads instead). `size` is the forward slice's, for its own gradient.
  static let sliceGrad: OpDefinition = OpDefinition(
    "SliceGrad",
    infer: { context in
      let (gradient, input) = (context.inputs[0], context.inputs[1])
      let begin = context.attributes.ints("begin")
      if let g = gradient.shape.concrete, let x = input.shape.concrete,
        g.count != x.count || g.count != begin.count
          || zip(zip(g, begin), x).contains(where: { $0.0 + $0.1 > $1 })
      {
        throw context.error(
          "\(context.describeInput(0)) does not fit in \(context.describeInput(1)) at \(begin)")
      }
      return [TensorType(gradient.dtype, input.shape)]
    },
    kernel: { setup in
      let begin = setup.attributes.ints("begin")
      let elementSize = setup.inputTypes[0].dtype.byteSize
      return { io in
        let (gradient, out) = (io.input(0), io.output(0))
        out.data.initializeMemory(as: UInt8.self, repeating: 0, count: out.count * elementSize)
        forEachSliceRun(whole: out.shape, begin: begin, part: gradient.shape) {
          whole, part, length in
          (out.data + whole * elementSize).copyMemory(
            from: gradient.data + part * elementSize, byteCount: length * elementSize)
        }
      }
    },
    gradient: { context in
      let attributes = context.attributes
      return [
        try Frost.slice(
          context.gradient, begin: attributes.ints("begin"), size: attributes.ints("size")),
        nil,
      ]
    })

  static let gather: OpDefinition = OpDefinition(
    "GatherV2", traits: [.canFail],
    infer: { context in
      let (params, indices) = (context.inputs[0], context.inputs[1])
      _ = try context.dtype(of: 1, in: [.int32])
      let axis = context.attributes.int("axis")
      guard let dims = params.shape.dims, let indexDims = indices.shape.dims else {
        return [TensorType(params.dtype, .unknown)]
      }
      guard axis >= 0, axis < dims.count else {
        throw context.error("axis \(axis) is out of range for \(context.describeInput(0))")
      }
      return [
        TensorType(
          params.dtype, Shape(Array(dims[..<axis]) + indexDims + Array(dims[(axis + 1)...]))
        )
      ]
    },
    kernel: { setup in
      let axis = setup.attributes.int("axis")
      return byElementSize(
        setup.inputTypes[0].dtype, { gatherKernel(UInt8.self, axis: axis, setup) },
        { gatherKernel(UInt32.self, axis: axis, setup) },
        { gatherKernel(UInt64.self, axis: axis, setup) })
    },
    gradient: { context in
      guard context.needs(0) else { return [nil, nil] }
      let scattered = try context.graph.addOp(
        Ops.gatherGrad, [context.gradient, context.inputs[1], context.inputs[0]],
        attributes: ["axis": .int(context.attributes.int("axis"))], name: "GatherGrad")
      return [scattered, nil]
    })

  /// Adds the rows of input 0 (a gather's gradient) into zeros of input 2's run-time
  /// shape at the positions input 1 names: a dense scatter-add, the gradient of `gather`
  /// with respect to its params (TensorFlow builds IndexedSlices instead).
  static let gatherGrad: OpDefinition = OpDefinition(
    "GatherGrad", traits: [.canFail],
    infer: { context in
      let (gradient, indices, params) = (context.inputs[0], context.inputs[1], context.inputs[2])
      _ = try context.dtype(of: 0, in: DType.numbers)
      _ = try context.dtype(of: 1, in: [.int32])
      let axis = context.attributes.int("axis")
      if let g = gradient.shape.concrete, let i = indices.shape.concrete,
        let p = params.shape.concrete, axis < p.count,
        g != Array(p[..<axis]) + i + Array(p[(axis + 1)...])
      {
        throw context.error(
          "\(context.describeInput(0)) is not the gather of \(context.describeInput(2)) by"
            + " \(context.describeInput(1)) along axis \(axis)")
      }
      return [TensorType(gradient.dtype, params.shape)]
    },
    kernel: { setup in
      let axis = setup.attributes.int("axis")
      return try dispatch(
        setup, float32: { gatherGradKernel(Float.self, axis: axis, setup) },
        float64: { gatherGradKernel(Double.self, axis: axis, setup) },
        int32: { gatherGradKernel(Int32.self, axis: axis, setup) })
    },
    gradient: { context in
      [
        try Frost.gather(
          context.gradient, indices: context.inputs[1], axis: context.attributes.int("axis")),
        nil, nil,
      ]
    })

  static let oneHot: OpDefinition = OpDefinition(
    "OneHot",
    infer: { context in
      _ = try context.dtype(of: 0, in: [.int32])
      let depth = context.attributes.int("depth")
      let axis = context.attributes.int("axis")
      let dtype = context.attributes.dtype("dtype")
      guard depth >= 0 else { throw context.error("depth \(depth) is negative") }
      try checkRepresentable(context.attributes.double("onValue"), as: dtype, context)
      try checkRepresentable(context.attributes.double("offValue"), as: dtype, context)
      guard var dims = context.inputs[0].shape.dims else { return [TensorType(dtype, .unknown)] }
      guard axis >= -1, axis <= dims.count else {
        throw context.error(
          "axis \(axis) must be -1 or in [0, \(dims.count)] for \(context.describeInput(0))")
      }
      dims.insert(depth, at: axis == -1 ? dims.count : axis)
      return [TensorType(dtype, Shape(dims))]
    },
    kernel: { setup in
      let attributes = setup.attributes
      let (depth, axis) = (attributes.int("depth"), attributes.int("axis"))
      let (on, off) = (attributes.double("onValue"), attributes.double("offValue"))
      return switch attributes.dtype("dtype") {
      case .float32: oneHotKernel(Float(on), Float(off), depth: depth, axis: axis)
      case .float64: oneHotKernel(on, off, depth: depth, axis: axis)
      case .int32: oneHotKernel(Int32(on), Int32(off), depth: depth, axis: axis)
      case .bool: oneHotKernel(on != 0, off != 0, depth: depth, axis: axis)
      }
    })
}

// MARK: - Kernels

/// Calls `body(wholeOffset, partOffset, length)`, in elements, for each contiguous run of
/// the block of shape `part` at `begin` inside a row-major array of shape `whole`; the part
/// is itself row-major, so its offsets only grow. Trailing axes the part spans whole merge
/// into longer runs.
func forEachSliceRun(
  whole: [Int], begin: [Int], part: [Int], _ body: (Int, Int, Int) -> Void
) {
  guard part.allSatisfy({ $0 > 0 }) else { return }
  let rank = whole.count
  guard rank > 0 else {
    body(0, 0, 1)
    return
  }
  let strides = rowMajorStrides(whole)
  var k = rank - 1
  while k > 0, part[k] == whole[k] { k -= 1 }
  let length = part[k] * strides[k]
  let start = zip(begin, strides).map(*).reduce(0, +)
  var offset = 0
  forEachOffset(
    counts: Array(part[..<k]), stridesA: Array(strides[..<k]),
    stridesB: [Int](repeating: 0, count: k)
  ) { wholeOffset, _ in
    body(start + wholeOffset, offset, length)
    offset += length
  }
}

/// The layout of a gather along `axis`: `outer` blocks of `limit` rows of `inner` elements.
private struct GatherLayout {
  let outer: Int
  let limit: Int
  let inner: Int

  init(params: [Int], axis: Int) {
    outer = params[..<axis].reduce(1, *)
    limit = params[axis]
    inner = params[(axis + 1)...].reduce(1, *)
  }
}

/// Throws, naming the node, the first index outside `0..<limit`.
private func checkIndices(
  _ indices: TensorView, limit: Int, axis: Int, params: [Int], _ setup: KernelSetup
) throws {
  let ids = indices.pointer(Int32.self)
  for i in 0..<indices.count where ids[i] < 0 || Int(ids[i]) >= limit {
    throw setup.error(
      "index \(ids[i]) at position \(i) of the indices is out of range [0, \(limit)) for"
        + " axis \(axis) of params of shape \(describeShape(params))")
  }
}

private func gatherKernel<W>(_ word: W.Type, axis: Int, _ setup: KernelSetup) -> Kernel {
  { io in
    let (params, indices) = (io.input(0), io.input(1))
    let layout = GatherLayout(params: params.shape, axis: axis)
    try checkIndices(indices, limit: layout.limit, axis: axis, params: params.shape, setup)
    let ids = indices.pointer(Int32.self)
    let count = indices.count
    let x = params.pointer(W.self)
    let z = io.output(0).pointer(W.self)
    let (inner, limit) = (layout.inner, layout.limit)
    for o in 0..<layout.outer {
      let source = x + o * limit * inner
      let target = z + o * count * inner
      if inner == 1 {
        for i in 0..<count { target[i] = source[Int(ids[i])] }
      } else {
        for i in 0..<count {
          (target + i * inner).update(from: source + Int(ids[i]) * inner, count: inner)
        }
      }
    }
  }
}

/// Rows are added in the order of the indices, so a repeated index sums its gradients in
/// a fixed order.
private func gatherGradKernel<T: NumericScalar>(_ type: T.Type, axis: Int, _ setup: KernelSetup)
  -> Kernel
{
  { io in
    let (gradient, indices, out) = (io.input(0), io.input(1), io.output(0))
    let layout = GatherLayout(params: out.shape, axis: axis)
    try checkIndices(indices, limit: layout.limit, axis: axis, params: out.shape, setup)
    out.buffer(T.self).update(repeating: .zero)
    let ids = indices.pointer(Int32.self)
    let count = indices.count
    let g = gradient.pointer(T.self)
    let z = out.pointer(T.self)
    let (inner, limit) = (layout.inner, layout.limit)
    for o in 0..<layout.outer {
      for i in 0..<count {
        let source = g + (o * count + i) * inner
        let target = z + (o * limit + Int(ids[i])) * inner
        for j in 0..<inner { target[j] += source[j] }
      }
    }
  }
}

private func oneHotKernel<T: TensorScalar>(_ on: T, _ off: T, depth: Int, axis: Int) -> Kernel {
  { io in
    let (indices, out) = (io.input(0), io.output(0))
    let position = axis == -1 ? indices.shape.count : axis
    let inner = indices.shape[position...].reduce(1, *)
    let outer = indices.shape[..<position].reduce(1, *)
    let ids = indices.pointer(Int32.self)
    let z = out.pointer(T.self)
    out.buffer(T.self).update(repeating: off)
    for o in 0..<outer {
      for i in 0..<inner {
        let id = Int(ids[o * inner + i])
        if id >= 0, id < depth { z[(o * depth + id) * inner + i] = on }
      }
    }
  }
}

// MARK: - Public functions

/// The block of `x` that starts at `begin` and spans `size`, where a size of -1 reaches to
/// the end of its axis (TensorFlow's `tf.slice`). Any dtype; the block is copied.
///
/// - Throws: `FrostError.invalidArgument` naming the op and `x` when `begin` or `size` do
///   not have one entry per axis, `begin` is negative, or the block reaches past `x` (at run
///   time when `x`'s shape is only known then).
public func slice(_ x: Tensor, begin: [Int], size: [Int], name: String? = nil) throws -> Tensor {
  try x.graph.addOp(
    Ops.slice, [x], attributes: ["begin": .ints(begin), "size": .ints(size)],
    name: name ?? "Slice")
}

/// The slices of `params` along `axis` at the positions `indices` names (TensorFlow's
/// `tf.gather`): the result's shape is `params.shape[..<axis] + indices.shape +
/// params.shape[(axis + 1)...]`. `indices` is int32 of any rank; `params` any dtype.
///
/// The gradient with respect to `params` is dense (zeros where nothing was gathered, and
/// repeated indices summed), not TensorFlow's IndexedSlices.
///
/// - Throws: `FrostError.invalidArgument` naming the op and inputs when `indices` is not
///   int32 or `axis` is out of range; at run time, naming the node, for an index outside
///   `0..<params.shape[axis]`.
public func gather(_ params: Tensor, indices: Tensor, axis: Int = 0, name: String? = nil)
  throws -> Tensor
{
  let resolved = try resolveAxis(axis, of: [params], op: "GatherV2")
  return try params.graph.addOp(
    Ops.gather, [params, indices], attributes: ["axis": .int(resolved)],
    name: name ?? "GatherV2")
}

/// A one-hot encoding of int32 `indices` (TensorFlow's `tf.one_hot`): a new axis of size
/// `depth` at `axis` (-1 for last, else in `0...rank`) holds `onValue` at each index and
/// `offValue` elsewhere; an index outside `0..<depth` gives a row of `offValue`. Not
/// differentiable (the indices are integers).
///
/// - Throws: `FrostError.invalidArgument` naming the op and `indices` when they are not
///   int32, `depth` is negative, `axis` is out of range, or a value is not representable in
///   `dtype` (int32 needs whole numbers).
public func oneHot(
  _ indices: Tensor, depth: Int, onValue: Double = 1, offValue: Double = 0, axis: Int = -1,
  dtype: DType = .float32, name: String? = nil
) throws -> Tensor {
  try indices.graph.addOp(
    Ops.oneHot, [indices],
    attributes: [
      "depth": .int(depth), "onValue": .double(onValue), "offValue": .double(offValue),
      "axis": .int(axis), "dtype": .dtype(dtype),
    ],
    name: name ?? "one_hot")
}
