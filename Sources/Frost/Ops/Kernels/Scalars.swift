import COpenBLAS
import Foundation

/// OpenBLAS's threads. Frost runs OpenBLAS on one thread and splits large products over
/// two threads itself (`MatrixProduct`); this keeps OpenBLAS's setting and the count it
/// started with, for measurements that want OpenBLAS's own threading.
public enum BLASThreads {
  /// m·n·k from which Frost splits a product over two threads (16 Mi multiply-adds).
  public static let parallelThreshold = 16 << 20
  /// OpenBLAS's thread count when Frost started (what OpenBLAS would use by itself).
  public static let maximum = Int(openblas_get_num_threads())
  private static let configured: Bool = {
    _ = maximum
    openblas_set_num_threads(1)
    return true
  }()

  /// Puts OpenBLAS on one thread, once, before Frost's first product.
  static func prepare() { _ = configured }

  /// Runs `body`, which may change OpenBLAS's thread count (to measure OpenBLAS's own
  /// threading), then puts OpenBLAS back on one thread.
  public static func preservingSetting<T>(_ body: () throws -> T) rethrows -> T {
    prepare()
    defer { openblas_set_num_threads(1) }
    return try body()
  }
}

/// Element types with arithmetic: `Float`, `Double`, `Int32`.
protocol NumericScalar: TensorScalar, Numeric, Comparable {
  static var zero: Self { get }
  static var one: Self { get }
  init(fromDouble value: Double)
  var asDouble: Double { get }
  static func divide(_ a: Self, _ b: Self) -> Self
  /// `a + b`, `a - b`, `a * b`; integers wrap on overflow as TensorFlow's do, instead of
  /// stopping the process.
  static func plus(_ a: Self, _ b: Self) -> Self
  static func minus(_ a: Self, _ b: Self) -> Self
  static func times(_ a: Self, _ b: Self) -> Self
}

extension NumericScalar {
  static var zero: Self { 0 }
  static var one: Self { 1 }
}

extension NumericScalar where Self: FloatingPoint {
  static func plus(_ a: Self, _ b: Self) -> Self { a + b }
  static func minus(_ a: Self, _ b: Self) -> Self { a - b }
  static func times(_ a: Self, _ b: Self) -> Self { a * b }
}

extension Int32: NumericScalar {
  /// Truncates toward zero; NaN becomes 0 and out-of-range values clamp to the int32 limits
  /// (TensorFlow leaves these undefined; Swift's conversion would stop the process).
  init(fromDouble value: Double) { self = Int32(clamping: value) }
  var asDouble: Double { Double(self) }
  static func divide(_ a: Int32, _ b: Int32) -> Int32 {
    b == 0 ? 0 : a.dividedReportingOverflow(by: b).partialValue
  }
  static func plus(_ a: Int32, _ b: Int32) -> Int32 { a &+ b }
  static func minus(_ a: Int32, _ b: Int32) -> Int32 { a &- b }
  static func times(_ a: Int32, _ b: Int32) -> Int32 { a &* b }
}

extension Int32 {
  /// `value` truncated toward zero, with NaN as 0 and the int32 limits for values beyond.
  init(clamping value: Double) {
    if value.isNaN {
      self = 0
    } else if value <= Double(Int32.min) {
      self = .min
    } else if value >= Double(Int32.max) {
      self = .max
    } else {
      self = Int32(value)
    }
  }
}

/// Floating-point element types: math functions and BLAS entry points for kernels that
/// are generic over precision (float32 for models, float64 for gradient checks).
protocol FloatScalar: NumericScalar, BinaryFloatingPoint {
  static func exp(_ x: Self) -> Self
  static func log(_ x: Self) -> Self
  static func log1p(_ x: Self) -> Self
  static func expm1(_ x: Self) -> Self
  static func tanh(_ x: Self) -> Self
  static func sin(_ x: Self) -> Self
  static func cos(_ x: Self) -> Self
  static func pow(_ x: Self, _ y: Self) -> Self

  /// C = alpha op(A) op(B) + beta C, row-major.
  static func gemm(
    transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Self,
    a: UnsafePointer<Self>, lda: Int, b: UnsafePointer<Self>, ldb: Int, beta: Self,
    c: UnsafeMutablePointer<Self>, ldc: Int)

  /// y += alpha x.
  static func axpy(count: Int, alpha: Self, x: UnsafePointer<Self>, y: UnsafeMutablePointer<Self>)

  /// Replaces each of `count` values by its exponential, in one loop the compiler
  /// vectorizes for float32 (see `Float.exponentials`).
  static func exponentials(_ values: UnsafeMutablePointer<Self>, count: Int)
}

extension FloatScalar {
  static func divide(_ a: Self, _ b: Self) -> Self { a / b }
}

