import Foundation
import Synchronization

/// A block of raw, 64-byte aligned memory that holds tensor elements.
///
/// Storage is shared between an `NDArray` and its row slices; it is never resized.
final class TensorStorage: @unchecked Sendable {
  let bytes: UnsafeMutableRawPointer
  let byteCount: Int

  /// Allocates `byteCount` bytes (at least one), zero-filled unless the caller promises to
  /// write every byte before anything reads them (`zeroed: false`).
  init(byteCount: Int, zeroed: Bool = true) {
    precondition(byteCount >= 0, "negative storage size")
    self.byteCount = byteCount
    self.bytes = UnsafeMutableRawPointer.allocate(
      byteCount: max(byteCount, 1), alignment: 64)
    if zeroed { memset(bytes, 0, max(byteCount, 1)) }
    StorageCounters.allocations.add(1, ordering: .relaxed)
    StorageCounters.liveBytes.add(byteCount, ordering: .relaxed)
  }

  deinit {
    StorageCounters.liveBytes.subtract(byteCount, ordering: .relaxed)
    bytes.deallocate()
  }
}

enum StorageCounters {
  static let allocations = Atomic<Int>(0)
  static let liveBytes = Atomic<Int>(0)
}

/// Counters of tensor storage, to prove that a steady-state training step allocates
/// nothing new and to report memory use.
public enum StorageDiagnostics {
  /// How many tensor buffers the process has allocated so far (NDArrays, variables and
  /// the buffers of compiled plans).
  public static var allocationCount: Int { StorageCounters.allocations.load(ordering: .relaxed) }

  /// How many bytes of tensor storage are alive right now.
  public static var liveBytes: Int { StorageCounters.liveBytes.load(ordering: .relaxed) }
}
