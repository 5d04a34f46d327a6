/// The result of comparing an op's symbolic gradient with central differences.
public struct GradientCheck: Sendable, CustomStringConvertible {
  /// The largest `|symbolic - numeric|` over every Jacobian entry.
  public let maxAbsoluteError: Double
  /// The largest `|symbolic - numeric| / max(1, |numeric|)`: absolute near zero, relative
  /// for large derivatives.
  public let maxRelativeError: Double
  /// The number of Jacobian entries compared.
  public let entries: Int

  /// `max abs error 1.2e-10, max rel error 3.4e-11 over 36 entries`.
  public var description: String {
    "max abs error \(maxAbsoluteError), max rel error \(maxRelativeError) over \(entries) entries"
  }
}

/// Compares the symbolic gradient of `y` with respect to each of `xs` against central
/// differences, like TensorFlow's `tf.test.compute_gradient_error`.
///
/// Every `x` must be fed in `feedDict` (variables may be fed too): the numeric Jacobian
/// perturbs each fed element by ±`delta` and ±`delta`/2 and extrapolates (Richardson),
/// the symbolic one runs the
/// graph's gradient once per element of `y` with a one-hot `gradYs`. Build the graph in
/// float64 to get errors near 1e-10: in float32 the differences themselves are only good
/// to about 1e-3. The default `delta` is 2⁻¹⁰, exactly representable.
///
/// - Throws: `FrostError.invalidArgument` when an `x` is not fed or not floating point, or
///   any error of building the gradient or running the graph.
public func checkGradient(
  of y: Tensor, withRespectTo xs: [Tensor], feedDict: [Tensor: NDArray],
  delta: Double = 1.0 / 1024, session: Session? = nil
) throws -> GradientCheck {
  let graph = y.graph
  let session = session ?? Session(graph: graph)
  for x in xs {
    guard let value = feedDict[x] else {
      throw FrostError.invalidArgument("checkGradient: '\(x.name)' must be fed")
    }
    guard value.dtype.isFloatingPoint else {
      throw FrostError.invalidArgument("checkGradient: '\(x.name)' is not floating point")
    }
  }

  // Symbolic Jacobian: row j is the gradient of y[j].
  let yValue = try session.run(y, feedDict: feedDict)
  let seed = graph.placeholder(y.dtype, shape: Shape(yValue.shape), name: "checkGradient_seed")
  let symbolic = try gradients(of: [y], withRespectTo: xs, gradYs: [seed])
  var theoretical: [[[Double]]] = xs.map { _ in [] }
  for j in 0..<yValue.count {
    var oneHot = [Double](repeating: 0, count: yValue.count)
    oneHot[j] = 1
    var feeds = feedDict
    feeds[seed] = try NDArray(shape: yValue.shape, doubles: oneHot, dtype: y.dtype)
    for (k, x) in xs.enumerated() {
      guard let gradient = symbolic[k] else {
        theoretical[k].append([Double](repeating: 0, count: feedDict[x]!.count))
        continue
      }
      theoretical[k].append(try session.run(gradient, feedDict: feeds).doubleValues)
    }
  }

  // Numeric Jacobian by central differences at steps delta and delta/2, combined by
  // Richardson extrapolation (error O(delta^4) instead of O(delta^2)), and the comparison.
  var maxAbsolute = 0.0
  var maxRelative = 0.0
  var entries = 0
  for (k, x) in xs.enumerated() {
    let base = feedDict[x]!
    var values = base.doubleValues
    func difference(at i: Int, step: Double) throws -> [Double] {
      let original = values[i]
      defer { values[i] = original }
      var feeds = feedDict
      values[i] = original + step
      feeds[x] = try NDArray(shape: base.shape, doubles: values, dtype: base.dtype)
      let plus = try session.run(y, feedDict: feeds).doubleValues
      values[i] = original - step
      feeds[x] = try NDArray(shape: base.shape, doubles: values, dtype: base.dtype)
      let minus = try session.run(y, feedDict: feeds).doubleValues
      return zip(plus, minus).map { ($0 - $1) / (2 * step) }
    }
    for i in values.indices {
      let coarse = try difference(at: i, step: delta)
      let fine = try difference(at: i, step: delta / 2)
      for j in coarse.indices {
        let numeric = (4 * fine[j] - coarse[j]) / 3
        let error = abs(theoretical[k][j][i] - numeric)
        maxAbsolute = max(maxAbsolute, error)
        maxRelative = max(maxRelative, error / max(1, abs(numeric)))
        entries += 1
      }
    }
  }
  return GradientCheck(
    maxAbsoluteError: maxAbsolute, maxRelativeError: maxRelative, entries: entries)
}

extension NDArray {
  /// Converts doubles to an array of a numeric `dtype` (rounding to float32, truncating to
  /// int32, nonzero to `true`).
  ///
  /// - Throws: `FrostError.invalidArgument` when the count does not match the shape.
  public init(shape: [Int], doubles: [Double], dtype: DType) throws {
    switch dtype {
    case .float32: try self.init(shape: shape, scalars: doubles.map { Float($0) })
    case .float64: try self.init(shape: shape, scalars: doubles)
    case .int32: try self.init(shape: shape, scalars: doubles.map { Int32(clamping: $0) })
    case .bool: try self.init(shape: shape, scalars: doubles.map { $0 != 0 })
    }
  }

  /// The elements converted to doubles (`true` is 1).
  public var doubleValues: [Double] {
    switch dtype {
    case .float32: withUnsafeBuffer(of: Float.self) { $0.map(Double.init) }
    case .float64: withUnsafeBuffer(of: Double.self) { Array($0) }
    case .int32: withUnsafeBuffer(of: Int32.self) { $0.map(Double.init) }
    case .bool: withUnsafeBuffer(of: Bool.self) { $0.map { $0 ? 1 : 0 } }
    }
  }
}
