import Testing

@testable import SwiftPG

/// True when `a` and `b` have the same length and agree within `tolerance`
/// relative to max(1, |b|) element by element (the environment tests'
/// comparison with golden trajectories printed to 15–17 digits).
func isClose(_ a: [Double], _ b: [Double], _ tolerance: Double = 1e-14) -> Bool {
  a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= tolerance * Swift.max(1, abs($1)) }
}

/// What `goldenSteps` records after each step: the state, the reward and
/// the terminated flag.
struct GoldenSteps {
  var states: [[Double]] = []
  var rewards: [Double] = []
  var terminated: [UInt8] = []
}

/// One instance of `dynamics` (seed 0) set to `state` and stepped with one
/// action per step: the golden trajectories the environments check against
/// Gymnasium.
func goldenSteps<D: EnvironmentDynamics>(_ dynamics: D, from state: [Double], actions: [Int32]) throws -> GoldenSteps
where D.Action == Int32 {
  try goldenSteps(dynamics, from: state, count: actions.count) { (env, i, b) in
    try env.step(actions: [actions[i]], into: &b)
  }
}

/// `goldenSteps` with continuous actions.
func goldenSteps<D: EnvironmentDynamics>(_ dynamics: D, from state: [Double], actions: [Double]) throws -> GoldenSteps
where D.Action == Double {
  try goldenSteps(dynamics, from: state, count: actions.count) { (env, i, b) in
    try env.step(actions: [actions[i]], into: &b)
  }
}

private func goldenSteps<D: EnvironmentDynamics>(
  _ dynamics: D, from state: [Double], count: Int,
  step: (VectorEnvironment<D>, Int, inout StepBuffers) throws -> Void
) throws -> GoldenSteps {
  let env = try VectorEnvironment(dynamics, count: 1, seed: 0)
  try env.setStates(state)
  var b = StepBuffers(for: env)
  var run = GoldenSteps()
  for i in 0..<count {
    try step(env, i, &b)
    run.states.append(env.states())
    run.rewards.append(b.rewards[0])
    run.terminated.append(b.terminated[0])
  }
  return run
}

/// A toy dynamics for the batch kernels: the state adds the action to a
/// count, the reward is the new count, reaching `goal` terminates; the
/// observation is [count, scale] with `scale` a randomisable parameter.
struct Counter: EnvironmentDynamics {
  struct State: Sendable, Equatable { var count: Double }
  typealias Action = Int32

  static let id = "Counter-v0"
  static let stateSize = 1
  var observationSize: Int { 2 }
  var maxEpisodeSteps = 5
  var horizon = false
  var horizonTerminates: Bool { horizon }
  var goal = 3.0
  var scale = 1.0

  var actionSpace: ActionSpace { .discrete(2) }
  var observationLow: [Double] { [0, 0] }
  var observationHigh: [Double] { [10, 10] }
  static let parameterNames = ["scale"]
  func parameter(_ index: Int) -> Double { index == 0 ? scale : .nan }
  mutating func setParameter(_ index: Int, _ value: Double) { if index == 0 { scale = value } }

  func initialState(using rng: inout PCG64) -> State { State(count: 0) }
  func step(_ s: inout State, action: UnsafePointer<Int32>, using rng: inout PCG64) -> (reward: Double, terminated: Bool) {
    s.count += Double(action.pointee)
    return (s.count, s.count >= goal)
  }
  func observe(_ s: State, into out: UnsafeMutablePointer<Double>) {
    out[0] = s.count
    out[1] = scale
  }
  func load(_ c: UnsafePointer<Double>, _ i: Int, stride n: Int) -> State { State(count: c[i]) }
  func store(_ s: State, _ c: UnsafeMutablePointer<Double>, _ i: Int, stride n: Int) { c[i] = s.count }
}

/// The batch kernels written once for every environment: time limit,
/// same-step autoreset, final observations and states, parameter draws.
@Suite struct EnvironmentDynamicsTests {
  func finals(_ env: VectorEnvironment<Counter>) -> (states: [Double], steps: [Int32], elapsed: [Int32]) {
    var s = [Double](repeating: .nan, count: env.count)
    var f = [Int32](repeating: -1, count: env.count)
    var e = [Int32](repeating: -1, count: env.count)
    env.getFinalStates(&s)
    env.finalElapsedSteps(into: &f)
    env.elapsedSteps(into: &e)
    return (s, f, e)
  }

