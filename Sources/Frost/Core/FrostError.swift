/// Every error a user's mistake can cause in Frost.
///
/// Each case's message names the node, file or key involved. Engine bugs are not errors:
/// they stop the process through a precondition.
public enum FrostError: Error, Equatable, CustomStringConvertible {
  /// An argument does not fit: a shape or dtype mismatch while building a graph, a bad
  /// feed, a value of the wrong size.
  case invalidArgument(String)
  /// A name, key or file does not exist.
  case notFound(String)
  /// A placeholder that the run needs was not fed.
  case missingFeed(placeholder: String, neededBy: String)
  /// A variable was read before a value was assigned to it.
  case uninitializedVariable(String)
  /// The request is valid but the state does not allow it (a stale cache, a frozen variable
  /// written by a training op).
  case failedPrecondition(String)
  /// A numerical failure a kernel detected, such as a singular matrix.
  case numerical(op: String, reason: String)
  /// A file that exists but is not what it claims to be.
  case invalidFile(path: String, reason: String)
  /// The operating system refused a read or a write.
  case io(path: String, reason: String)

  /// A one-line message that names what went wrong and where.
  public var description: String {
    switch self {
    case .invalidArgument(let message): message
    case .notFound(let message): message
    case .missingFeed(let placeholder, let neededBy):
      "placeholder '\(placeholder)' needs a feed: '\(neededBy)' depends on it"
    case .uninitializedVariable(let name):
      "variable '\(name)' is read before it was initialized"
        + " (run graph.globalVariablesInitializer() or restore a checkpoint)"
    case .failedPrecondition(let message): message
    case .numerical(let op, let reason): "\(op): \(reason)"
    case .invalidFile(let path, let reason): "\(path): \(reason)"
    case .io(let path, let reason): "\(path): \(reason)"
    }
  }
}
