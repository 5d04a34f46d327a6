import Foundation

/// A directory of its own under the system's temporary directory, for tests that write
/// files; `remove()` deletes it with everything inside.
struct TemporaryDirectory {
  /// The directory's absolute path.
  let path: String

  /// Creates a fresh, empty directory.
  init() throws {
    path =
      FileManager.default.temporaryDirectory
      .appendingPathComponent("frost-test-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  }

  /// The path of `name` inside the directory.
  func file(_ name: String) -> String { path + "/" + name }

  /// Writes `bytes` to `name` inside the directory and returns its path.
  func write(_ bytes: [UInt8], to name: String = "file.safetensors") throws -> String {
    let target = file(name)
    try Data(bytes).write(to: URL(fileURLWithPath: target))
    return target
  }

  /// The names of the files in the directory, sorted.
  func contents() throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: path).sorted()
  }

  /// Deletes the directory and its contents.
  func remove() {
    try? FileManager.default.removeItem(atPath: path)
  }
}

/// The bytes of the file at `path`.
func bytesOfFile(_ path: String) throws -> [UInt8] {
  Array(try Data(contentsOf: URL(fileURLWithPath: path)))
}
