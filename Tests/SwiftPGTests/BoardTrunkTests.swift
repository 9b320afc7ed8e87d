import Testing

@testable import SwiftPG

/// Policies/BoardTrunk.swift: both trunk families rebuild from their
/// family and specification; malformed specifications are refused.
@Suite struct BoardTrunkTests {
  @Test func trunksRebuildFromTheirSpecification() throws {
    let mlp = try MLP(sizes: [27, 12, 9], activation: .tanh)
    #expect(mlp.family == .mlp && mlp.trunkSpecification == [27, 12, 9, 0])
    let copy = try makeBoardTrunk(family: .mlp, specification: mlp.trunkSpecification)
    #expect(copy.family == .mlp && copy.parameterCount == mlp.parameterCount)
    #expect((copy as? MLP)?.activation == .tanh && (copy as? MLP)?.sizes == [27, 12, 9])
    let conv = try ConvNet(planes: 3, height: 3, width: 3, channels: [4], outputSize: 9)
    let convCopy = try makeBoardTrunk(family: .conv, specification: conv.trunkSpecification)
    #expect(convCopy.family == .conv && convCopy.parameterCount == conv.parameterCount)
  }

  @Test func malformedSpecificationsAreRefused() throws {
    for bad: [Double] in [[27, 9], [27, 9.5, 0], [27, -1, 0], [27, 9, 7], [27, .infinity, 0], [27, 0, 9, 1]] {
      #expect(throws: SwiftPGError.self, "\(bad)") { try makeBoardTrunk(family: .mlp, specification: bad) }
    }
    #expect(throws: SwiftPGError.self) { try makeBoardTrunk(family: .conv, specification: [3, 3, 3]) }
    #expect(throws: SwiftPGError.self) { try wholeNumbers([1, 2, 3e9], "x") }
    #expect(try wholeNumbers([0, 5, 2_147_483_647], "x") == [0, 5, 2_147_483_647])
  }

  /// A batch whose workspace would exceed `Limits.maxScratchElements` is
  /// refused before anything is allocated (`.tooLarge`), as is a negative one.
  @Test func hugeBatchesAreRefused() throws {
    let conv = try ConvNet(planes: 3, height: 6, width: 7, channels: [32, 32], outputSize: 7)
    // 42 cells × (3 + 32 + 32 + 27 + 288 + 2·32 + 288) channels + 7 outputs = 30 919.
    #expect(conv.scratchPerSample == 42 * (3 + 32 + 32 + 27 + 288 + 2 * 32 + 288) + 7)
    try conv.checkBatch(Limits.maxScratchElements / conv.scratchPerSample)
    let tooMany = Limits.maxScratchElements / conv.scratchPerSample + 1
    let error = #expect(throws: SwiftPGError.self) { try conv.checkBatch(tooMany) }
    #expect(error?.code == .tooLarge)
    #expect(throws: SwiftPGError.self) { try conv.checkBatch(-1) }
    let mlp = try MLP(sizes: [27, 16, 9], activation: .relu)
    #expect(mlp.scratchPerSample == 27 + 16 + 9 + 2 * 27)
  }
}
