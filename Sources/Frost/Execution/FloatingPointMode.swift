import Glibc

/// Runs kernels with denormal numbers flushed to zero, as TensorFlow's CPU executor does.
///
/// Once a network trains for a while, some gradients and activations become denormal
/// (below 1.2e-38 in float32); x86 processors compute with them tens of times more
/// slowly, and an epoch can take half as long again for values too small to matter.
/// Flushing them (the MXCSR bits FTZ and DAZ) is per thread and restored after the run.
enum FloatingPointMode {
  /// MXCSR's flush-to-zero (bit 15) and denormals-are-zero (bit 6).
  private static let flushBits: UInt32 = 0x8040

  /// Runs `body` with denormals flushed to zero on this thread, then restores the mode.
  static func withDenormalsFlushed<T>(_ body: () throws -> T) rethrows -> T {
    var environment = fenv_t()
    fegetenv(&environment)
    guard environment.__mxcsr & flushBits != flushBits else { return try body() }
    var saved = environment
    environment.__mxcsr |= flushBits
    fesetenv(&environment)
    defer { fesetenv(&saved) }
    return try body()
  }

  /// Flushes denormals on this thread from now on (for Frost's own worker thread).
  static func flushDenormalsOnThisThread() {
    var environment = fenv_t()
    fegetenv(&environment)
    environment.__mxcsr |= flushBits
    fesetenv(&environment)
  }
}
