import Testing

@testable import SwiftPG

/// The storage, seeding, threading, validation and parameters shared by
/// every environment.
@Suite struct VectorEnvironmentTests {
  @Test func parametersAreValidatedAndApplied() throws {
    let env = try VectorEnvironment(CartPole(), count: 3, seed: 0)
    #expect(throws: SwiftPGError.self) { try env.setParameter("masspole", -1) }
    #expect(throws: SwiftPGError.self) { try env.setParameter("nope", 1) }
    #expect(throws: SwiftPGError.self) { try env.randomizeParameter("length", low: 2, high: 1) }
    try env.setParameter("length", 0.75)
    var values = [Double](repeating: 0, count: 3)
    try env.parameterValues("length", into: &values)
    #expect(values == [0.75, 0.75, 0.75])
    try env.randomizeParameter("length", low: 0.4, high: 0.6)
    var b = StepBuffers(for: env)
    env.reset(into: &b)
    try env.parameterValues("length", into: &values)
    #expect(values.allSatisfy { $0 >= 0.4 && $0 <= 0.6 } && Set(values).count == 3)
    #expect(env.randomizedParameters.map(\.name) == ["length"])
    // Setting a parameter stops randomising it.
    try env.setParameter("length", 0.5)
    #expect(env.randomizedParameters.isEmpty)
  }

  /// Physical parameters are 0 or of magnitude in [1e-6, 1e6]; states at
  /// most 1e6 in magnitude (beyond that the dynamics overflow).
  @Test func magnitudesAreBounded() throws {
    let env = try VectorEnvironment(CartPole(), count: 1, seed: 0)
    #expect(throws: SwiftPGError.self) { try env.setParameter("gravity", 1e-7) }
    #expect(throws: SwiftPGError.self) { try env.setParameter("gravity", 2e6) }
    #expect(throws: SwiftPGError.self) { try env.setParameter("gravity", .nan) }
    try env.setParameter("gravity", 0)
    try env.setParameter("gravity", -1e6)
    #expect(throws: SwiftPGError.self) { try env.setStates([0, 0, 0, 1.5e6]) }
    try env.setStates([0, 0, 0, -1e6])
  }

  /// `max_episode_steps` is every environment's last parameter: a whole
  /// number ≥ 0 (0: no limit), never randomised.
  @Test func timeLimitParameter() throws {
    let env = try VectorEnvironment(Pendulum(), count: 1, seed: 0)
    #expect(env.parameterNames.last == "max_episode_steps")
    #expect(throws: SwiftPGError.self) { try env.setParameter("max_episode_steps", 2.5) }
    #expect(throws: SwiftPGError.self) { try env.setParameter("max_episode_steps", -1) }
    #expect(throws: SwiftPGError.self) { try env.randomizeParameter("max_episode_steps", low: 1, high: 5) }
    try env.setParameter("max_episode_steps", 2)
    var b = StepBuffers(for: env)
    try env.step(actions: [0.0], into: &b)
    try env.step(actions: [0.0], into: &b)
    #expect(b.truncated == [1] && env.maxEpisodeSteps == 2)
    try env.setParameter("max_episode_steps", 0)
    for _ in 0..<300 {
      try env.step(actions: [0.0], into: &b)
      #expect(b.truncated == [0])
    }
  }

  /// Instance i of a batch seeded s behaves exactly like a batch of one seeded s + i.
  @Test func batchSplitDoesNotChangeResults() throws {
    let n = 5
    let big = try VectorEnvironment(CartPole(), count: n, seed: 100)
    let singles = try (0..<n).map { try VectorEnvironment(CartPole(), count: 1, seed: 100 + UInt64($0)) }
    var bb = StepBuffers(for: big)
    var sb = singles.map { StepBuffers(for: $0) }
    var g = SplitMix64(seed: 9)
    for _ in 0..<700 {
      let actions = (0..<n).map { _ in Int32(g.next() & 1) }
      try big.step(actions: actions, into: &bb)
      for i in 0..<n {
        try singles[i].step(actions: [actions[i]], into: &sb[i])
        #expect(Array(bb.observations[(4 * i)..<(4 * i + 4)]) == sb[i].observations)
        #expect(bb.terminated[i] == sb[i].terminated[0])
        #expect(bb.truncated[i] == sb[i].truncated[0])
      }
    }
  }

