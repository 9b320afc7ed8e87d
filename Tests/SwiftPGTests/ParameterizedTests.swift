import Testing

@testable import SwiftPG

/// The contract of `Parameterized`, through the protocol alone, on one
/// object of every kind that has it: the vector has `parameterCount` values,
/// writing it back is the identity, a changed vector is read back as written,
/// and a vector of another length is refused (changing nothing).
@Suite struct ParameterizedTests {
  @Test func everyKindKeepsOneFlatVector() throws {
    let space = try SequenceSpace(vocabularySize: 2, maxLength: 3)
    let objects: [any Parameterized] = [
      try ClampPolicy(theta: 0.25),
      try TabularLogits(stateCount: 3, actionCount: 2),
      try TabularSequenceModel(space: space, promptCount: 2),
      SequencePolicy(model: try TabularSequenceModel(space: space, promptCount: 1)),
      try ValueFunction(observationSize: 2, hidden: [3]),
      try RewardModel(featureCount: 2, hiddenSizes: [2]),
    ]
    for o in objects {
      let before = o.parameters
      #expect(before.count == o.parameterCount)
      try o.setParameters(before)
      #expect(o.parameters == before)
      let changed = before.enumerated().map { Double($0.offset) * 0.125 - 0.05 }
      try o.setParameters(changed)
      #expect(o.parameters == changed)
      #expect(throws: SwiftPGError.self) { try o.setParameters(changed + [0]) }
      #expect(o.parameters == changed)
    }
  }
}
