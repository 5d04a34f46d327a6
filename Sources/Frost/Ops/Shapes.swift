// Ops that rearrange elements without arithmetic: reshape (and its internal ReshapeLike),
// transpose, expandDims, squeeze, concat, stack, unstack, tile, shape, size and fill.
// Reshape, expandDims and squeeze alias their input; the others move bytes, so one kernel
// serves every dtype of an element size.

extension Ops {
  static let reshape: OpDefinition = OpDefinition(
    "Reshape", traits: [.aliasesInput],
    infer: { context in
      let target = context.attributes.ints("shape")
      return [TensorType(context.inputs[0].dtype, try reshapedShape(target, context))]
    },
    kernel: { _ in { io in io.aliasInput() } },
    gradient: { context in [try Frost.reshape(context.gradient, like: context.inputs[0])] })

  /// Input 0's memory under input 1's run-time shape: the gradient of a reshape whose input
  /// has more than one unknown dimension, where no static `shape` attribute can say it.
  static let reshapeLike: OpDefinition = OpDefinition(
    "ReshapeLike", traits: [.aliasesInput], shapeOnly: [1],
    infer: { context in
      let (source, target) = (context.inputs[0], context.inputs[1])
      if let a = source.shape.elementCount, let b = target.shape.elementCount, a != b {
        throw context.error(
          "cannot reshape \(context.describeInput(0)) (\(a) elements) like"
            + " \(context.describeInput(1)) (\(b) elements)")
      }
      return [TensorType(source.dtype, target.shape)]
    },
    kernel: { _ in { io in io.aliasInput() } },
    gradient: { context in [try Frost.reshape(context.gradient, like: context.inputs[0]), nil] })

  static let transpose: OpDefinition = OpDefinition(
    "Transpose",
    infer: { context in
      let input = context.inputs[0]
      let perm = context.attributes.optionalInts("perm")
      guard let dims = input.shape.dims else {
        let shape = perm.map { Shape([Int?](repeating: nil, count: $0.count)) } ?? .unknown
        return [TensorType(input.dtype, shape)]
      }
      let order = perm ?? Array(dims.indices.reversed())
      guard order.count == dims.count, Set(order) == Set(dims.indices) else {
        throw context.error(
          "perm \(order) is not a permutation of the axes of \(context.describeInput(0))")
      }
      return [TensorType(input.dtype, Shape(order.map { dims[$0] }))]
    },
    kernel: { setup in
      let perm = setup.attributes.optionalInts("perm")
      return byElementSize(
        setup.inputTypes[0].dtype, { transposeKernel(UInt8.self, perm: perm) },
        { transposeKernel(UInt32.self, perm: perm) }, { transposeKernel(UInt64.self, perm: perm) })
    },
    gradient: { context in
      guard let perm = context.attributes.optionalInts("perm") else {
        return [try Frost.transpose(context.gradient)]
      }
      var inverse = perm
      for (position, axis) in perm.enumerated() { inverse[axis] = position }
      return [try Frost.transpose(context.gradient, perm: inverse)]
    })

  static let expandDims: OpDefinition = OpDefinition(
    "ExpandDims", traits: [.aliasesInput],
    infer: { context in
      let input = context.inputs[0]
      let axis = context.attributes.int("axis")
      guard var dims = input.shape.dims else { return [TensorType(input.dtype, .unknown)] }
      guard axis >= 0, axis <= dims.count else {
        throw context.error(
          "axis \(axis) is out of range [0, \(dims.count)] for \(context.describeInput(0))")
      }
      dims.insert(1, at: axis)
      return [TensorType(input.dtype, Shape(dims))]
    },
    kernel: { _ in { io in io.aliasInput() } },
    gradient: { context in
      [try Frost.squeeze(context.gradient, axes: [context.attributes.int("axis")])]
    })

  static let squeeze: OpDefinition = OpDefinition(
    "Squeeze", traits: [.aliasesInput],
    infer: { context in
      let input = context.inputs[0]
      guard let dims = input.shape.dims else { return [TensorType(input.dtype, .unknown)] }
      guard let axes = context.attributes.optionalInts("axes") else {
        // Without axes, an unknown dimension may or may not be 1: the rank is unknown.
        guard !dims.contains(nil) else { return [TensorType(input.dtype, .unknown)] }
        return [TensorType(input.dtype, Shape(dims.filter { $0 != 1 }))]
      }
      for axis in axes {
        guard axis >= 0, axis < dims.count else {
          throw context.error(
            "axis \(axis) is out of range for \(context.describeInput(0))")
        }
        if let size = dims[axis], size != 1 {
          throw context.error(
            "cannot squeeze axis \(axis) of \(context.describeInput(0)): its size is \(size),"
              + " not 1")
        }
      }
      let kept = dims.indices.filter { !axes.contains($0) }.map { dims[$0] }
      return [TensorType(input.dtype, Shape(kept))]
    },
    kernel: { _ in { io in io.aliasInput() } },
    gradient: { context in [try Frost.reshape(context.gradient, like: context.inputs[0])] })