  /// Stepping on worker threads (chunks of instances) gives bit-identical
  /// results; the thread count is clamped to [1, 64].
  @Test func threadsDoNotChangeResults() throws {
    func run(threads: Int) throws -> [Double] {
      let env = try VectorEnvironment(Acrobot(), count: 512, seed: 11)
      env.threadCount = threads
      try env.setParameter("max_episode_steps", 20)
      var b = StepBuffers(for: env)
      var g = SplitMix64(seed: 4)
      var trace: [Double] = []
      for _ in 0..<40 {
        try env.step(actions: (0..<512).map { _ in Int32(g.next() % 3) }, into: &b)
        trace += b.observations + b.rewards + b.finalObservations + b.truncated.map(Double.init)
      }
      return trace
    }
    #expect(try run(threads: 2) == run(threads: 1))
    let env = try VectorEnvironment(Acrobot(), count: 1, seed: 0)
    env.threadCount = 0
    #expect(env.threadCount == 1)
    env.threadCount = 1000
    #expect(env.threadCount == WorkerPool.maxThreads)
  }

  /// Parameter draws use their own generators: the states are the same
  /// with and without randomisation; reseeding replays the start states.
  @Test func seedingStreams() throws {
    let plain = try VectorEnvironment(CartPole(), count: 4, seed: 21)
    let randomized = try VectorEnvironment(CartPole(), count: 4, seed: 21)
    try randomized.randomizeParameter("masspole", low: 0.05, high: 0.2)
    var b = StepBuffers(for: plain)
    var c = StepBuffers(for: randomized)
    plain.reset(into: &b)
    randomized.reset(into: &c)
    #expect(b.observations == c.observations)
    let start = try VectorEnvironment(CartPole(), count: 4, seed: 33).states()
    plain.reset(seed: 33, into: &b)
    #expect(plain.states() == start && b.observations == start)
    #expect(plain.generator(4) == nil && plain.instance(-1) == nil && plain.instance(3) != nil)
  }

  /// Instance i seeded s draws its states from `PCG64(seed: s + i)` and its
  /// parameters from the SeedSequence entropy words of s + i followed by 1.
  @Test func generatorsOfEachInstance() throws {
    let env = try VectorEnvironment(Counter(), count: 3, seed: 40)
    try env.randomizeParameter("scale", low: 2, high: 4)
    var b = StepBuffers(for: env)
    env.reset(seed: 40, into: &b)
    var scales = [Double](repeating: 0, count: 3)
    try env.parameterValues("scale", into: &scales)
    for i in 0..<3 {
      var g = PCG64(seedWords: SeedSequence.words(of: UInt128(40 + i)) + [1])
      #expect(scales[i] == 2 + 2 * g.nextUnitDouble())
      // Counter's start state draws nothing: the state generator is untouched.
      #expect(env.generator(i) == PCG64(seed: UInt128(40 + i)))
    }
  }

  @Test func invalidActionChangesNothing() throws {
    let env = try VectorEnvironment(CartPole(), count: 3, seed: 1)
    var b = StepBuffers(for: env)
    let before = env.states()
    #expect(throws: SwiftPGError.self) { try env.step(actions: [0, 2, 1] as [Int32], into: &b) }
    #expect(throws: SwiftPGError.self) { try env.step(actions: [0, -1, 1] as [Int32], into: &b) }
    #expect(throws: SwiftPGError.self) { try env.step(actions: [0, 1] as [Int32], into: &b) }
    #expect(env.states() == before)
    let pendulum = try VectorEnvironment(Pendulum(), count: 2, seed: 1)
    var p = StepBuffers(for: pendulum)
    #expect(throws: SwiftPGError.self) { try pendulum.step(actions: [0, .nan], into: &p) }
    #expect(throws: SwiftPGError.self) { try pendulum.step(actions: [.infinity, 0], into: &p) }
  }

  @Test func nonFiniteStatesAreRefused() throws {
    let env = try VectorEnvironment(CartPole(), count: 2, seed: 1)
    let before = env.states()
    #expect(throws: SwiftPGError.self) { try env.setStates([0, 0, 0, 0, 0, .nan, 0, 0]) }
    #expect(env.states() == before)
  }

