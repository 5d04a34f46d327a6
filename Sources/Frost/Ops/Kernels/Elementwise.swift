/// A binary elementwise function, applied with numpy broadcasting by `binaryKernel`.
protocol BinaryFunctor: SendableMetatype {
  associatedtype Input: TensorScalar
  associatedtype Output: TensorScalar
  static func apply(_ a: Input, _ b: Input) -> Output
}

/// A unary elementwise function, applied by `unaryKernel`.
protocol UnaryFunctor: SendableMetatype {
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
      applyBinary(F.self, z, x, y, n)
    } else if b.count == 1 {
      applyBinary(F.self, z, x, scalar: y[0], n)
    } else if a.count == 1 {
      applyBinary(F.self, z, scalar: x[0], y, n)
    } else if a.count == n && isTrailing(b.shape, of: out.shape) {
      let width = b.count
      var base = 0
      while base < n {
        applyBinary(F.self, z + base, x + base, y, width)
        base += width
      }
    } else if b.count == n && isTrailing(a.shape, of: out.shape) {
      let width = a.count
      var base = 0
      while base < n {
        applyBinary(F.self, z + base, x, y + base, width)
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

// Contiguous loops of elementwise kernels. An op that runs in place writes the buffer it
// reads; the compiler cannot tell the two pointers are equal, and its run-time overlap
// check would send such loops down the scalar path. So when the output is an input, the
// loop reads and writes through one pointer, and stays vectorized.

@inline(__always)
func applyBinary<F: BinaryFunctor>(
  _ functor: F.Type, _ z: UnsafeMutablePointer<F.Output>, _ x: UnsafeMutablePointer<F.Input>,
  _ y: UnsafeMutablePointer<F.Input>, _ n: Int
) {
  if F.Input.self == F.Output.self {
    let w = UnsafeMutableRawPointer(z).assumingMemoryBound(to: F.Input.self)
    if w == x {
      for i in 0..<n { w[i] = unsafeBitCast(F.apply(w[i], y[i]), to: F.Input.self) }
      return
    }
    if w == y {
      for i in 0..<n { w[i] = unsafeBitCast(F.apply(x[i], w[i]), to: F.Input.self) }
      return
    }
  }
  for i in 0..<n { z[i] = F.apply(x[i], y[i]) }
}

@inline(__always)
func applyBinary<F: BinaryFunctor>(
  _ functor: F.Type, _ z: UnsafeMutablePointer<F.Output>, _ x: UnsafeMutablePointer<F.Input>,
  scalar v: F.Input, _ n: Int
) {
  if F.Input.self == F.Output.self {
    let w = UnsafeMutableRawPointer(z).assumingMemoryBound(to: F.Input.self)
    if w == x {
      for i in 0..<n { w[i] = unsafeBitCast(F.apply(w[i], v), to: F.Input.self) }
      return
    }
  }
  for i in 0..<n { z[i] = F.apply(x[i], v) }
}

@inline(__always)
func applyBinary<F: BinaryFunctor>(
  _ functor: F.Type, _ z: UnsafeMutablePointer<F.Output>, scalar v: F.Input,
  _ y: UnsafeMutablePointer<F.Input>, _ n: Int
) {
  if F.Input.self == F.Output.self {
    let w = UnsafeMutableRawPointer(z).assumingMemoryBound(to: F.Input.self)
    if w == y {
      for i in 0..<n { w[i] = unsafeBitCast(F.apply(v, w[i]), to: F.Input.self) }
      return
    }
  }
  for i in 0..<n { z[i] = F.apply(v, y[i]) }
}

/// Whether `inner`, without leading 1s, equals the trailing dimensions of `outer`.
func isTrailing(_ inner: [Int], of outer: [Int]) -> Bool {
  let trimmed = inner.drop { $0 == 1 }
  guard trimmed.count <= outer.count, !trimmed.isEmpty else { return false }
  return outer.suffix(trimmed.count).elementsEqual(trimmed)
}

/// Runs `F` over every element (in place through one pointer when the output is the
/// input, so the loop stays vectorized).
func unaryKernel<F: UnaryFunctor>(_ functor: F.Type) -> Kernel {
  { io in
    let x = io.input(0).pointer(F.Input.self)
    let out = io.output(0)
    let z = out.pointer(F.Output.self)
    let n = out.count
    if F.Input.self == F.Output.self {
      let w = UnsafeMutableRawPointer(z).assumingMemoryBound(to: F.Input.self)
      if w == x {
        for i in 0..<n { w[i] = unsafeBitCast(F.apply(w[i]), to: F.Input.self) }
        return
      }
    }
    for i in 0..<n { z[i] = F.apply(x[i]) }
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