  static let concat: OpDefinition = OpDefinition(
    "ConcatV2", infer: concatInference,
    kernel: { setup in
      interleaveKernel(
        axis: setup.attributes.int("axis"), elementSize: setup.outputTypes[0].dtype.byteSize)
    },
    gradient: { context in
      let pieces = try context.graph.addNode(
        Ops.splitLike, inputs: [context.gradient] + context.inputs,
        attributes: ["axis": .int(context.attributes.int("axis"))], name: "SplitLike"
      ).outputs
      return context.inputs.indices.map { context.needs($0) ? pieces[$0] : nil }
    })

  /// Splits input 0 along `axis` into pieces as long, along that axis, as inputs 1...n
  /// are at run time (their values are not read): the gradient of a concatenation.
  static let splitLike: OpDefinition = OpDefinition(
    "SplitLike",
    infer: { context in
      let axis = context.attributes.int("axis")
      let whole = context.inputs[0]
      var total: Int? = 0
      var outputs: [TensorType] = []
      for i in 1..<context.inputs.count {
        var shape = context.inputs[i].shape
        if let dims = whole.shape.dims, let pieceDims = shape.dims {
          // Off the axis, each piece has the whole's dimensions.
          let mismatch = context.error(
            "\(context.describeInput(i)) is not a piece of \(context.describeInput(0)) along"
              + " axis \(axis)")
          guard axis < dims.count, pieceDims.count == dims.count else { throw mismatch }
          var expected = dims
          expected[axis] = pieceDims[axis]
          guard let merged = shape.merged(with: Shape(expected)) else { throw mismatch }
          shape = merged
        }
        let size = shape.dims.flatMap { axis < $0.count ? $0[axis] : nil }
        total = total.flatMap { sum in size.map { sum + $0 } }
        outputs.append(TensorType(whole.dtype, shape))
      }
      if let dims = whole.shape.dims, axis < dims.count, let size = dims[axis], let total,
        size != total
      {
        throw context.error(
          "\(context.describeInput(0)) has \(size) along axis \(axis), but the pieces add up"
            + " to \(total)")
      }
      return outputs
    },
    kernel: { setup in
      splitKernel(
        axis: setup.attributes.int("axis"), elementSize: setup.inputTypes[0].dtype.byteSize)
    },
    gradient: { context in
      let pieces = try zip(context.outputGradients, context.outputs).map { gradient, output in
        try gradient ?? Frost.zerosLike(output)
      }
      let whole = try Frost.concat(pieces, axis: context.attributes.int("axis"))
      return [whole] + context.inputs.dropFirst().map { _ in nil }
    })

  static let stack: OpDefinition = OpDefinition(
    "Pack",
    infer: { context in
      let dtype = try context.sameDType(DType.all)
      let axis = context.attributes.int("axis")
      var shape = Shape.unknown
      for (i, input) in context.inputs.enumerated() {
        guard let merged = shape.merged(with: input.shape) else {
          throw context.error(
            "\(context.describeInput(i)) differs from \(context.describeInput(0)); stacked"
              + " tensors must have one shape")
        }
        shape = merged
      }
      guard var dims = shape.dims else { return [TensorType(dtype, .unknown)] }
      guard axis >= 0, axis <= dims.count else {
        throw context.error(
          "axis \(axis) is out of range [0, \(dims.count)] for \(context.describeInput(0))")
      }
      dims.insert(context.inputs.count, at: axis)
      return [TensorType(dtype, Shape(dims))]
    },
    kernel: { setup in
      interleaveKernel(
        axis: setup.attributes.int("axis"), elementSize: setup.outputTypes[0].dtype.byteSize)
    },
    gradient: { context in
      let pieces = try context.graph.addNode(
        Ops.unstack, inputs: [context.gradient],
        attributes: [
          "axis": .int(context.attributes.int("axis")), "num": .int(context.inputs.count),
        ],
        name: "Unpack"
      ).outputs
      return context.inputs.indices.map { context.needs($0) ? pieces[$0] : nil }
    })

