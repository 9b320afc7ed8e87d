import Testing

@testable import SwiftPG

@Suite struct ArrayTaskTests {
  /// V = 2, L = 2: 7 responses per prompt in canonical order
  /// ([], [0], [1], [0,0], [0,1], [1,0], [1,1]); prompt 0's gold peaks at
  /// [1] (index 2), prompt 1's at [1,0] (index 5, truncated); labels are
  /// gold + 10 for prompt 1.
  static func make() throws -> ArrayTask {
    let gold: [Double] = [0, 1, 3, 2, 0, -1, 1, 0, 0, 1, 0, 0, 4, 2]
    let label = gold.enumerated().map { $0.offset >= 7 ? $0.element + 10 : $0.element }
    return try ArrayTask(
      vocabularySize: 2, maxLength: 2, promptProbabilities: [0.25, 0.75], promptFeatures: [1, 0, 0, 1],
      promptFeatureCount: 2, goldTable: gold, labelTable: label)
  }

  @Test func contract() throws {
    try TaskChecks.checkContract(Self.make())
  }

  @Test func rewardsComeFromTheTables() throws {
    let task = try Self.make()
    #expect(task.expertResponse(prompt: 0) == [1] && task.expertResponse(prompt: 1) == [1, 0])
    #expect(try TaskChecks.gold(task, 0, [1]) == 3)
    #expect(try TaskChecks.gold(task, 1, [1, 0]) == 4)
    #expect(try TaskChecks.gold(task, 1, [1, 0], label: true) == 14)
    #expect(try TaskChecks.gold(task, 0, [0, 1], label: true) == 0)
    #expect(try TaskChecks.features(task, 0, [1, 1]) == [0, 2, 2, 1])
    #expect(try TaskChecks.features(task, 0, [0]) == [1, 0, 1, 0])
  }

  @Test func rejectsBadTables() {
    let gold = [Double](repeating: 0, count: 14)
    func make(p: [Double] = [0.5, 0.5], f: [Double] = [], fc: Int = 0, g: [Double] = gold, l: [Double]? = nil) throws {
      _ = try ArrayTask(
        vocabularySize: 2, maxLength: 2, promptProbabilities: p, promptFeatures: f, promptFeatureCount: fc,
        goldTable: g, labelTable: l)
    }
    #expect(throws: Never.self) { try make() }
    #expect(throws: SwiftPGError.self) { try make(p: [0.5, 0.6]) }
    #expect(throws: SwiftPGError.self) { try make(p: [1.5, -0.5]) }
    #expect(throws: SwiftPGError.self) { try make(p: []) }
    #expect(throws: SwiftPGError.self) { try make(f: [1], fc: 1) }
    #expect(throws: SwiftPGError.self) { try make(f: [1, .nan], fc: 1) }
    #expect(throws: SwiftPGError.self) { try make(g: Array(gold.dropLast())) }
    #expect(throws: SwiftPGError.self) { try make(g: gold.map { _ in .nan }) }
    #expect(throws: SwiftPGError.self) { try make(l: [1]) }
    #expect(throws: SwiftPGError.self) {
      _ = try ArrayTask(
        vocabularySize: 64, maxLength: 8, promptProbabilities: [1], promptFeatures: [], promptFeatureCount: 0,
        goldTable: [])
    }
  }
}
