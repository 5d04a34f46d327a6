import Foundation

/// The value of one variable in one session.
///
/// Storage is allocated once, at the variable's fixed shape, and written in place by
/// assignments and optimizer updates, so that plans can bind it without copying.
final class VariableRecord: @unchecked Sendable {
  let node: Int
  let name: String
  let dtype: DType
  let shape: [Int]
  let storage: TensorStorage
  /// Whether a value has been assigned. Guarded by the session's state lock.
  var isInitialized = false
  /// Bumped by every write; the frozen-layer cache compares versions to detect staleness.
  var version: UInt64 = 0

  init(node: Int, name: String, dtype: DType, shape: [Int]) {
    self.node = node
    self.name = name
    self.dtype = dtype
    self.shape = shape
    self.storage = TensorStorage(byteCount: shape.reduce(1, *) * dtype.byteSize)
  }

  var byteCount: Int { shape.reduce(1, *) * dtype.byteSize }

  /// A copy of the current value.
  func snapshot() -> NDArray {
    NDArray(dtype: dtype, shape: shape, storage: storage).compacted()
  }

  /// Overwrites the value; the caller checked dtype and shape.
  func write(_ value: NDArray) {
    precondition(value.dtype == dtype && value.shape == shape, "variable write of wrong type")
    storage.bytes.copyMemory(from: value.rawPointer, byteCount: byteCount)
    isInitialized = true
    version &+= 1
  }
}

/// The random generators of one session, one per random node, created on first use.
final class RandomSource: @unchecked Sendable {
  private let lock = NSLock()
  private var generators: [Int: PhiloxRandom] = [:]

  func withGenerator<R>(
    node: Int, seed: (UInt64, UInt64), _ body: (inout PhiloxRandom) -> R
  ) -> R {
    lock.lock()
    defer { lock.unlock() }
    var generator = generators[node] ?? PhiloxRandom(seed: seed.0, seed2: seed.1)
    let result = body(&generator)
    generators[node] = generator
    return result
  }
}

/// A readers-writer lock: runs that write variables are exclusive, others share.
final class ReadWriteLock: @unchecked Sendable {
  private var lock = pthread_rwlock_t()

  init() { pthread_rwlock_init(&lock, nil) }

  deinit { pthread_rwlock_destroy(&lock) }

  func withReadLock<T>(_ body: () throws -> T) rethrows -> T {
    pthread_rwlock_rdlock(&lock)
    defer { pthread_rwlock_unlock(&lock) }
    return try body()
  }

  func withWriteLock<T>(_ body: () throws -> T) rethrows -> T {
    pthread_rwlock_wrlock(&lock)
    defer { pthread_rwlock_unlock(&lock) }
    return try body()
  }
}
