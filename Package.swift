// swift-tools-version: 6.1
import PackageDescription

// The shipped library is built with `make lib`, which passes `-static-stdlib`
// for that build only (putting it here would break `swift test`).
let package = Package(
  name: "swiftpg",
  products: [
    // libswiftpg.so: the C ABI declared in Include/swiftpg.h.
    .library(name: "swiftpg", type: .dynamic, targets: ["SwiftPGCAPI"]),
    // The Swift module, for Swift programs.
    .library(name: "SwiftPG", targets: ["SwiftPG"]),
  ],
  targets: [
    .systemLibrary(
      name: "COpenBLAS",
      pkgConfig: "openblas",
      providers: [.apt(["libopenblas-dev"])]
    ),
    .target(name: "CSwiftPG"),
    .target(name: "CMathShims", linkerSettings: [.linkedLibrary("m")]),
    .target(name: "SwiftPG", dependencies: ["COpenBLAS", "CMathShims"], exclude: ["README.md", "Sequences/README.md"]),
    .target(name: "SwiftPGCAPI", dependencies: ["SwiftPG", "CSwiftPG", "CMathShims"], exclude: ["exports.map"]),
    .testTarget(
      name: "SwiftPGTests",
      dependencies: ["SwiftPG", "SwiftPGCAPI", "CSwiftPG"],
      exclude: ["README.md", "Fixtures"]
    ),
  ]
)
