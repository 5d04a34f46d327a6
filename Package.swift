// swift-tools-version: 6.0
import PackageDescription

let package = Package(
  name: "Frost",
  products: [
    .library(name: "Frost", targets: ["Frost"]),
    .executable(name: "graph-dump", targets: ["graph-dump"]),
    .executable(name: "frozen-cache-bench", targets: ["FrozenCacheBench"]),
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
    .target(name: "GraphDumpKit", dependencies: ["Frost"]),
    .executableTarget(name: "graph-dump", dependencies: ["GraphDumpKit"]),
    .executableTarget(
      name: "FrozenCacheBench", dependencies: ["Frost", "COpenBLAS"],
      path: "Benchmarks/FrozenCacheBench"),
    .testTarget(
      name: "FrostTests", dependencies: ["Frost", "GraphDumpKit"]),
  ],
  swiftLanguageModes: [.v6]
)