  static let unstack: OpDefinition = OpDefinition(
    "Unpack",
    infer: { context in
      let input = context.inputs[0]
      let axis = context.attributes.int("axis")
      let count = context.attributes.int("num")
      guard var dims = input.shape.dims else {
        return Array(repeating: TensorType(input.dtype, .unknown), count: count)
      }
      guard axis >= 0, axis < dims.count else {
        throw context.error("axis \(axis) is out of range for \(context.describeInput(0))")
      }
      if let size = dims[axis], size != count {
        throw context.error(
          "\(context.describeInput(0)) has \(size) along axis \(axis), not \(count)")
      }
      dims.remove(at: axis)
      return Array(repeating: TensorType(input.dtype, Shape(dims)), count: count)
    },
    kernel: { setup in
      splitKernel(
        axis: setup.attributes.int("axis"), elementSize: setup.inputTypes[0].dtype.byteSize)
    },
    gradient: { context in
      let pieces = try zip(context.outputGradients, context.outputs).map { gradient, output in
        try gradient ?? Frost.zerosLike(output)
      }
      return [try Frost.stack(pieces, axis: context.attributes.int("axis"))]
    })

  static let tile: OpDefinition = OpDefinition(
    "Tile",
    infer: { context in
      let input = context.inputs[0]
      let multiples = context.attributes.ints("multiples")
      if let bad = multiples.first(where: { $0 < 0 }) {
        throw context.error("multiples \(multiples) has the negative entry \(bad)")
      }
      guard let dims = input.shape.dims else {
        return [TensorType(input.dtype, Shape([Int?](repeating: nil, count: multiples.count)))]
      }
      guard dims.count == multiples.count else {
        throw context.error(
          "multiples \(multiples) has \(multiples.count) entries for"
            + " \(context.describeInput(0)) of rank \(dims.count)")
      }
      return [TensorType(input.dtype, Shape(zip(dims, multiples).map { d, m in d.map { $0 * m } }))]
    },
    kernel: { setup in
      let multiples = setup.attributes.ints("multiples")
      return byElementSize(
        setup.inputTypes[0].dtype, { tileKernel(UInt8.self, multiples) },
        { tileKernel(UInt32.self, multiples) }, { tileKernel(UInt64.self, multiples) })
    },
    gradient: { context in
      [
        try context.graph.addOp(
          Ops.tileGrad, [context.gradient, context.inputs[0]],
          attributes: ["multiples": .ints(context.attributes.ints("multiples"))],
          name: "TileGrad")
      ]
    })

  /// Sums input 0, a tiling of input 1's shape by `multiples`, over its tiles: the gradient
  /// of `tile`. Input 1 only gives the run-time shape.
  static let tileGrad: OpDefinition = OpDefinition(
    "TileGrad",
    infer: { context in
      let (gradient, input) = (context.inputs[0], context.inputs[1])
      _ = try context.dtype(of: 0, in: DType.numbers)
      let multiples = context.attributes.ints("multiples")
      if let g = gradient.shape.concrete, let x = input.shape.concrete,
        g != zip(x, multiples).map(*)
      {
        throw context.error(
          "\(context.describeInput(0)) is not \(context.describeInput(1)) tiled \(multiples)")
      }
      return [TensorType(gradient.dtype, input.shape)]
    },
    kernel: { setup in
      let multiples = setup.attributes.ints("multiples")
      return try dispatch(
        setup, float32: { tileGradKernel(Float.self, multiples) },
        float64: { tileGradKernel(Double.self, multiples) },
        int32: { tileGradKernel(Int32.self, multiples) })
    },
    gradient: { context in
      [try Frost.tile(context.gradient, multiples: context.attributes.ints("multiples")), nil]
    })

  static let shape: OpDefinition = OpDefinition(
    "Shape", shapeOnly: [0],
    infer: { context in
      if let dims = context.inputs[0].shape.concrete,
        let big = dims.first(where: { $0 > Int32.max })
      {
        throw context.error("dimension \(big) of \(context.describeInput(0)) overflows int32")
      }
      return [TensorType(.int32, Shape([context.inputs[0].shape.rank]))]
    },
    kernel: { _ in
      { io in
        let z = io.output(0).pointer(Int32.self)
        for (i, size) in io.input(0).shape.enumerated() { z[i] = Int32(size) }
      }
    })

  static let size: OpDefinition = OpDefinition(
    "Size", shapeOnly: [0],
    infer: { context in
      if let count = context.inputs[0].shape.elementCount, count > Int32.max {
        throw context.error("\(context.describeInput(0)) has \(count) elements, more than int32")
      }
      return [TensorType(.int32, .scalar)]
    },
    kernel: { _ in { io in io.output(0).pointer(Int32.self)[0] = Int32(io.input(0).count) } })

  static let fill: OpDefinition = OpDefinition(
    "Fill",
    infer: { context in
      let shape = context.attributes.ints("shape")
      let dtype = context.attributes.dtype("dtype")
      if let bad = shape.first(where: { $0 < 0 }) {
        throw context.error("shape \(shape) has the negative dimension \(bad)")
      }
      try checkRepresentable(context.attributes.double("value"), as: dtype, context)
      return [TensorType(dtype, Shape(shape))]
    },
    kernel: { setup in
      fillKernel(setup.attributes.dtype("dtype"), value: setup.attributes.double("value"))
    })
}

