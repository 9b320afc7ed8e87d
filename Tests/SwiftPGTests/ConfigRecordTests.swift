import Testing

@testable import SwiftPG

/// Config sections: every stored property of every learner's `Config` has a
/// record field (so a new setting cannot be forgotten), named in
/// snake_case; non-default values round-trip; missing, unknown, mistyped
/// and out-of-range fields are refused naming them.
@Suite struct ConfigRecordTests {
  /// "maxKL" → "max_kl", "gaeLambda" → "gae_lambda", "vtraceCBar" →
  /// "vtrace_c_bar" (a capital after a capital starts a word when a
  /// lowercase letter follows it).
  static func snakeCase(_ s: String) -> String {
    var out = ""
    let chars = Array(s)
    for (i, c) in chars.enumerated() {
      if c.isUppercase, i > 0 {
        let p = chars[i - 1]
        let nextLower = i + 1 < chars.count && chars[i + 1].isLowercase
        if p.isLowercase || p.isNumber || (p.isUppercase && nextLower) { out.append("_") }
      }
      out.append(Character(c.lowercased()))
    }
    return out
  }

  /// The stored properties of a config, its shared field groups
  /// (`CommonFields`, `SegmentFields`, `NaturalStepFields`) flattened.
  static func storedFields(_ value: Any) -> [String] {
    Mirror(reflecting: value).children.flatMap { child -> [String] in
      switch child.value {
      case is CommonFields, is SegmentFields, is NaturalStepFields: storedFields(child.value)
      default: child.label.map { [snakeCase($0)] } ?? []
      }
    }
  }

  func check<C: PolicyGradientSettings>(_: C.Type, _ change: (inout C) -> Void) throws {
    let names = C.recordFields.map(\.name)
    let properties = Self.storedFields(C())
    #expect(Set(names) == Set(properties), "\(C.self): fields \(Set(properties).symmetricDifference(names))")
    #expect(names.count == Set(names).count, "\(C.self): a field is listed twice")
    var c = C()
    change(&c)
    let record = ConfigRecord.encode(c)
    let back = try ConfigRecord.decode(RecordReader(record, context: "test"), as: C.self)
    #expect(ConfigRecord.encode(back) == record)
    #expect(String(describing: back) == String(describing: c))
  }

  @Test func everyFieldIsRecordedAndRoundTrips() throws {
    try check(Reinforce.Config.self) {
      $0.baseline = .value; $0.weighting = .discountedRewardToGo; $0.episodeAverage = true; $0.valueEpochs = 3; $0.seed = .max
    }
    try check(ActorCritic.Config.self) { $0.stepsPerEnv = 3; $0.optimizer = .adam; $0.valueLearningRate = 0.5 }
    try check(OffPolicyPG.Config.self) { $0.importanceClip = .infinity; $0.perDecision = false; $0.reuseBatches = 7 }
    try check(A2C.Config.self) { $0.valueCoef = 0.25; $0.advantage = .nStep; $0.valueTarget = .monteCarlo }
    try check(NPG.Config.self) { $0.maxKL = 0.02; $0.cgIterations = 3; $0.cgDamping = 0.5 }
    try check(TRPO.Config.self) { $0.lineSearchSteps = 4; $0.backtrackRatio = 0.5; $0.totalEnvSteps = 1 << 40 }
    try check(PPO.Config.self) {
      $0.klPenalty = true; $0.klBeta = 3; $0.targetKL = 0.01; $0.sharedNetwork = true; $0.updateThreads = 2
      $0.normalizeRewards = true; $0.clipRewards = 5; $0.annealClipRange = true; $0.totalEnvSteps = 100
      $0.normalizationUpdate = .perSegment; $0.vtraceRhoBar = 2; $0.vtraceCBar = 0.5
    }
  }

  /// Fields added after files were written (normalization_update and the
  /// V-trace bars) take their defaults when a section lacks them.
  @Test func fieldsAddedLaterDefaultWhenMissing() throws {
    var c = PPO.Config()
    c.gamma = 0.9
    var r = ConfigRecord.encode(c)
    for name in ["normalization_update", "vtrace_rho_bar", "vtrace_c_bar"] { r.remove(name) }
    let back = try ConfigRecord.decode(RecordReader(r, context: "old file"), as: PPO.Config.self)
    #expect(back.gamma == 0.9 && back.normalizationUpdate == .perStep && back.vtraceRhoBar == 1 && back.vtraceCBar == 1)
    #expect(refusal { $0.set("vtrace_c_bar", .double(0)) }.contains("vtrace_c_bar must be finite and > 0"))
    #expect(refusal { $0.set("normalization_update", .int(2)) }.contains("'normalization_update' has the unknown value 2"))
  }

  func refusal(_ change: (inout Record) -> Void) -> String {
    var r = ConfigRecord.encode(PPO.Config())
    change(&r)
    do {
      _ = try ConfigRecord.decode(RecordReader(r, context: "f: config"), as: PPO.Config.self)
      return "accepted"
    } catch {
      return error.code == .badFormat ? error.message : "code \(error.code)"
    }
  }

  @Test func badFieldsAreRefusedByName() {
    #expect(refusal { $0.remove("gamma"); $0.remove("epochs") }.contains("missing config field(s) 'gamma', 'epochs'"))
    #expect(refusal { $0.set("momentum", .double(0.9)) }.contains("unknown config field(s) 'momentum'"))
    #expect(refusal { $0.set("gamma", .int(1)) }.contains("field 'gamma' is an int, expected a double"))
    #expect(refusal { $0.set("optimizer", .int(7)) }.contains("field 'optimizer' has the unknown value 7"))
    #expect(refusal { $0.set("gamma", .double(1.5)) }.contains("gamma must be in [0, 1], got 1.5"))
    #expect(refusal { $0.set("version", .int(2)) }.contains("the config section has version 2"))
    #expect(refusal { $0.set("n_steps", .int(1 << 40)) }.contains("field 'n_steps' is 1099511627776, outside"))
    #expect(refusal { _ in } == "accepted")
  }
}
