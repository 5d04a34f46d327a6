// swift-tools-version: 6.0
import PackageDescription

let package = Package(
  name: "Frost",
  products: [
    .library(name: "Frost", targets: ["Frost"]),
    .executable(name: "graph-dump", targets: ["graph-dump"]),
  ],
  targets: [
    .systemLibrary(
      name: "COpenBLAS", pkgConfig: "openblas",
      providers: [.apt(["libopenblas-dev"])]),
    .systemLibrary(
      name: "CLAPACKE", pkgConfig: "lapacke",
      providers: [.apt(["liblapacke-dev"])]),
    .systemLibrary(
      name: "CZlib", pkgConfig: "zlib",
      providers: [.apt(["zlib1g-dev"])]),
    .target(
      name: "Frost",
      dependencies: ["COpenBLAS", "CLAPACKE", "CZlib"]),
    // graph-dump: the graph, plan and checkpoint inspector. The kit holds everything
    // testable; the executable only forwards arguments and prints.
    .target(
      name: "GraphDumpKit", dependencies: ["Frost"]),
    .executableTarget(
      name: "graph-dump", dependencies: ["GraphDumpKit"]),
    .testTarget(
      name: "FrostTests", dependencies: ["Frost", "GraphDumpKit"]),
  ],
  swiftLanguageModes: [.v6]
)