// MARK: - Shape functions

/// The output shape of a reshape of input 0 to `target` (one entry may be -1).
private func reshapedShape(_ target: [Int], _ context: InferenceContext) throws -> Shape {
  if let bad = target.first(where: { $0 < -1 }) {
    throw context.error("shape \(target) has the negative dimension \(bad)")
  }
  let wildcards = target.indices.filter { target[$0] == -1 }
  guard wildcards.count <= 1 else {
    throw context.error("shape \(target) has more than one -1")
  }
  let known = target.filter { $0 != -1 }.reduce(1, *)
  var out: [Int?] = target.map { $0 == -1 ? nil : $0 }
  let input = context.inputs[0].shape
  guard let count = input.elementCount else {
    // Some dimension is unknown: only a fixed target can be checked, against the product
    // of the known dimensions, which must divide it.
    if wildcards.isEmpty, let dims = input.dims {
      let partial = dims.compactMap { $0 }.reduce(1, *)
      if partial == 0 ? known != 0 : known % partial != 0 {
        throw context.error(
          "cannot reshape \(context.describeInput(0)) to \(target): \(known) elements is not"
            + " a multiple of \(partial)")
      }
    }
    return Shape(out)
  }
  if let wildcard = wildcards.first {
    guard known > 0, count % known == 0 else {
      throw context.error(
        "cannot reshape \(context.describeInput(0)) (\(count) elements) to \(target): the -1"
          + " cannot be inferred")
    }
    out[wildcard] = count / known
  } else if known != count {
    throw context.error(
      "cannot reshape \(context.describeInput(0)) (\(count) elements) to \(target)"
        + " (\(known) elements)")
  }
  return Shape(out)
}

/// Shape function of concat: inputs of one dtype and rank, equal outside `axis`.
@Sendable private func concatInference(_ context: inout InferenceContext) throws -> [TensorType] {
  let dtype = try context.sameDType(DType.all)
  let axis = context.attributes.int("axis")
  let ranked = context.inputs.indices.filter { context.inputs[$0].shape.rank != nil }
  guard let first = ranked.first, let rank = context.inputs[first].shape.rank else {
    return [TensorType(dtype, .unknown)]
  }
  guard rank > 0 else {
    throw context.error("cannot concatenate scalars such as \(context.describeInput(first))")
  }
  guard axis >= 0, axis < rank else {
    throw context.error("axis \(axis) is out of range for \(context.describeInput(first))")
  }
  var out = [Int?](repeating: nil, count: rank)
  var source = [Int](repeating: first, count: rank)
  var total: Int? = 0
  for (i, input) in context.inputs.enumerated() {
    guard let dims = input.shape.dims else {
      total = nil
      continue
    }
    guard dims.count == rank else {
      throw context.error(
        "\(context.describeInput(i)) has rank \(dims.count), but"
          + " \(context.describeInput(first)) has rank \(rank)")
    }
    for a in 0..<rank where a != axis {
      guard let size = dims[a] else { continue }
      if let other = out[a], other != size {
        throw context.error(
          "\(context.describeInput(i)) differs from \(context.describeInput(source[a])) in"
            + " dimension \(a), which is not the concatenation axis \(axis)")
      }
      out[a] = size
      source[a] = i
    }
    total = total.flatMap { sum in dims[axis].map { sum + $0 } }
  }
  out[axis] = total
  return [TensorType(dtype, Shape(out))]
}

/// Throws unless `value` converts to `dtype` exactly where a conversion could trap or lose
/// the value silently (int32 needs a whole number in range).
func checkRepresentable(_ value: Double, as dtype: DType, _ context: InferenceContext) throws {
  if dtype == .int32, Int32(exactly: value) == nil {
    throw context.error("\(value) is not an int32 value")
  }
}

// MARK: - Kernels

/// Picks the kernel for an element size: ops that only move elements need one
/// specialization per size (bool; float32 and int32; float64), not one per dtype.
func byElementSize(
  _ dtype: DType, _ one: () -> Kernel, _ four: () -> Kernel, _ eight: () -> Kernel
) -> Kernel {
  switch dtype.byteSize {
  case 1: one()
  case 4: four()
  default: eight()
  }
}

/// Row-major strides, in elements, of `dims`.
func rowMajorStrides(_ dims: [Int]) -> [Int] {
  var strides = [Int](repeating: 1, count: dims.count)
  var step = 1
  for axis in dims.indices.reversed() {
    strides[axis] = step
    step *= dims[axis]
  }
  return strides
}

