import Testing

@testable import SwiftPG

/// Algorithms/LearnerSettings.swift: the shared field groups, their range
/// checks (naming the field as C and Python spell it), and the flat access
/// through dynamic member lookup.
@Suite struct LearnerSettingsTests {
  @Test func groupsReadAndWriteAsTheConfigsOwnFields() {
    var ppo = PPO.Config()
    ppo.gamma = 0.5
    ppo.stepsPerEnv = 7
    ppo.epochs = 3
    #expect(ppo.common.gamma == 0.5 && ppo.segments.stepsPerEnv == 7 && ppo.epochs == 3)
    var trpo = TRPO.Config()
    trpo.maxKL = 0.02
    trpo.cgIterations = 4
    #expect(trpo.natural.maxKL == 0.02 && trpo.natural.cgIterations == 4)
    var reinforce = Reinforce.Config()
    reinforce.seed = 9
    #expect(reinforce.common.seed == 9)
  }

  /// Each learner's defaults are its reference implementation's (REFERENCE.md §4).
  @Test func referenceDefaults() {
    let ppo = PPO.Config()
    #expect(ppo.learningRate == 3e-4 && ppo.adamEpsilon == 1e-5 && ppo.maxGradNorm == 0.5)
    #expect(ppo.stepsPerEnv == 128 && ppo.minibatchSize == 64 && ppo.gaeLambda == 0.95 && ppo.epochs == 10)
    let a2c = A2C.Config()
    #expect(a2c.learningRate == 7e-4 && a2c.stepsPerEnv == 5 && a2c.gaeLambda == 1 && !a2c.normalizeAdvantages)
    let npg = NPG.Config()
    #expect(npg.stepsPerEnv == 256 && npg.valueEpochs == 10 && npg.minibatchSize == 128 && npg.cgIterations == 15)
    let ac = ActorCritic.Config()
    #expect(ac.optimizer == .sgd && ac.learningRate == 0.01 && ac.valueLearningRate == 0.05 && ac.stepsPerEnv == 1)
    let reinforce = Reinforce.Config()
    #expect(reinforce.learningRate == 0.01 && reinforce.adamEpsilon == 1e-8 && reinforce.baseline == .mean)
  }

  func message(_ body: () throws(SwiftPGError) -> Void) -> String {
    do throws(SwiftPGError) {
      try body()
      return ""
    } catch {
      return error.message
    }
  }

  @Test func rangeChecksNameTheField() {
    var common = CommonFields()
    common.gamma = 1.5
    #expect(message { () throws(SwiftPGError) in try common.validate() }.contains("gamma"))
    common = CommonFields(maxGradNorm: -1)
    #expect(message { () throws(SwiftPGError) in try common.validate() }.contains("max_grad_norm"))
    var segments = SegmentFields()
    segments.annealLearningRate = true
    #expect(message { () throws(SwiftPGError) in try segments.validate() }.contains("total_env_steps"))
    segments = SegmentFields(stepsPerEnv: 0)
    #expect(message { () throws(SwiftPGError) in try segments.validate() }.contains("steps_per_env"))
    var natural = NaturalStepFields()
    natural.cgDamping = -1
    #expect(message { () throws(SwiftPGError) in try natural.validate() }.contains("cg_damping"))
    // The defaults themselves are valid.
    #expect(message { () throws(SwiftPGError) in try CommonFields().validate() }.isEmpty)
    #expect(message { () throws(SwiftPGError) in try SegmentFields().validate() }.isEmpty)
    #expect(message { () throws(SwiftPGError) in try NaturalStepFields().validate() }.isEmpty)
  }

  @Test func coreSettingsCarryTheGroups() {
    var a2c = A2C.Config()
    a2c.valueLearningRate = 0.02
    a2c.normalizeObservations = true
    let s = a2c.coreSettings(.a2c)
    #expect(s.common == a2c.common && s.segments == a2c.segments && s.segments.valueLearningRate == 0.02)
    if case .segments(let t) = s.collection { #expect(t == 5) } else { Issue.record("not a segment learner") }
  }
}