extension Float: FloatScalar {
  init(fromDouble value: Double) { self = Float(value) }
  var asDouble: Double { Double(self) }
  static func exp(_ x: Float) -> Float { Foundation.exp(x) }
  static func log(_ x: Float) -> Float { Foundation.log(x) }
  static func log1p(_ x: Float) -> Float { Foundation.log1p(x) }
  static func expm1(_ x: Float) -> Float { Foundation.expm1(x) }
  static func tanh(_ x: Float) -> Float { Foundation.tanh(x) }
  static func sin(_ x: Float) -> Float { Foundation.sin(x) }
  static func cos(_ x: Float) -> Float { Foundation.cos(x) }
  static func pow(_ x: Float, _ y: Float) -> Float { Foundation.pow(x, y) }

  static func gemm(
    transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
    a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int, beta: Float,
    c: UnsafeMutablePointer<Float>, ldc: Int
  ) {
    BLASThreads.prepare()
    cblas_sgemm(
      CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans,
      transposeB ? CblasTrans : CblasNoTrans, blasint(m), blasint(n), blasint(k), alpha,
      a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
  }

  static func axpy(
    count: Int, alpha: Float, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>
  ) {
    cblas_saxpy(blasint(count), alpha, x, 1, y, 1)
  }
}

extension Float {
  /// `exp` for every value, by range reduction and a polynomial: `exp(x) = 2ᵏ · p(r)` with
  /// `k = round(x / ln 2)`, `r = x − k ln 2` split in two parts, and Cephes' degree-6
  /// minimax polynomial for `p`. Branch-free, so the loop is vectorized; within 2 ulp of
  /// the correctly rounded result for x in [−87.33, 88.37] (where 2ᵏ is a normal float),
  /// 0 below (no subnormals) and +inf above, where the exact value is at most 3.4e38 or
  /// overflows. Used where a kernel needs many exponentials (softmax cross entropy, whose
  /// shifted logits are at most 0).
  static func exponentials(_ values: UnsafeMutablePointer<Float>, count: Int) {
    for i in 0..<count {
      let v = values[i]
      let x = Swift.min(Swift.max(v, -87.33654), 88.37626)
      // Round to nearest by adding 1.5·2²³: the sum's low mantissa bits then hold k, so
      // 2ᵏ's bits come from integer arithmetic on the bit pattern (no float-to-int
      // conversion, whose range check would stop the vectorizer).
      let shifted = x * 1.442_695_04 + 12_582_912
      let k = shifted - 12_582_912
      let r = x - k * 0.693_359_375 + k * 2.121_944_4e-4
      var p: Float = 1.987_569_1e-4
      p = p * r + 1.398_199_9e-3
      p = p * r + 8.333_452e-3
      p = p * r + 4.166_579_6e-2
      p = p * r + 0.166_666_65
      p = p * r + 0.5
      let y = p * r * r + r + 1
      let exponent = shifted.bitPattern &- 0x4B40_0000 &+ 127
      let scale = Float(bitPattern: exponent << 23)
      values[i] = v < -87.33654 ? 0 : (v > 88.37626 ? .infinity : y * scale)
    }
  }
}

extension Double: FloatScalar {
  init(fromDouble value: Double) { self = value }
  var asDouble: Double { self }
  static func exp(_ x: Double) -> Double { Foundation.exp(x) }
  static func log(_ x: Double) -> Double { Foundation.log(x) }
  static func log1p(_ x: Double) -> Double { Foundation.log1p(x) }
  static func expm1(_ x: Double) -> Double { Foundation.expm1(x) }
  static func tanh(_ x: Double) -> Double { Foundation.tanh(x) }
  static func sin(_ x: Double) -> Double { Foundation.sin(x) }
  static func cos(_ x: Double) -> Double { Foundation.cos(x) }
  static func pow(_ x: Double, _ y: Double) -> Double { Foundation.pow(x, y) }

  static func gemm(
    transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Double,
    a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int, beta: Double,
    c: UnsafeMutablePointer<Double>, ldc: Int
  ) {
    BLASThreads.prepare()
    cblas_dgemm(
      CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans,
      transposeB ? CblasTrans : CblasNoTrans, blasint(m), blasint(n), blasint(k), alpha,
      a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
  }

  static func axpy(
    count: Int, alpha: Double, x: UnsafePointer<Double>, y: UnsafeMutablePointer<Double>
  ) {
    cblas_daxpy(blasint(count), alpha, x, 1, y, 1)
  }

  /// `exp` of each value through the C library (double precision needs every bit: the
  /// gradient checks run in float64).
  static func exponentials(_ values: UnsafeMutablePointer<Double>, count: Int) {
    for i in 0..<count { values[i] = Foundation.exp(values[i]) }
  }
}

extension NDArray {
  /// An array of `shape` with every element `value`, converted to `dtype` (nonzero is
  /// `true` for bool).
  static func filled(_ value: Double, shape: [Int], dtype: DType) -> NDArray {
    switch dtype {
    case .float32: make(Float.self, shape: shape) { $0.initialize(repeating: Float(value)) }
    case .float64: make(Double.self, shape: shape) { $0.initialize(repeating: value) }
    case .int32:
      make(Int32.self, shape: shape) { $0.initialize(repeating: Int32(clamping: value)) }
    case .bool: make(Bool.self, shape: shape) { $0.initialize(repeating: value != 0) }
    }
  }
}