/// Visits every multi-index of `counts` in row-major order, passing two linear offsets that
/// advance by `stridesA` and `stridesB` per axis.
func forEachOffset(
  counts: [Int], stridesA: [Int], stridesB: [Int], _ body: (Int, Int) -> Void
) {
  let total = counts.reduce(1, *)
  guard total > 0 else { return }
  var index = [Int](repeating: 0, count: counts.count)
  var a = 0
  var b = 0
  for _ in 0..<total {
    body(a, b)
    var axis = counts.count - 1
    while axis >= 0 {
      index[axis] += 1
      a += stridesA[axis]
      b += stridesB[axis]
      if index[axis] < counts[axis] { break }
      a -= stridesA[axis] * counts[axis]
      b -= stridesB[axis] * counts[axis]
      index[axis] = 0
      axis -= 1
    }
  }
}

/// Copies, for each index of the axes before `axis`, one chunk of every input in turn into
/// output 0: concatenation when the inputs keep `axis`, stacking when they do not.
private func interleaveKernel(axis: Int, elementSize: Int) -> Kernel {
  { io in
    let out = io.output(0)
    let outer = out.shape[..<axis].reduce(1, *)
    let pieces = (0..<io.inputCount).map { k in
      let input = io.input(k)
      return (UnsafeRawPointer(input.data), input.shape[axis...].reduce(1, *) * elementSize)
    }
    var target = out.data
    for o in 0..<outer {
      for (source, bytes) in pieces {
        target.copyMemory(from: source + o * bytes, byteCount: bytes)
        target += bytes
      }
    }
  }
}

/// The inverse of `interleaveKernel`: splits input 0 into the outputs along `axis`.
private func splitKernel(axis: Int, elementSize: Int) -> Kernel {
  { io in
    let input = io.input(0)
    let outer = input.shape[..<axis].reduce(1, *)
    let pieces = io.outputSlots.indices.map { k in
      let output = io.output(k)
      return (output.data, output.shape[axis...].reduce(1, *) * elementSize)
    }
    var source = UnsafeRawPointer(input.data)
    for o in 0..<outer {
      for (target, bytes) in pieces {
        (target + o * bytes).copyMemory(from: source, byteCount: bytes)
        source += bytes
      }
    }
  }
}

private func transposeKernel<W>(_ word: W.Type, perm: [Int]?) -> Kernel {
  { io in
    let input = io.input(0)
    let order = perm ?? Array(input.shape.indices.reversed())
    transposeElements(
      input.pointer(W.self), dims: input.shape, perm: order, into: io.output(0).pointer(W.self))
  }
}

/// Writes the transpose of `x` (of `dims`) by `perm` to `z`: output axis `j` is input axis
/// `perm[j]`. Size-1 axes are dropped and axes that stay adjacent merged first, so many
/// permutations reduce to a copy, to contiguous rows, or to (batched) 2-D transposes,
/// which go tile by tile to stay in cache.
func transposeElements<W>(
  _ x: UnsafeMutablePointer<W>, dims: [Int], perm: [Int], into z: UnsafeMutablePointer<W>
) {
  let count = dims.reduce(1, *)
  guard count > 0 else { return }
  let (d, p) = simplifiedPermutation(dims: dims, perm: perm)
  let rank = d.count
  guard rank > 1 else {
    z.update(from: x, count: count)
    return
  }
  let inStrides = rowMajorStrides(d)
  let outDims = p.map { d[$0] }
  let outStrides = rowMajorStrides(outDims)

  // The innermost axis stays innermost: copy whole rows.
  if p[rank - 1] == rank - 1 {
    let length = d[rank - 1]
    let outer = Array(0..<(rank - 1))
    forEachOffset(
      counts: outer.map { outDims[$0] }, stridesA: outer.map { inStrides[p[$0]] },
      stridesB: outer.map { outStrides[$0] }
    ) { source, target in
      (z + target).update(from: x + source, count: length)
    }
    return
  }

  // Tiles of the plane spanned by the output's innermost axis (input axis `a`, strided
  // reads) and the input's innermost axis (output axis `q`, strided writes). Inside a
  // tile, eight input rows at a time: each output row gets eight contiguous elements.
  let tile = 64
  let a = p[rank - 1]
  let q = p.firstIndex(of: rank - 1)!
  let (rows, readStride) = (d[a], inStrides[a])
  let (columns, writeStride) = (d[rank - 1], outStrides[q])
  let others = (0..<(rank - 1)).filter { $0 != q }
  forEachOffset(
    counts: others.map { outDims[$0] }, stridesA: others.map { inStrides[p[$0]] },
    stridesB: others.map { outStrides[$0] }
  ) { sourceBase, targetBase in
    for i0 in stride(from: 0, to: columns, by: tile) {
      let i1 = min(i0 + tile, columns)
      for j0 in stride(from: 0, to: rows, by: tile) {
        let j1 = min(j0 + tile, rows)
        var j = j0
        while j + 8 <= j1 {
          let source = x + sourceBase + j * readStride
          for i in i0..<i1 {
            let target = z + targetBase + i * writeStride + j
            for k in 0..<8 { target[k] = source[k * readStride + i] }
          }
          j += 8
        }
        while j < j1 {
          let source = x + sourceBase + j * readStride
          for i in i0..<i1 { z[targetBase + i * writeStride + j] = source[i] }
          j += 1
        }
      }
    }
  }
}

