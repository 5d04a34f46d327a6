/// How a variance-scaling initializer counts a weight's connections.
public enum FanMode: String, Sendable {
  /// The number of inputs (rows of a dense kernel).
  case fanIn
  /// The number of outputs (columns of a dense kernel).
  case fanOut
  /// Their average.
  case fanAvg
}

/// The distribution a variance-scaling initializer draws from.
public enum Distribution: String, Sendable {
  /// A normal distribution redrawn beyond two standard deviations, its standard deviation
  /// corrected (÷ 0.8796…) so the variance is the one asked for: TensorFlow's `"normal"`
  /// and `"truncated_normal"`.
  case truncatedNormal
  /// A plain normal distribution.
  case untruncatedNormal
  /// A uniform distribution of the same variance.
  case uniform
}

/// How a variable gets its initial value (TensorFlow's initializers). Each builds the ops
/// of the initial value under the variable's scope (`hidden1/kernel/Initializer/...`).
public enum Initializer: Sendable {
  /// All zeros.
  case zeros
  /// All ones.
  case ones
  /// Every element `value`.
  case constant(Double)
  /// Uniform in [minval, maxval).
  case randomUniform(minval: Double = -0.05, maxval: Double = 0.05, seed: UInt64? = nil)
  /// Normal with the given mean and standard deviation.
  case randomNormal(mean: Double = 0, stddev: Double = 0.05, seed: UInt64? = nil)
  /// Normal, redrawn beyond two standard deviations.
  case truncatedNormal(mean: Double = 0, stddev: Double = 0.05, seed: UInt64? = nil)
  /// Variance `scale / n`, with `n` the fan `mode` picks (TensorFlow's
  /// `variance_scaling_initializer`).
  case varianceScaling(
    scale: Double = 1, mode: FanMode = .fanIn, distribution: Distribution = .truncatedNormal,
    seed: UInt64? = nil)

  /// Glorot (Xavier) uniform: limit `sqrt(6 / (fanIn + fanOut))`; the default kernel
  /// initializer of `dense`, as in TensorFlow 1.x.
  public static func glorotUniform(seed: UInt64? = nil) -> Initializer {
    .varianceScaling(scale: 1, mode: .fanAvg, distribution: .uniform, seed: seed)
  }

  /// He normal: truncated normal of variance `2 / fanIn`, for ReLU and ELU layers.
  public static func heNormal(seed: UInt64? = nil) -> Initializer {
    .varianceScaling(scale: 2, mode: .fanIn, distribution: .truncatedNormal, seed: seed)
  }

  /// The fans of a weight of `shape`: for a matrix its rows and columns; for higher ranks
  /// the last two dimensions times the receptive field, as TensorFlow counts them.
  static func fans(_ shape: [Int]) -> (fanIn: Double, fanOut: Double) {
    switch shape.count {
    case 0: return (1, 1)
    case 1: return (Double(shape[0]), Double(shape[0]))
    case 2: return (Double(shape[0]), Double(shape[1]))
    default:
      let receptive = Double(shape.dropLast(2).reduce(1, *))
      return (receptive * Double(shape[shape.count - 2]), receptive * Double(shape.last!))
    }
  }

  /// The initial-value tensor for a variable of `shape` and `dtype`.
  ///
  /// - Throws: `FrostError.invalidArgument` for an initializer that does not fit (random
  ///   values of a bool variable, a non-positive scale).
  public func initialValue(in graph: Graph, shape: [Int], dtype: DType) throws -> Tensor {
    switch self {
    case .zeros: return try graph.fill(shape: shape, value: 0, dtype: dtype, name: "zeros")
    case .ones: return try graph.fill(shape: shape, value: 1, dtype: dtype, name: "ones")
    case .constant(let value):
      return try graph.fill(shape: shape, value: value, dtype: dtype, name: "Const")
    case .randomUniform(let minval, let maxval, let seed):
      return try Frost.randomUniform(
        in: graph, shape: shape, minval: minval, maxval: maxval, dtype: dtype, seed: seed)
    case .randomNormal(let mean, let stddev, let seed):
      return try Frost.randomNormal(
        in: graph, shape: shape, mean: mean, stddev: stddev, dtype: dtype, seed: seed)
    case .truncatedNormal(let mean, let stddev, let seed):
      return try Frost.truncatedNormal(
        in: graph, shape: shape, mean: mean, stddev: stddev, dtype: dtype, seed: seed)
    case .varianceScaling(let scale, let mode, let distribution, let seed):
      guard scale > 0 else {
        throw FrostError.invalidArgument("varianceScaling: scale \(scale) is not positive")
      }
      let (fanIn, fanOut) = Self.fans(shape)
      let fan: Double
      switch mode {
      case .fanIn: fan = fanIn
      case .fanOut: fan = fanOut
      case .fanAvg: fan = (fanIn + fanOut) / 2
      }
      let variance = scale / max(1, fan)
      switch distribution {
      case .truncatedNormal:
        // 0.8796... is the standard deviation of a unit normal truncated at ±2.
        return try Frost.truncatedNormal(
          in: graph, shape: shape, stddev: variance.squareRoot() / 0.879_625_661_034_239_78,
          dtype: dtype, seed: seed)
      case .untruncatedNormal:
        return try Frost.randomNormal(
          in: graph, shape: shape, stddev: variance.squareRoot(), dtype: dtype, seed: seed)
      case .uniform:
        let limit = (3 * variance).squareRoot()
        return try Frost.randomUniform(
          in: graph, shape: shape, minval: -limit, maxval: limit, dtype: dtype, seed: seed)
      }
    }
  }
}

extension Graph {
  /// A variable of `shape` and `dtype` whose initial value `initializer` draws (TensorFlow's
  /// `tf.get_variable(name, shape, initializer=)`); its initial-value ops live under
  /// `NAME/Initializer`.
  ///
  /// - Throws: `FrostError.invalidArgument` for a negative dimension or an initializer
  ///   that does not fit.
  public func variable(
    shape: [Int], dtype: DType = .float32, initializer: Initializer, trainable: Bool = true,
    name: String = "Variable"
  ) throws -> Tensor {
    guard shape.allSatisfy({ $0 >= 0 }) else {
      throw FrostError.invalidArgument("variable '\(name)': negative dimension in \(shape)")
    }
    return try makeVariable(
      type: TensorType(dtype, Shape(shape)), trainable: trainable, name: name
    ) {
      try withNameScope("Initializer") {
        try initializer.initialValue(in: self, shape: shape, dtype: dtype)
      }
    }
  }
}
