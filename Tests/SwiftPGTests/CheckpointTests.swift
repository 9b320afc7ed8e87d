#if canImport(Glibc)
  import Glibc
#endif
import Testing

@testable import SwiftPG

@Suite struct CheckpointTests {
  func temporaryPath(_ name: String) -> String { "/tmp/swiftpg-test-\(getpid())-\(name)" }

  @Test func roundTripIsBitExactForEveryFamily() throws {
    let policies: [any Policy] = [
      try SoftmaxPolicy(observationSize: 4, actionCount: 3, hidden: [8, 5], activation: .relu, seed: 1),
      CategoricalPolicy(model: try TabularLogits(stateCount: 5, actionCount: 2)),
      CategoricalPolicy(model: try FeatureLogits(featureSize: 3, actionCount: 4)),
      try GaussianPolicy(observationSize: 3, actionSize: 2, hidden: [6], stateDependentStd: true, seed: 2),
      try GaussianPolicy(observationSize: 3, actionSize: 2, hidden: [], initialLogStd: -0.5, seed: 3),
      try ClampPolicy(theta: 0.7),
    ]
    var g = PCG64(seed: 9)
    for (i, p) in policies.enumerated() {
      try p.setParameters(p.parameters.map { _ in g.standardNormal() })
      let path = temporaryPath("policy\(i)")
      try Checkpoint.save(p, to: path)
      let q = try Checkpoint.loadPolicy(path)
      #expect(q.family == p.family && q.specification == p.specification)
      #expect(q.parameters.map(\.bitPattern) == p.parameters.map(\.bitPattern))
      unlink(path)
    }
    let v = try ValueFunction(observationSize: 2, hidden: [4], seed: 0)
    let path = temporaryPath("value")
    try Checkpoint.save(v, to: path)
    #expect(try Checkpoint.loadValueFunction(path).parameters == v.parameters)
    #expect(throws: SwiftPGError.self) { try Checkpoint.loadPolicy(path) }
    unlink(path)
  }

  @Test func damagedFilesAreRefused() throws {
    let p = try SoftmaxPolicy(observationSize: 2, actionCount: 2, hidden: [3], seed: 0)
    let good = Checkpoint.encode(
      Checkpoint.Contents(kind: .policy, family: 1, specification: p.specification, parameters: p.parameters))
    #expect(try Checkpoint.decode(good).parameters == p.parameters)
    // Truncated at every length, and one flipped bit anywhere.
    expectDamageRefused(good, lengthStride: 7, byteStride: 5, flip: 0x10) { _ = try Checkpoint.decode($0) }
    // Another format version, with a valid checksum.
    var other = Array(good[0..<(good.count - 8)])
    other[8] = 2
    let h = Checkpoint.fnv1a64(other[...])
    withUnsafeBytes(of: h.littleEndian) { other.append(contentsOf: $0) }
    #expect(throws: SwiftPGError.self) { try Checkpoint.decode(other) }
  }

  @Test func aFailedSaveLeavesThePreviousCheckpoint() throws {
    let path = temporaryPath("keep")
    let p = try SoftmaxPolicy(observationSize: 2, actionCount: 2, hidden: [], seed: 0)
    try Checkpoint.save(p, to: path)
    let before = try Checkpoint.read(path)
    // Saving into a directory that does not exist fails without touching `path`.
    #expect(throws: SwiftPGError.self) { try Checkpoint.save(p, to: "/nonexistent-dir/x") }
    #expect(try Checkpoint.read(path) == before)
    #expect(throws: SwiftPGError.self) { try Checkpoint.loadPolicy("/nonexistent-dir/x") }
    unlink(path)
  }
}

/// Issue 11: saving never replaces what is at the path, loading refuses
/// what it cannot read without blocking, and declared sizes are checked
/// before anything is built.
@Suite struct CheckpointSafetyTests {
  func directory() -> String {
    var template = Array("/tmp/swiftpg-ckpt-XXXXXX".utf8CString)
    return template.withUnsafeMutableBufferPointer { b in String(cString: mkdtemp(b.baseAddress!)!) }
  }

  @Test func symlinksAreFollowedAndSpecialFilesRefused() throws {
    let d = directory()
    let policy = try ClampPolicy(theta: 0.3)
    #expect(symlink("target.ckpt", "\(d)/link.ckpt") == 0)
    try Checkpoint.save(policy, to: "\(d)/link.ckpt")
    var info = stat()
    #expect(lstat("\(d)/link.ckpt", &info) == 0 && info.st_mode & S_IFMT == S_IFLNK)
    #expect(try Checkpoint.loadPolicy("\(d)/target.ckpt").parameters == [0.3])
    #expect(mkfifo("\(d)/fifo", 0o600) == 0)
    #expect(throws: SwiftPGError.self) { try Checkpoint.save(policy, to: "\(d)/fifo") }
    #expect(throws: SwiftPGError.self) { try Checkpoint.loadPolicy("\(d)/fifo") }
    #expect(throws: SwiftPGError.self) { try Checkpoint.save(policy, to: d) }
    #expect(throws: SwiftPGError.self) { try Checkpoint.save(policy, to: "\(d)/x\u{0}y") }
    for name in ["link.ckpt", "target.ckpt", "fifo"] { unlink("\(d)/\(name)") }
    rmdir(d)
  }

  @Test func declaredSizesAreCheckedBeforeBuilding() throws {
    let d = directory()
    let bytes = Checkpoint.encode(
      .init(kind: .policy, family: 1, specification: [4, 2, 0, 2, 65536, 65536], parameters: []))
    try Checkpoint.write(bytes, to: "\(d)/tiny.ckpt")
    do {
      _ = try Checkpoint.loadPolicy("\(d)/tiny.ckpt")
      Issue.record("accepted")
    } catch {
      #expect(error.code == .badFormat)
    }
    unlink("\(d)/tiny.ckpt")
    rmdir(d)
    #expect(throws: SwiftPGError.self) { try MLP.parameterCount(sizes: [4, 65536, 65536, 2]) }
    #expect(try MLP.parameterCount(sizes: [4, 8, 2]) == 5 * 8 + 9 * 2)
  }
}