/// The same transpose on fewer axes: size-1 axes dropped, and runs of input axes that stay
/// adjacent and in order in the output merged into one.
func simplifiedPermutation(dims: [Int], perm: [Int]) -> (dims: [Int], perm: [Int]) {
  let kept = dims.indices.filter { dims[$0] != 1 }
  var renamed = [Int](repeating: -1, count: dims.count)
  for (i, axis) in kept.enumerated() { renamed[axis] = i }
  let order = perm.filter { dims[$0] != 1 }.map { renamed[$0] }

  // Runs of consecutive input axes, in output order.
  var groups: [[Int]] = []
  for axis in order {
    if let last = groups.last?.last, axis == last + 1 {
      groups[groups.count - 1].append(axis)
    } else {
      groups.append([axis])
    }
  }
  let inputOrder = groups.indices.sorted { groups[$0][0] < groups[$1][0] }
  var position = [Int](repeating: 0, count: groups.count)
  for (i, group) in inputOrder.enumerated() { position[group] = i }
  let mergedDims = inputOrder.map { groups[$0].reduce(1) { $0 * dims[kept[$1]] } }
  return (mergedDims, groups.indices.map { position[$0] })
}

/// Walks the rows (innermost axis) of a tiling of `dims` by `multiples`, passing the
/// offset of the matching input row and of the output row; the output is rows in order.
private func forEachTiledRow(dims: [Int], multiples: [Int], _ body: (Int, Int) -> Void) {
  let rank = dims.count
  let outDims = zip(dims, multiples).map(*)
  guard outDims.allSatisfy({ $0 > 0 }) else { return }
  guard rank > 0 else {
    body(0, 0)
    return
  }
  let strides = rowMajorStrides(dims)
  let rowLength = outDims[rank - 1]
  let rows = outDims.dropLast().reduce(1, *)
  var index = [Int](repeating: 0, count: rank - 1)
  var source = 0
  for row in 0..<rows {
    body(source, row * rowLength)
    var axis = rank - 2
    while axis >= 0 {
      index[axis] += 1
      if index[axis] % dims[axis] == 0 {
        source -= (dims[axis] - 1) * strides[axis]
      } else {
        source += strides[axis]
      }
      if index[axis] < outDims[axis] { break }
      index[axis] = 0
      axis -= 1
    }
  }
}

private func tileKernel<W>(_ word: W.Type, _ multiples: [Int]) -> Kernel {
  { io in
    let input = io.input(0)
    let x = input.pointer(W.self)
    let z = io.output(0).pointer(W.self)
    let length = input.shape.last ?? 1
    let repeats = multiples.last ?? 1
    forEachTiledRow(dims: input.shape, multiples: multiples) { source, target in
      for k in 0..<repeats { (z + target + k * length).update(from: x + source, count: length) }
    }
  }
}

/// Sums the tiles of the gradient into the input's shape; each input element adds its
/// copies in row-major order of the tiles.
private func tileGradKernel<T: NumericScalar>(_ type: T.Type, _ multiples: [Int]) -> Kernel {
  { io in
    let out = io.output(0)
    let g = io.input(0).pointer(T.self)
    let z = out.pointer(T.self)
    out.buffer(T.self).update(repeating: .zero)
    let length = out.shape.last ?? 1
    let repeats = multiples.last ?? 1
    forEachTiledRow(dims: out.shape, multiples: multiples) { target, source in
      for k in 0..<repeats {
        let row = g + source + k * length
        for j in 0..<length { z[target + j] += row[j] }
      }
    }
  }
}

// MARK: - Helpers for gradients and builders

/// `gradient` reshaped to `input`'s shape: a `Reshape` when the static shape says it (at
/// most one unknown dimension, and no zero beside it), else a `ReshapeLike` that reads
/// `input`'s shape at run time.
func reshape(_ gradient: Tensor, like input: Tensor) throws -> Tensor {
  if let dims = input.shape.dims, dims.filter({ $0 == nil }).count <= 1,
    dims.contains(nil) ? !dims.contains(0) : true
  {
    return try reshape(gradient, shape: dims.map { $0 ?? -1 })
  }
  return try gradient.graph.addOp(Ops.reshapeLike, [gradient, input], name: "ReshapeLike")
}