  /// Instance 0 counts 1, 2, 3 and terminates on step 3; instance 1 never
  /// moves and is truncated by the 5-step limit.
  @Test func terminationTruncationAndSameStepReset() throws {
    let env = try VectorEnvironment(Counter(), count: 2, seed: 0)
    var b = StepBuffers(for: env)
    env.reset(into: &b)
    for t in 1...5 {
      try env.step(actions: [1, 0] as [Int32], into: &b)
      let f = finals(env)
      switch t {
      case 3:
        #expect(b.rewards == [3, 0] && b.terminated == [1, 0] && b.truncated == [0, 0])
        #expect(b.finalObservations == [3, 1, 0, 0] && b.observations == [0, 1, 0, 1])
        #expect(f.states == [3, 0] && f.steps == [3, 0] && f.elapsed == [0, 3])
      case 5:
        #expect(b.terminated == [0, 0] && b.truncated == [0, 1])
        #expect(b.finalObservations == [0, 0, 0, 1] && f.steps == [3, 5] && f.elapsed == [2, 0])
      default:
        #expect(b.terminated == [0, 0] && b.truncated == [0, 0] && b.finalObservations.allSatisfy { $0 == 0 })
      }
    }
  }

  /// A finite horizon ends as `terminated`; a step that terminates at the
  /// time limit reports both flags (as Gymnasium's TimeLimit does).
  @Test func horizonTerminatesAndBothFlags() throws {
    var finite = Counter()
    finite.horizon = true
    finite.maxEpisodeSteps = 2
    let env = try VectorEnvironment(finite, count: 1, seed: 0)
    var b = StepBuffers(for: env)
    try env.step(actions: [0] as [Int32], into: &b)
    try env.step(actions: [0] as [Int32], into: &b)
    #expect(b.terminated == [1] && b.truncated == [0])
    var limited = Counter()
    limited.maxEpisodeSteps = 3
    let both = try VectorEnvironment(limited, count: 1, seed: 0)
    var c = StepBuffers(for: both)
    for _ in 0..<3 { try both.step(actions: [1] as [Int32], into: &c) }
    #expect(c.terminated == [1] && c.truncated == [1])
  }

  /// Randomised parameters are drawn at every reset; the observation of a
  /// new episode shows the new value, the final observation the old one.
  @Test func parametersDrawnAtReset() throws {
    let env = try VectorEnvironment(Counter(), count: 3, seed: 2)
    try env.randomizeParameter("scale", low: 2, high: 3)
    var b = StepBuffers(for: env)
    env.reset(into: &b)
    var scales = [Double](repeating: 0, count: 3)
    try env.parameterValues("scale", into: &scales)
    #expect(scales.allSatisfy { (s: Double) -> Bool in s >= 2 && s <= 3 } && Set(scales).count == 3)
    let lanes = 0..<3
    #expect(lanes.allSatisfy { (i: Int) -> Bool in b.observations[2 * i + 1] == scales[i] })
    for _ in 0..<3 { try env.step(actions: [1, 1, 1] as [Int32], into: &b) }
    var redrawn = [Double](repeating: 0, count: 3)
    try env.parameterValues("scale", into: &redrawn)
    #expect(lanes.allSatisfy { (i: Int) -> Bool in b.finalObservations[2 * i + 1] == scales[i] })
    #expect(lanes.allSatisfy { (i: Int) -> Bool in b.observations[2 * i + 1] == redrawn[i] && redrawn[i] != scales[i] })
  }

  /// The default public state is the first `stateSize` storage columns
  /// (MountainCarContinuous keeps a dtype flag in a third one).
  @Test func defaultStateExportAndImport() {
    let d = MountainCarContinuous()
    var out = [Double](repeating: .nan, count: 2)
    d.exportState(.init(position: -0.5, velocity: 0.01, float32: true), into: &out)
    #expect(out == [-0.5, 0.01])
    #expect(d.importState([0.25, -0.02]) == .init(position: 0.25, velocity: -0.02, float32: false))
  }

