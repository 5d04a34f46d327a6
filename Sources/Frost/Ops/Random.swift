// Random tensors (uniform, normal, truncated normal), shuffling and dropout, seeded with
// TensorFlow 1.x's rules and drawn from the session's Philox generator of each node.
//
// Ops with no tensor input take the graph as their first argument:
// `randomNormal(in: graph, shape: [784, 300], stddev: 0.1)`. Shapes and distribution
// parameters are attributes, so a random tensor's shape is fully defined when it is built.

import Foundation

extension Ops {
  static let randomUniform: OpDefinition = OpDefinition(
    "RandomUniform", traits: [.random],
    infer: randomSourceInference(DType.numbers) { context in
      let (low, high) = (context.attributes.double("minval"), context.attributes.double("maxval"))
      guard low < high else {
        throw context.error("minval \(low) must be less than maxval \(high)")
      }
      if context.attributes.dtype("dtype") == .int32 {
        let range = Double(Int32.min)...Double(Int32.max)
        guard low.rounded() == low, high.rounded() == high, range.contains(low),
          range.contains(high)
        else {
          throw context.error(
            "int32 bounds must be integers in int32's range, got \(low) and \(high)")
        }
      }
    },
    kernel: { setup in
      let (low, high) = (setup.attributes.double("minval"), setup.attributes.double("maxval"))
      let seeds = randomSeeds(setup)
      return try dispatch(
        setup, dtype: setup.outputTypes[0].dtype,
        float32: { uniformKernel(Float.self, low, high, seeds) },
        float64: { uniformKernel(Double.self, low, high, seeds) },
        int32: { uniformIntKernel(Int32(low), Int32(high), seeds) })
    })

  static let randomNormal: OpDefinition = OpDefinition(
    "RandomNormal", traits: [.random], infer: randomSourceInference(DType.floats, normalCheck),
    kernel: { setup in
      try normalKernel(setup) { (generator: inout PhiloxRandom) in generator.nextNormal() }
    })

  static let truncatedNormal: OpDefinition = OpDefinition(
    "TruncatedNormal", traits: [.random],
    infer: randomSourceInference(DType.floats, normalCheck),
    kernel: { setup in
      try normalKernel(setup) { (generator: inout PhiloxRandom) in
        generator.nextTruncatedNormal()
      }
    })

  static let randomShuffle: OpDefinition = OpDefinition(
    "RandomShuffle", traits: [.random], infer: { context in [context.inputs[0]] },
    kernel: { setup in
      let seeds = randomSeeds(setup)
      switch setup.inputTypes[0].dtype.byteSize {
      case 1: return shuffleKernel(UInt8.self, seeds)
      case 4: return shuffleKernel(UInt32.self, seeds)
      case 8: return shuffleKernel(UInt64.self, seeds)
      case let size: preconditionFailure("RandomShuffle: no kernel for \(size)-byte elements")
      }
    })

  /// Zero with probability `rate`, else `1 / (1 - rate)`, shaped like input 0 (whose
  /// values it ignores): the mask `dropout` multiplies by, so that the product's gradient
  /// reuses it.
  static let dropoutMask: OpDefinition = OpDefinition(
    "DropoutMask", traits: [.random],
    infer: { context in
      _ = try context.dtype(of: 0, in: DType.floats)
      let rate = context.attributes.double("rate")
      guard rate >= 0, rate < 1 else {
        throw context.error("rate \(rate) must be in [0, 1)")
      }
      return [context.inputs[0]]
    },
    kernel: { setup in
      let rate = setup.attributes.double("rate")
      let seeds = randomSeeds(setup)
      return try dispatch(
        setup, float32: { dropoutMaskKernel(Float.self, rate, seeds) },
        float64: { dropoutMaskKernel(Double.self, rate, seeds) })
    },
    gradient: { _ in [nil] })
}

// MARK: - Seeds

/// The graph seed TensorFlow 1.x uses when only an op seed is given.
let defaultGraphSeed: UInt64 = 87_654_321

