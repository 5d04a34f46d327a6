import COpenBLAS
import Foundation
import Frost

/// One GEMM of a training step: `C[m, n] = op(A) · op(B)` with inner size `k`.
struct GEMMShape: CustomStringConvertible {
  let transposeA: Bool
  let transposeB: Bool
  let m: Int
  let n: Int
  let k: Int

  var flops: Double { 2 * Double(m) * Double(n) * Double(k) }

  var description: String {
    "\(m)x\(k)\(transposeA ? "ᵀ" : "") · \(k)x\(n)\(transposeB ? "ᵀ" : "")"
  }
}

/// The GEMMs of one training step of the model with batch size `b`: the forward pass from
/// the fed tensor up, then the backward pass of the trained layers (hidden3, hidden4,
/// outputs), as the training op's plan runs them.
func stepGEMMs(batch b: Int, uncached: Bool) -> [GEMMShape] {
  var shapes: [GEMMShape] = []
  if uncached {
    shapes += [
      GEMMShape(transposeA: false, transposeB: false, m: b, n: 300, k: 784),
      GEMMShape(transposeA: false, transposeB: false, m: b, n: 50, k: 300),
    ]
  }
  shapes += [
    GEMMShape(transposeA: false, transposeB: false, m: b, n: 50, k: 50),
    GEMMShape(transposeA: false, transposeB: false, m: b, n: 20, k: 50),
    GEMMShape(transposeA: false, transposeB: false, m: b, n: 10, k: 20),
    // outputs: kernel gradient hidden4ᵀ·g and input gradient g·kernelᵀ.
    GEMMShape(transposeA: true, transposeB: false, m: 20, n: 10, k: b),
    GEMMShape(transposeA: false, transposeB: true, m: b, n: 20, k: 10),
    // hidden4: the same.
    GEMMShape(transposeA: true, transposeB: false, m: 50, n: 20, k: b),
    GEMMShape(transposeA: false, transposeB: true, m: b, n: 50, k: 20),
    // hidden3: only the kernel gradient; nothing flows into frozen hidden2.
    GEMMShape(transposeA: true, transposeB: false, m: 50, n: 50, k: b),
  ]
  return shapes
}

/// Buffers for running a list of GEMMs, filled with small values.
final class GEMMBuffers {
  let shapes: [GEMMShape]
  private var a: [[Float]]
  private var b: [[Float]]
  private var c: [[Float]]

  init(_ shapes: [GEMMShape]) {
    self.shapes = shapes
    a = shapes.map { s in (0..<(s.m * s.k)).map { Float($0 % 17) * 0.01 } }
    b = shapes.map { s in (0..<(s.k * s.n)).map { Float($0 % 13) * 0.01 } }
    c = shapes.map { s in [Float](repeating: 0, count: s.m * s.n) }
  }

  /// Runs every GEMM once, as the training step's kernels call OpenBLAS.
  func run() {
    for (i, s) in shapes.enumerated() {
      a[i].withUnsafeBufferPointer { pa in
        b[i].withUnsafeBufferPointer { pb in
          c[i].withUnsafeMutableBufferPointer { pc in
            cblas_sgemm(
              CblasRowMajor, s.transposeA ? CblasTrans : CblasNoTrans,
              s.transposeB ? CblasTrans : CblasNoTrans, blasint(s.m), blasint(s.n),
              blasint(s.k), 1, pa.baseAddress, blasint(s.transposeA ? s.m : s.k),
              pb.baseAddress, blasint(s.transposeB ? s.k : s.n), 0, pc.baseAddress,
              blasint(s.n))
          }
        }
      }
    }
  }
}

/// Seconds an epoch of `steps` steps spends in OpenBLAS at these shapes, with OpenBLAS's
/// own threading: the floor Frost is measured against (one figure per repeat).
func gemmFloor(_ shapes: [GEMMShape], steps: Int, repeats: Int) -> [Double] {
  BLASThreads.preservingSetting {
    let buffers = GEMMBuffers(shapes)
    openblas_set_num_threads(Int32(BLASThreads.maximum))
    for _ in 0..<20 { buffers.run() }
    return (0..<repeats).map { _ in
      let start = now()
      for _ in 0..<steps { buffers.run() }
      return now() - start
    }
  }
}

/// The machine's ceiling: GFLOP/s of one 2048³ sgemm, one figure per repeat.
func largeGEMMRates(repeats: Int) -> [Double] {
  let n = 2_048
  let shape = GEMMShape(transposeA: false, transposeB: false, m: n, n: n, k: n)
  return BLASThreads.preservingSetting {
    openblas_set_num_threads(Int32(BLASThreads.maximum))
    let buffers = GEMMBuffers([shape])
    buffers.run()
    return (0..<repeats).map { _ in
      let start = now()
      buffers.run()
      return shape.flops / (now() - start) / 1e9
    }
  }
}

/// Microseconds per `Session.run` of a trivial graph (a fed scalar plus one), one median
/// of 2,000 runs per repeat.
func trivialRunOverhead(repeats: Int) throws -> [Double] {
  let graph = Graph()
  let x = graph.placeholder(.float32, shape: .scalar, name: "x")
  let y = try x + 1
  let session = Session(graph: graph)
  let value = NDArray(Float(1))
  for _ in 0..<1_000 { _ = try session.run(y, feedDict: [x: value]) }
  return try (0..<repeats).map { _ in
    var samples: [Double] = []
    for _ in 0..<20 {
      let start = now()
      for _ in 0..<100 { _ = try session.run(y, feedDict: [x: value]) }
      samples.append((now() - start) / 100 * 1e6)
    }
    return median(samples)
  }
}

/// The BLAS library's configuration, core type and thread count.
func blasDescription() -> (config: String, core: String, threads: Int) {
  (
    String(cString: openblas_get_config()), String(cString: openblas_get_corename()),
    Int(openblas_get_num_threads())
  )
}

/// The process's peak resident memory in bytes (VmHWM), or 0 when unknown.
func peakResidentBytes() -> Int {
  guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else {
    return 0
  }
  for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
    let parts = line.split(separator: " ")
    if parts.count >= 2, let kilobytes = Int(parts[1]) { return kilobytes * 1024 }
  }
  return 0
}
