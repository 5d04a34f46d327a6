// Generic families of elementwise functions. A family states its function once, generic
// over the element type; `binaryKernel`/`unaryKernel` are then specialized per dtype.

/// An arithmetic function of two numbers of one type (`+`, `max`).
protocol NumericBinaryFamily: SendableMetatype {
  static func apply<T: NumericScalar>(_ a: T, _ b: T) -> T
}

/// A function of two floating-point numbers (`pow`).
protocol FloatBinaryFamily: SendableMetatype {
  static func apply<T: FloatScalar>(_ a: T, _ b: T) -> T
}

/// A comparison of two numbers (`<`, `==`).
protocol ComparisonFamily: SendableMetatype {
  static func apply<T: NumericScalar>(_ a: T, _ b: T) -> Bool
}

/// An arithmetic function of one number (`abs`, `-x`).
protocol NumericUnaryFamily: SendableMetatype {
  static func apply<T: NumericScalar>(_ x: T) -> T
}

/// A function of one floating-point number (`exp`, `relu`).
protocol FloatUnaryFamily: SendableMetatype {
  static func apply<T: FloatScalar>(_ x: T) -> T
}

struct NumericBinary<F: NumericBinaryFamily, T: NumericScalar>: BinaryFunctor {
  static func apply(_ a: T, _ b: T) -> T { F.apply(a, b) }
}

struct FloatBinary<F: FloatBinaryFamily, T: FloatScalar>: BinaryFunctor {
  static func apply(_ a: T, _ b: T) -> T { F.apply(a, b) }
}

struct Comparison<F: ComparisonFamily, T: NumericScalar>: BinaryFunctor {
  static func apply(_ a: T, _ b: T) -> Bool { F.apply(a, b) }
}

struct NumericUnary<F: NumericUnaryFamily, T: NumericScalar>: UnaryFunctor {
  static func apply(_ x: T) -> T { F.apply(x) }
}

struct FloatUnary<F: FloatUnaryFamily, T: FloatScalar>: UnaryFunctor {
  static func apply(_ x: T) -> T { F.apply(x) }
}

/// A kernel applying `F` to two inputs of the node's dtype (float32, float64 or int32).
func numericBinaryKernel<F: NumericBinaryFamily>(_ family: F.Type, _ setup: KernelSetup)
  throws -> Kernel
{
  try dispatch(
    setup, float32: { binaryKernel(NumericBinary<F, Float>.self) },
    float64: { binaryKernel(NumericBinary<F, Double>.self) },
    int32: { binaryKernel(NumericBinary<F, Int32>.self) })
}

/// A kernel applying `F` to two floating-point inputs.
func floatBinaryKernel<F: FloatBinaryFamily>(_ family: F.Type, _ setup: KernelSetup)
  throws -> Kernel
{
  try dispatch(
    setup, float32: { binaryKernel(FloatBinary<F, Float>.self) },
    float64: { binaryKernel(FloatBinary<F, Double>.self) })
}

/// A kernel comparing two inputs of the node's dtype into a bool output.
func comparisonKernel<F: ComparisonFamily>(_ family: F.Type, _ setup: KernelSetup)
  throws -> Kernel
{
  try dispatch(
    setup, float32: { binaryKernel(Comparison<F, Float>.self) },
    float64: { binaryKernel(Comparison<F, Double>.self) },
    int32: { binaryKernel(Comparison<F, Int32>.self) })
}

/// A kernel applying `F` to every element of a numeric input.
func numericUnaryKernel<F: NumericUnaryFamily>(_ family: F.Type, _ setup: KernelSetup)
  throws -> Kernel
{
  try dispatch(
    setup, float32: { unaryKernel(NumericUnary<F, Float>.self) },
    float64: { unaryKernel(NumericUnary<F, Double>.self) },
    int32: { unaryKernel(NumericUnary<F, Int32>.self) })
}

/// A kernel applying `F` to every element of a floating-point input.
func floatUnaryKernel<F: FloatUnaryFamily>(_ family: F.Type, _ setup: KernelSetup)
  throws -> Kernel
{
  try dispatch(
    setup, float32: { unaryKernel(FloatUnary<F, Float>.self) },
    float64: { unaryKernel(FloatUnary<F, Double>.self) })
}

/// Shape function of an elementwise op of one input: same type out, restricted dtypes.
func unaryInference(_ allowed: Set<DType>)
  -> @Sendable (inout InferenceContext) throws
  -> [TensorType]
{
  { context in
    _ = try context.dtype(of: 0, in: allowed)
    return [context.inputs[0]]
  }
}

/// Shape function of a broadcasting op of two inputs of one dtype; the output has
/// `output` dtype, or the inputs' dtype when `nil`.
func broadcastInference(_ allowed: Set<DType>, output: DType? = nil)
  -> @Sendable (inout InferenceContext) throws -> [TensorType]
{
  { context in
    let dtype = try context.sameDType(allowed)
    guard let shape = broadcastShapes(context.inputs[0].shape, context.inputs[1].shape) else {
      throw context.error(
        "cannot broadcast \(context.describeInput(0)) with \(context.describeInput(1))")
    }
    return [TensorType(output ?? dtype, shape)]
  }
}