/// The seed attributes of a random op, resolved when it is built by TensorFlow 1.x's
/// rules: both seeds given, both are used; only the op seed, the graph seed is 87654321;
/// only the graph seed, the op seed is the node's id (its creation order, so rebuilding a
/// graph the same way reproduces it). Neither: no attributes, and each plan draws its
/// seeds from the system's generator. Resolving them here keeps them with the node, so an
/// exported graph imported elsewhere (under a scope, with other ids) draws the same numbers.
func seedAttributes(_ seed: UInt64?, in graph: Graph) -> [String: AttributeValue] {
  let graphSeed = graph.seed
  guard graphSeed != nil || seed != nil else { return [:] }
  let opSeed = seed ?? UInt64(graph.nodeCount)
  return [
    "graphSeed": .int(Int(truncatingIfNeeded: graphSeed ?? defaultGraphSeed)),
    "seed": .int(Int(truncatingIfNeeded: opSeed)),
  ]
}

/// The (graph seed, op seed) pair of a random node: from its attributes, or drawn from the
/// system's generator, once per plan, when it has none.
func randomSeeds(_ setup: KernelSetup) -> (UInt64, UInt64) {
  if case .int(let graphSeed) = setup.attributes.values["graphSeed"],
    case .int(let opSeed) = setup.attributes.values["seed"]
  {
    return (UInt64(truncatingIfNeeded: graphSeed), UInt64(truncatingIfNeeded: opSeed))
  }
  var system = SystemRandomNumberGenerator()
  return (system.next(), system.next())
}

// MARK: - Shapes

/// Shape function of a random op without inputs: `dtype` and `shape` attributes, checked,
/// plus the op's own checks of its parameters.
private func randomSourceInference(
  _ allowed: Set<DType>, _ checkParameters: @escaping @Sendable (InferenceContext) throws -> Void
) -> @Sendable (inout InferenceContext) throws -> [TensorType] {
  { context in
    let dtype = context.attributes.dtype("dtype")
    guard allowed.contains(dtype) else {
      let names = allowed.map(\.rawValue).sorted().joined(separator: ", ")
      throw context.error("dtype is \(dtype); expected one of \(names)")
    }
    let shape = context.attributes.ints("shape")
    guard shape.allSatisfy({ $0 >= 0 }) else {
      throw context.error("shape \(shape) has a negative dimension")
    }
    try checkParameters(context)
    return [TensorType(dtype, Shape(shape))]
  }
}

private func normalCheck(_ context: InferenceContext) throws {
  let (mean, stddev) = (context.attributes.double("mean"), context.attributes.double("stddev"))
  guard mean.isFinite, stddev.isFinite, stddev >= 0 else {
    throw context.error("mean \(mean) must be finite and stddev \(stddev) finite and >= 0")
  }
}

// MARK: - Kernels

/// Uniform in [low, high): float32 draws 24 random bits, float64 53. A value that rounds
/// up to `high` is moved to the largest value below it.
private func uniformKernel<T: FloatScalar>(
  _ type: T.Type, _ low: Double, _ high: Double, _ seeds: (UInt64, UInt64)
) -> Kernel {
  let width = high - low
  let top = T(fromDouble: high)
  let single = T.self == Float.self
  return { io in
    let out = io.output(0).buffer(T.self)
    io.withRandom(seed: seeds) { generator in
      for i in out.indices {
        let unit = single ? Double(generator.nextFloat()) : generator.nextDouble()
        let value = T(fromDouble: low + width * unit)
        out[i] = value < top ? value : top.nextDown
      }
    }
  }
}

/// Uniform integers in [low, high), without modulo bias.
private func uniformIntKernel(_ low: Int32, _ high: Int32, _ seeds: (UInt64, UInt64))
  -> Kernel
{
  let width = UInt64(Int64(high) - Int64(low))
  return { io in
    let out = io.output(0).buffer(Int32.self)
    io.withRandom(seed: seeds) { generator in
      for i in out.indices {
        let offset = UInt64.random(in: 0..<width, using: &generator)
        out[i] = Int32(truncatingIfNeeded: Int64(low) + Int64(offset))
      }
    }
  }
}