/// Resolves a possibly negative `axis` of an op on `tensors` against their static rank
/// (the first one known), plus one when the op inserts an axis.
///
/// - Throws: `FrostError.invalidArgument` naming `op` and a tensor when the axis is out of
///   range, or negative while no rank is known.
func resolveAxis(_ axis: Int, of tensors: [Tensor], op: String, inserting: Bool = false)
  throws -> Int
{
  guard let ranked = tensors.first(where: { $0.shape.rank != nil }), let rank = ranked.shape.rank
  else {
    guard axis >= 0 else {
      let name = tensors.first?.name ?? "?"
      throw FrostError.invalidArgument(
        "\(op): negative axis \(axis) needs a known rank, but '\(name)' has an unknown shape")
    }
    return axis
  }
  let limit = rank + (inserting ? 1 : 0)
  let resolved = axis < 0 ? axis + limit : axis
  guard resolved >= 0, resolved < limit else {
    throw FrostError.invalidArgument(
      "\(op): axis \(axis) is out of range [\(-limit), \(limit)) for '\(ranked.name)' of shape"
        + " \(ranked.shape)")
  }
  return resolved
}

// MARK: - Public functions

/// `x`'s elements under `shape`, which may hold one -1 for the size that makes the counts
/// agree (TensorFlow's `tf.reshape`). No copy: the result shares `x`'s memory.
///
/// Where `x`'s element count is unknown until run time, a -1 stays unknown in the static
/// shape and is resolved when the graph runs.
///
/// - Throws: `FrostError.invalidArgument` naming the op and `x` when the counts differ,
///   `shape` has a negative size other than one -1, or the -1 cannot be inferred (the other
///   sizes multiply to 0); at run time, the same for counts only then known.
public func reshape(_ x: Tensor, shape: [Int], name: String? = nil) throws -> Tensor {
  try x.graph.addOp(Ops.reshape, [x], attributes: ["shape": .ints(shape)], name: name ?? "Reshape")
}

/// `x` with its axes permuted: output axis `i` is input axis `perm[i]` (TensorFlow's
/// `tf.transpose`); without `perm`, the axes are reversed. Any dtype. 2-D transposes (and
/// any permutation that reduces to one) go tile by tile through cache.
///
/// - Throws: `FrostError.invalidArgument` naming the op and `x` when `perm` is not a
///   permutation of `0..<rank` (negative entries are not accepted, as in TensorFlow).
public func transpose(_ x: Tensor, perm: [Int]? = nil, name: String? = nil) throws -> Tensor {
  var attributes: [String: AttributeValue] = [:]
  if let perm { attributes["perm"] = .ints(perm) }
  return try x.graph.addOp(Ops.transpose, [x], attributes: attributes, name: name ?? "transpose")
}

/// `x` with a new axis of size 1 at `axis`, in `-(rank + 1)...rank` (TensorFlow's
/// `tf.expand_dims`). No copy: the result shares `x`'s memory.
///
/// - Throws: `FrostError.invalidArgument` naming the op and `x` when `axis` is out of range,
///   or negative while `x`'s rank is unknown.
public func expandDims(_ x: Tensor, axis: Int, name: String? = nil) throws -> Tensor {
  let resolved = try resolveAxis(axis, of: [x], op: "ExpandDims", inserting: true)
  return try x.graph.addOp(
    Ops.expandDims, [x], attributes: ["axis": .int(resolved)], name: name ?? "ExpandDims")
}

/// `x` without the size-1 axes `axes` (TensorFlow's `tf.squeeze`); with `axes` nil, without
/// every size-1 axis. No copy: the result shares `x`'s memory.
///
/// Unlike TensorFlow, an empty `axes` list removes nothing. Without `axes`, an `x` with an
/// unknown dimension gets an unknown static shape, since that dimension may be 1.
///
/// - Throws: `FrostError.invalidArgument` naming the op and `x` when a named axis is out of
///   range, repeated, or not of size 1 (at run time when its size is only known then).
public func squeeze(_ x: Tensor, axes: [Int]? = nil, name: String? = nil) throws -> Tensor {
  var attributes: [String: AttributeValue] = [:]
  if let axes {
    var resolved: [Int] = []
    for axis in axes {
      let r = try resolveAxis(axis, of: [x], op: "Squeeze")
      guard !resolved.contains(r) else {
        throw FrostError.invalidArgument("Squeeze: axis \(axis) of '\(x.name)' appears twice")
      }
      resolved.append(r)
    }
    attributes["axes"] = .ints(resolved.sorted())
  }
  return try x.graph.addOp(Ops.squeeze, [x], attributes: attributes, name: name ?? "Squeeze")
}