  @Test func sizeLimits() {
    #expect(throws: SwiftPGError.self) { try VectorEnvironment(CartPole(), count: 0, seed: 0) }
    #expect(throws: SwiftPGError.self) { try VectorEnvironment(CartPole(), count: -5, seed: 0) }
    #expect(throws: SwiftPGError.self) { try VectorEnvironment(CartPole(), count: 1 << 30, seed: 0) }
  }
}

/// Next-step autoreset (Gymnasium's NEXT_STEP) against the same batch in
/// same-step mode, its record, and the learners' refusal.
@Suite struct NextStepAutoresetTests {
  @Test func anEndedEpisodeResetsOnTheNextStepWithTheSameStartAsSameStepMode() throws {
    // One instance in each mode, the same seed and actions; `same` skips the
    // step that `next` spends on its reset, so both run the same episodes.
    let same = try VectorEnvironment(CartPole(), count: 1, seed: 9)
    let next = try VectorEnvironment(CartPole(), count: 1, seed: 9)
    next.setAutoresetMode(.nextStep)
    var a = StepBuffers(for: same)
    var b = StepBuffers(for: next)
    same.reset(into: &a)
    next.reset(into: &b)
    #expect(a.observations == b.observations)
    var waiting = false
    var resets = 0
    var startAfterEnd: [Double] = []
    for t in 0..<2000 {
      let action = [Int32((t / 3) % 2)]
      if !waiting { try same.step(actions: action, into: &a) }
      try next.step(actions: action, into: &b)
      if waiting {  // the reset step: same-step mode's first observation, reward 0, no flags
        #expect(b.observations == startAfterEnd && b.rewards == [0] && b.terminated == [0] && b.truncated == [0])
        waiting = false
        resets += 1
        continue
      }
      #expect(b.rewards == a.rewards && b.terminated == a.terminated && b.truncated == a.truncated)
      if b.terminated[0] == 1 || b.truncated[0] == 1 {
        // The final observation (also in final_observations), not the next episode's first.
        #expect(b.observations == a.finalObservations && b.finalObservations == a.finalObservations)
        startAfterEnd = a.observations
        waiting = true
      } else {
        #expect(b.observations == a.observations)
      }
    }
    #expect(resets >= 10)
  }

  @Test func theModeAndWaitingInstancesSurviveTheRecord() throws {
    let env = try VectorEnvironment(CartPole(), count: 2, seed: 1)
    env.setAutoresetMode(.nextStep)
    var buffers = StepBuffers(for: env)
    env.reset(into: &buffers)
    var t = 0
    while buffers.terminated[0] == 0 && t < 500 {
      try env.step(actions: [Int32(1), 0], into: &buffers)
      t += 1
    }
    let copy = try #require(try EnvironmentRecord.deserialize(try EnvironmentRecord.serialize(env)) as? VectorEnvironment<CartPole>)
    #expect(copy.autoresetMode == .nextStep)
    var other = StepBuffers(for: copy)
    try env.step(actions: [Int32(0), 1], into: &buffers)
    try copy.step(actions: [Int32(0), 1], into: &other)
    #expect(buffers.observations == other.observations && buffers.rewards == other.rewards)
    #expect(buffers.rewards[0] == 0)  // instance 0 was waiting: this step reset it
  }

  @Test func learnersAndCollectorsRefuseANextStepBatch() throws {
    let env = try VectorEnvironment(CartPole(), count: 2, seed: 1)
    env.setAutoresetMode(.nextStep)
    #expect(throws: SwiftPGError.self) { try requireSameStepAutoreset(env) }
    let collector = try EpisodeCollector(env: env)
    var batch = EpisodeBatch(observationSize: 4)
    #expect(throws: SwiftPGError.self) {
      try collector.collect(.episodes(1), into: &batch) { (_: UnsafePointer<Double>, a: UnsafeMutablePointer<Int32>) in
        a[0] = 0
        a[1] = 0
      }
    }
    env.setAutoresetMode(.sameStep)
    try requireSameStepAutoreset(env)
  }
}