/// `mean + stddev * draw()` for every element, in the node's float dtype.
private func normalKernel(
  _ setup: KernelSetup, _ draw: @escaping @Sendable (inout PhiloxRandom) -> Double
) throws -> Kernel {
  let mean = setup.attributes.double("mean")
  let stddev = setup.attributes.double("stddev")
  let seeds = randomSeeds(setup)
  func make<T: FloatScalar>(_ type: T.Type) -> Kernel {
    { io in
      let out = io.output(0).buffer(T.self)
      io.withRandom(seed: seeds) { generator in
        for i in out.indices { out[i] = T(fromDouble: mean + stddev * draw(&generator)) }
      }
    }
  }
  return try dispatch(
    setup, dtype: setup.outputTypes[0].dtype, float32: { make(Float.self) },
    float64: { make(Double.self) })
}

/// Copies the input, then permutes its rows in place (Fisher-Yates), moving elements as
/// `Word`s of the dtype's size: no scratch memory.
private func shuffleKernel<Word: FixedWidthInteger & Sendable>(
  _ type: Word.Type, _ seeds: (UInt64, UInt64)
) -> Kernel {
  { io in
    let input = io.input(0)
    let out = io.output(0)
    let z = out.pointer(Word.self)
    if input.data != out.data { z.update(from: input.pointer(Word.self), count: out.count) }
    guard let rows = out.shape.first, rows > 1 else { return }
    let rowLength = out.count / rows
    io.withRandom(seed: seeds) { generator in
      for i in stride(from: rows - 1, to: 0, by: -1) {
        let j = Int.random(in: 0...i, using: &generator)
        guard j != i else { continue }
        let (a, b) = (z + i * rowLength, z + j * rowLength)
        for k in 0..<rowLength { swap(&a[k], &b[k]) }
      }
    }
  }
}

private func dropoutMaskKernel<T: FloatScalar>(
  _ type: T.Type, _ rate: Double, _ seeds: (UInt64, UInt64)
) -> Kernel {
  let scale = T(fromDouble: 1 / (1 - rate))
  let single = T.self == Float.self
  return { io in
    let out = io.output(0).buffer(T.self)
    io.withRandom(seed: seeds) { generator in
      for i in out.indices {
        let unit = single ? Double(generator.nextFloat()) : generator.nextDouble()
        out[i] = unit >= rate ? scale : .zero
      }
    }
  }
}

// MARK: - Public functions

/// A tensor of `shape` whose elements are uniform in [`minval`, `maxval`) (TensorFlow's
/// `tf.random_uniform`): float32 (24 random bits each), float64 (53 bits), or int32
/// (integral bounds; every integer equally likely).
///
/// Each run draws new values. Seeds follow TensorFlow 1.x: with `graph.seed` and `seed`
/// both set, every new session repeats the same sequence of runs; with only `graph.seed`,
/// the op's seed is its creation order in the graph; with only `seed`, the graph seed
/// defaults to 87654321; with neither, values differ from session to session. Seeds
/// reproduce Frost's numbers, not TensorFlow's (see `PhiloxRandom`).
///
/// - Throws: `FrostError.invalidArgument` for a negative dimension, a bool dtype,
///   `minval >= maxval`, or int32 bounds that are not integers in int32's range.
public func randomUniform(
  in graph: Graph, shape: [Int], minval: Double = 0, maxval: Double = 1,
  dtype: DType = .float32, seed: UInt64? = nil, name: String? = nil
) throws -> Tensor {
  try graph.addOp(
    Ops.randomUniform, [],
    attributes: [
      "shape": .ints(shape), "dtype": .dtype(dtype), "minval": .double(minval),
      "maxval": .double(maxval),
    ].merging(seedAttributes(seed, in: graph)) { $1 }, name: name ?? "random_uniform")
}

