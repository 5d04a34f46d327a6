/// The element type of a tensor.
///
/// Frost supports the four element types that the TensorFlow 1.x teaching material uses.
/// Shape and index results (`shape`, `size`, `argMax`) are `int32`.
public enum DType: String, Sendable, CaseIterable, CustomStringConvertible {
  /// 32-bit IEEE 754 floating point; the default for models.
  case float32
  /// 64-bit IEEE 754 floating point; used for references and gradient checks.
  case float64
  /// 32-bit signed integer: labels, indices, shapes.
  case int32
  /// Boolean, stored as one byte holding 0 or 1.
  case bool

  /// The number of bytes one element occupies.
  public var byteSize: Int {
    switch self {
    case .float32, .int32: 4
    case .float64: 8
    case .bool: 1
    }
  }

  /// Whether the type is `float32` or `float64`.
  public var isFloatingPoint: Bool { self == .float32 || self == .float64 }

  /// Whether arithmetic (`+`, `*`, reductions) is defined for the type.
  public var isNumeric: Bool { self != .bool }

  /// The type's name, as TensorFlow spells it (`float32`).
  public var description: String { rawValue }
}

/// A Swift type that can be the element of an `NDArray`: `Float`, `Double`, `Int32`, `Bool`.
public protocol TensorScalar: Sendable, Equatable {
  /// The element type this Swift type stands for.
  static var dtype: DType { get }
}

extension Float: TensorScalar {
  /// `DType.float32`.
  public static var dtype: DType { .float32 }
}

extension Double: TensorScalar {
  /// `DType.float64`.
  public static var dtype: DType { .float64 }
}

extension Int32: TensorScalar {
  /// `DType.int32`.
  public static var dtype: DType { .int32 }
}

extension Bool: TensorScalar {
  /// `DType.bool`.
  public static var dtype: DType { .bool }
}