/// The tensors of `values`, of one dtype and rank, joined along `axis` (TensorFlow's
/// `tf.concat`); their other dimensions must agree.
///
/// - Throws: `FrostError.invalidArgument` naming the op and the inputs for an empty list,
///   mixed dtypes or ranks, scalars, dimensions that differ off the axis, or an axis out of
///   range.
public func concat(_ values: [Tensor], axis: Int, name: String? = nil) throws -> Tensor {
  guard let first = values.first else {
    throw FrostError.invalidArgument("ConcatV2: no tensors to concatenate")
  }
  if let scalar = values.first(where: { $0.shape.rank == 0 }) {
    throw FrostError.invalidArgument(
      "ConcatV2: cannot concatenate scalars such as '\(scalar.name)'; stack them instead")
  }
  let resolved = try resolveAxis(axis, of: values, op: "ConcatV2")
  return try first.graph.addOp(
    Ops.concat, values, attributes: ["axis": .int(resolved)], name: name ?? "concat")
}

/// The tensors of `values`, of one dtype and shape, stacked along a new axis at `axis`, in
/// `-(rank + 1)...rank` (TensorFlow's `tf.stack`).
///
/// - Throws: `FrostError.invalidArgument` naming the op and the inputs for an empty list,
///   mixed dtypes or shapes, or an axis out of range.
public func stack(_ values: [Tensor], axis: Int = 0, name: String? = nil) throws -> Tensor {
  guard let first = values.first else {
    throw FrostError.invalidArgument("Pack: no tensors to stack")
  }
  let resolved = try resolveAxis(axis, of: values, op: "Pack", inserting: true)
  return try first.graph.addOp(
    Ops.stack, values, attributes: ["axis": .int(resolved)], name: name ?? "stack")
}

/// The slices of `x` along `axis`, each without that axis (TensorFlow's `tf.unstack`): one
/// `Unpack` node with one output per slice.
///
/// - Throws: `FrostError.invalidArgument` naming the op and `x` when `axis` is out of range,
///   or `x`'s size along it is not known statically.
public func unstack(_ x: Tensor, axis: Int = 0, name: String? = nil) throws -> [Tensor] {
  let resolved = try resolveAxis(axis, of: [x], op: "Unpack")
  guard let dims = x.shape.dims, resolved < dims.count, let count = dims[resolved] else {
    throw FrostError.invalidArgument(
      "Unpack: the size of '\(x.name)' of shape \(x.shape) along axis \(axis) must be known")
  }
  return try x.graph.addNode(
    Ops.unstack, inputs: [x], attributes: ["axis": .int(resolved), "num": .int(count)],
    name: name ?? "unstack"
  ).outputs
}

/// `x` repeated `multiples[i]` times along each axis `i` (TensorFlow's `tf.tile`). Any dtype;
/// the gradient sums over the tiles.
///
/// - Throws: `FrostError.invalidArgument` naming the op and `x` when `multiples` does not
///   have one non-negative entry per axis.
public func tile(_ x: Tensor, multiples: [Int], name: String? = nil) throws -> Tensor {
  try x.graph.addOp(
    Ops.tile, [x], attributes: ["multiples": .ints(multiples)], name: name ?? "Tile")
}

/// The run-time shape of `x` as an int32 vector (TensorFlow's `tf.shape`). Not
/// differentiable (its output is an integer).
///
/// - Throws: at run time, `FrostError.invalidArgument` when a dimension overflows int32.
public func shape(_ x: Tensor, name: String? = nil) throws -> Tensor {
  try x.graph.addOp(Ops.shape, [x], name: name ?? "Shape")
}

/// The run-time number of elements of `x` as an int32 scalar (TensorFlow's `tf.size`). Not
/// differentiable.
///
/// - Throws: at run time, `FrostError.invalidArgument` when the count overflows int32.
public func size(_ x: Tensor, name: String? = nil) throws -> Tensor {
  try x.graph.addOp(Ops.size, [x], name: name ?? "Size")
}

extension Graph {
  /// A tensor of `shape` with every element `value` converted to `dtype` (TensorFlow's
  /// `tf.fill`, with the dims given statically): a `Fill` node that writes its value when
  /// run, so a large fill costs no graph memory. Nonzero is `true` for bool.
  ///
  /// A method of `Graph` because it has no tensor input to take the graph from.
  ///
  /// - Throws: `FrostError.invalidArgument` for a negative dimension, or a `value` that is
  ///   not a whole number within range for int32.
  public func fill(
    shape: [Int], value: Double, dtype: DType = .float32, name: String = "Fill"
  ) throws -> Tensor {
    try addOp(
      Ops.fill, [],
      attributes: ["shape": .ints(shape), "value": .double(value), "dtype": .dtype(dtype)],
      name: name)
  }
}