  /// Parameter tables: names in order, values read and written through
  /// the key paths, the requirements' messages.
  @Test func parameterTables() throws {
    #expect(CartPole.parameterNames == [
      "gravity", "masscart", "masspole", "length", "force_mag", "tau", "sutton_barto_reward",
      "observation_noise", "action_delay",
    ])
    var cartPole = CartPole()
    cartPole.setParameter(6, 1)
    cartPole.setParameter(3, 0.75)
    cartPole.setParameter(99, 1)
    #expect(cartPole.suttonBartoReward && cartPole.length == 0.75 && cartPole.parameter(6) == 1)
    cartPole.setParameter(8, 2.5)
    #expect(cartPole.effects.actionDelay == 2.5 && cartPole.effects.delaySteps == 2 && cartPole.parameter(9).isNaN)
    #expect(CartPole.checkParameter(8, 65) != nil && CartPole.checkParameter(8, 64.9) == nil)
    #expect(CartPole.checkParameter(6, 0.5) == "must be 0 or 1" && CartPole.checkParameter(0, -9.8) == nil)
    #expect(Pendulum.checkParameter(0, -1) == "must be >= 0" && Pendulum.checkParameter(1, 0) == "must be > 0")
    #expect(SimpleRegulator.checkParameter(0, 1.5) == "must be in [0, 1]")
    #expect(Bandit.parameterNames.isEmpty && Bandit.checkParameter(0, 1) == nil)
  }

  /// Every parameter of every registered environment reads back what was set.
  @Test(arguments: EnvironmentRegistry.ids)
  func parametersRoundTrip(_ id: String) throws {
    let env = try EnvironmentRegistry.make(id, count: 2, seed: 0)
    for name in env.parameterNames where name != "max_episode_steps" {
      var before = [Double](repeating: .nan, count: 2)
      try env.parameterValues(name, into: &before)
      let value = name == "sutton_barto_reward" ? 1 - before[0] : name == "gamma" ? 0.5 : before[0] * 0.5 + 0.25
      try env.setParameter(name, value)
      var after = [Double](repeating: .nan, count: 2)
      try env.parameterValues(name, into: &after)
      #expect(after == [value, value], "\(id) \(name)")
    }
  }

  @Test func oneHotEncoding() {
    var out = [Double](repeating: 7, count: 4)
    oneHot(2, size: 4, into: &out)
    #expect(out == [0, 0, 1, 0])
    oneHot(4, size: 4, into: &out)
    #expect(out == [0, 0, 0, 0])
  }

  /// `step` returns how many instances ended; final rows of the others are 0.
  @Test func endedCountAndFinalRows() throws {
    let env = try VectorEnvironment(CartPole(), count: 8, seed: 2)
    var b = StepBuffers(for: env)
    b.finalObservations = Array(repeating: .nan, count: 32)
    var g = SplitMix64(seed: 3)
    var sawEnd = false
    for _ in 0..<200 {
      let actions = (0..<8).map { _ in Int32(g.next() & 1) }
      let ended = try b.observations.withUnsafeMutableBufferPointer { o in
        try b.rewards.withUnsafeMutableBufferPointer { r in
          try b.terminated.withUnsafeMutableBufferPointer { te in
            try b.truncated.withUnsafeMutableBufferPointer { tr in
              try b.finalObservations.withUnsafeMutableBufferPointer { f in
                try actions.withUnsafeBytes { a in
                  guard let ap = a.baseAddress, let op = o.baseAddress, let rp = r.baseAddress,
                    let tep = te.baseAddress, let trp = tr.baseAddress
                  else { throw SwiftPGError.invalid("empty buffer") }
                  try env.validateActions(ap)
                  return env.step(
                    actions: ap, observations: op, rewards: rp, terminated: tep, truncated: trp,
                    finalObservations: f.baseAddress)
                }
              }
            }
          }
        }
      }
      let flags = (0..<8).filter { b.terminated[$0] != 0 || b.truncated[$0] != 0 }
      #expect(ended == flags.count)
      sawEnd = sawEnd || ended > 0
      for i in 0..<8 where !flags.contains(i) {
        #expect(b.finalObservations[(4 * i)..<(4 * i + 4)].allSatisfy { $0 == 0 })
      }
    }
    #expect(sawEnd)
  }
}
