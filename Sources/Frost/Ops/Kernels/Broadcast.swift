/// Numpy broadcasting of two static shapes: dimensions are aligned from the right, and a
/// dimension of 1 stretches to the other. `nil` when two known dimensions disagree.
func broadcastShapes(_ a: Shape, _ b: Shape) -> Shape? {
  guard let x = a.dims, let y = b.dims else { return .unknown }
  let rank = max(x.count, y.count)
  var out: [Int?] = []
  for i in 0..<rank {
    let p = i < rank - x.count ? 1 : x[i - (rank - x.count)]
    let q = i < rank - y.count ? 1 : y[i - (rank - y.count)]
    switch (p, q) {
    case (1, _): out.append(q)
    case (_, 1): out.append(p)
    case (nil, nil): out.append(nil)
    case (nil, let known), (let known, nil): out.append(known)
    case (let p?, let q?): if p == q { out.append(p) } else { return nil }
    }
  }
  return Shape(out)
}

/// How to walk two broadcast operands along an output: row-major, with the innermost
/// dimension contiguous or repeated.
struct BroadcastLayout {
  let outShape: [Int]
  /// Strides (in elements) of each operand per output dimension; 0 where broadcast.
  let stridesA: [Int]
  let stridesB: [Int]

  init(out: [Int], a: [Int], b: [Int]) {
    outShape = out
    stridesA = Self.strides(of: a, in: out)
    stridesB = Self.strides(of: b, in: out)
  }

  static func strides(of shape: [Int], in out: [Int]) -> [Int] {
    var result = [Int](repeating: 0, count: out.count)
    var step = 1
    for i in (0..<shape.count).reversed() {
      let axis = out.count - shape.count + i
      result[axis] = shape[i] == 1 && out[axis] != 1 ? 0 : step
      step *= shape[i]
    }
    return result
  }

  /// Calls `body(offsetA, offsetB, offsetOut, length, stepA, stepB)` for each run of the
  /// innermost dimension.
  func forEachRow(_ body: (Int, Int, Int, Int, Int, Int) -> Void) {
    let rank = outShape.count
    guard rank > 0 else {
      body(0, 0, 0, 1, 0, 0)
      return
    }
    let inner = outShape[rank - 1]
    let stepA = stridesA[rank - 1]
    let stepB = stridesB[rank - 1]
    let rows = outShape.dropLast().reduce(1, *)
    guard inner > 0, rows > 0 else { return }
    var index = [Int](repeating: 0, count: rank - 1)
    var offsetA = 0
    var offsetB = 0
    for row in 0..<rows {
      body(offsetA, offsetB, row * inner, inner, stepA, stepB)
      var axis = rank - 2
      while axis >= 0 {
        index[axis] += 1
        offsetA += stridesA[axis]
        offsetB += stridesB[axis]
        if index[axis] < outShape[axis] { break }
        offsetA -= stridesA[axis] * outShape[axis]
        offsetB -= stridesB[axis] * outShape[axis]
        index[axis] = 0
        axis -= 1
      }
    }
  }
}