/// A tensor of `shape` drawn from the normal distribution of `mean` and `stddev`
/// (TensorFlow's `tf.random_normal`; Box-Muller in double precision, then rounded to
/// `dtype`, float32 or float64). Seeds as in `randomUniform`.
///
/// - Throws: `FrostError.invalidArgument` for a negative dimension, a dtype that is not
///   float, a non-finite mean, or a negative or non-finite stddev.
public func randomNormal(
  in graph: Graph, shape: [Int], mean: Double = 0, stddev: Double = 1,
  dtype: DType = .float32, seed: UInt64? = nil, name: String? = nil
) throws -> Tensor {
  try graph.addOp(
    Ops.randomNormal, [],
    attributes: normalAttributes(shape, mean, stddev, dtype, seed, graph),
    name: name ?? "random_normal")
}

/// Like `randomNormal`, but a draw more than two standard deviations from the mean is
/// drawn again (TensorFlow's `tf.truncated_normal`), so every value lies in
/// [`mean - 2 stddev`, `mean + 2 stddev`]; the standard deviation of the result is about
/// 0.88 `stddev`. Seeds as in `randomUniform`.
///
/// - Throws: as `randomNormal`.
public func truncatedNormal(
  in graph: Graph, shape: [Int], mean: Double = 0, stddev: Double = 1,
  dtype: DType = .float32, seed: UInt64? = nil, name: String? = nil
) throws -> Tensor {
  try graph.addOp(
    Ops.truncatedNormal, [],
    attributes: normalAttributes(shape, mean, stddev, dtype, seed, graph),
    name: name ?? "truncated_normal")
}

private func normalAttributes(
  _ shape: [Int], _ mean: Double, _ stddev: Double, _ dtype: DType, _ seed: UInt64?,
  _ graph: Graph
) -> [String: AttributeValue] {
  [
    "shape": .ints(shape), "dtype": .dtype(dtype), "mean": .double(mean),
    "stddev": .double(stddev),
  ].merging(seedAttributes(seed, in: graph)) { $1 }
}

/// `value` with the slices along its first dimension in a random order, a new one each
/// run (TensorFlow's `tf.random_shuffle`); any dtype and shape (a scalar, or a first
/// dimension of 0 or 1, comes out unchanged). Seeds as in `randomUniform`.
///
/// Not differentiable: a gradient reaching it is an error (use `stopGradient`).
public func randomShuffle(_ value: Tensor, seed: UInt64? = nil, name: String? = nil) throws
  -> Tensor
{
  try value.graph.addOp(
    Ops.randomShuffle, [value], attributes: seedAttributes(seed, in: value.graph),
    name: name ?? "RandomShuffle")
}

/// Dropout with TensorFlow 2's convention (`tf.nn.dropout(x, rate=)`): each element of `x`
/// is zeroed with probability `rate` and the others are scaled by `1 / (1 - rate)`, so the
/// expected value is unchanged; float32 or float64, shape unchanged.
///
/// Built as `x * mask` under the scope `name` (`dropout/mask`, a `DropoutMask` op fed by
/// `stopGradient(x)`, and `dropout/mul`): the gradient is the same mask times the incoming
/// gradient, so it reuses the mask of the forward pass instead of drawing again. A new mask
/// is drawn each run; seeds as in `randomUniform`. The rate is a build-time attribute.
///
/// - Throws: `FrostError.invalidArgument` when `rate` is not in [0, 1) or `x` is not float;
///   the graph is unchanged then.
public func dropout(_ x: Tensor, rate: Double, seed: UInt64? = nil, name: String? = nil)
  throws -> Tensor
{
  guard x.dtype.isFloatingPoint else {
    throw FrostError.invalidArgument(
      "dropout '\(name ?? "dropout")': '\(x.name)' is \(x.dtype); expected float32 or float64")
  }
  let graph = x.graph
  return try graph.atomically {
    try graph.withNameScope(name ?? "dropout") {
      let mask = try graph.addOp(
        Ops.dropoutMask, [stopGradient(x)],
        attributes: ["rate": .double(rate)].merging(seedAttributes(seed, in: graph)) { $1 },
        name: "mask")
      return try multiply(x, mask, name: "mul")
    }
  }
}
