import COpenBLAS
import Foundation
import Synchronization

/// Matrix products, on one thread or split by columns over two.
///
/// OpenBLAS runs single-threaded; Frost splits a large product itself. Two reasons: waking
/// OpenBLAS's own threads costs more than it saves on the small products of a training
/// step, and after a parallel product its idle threads spin for a while, which on a small
/// shared machine slows the single-threaded kernels that follow. Splitting by columns keeps
/// every row in each half (OpenBLAS's kernels are fastest with all of M; measured 360 µs for
/// 110×784 by 784×300, against 380–430 µs by rows or by OpenBLAS's own two threads), and
/// lets each thread finish its own columns (bias, relu) while they are in its cache.
enum MatrixProduct {
  /// m·n·k from which a product is split over two threads (16 Mi multiply-adds, a few
  /// hundred microseconds: far more than the hand-off costs).
  static let parallelThreshold = BLASThreads.parallelThreshold

  /// `C = op(A) · op(B)` for row-major matrices (`beta` 0), then `epilogue` over each block
  /// of columns of C as soon as that block is computed, on the thread that computed it.
  static func multiply<T: FloatScalar>(
    transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
    a: UnsafePointer<T>, lda: Int, b: UnsafePointer<T>, ldb: Int,
    c: UnsafeMutablePointer<T>, ldc: Int,
    epilogue: ((Range<Int>) -> Void)? = nil
  ) {
    func block(_ columns: Range<Int>) {
      guard !columns.isEmpty else { return }
      T.gemm(
        transposeA: transposeA, transposeB: transposeB, m: m, n: columns.count, k: k,
        alpha: 1, a: a, lda: lda,
        b: transposeB ? b + columns.lowerBound * ldb : b + columns.lowerBound, ldb: ldb,
        beta: 0, c: c + columns.lowerBound, ldc: ldc)
      epilogue?(columns)
    }
    guard m * n * k >= parallelThreshold, n >= 16 else {
      block(0..<n)
      return
    }
    // Split at a multiple of 8 columns, so each half's rows start on whole vectors.
    let half = (n / 2 + 7) & ~7
    withoutActuallyEscaping(block) { block in
      let ran = SecondThread.shared.run({ block(half..<n) }, alongside: { block(0..<half) })
      if !ran { block(half..<n) }
    }
  }
}

/// One worker thread that runs a job alongside the caller. A run hands the job over,
/// works on its own part, then waits; a caller that finds the worker busy (another
/// session's run) is told so and does the work itself.
final class SecondThread: @unchecked Sendable {
  static let shared = SecondThread()

  private let start = DispatchSemaphore(value: 0)
  private let done = DispatchSemaphore(value: 0)
  private let busy = Atomic<Bool>(false)
  private var job: (() -> Void)?
  private var thread: Thread?

  private init() {
    let thread = Thread { [unowned self] in self.loop() }
    thread.name = "frost.second-thread"
    thread.start()
    self.thread = thread
  }

  private func loop() {
    FloatingPointMode.flushDenormalsOnThisThread()
    while true {
      start.wait()
      job?()
      job = nil
      done.signal()
    }
  }

  /// Runs `job` on the worker and `alongside` on the calling thread, and returns when both
  /// are done; returns `false` without running `job` when the worker is taken.
  func run(_ job: () -> Void, alongside: () -> Void) -> Bool {
    guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged
    else {
      alongside()
      return false
    }
    defer { busy.store(false, ordering: .releasing) }
    withoutActuallyEscaping(job) { job in
      self.job = job
      start.signal()
      alongside()
      done.wait()
    }
    return true
  }
}
