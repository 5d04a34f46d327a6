/// A binary elementwise function, applied with numpy broadcasting by `binaryKernel`.
protocol BinaryFunctor {
  associatedtype Input: TensorScalar
  associatedtype Output: TensorScalar
  static func apply(_ a: Input, _ b: Input) -> Output
}

/// A unary elementwise function, applied by `unaryKernel`.
protocol UnaryFunctor {
  associatedtype Input: TensorScalar
  associatedtype Output: TensorScalar
  static func apply(_ x: Input) -> Output
}

/// Runs `F` over two broadcast inputs. Equal shapes, a scalar operand and a trailing
/// operand (a bias row) take contiguous loops the compiler vectorizes; other layouts walk
/// rows of the innermost dimension.
func binaryKernel<F: BinaryFunctor>(_ functor: F.Type) -> Kernel {
  { io in
    let a = io.input(0)
    let b = io.input(1)
    let out = io.output(0)
    let x = a.pointer(F.Input.self)
    let y = b.pointer(F.Input.self)
    let z = out.pointer(F.Output.self)
    let n = out.count
    if a.count == n && b.count == n {
      for i in 0..<n { z[i] = F.apply(x[i], y[i]) }
    } else if b.count == 1 {
      let v = y[0]
      for i in 0..<n { z[i] = F.apply(x[i], v) }
    } else if a.count == 1 {
      let v = x[0]
      for i in 0..<n { z[i] = F.apply(v, y[i]) }
    } else if a.count == n && isTrailing(b.shape, of: out.shape) {
      let width = b.count
      var base = 0
      while base < n {
        for j in 0..<width { z[base + j] = F.apply(x[base + j], y[j]) }
        base += width
      }
    } else if b.count == n && isTrailing(a.shape, of: out.shape) {
      let width = a.count
      var base = 0
      while base < n {
        for j in 0..<width { z[base + j] = F.apply(x[j], y[base + j]) }
        base += width
      }
    } else {
      BroadcastLayout(out: out.shape, a: a.shape, b: b.shape).forEachRow {
        offsetA, offsetB, offsetOut, length, stepA, stepB in
        for j in 0..<length {
          z[offsetOut + j] = F.apply(x[offsetA + j * stepA], y[offsetB + j * stepB])
        }
      }
    }
  }
}

/// Whether `inner`, without leading 1s, equals the trailing dimensions of `outer`.
func isTrailing(_ inner: [Int], of outer: [Int]) -> Bool {
  let trimmed = inner.drop { $0 == 1 }
  guard trimmed.count <= outer.count, !trimmed.isEmpty else { return false }
  return outer.suffix(trimmed.count).elementsEqual(trimmed)
}

/// Runs `F` over every element.
func unaryKernel<F: UnaryFunctor>(_ functor: F.Type) -> Kernel {
  { io in
    let x = io.input(0).pointer(F.Input.self)
    let out = io.output(0)
    let z = out.pointer(F.Output.self)
    for i in 0..<out.count { z[i] = F.apply(x[i]) }
  }
}

/// Resolves a kernel for the dtype of a node's first input, or fails with a message that
/// names the node (the shape function should have refused the dtype already).
func dispatch(
  _ setup: KernelSetup, dtype: DType? = nil,
  float32: (() -> Kernel)? = nil, float64: (() -> Kernel)? = nil,
  int32: (() -> Kernel)? = nil, bool: (() -> Kernel)? = nil
) throws -> Kernel {
  let type = dtype ?? setup.inputTypes[0].dtype
  let chosen: (() -> Kernel)?
  switch type {
  case .float32: chosen = float32
  case .float64: chosen = float64
  case .int32: chosen = int32
  case .bool: chosen = bool
  }
  guard let chosen else { throw setup.error("no kernel for dtype \(type)") }
  return chosen()
}
