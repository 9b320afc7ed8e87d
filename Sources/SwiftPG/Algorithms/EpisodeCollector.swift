/// Whole episodes gathered from a batched environment, concatenated in the
/// order they finished. Step arrays have one entry per transition.
public struct EpisodeBatch: Sendable {
  public var observationSize: Int
  /// `[M, observationSize]`: the observation each action was taken in.
  public var observations: [Double] = []
  /// Discrete actions `[M]` (empty for continuous action spaces).
  public var actions: [Int32] = []
  /// Continuous actions `[M, width]` (empty for discrete action spaces).
  public var continuousActions: [Double] = []
  public var rewards: [Double] = []
  /// 1 on the last step of an episode that terminated.
  public var terminated: [UInt8] = []
  /// 1 on the last step of an episode cut by the time limit.
  public var truncated: [UInt8] = []
  /// Undiscounted return and length of each episode.
  public var episodeReturns: [Double] = []
  public var episodeLengths: [Int] = []

  public init(observationSize: Int) { self.observationSize = observationSize }

  /// Number of transitions M.
  public var count: Int { rewards.count }

  public mutating func removeAll() {
    observations.removeAll(keepingCapacity: true)
    actions.removeAll(keepingCapacity: true)
    continuousActions.removeAll(keepingCapacity: true)
    rewards.removeAll(keepingCapacity: true)
    terminated.removeAll(keepingCapacity: true)
    truncated.removeAll(keepingCapacity: true)
    episodeReturns.removeAll(keepingCapacity: true)
    episodeLengths.removeAll(keepingCapacity: true)
  }
}

/// Runs a batched environment (discrete or continuous actions) until a set
/// of whole episodes is complete.
///
/// Unbiased stopping: whether an instance starts another episode depends
/// only on what was collected before that moment, and every started episode
/// is completed, so long episodes are not cut off (cutting them would favour
/// short ones).
public final class EpisodeCollector {
  public enum Budget: Sendable {
    /// Start episodes while fewer than this many transitions were collected
    /// (finished plus in progress).
    case steps(Int)
    /// Start exactly this many episodes.
    case episodes(Int)
  }

  public let env: any BatchedEnvironment
  private var buffers: StepBuffers
  private let width: Int
  private let discrete: Bool
  private var intActions: [Int32]
  private var realActions: [Double]
  private var episodeObs: [[Double]]
  /// Actions as Doubles (exact for Int32 action indices).
  private var episodeActions: [[Double]]
  private var episodeRewards: [[Double]]
  private var active: [Bool]
  private var startIndex: [Int]

  public init(env: any BatchedEnvironment) throws(SwiftPGError) {
    self.env = env
    width = env.actionSpace.width
    if case .discrete = env.actionSpace { discrete = true } else { discrete = false }
    buffers = StepBuffers(for: env)
    intActions = Array(repeating: 0, count: env.count)
    realActions = Array(repeating: 0, count: env.count * width)
    episodeObs = Array(repeating: [], count: env.count)
    episodeActions = Array(repeating: [], count: env.count)
    episodeRewards = Array(repeating: [], count: env.count)
    active = Array(repeating: false, count: env.count)
    startIndex = Array(repeating: 0, count: env.count)
  }

  /// Resets the environment (reseeding it if `seed` is given) and collects
  /// episodes into `batch` (cleared first). `act` writes one action per
  /// instance for the observations `[N, observationSize]`.
  /// With `.episodes(k)` the episodes are stored in the order they started.
  /// Discrete environments only (see the raw-action variant).
  public func collect(
    _ budget: Budget, seed: UInt64? = nil, into batch: inout EpisodeBatch,
    act: (UnsafePointer<Double>, UnsafeMutablePointer<Int32>) -> Void
  ) {
    collect(budget, seed: seed, into: &batch) { (obs: UnsafePointer<Double>, raw: UnsafeMutableRawPointer) in
      act(obs, raw.assumingMemoryBound(to: Int32.self))
    }
  }

  /// As above for any action space: `act` writes `count × width` actions,
  /// `Int32` (discrete) or `Double` (continuous), to the raw buffer.
  public func collect(
    _ budget: Budget, seed: UInt64? = nil, into batch: inout EpisodeBatch,
    act: (UnsafePointer<Double>, UnsafeMutableRawPointer) -> Void
  ) {
    let w = width
    let n = env.count
    let d = env.observationSize
    batch.removeAll()
    env.reset(seed: seed, into: &buffers)
    var started = 0
    var inProgress = 0
    var collected = 0
    func mayStart() -> Bool {
      switch budget {
      case .steps(let k): collected + inProgress < k
      case .episodes(let k): started < k
      }
    }
    var ordered: [(start: Int, obs: [Double], actions: [Double], rewards: [Double], term: Bool, trunc: Bool)] = []
    for i in 0..<n {
      episodeObs[i].removeAll(keepingCapacity: true)
      episodeActions[i].removeAll(keepingCapacity: true)
      episodeRewards[i].removeAll(keepingCapacity: true)
      active[i] = mayStart()
      if active[i] {
        startIndex[i] = started
        started += 1
      }
    }
    var activeCount = active.filter { $0 }.count
    while activeCount > 0 {
      buffers.observations.withUnsafeBufferPointer { o in
        intActions.withUnsafeMutableBufferPointer { ia in
          realActions.withUnsafeMutableBufferPointer { ra in
            guard let op = o.baseAddress, let iap = ia.baseAddress, let rap = ra.baseAddress else { return }
            act(op, discrete ? UnsafeMutableRawPointer(iap) : UnsafeMutableRawPointer(rap))
          }
        }
      }
      // Record the observations the actions were taken in, then step.
      for i in 0..<n where active[i] {
        episodeObs[i].append(contentsOf: buffers.observations[(i * d)..<((i + 1) * d)])
        if discrete {
          episodeActions[i].append(Double(intActions[i]))
        } else {
          episodeActions[i].append(contentsOf: realActions[(i * w)..<((i + 1) * w)])
        }
      }
      do throws(SwiftPGError) {
        if discrete { try env.step(actions: intActions, into: &buffers) } else {
          try env.step(actions: realActions, into: &buffers)
        }
      } catch {
        // Actions come from a policy with the same action count; an invalid
        // one means a bug. Stop collecting rather than loop forever.
        return
      }
      for i in 0..<n where active[i] {
        episodeRewards[i].append(buffers.rewards[i])
        inProgress += 1
        let term = buffers.terminated[i] != 0
        let trunc = buffers.truncated[i] != 0
        guard term || trunc else { continue }
        let length = episodeRewards[i].count
        inProgress -= length
        collected += length
        switch budget {
        case .steps:
          append(&batch, obs: episodeObs[i], actions: episodeActions[i], rewards: episodeRewards[i], term: term, trunc: trunc)
        case .episodes:
          ordered.append((startIndex[i], episodeObs[i], episodeActions[i], episodeRewards[i], term, trunc))
        }
        episodeObs[i].removeAll(keepingCapacity: true)
        episodeActions[i].removeAll(keepingCapacity: true)
        episodeRewards[i].removeAll(keepingCapacity: true)
        if mayStart() {
          startIndex[i] = started
          started += 1
        } else {
          active[i] = false
          activeCount -= 1
        }
      }
    }
    ordered.sort { $0.start < $1.start }
    for e in ordered {
      append(&batch, obs: e.obs, actions: e.actions, rewards: e.rewards, term: e.term, trunc: e.trunc)
    }
  }

  private func append(
    _ batch: inout EpisodeBatch, obs: [Double], actions: [Double], rewards: [Double], term: Bool, trunc: Bool
  ) {
    batch.observations.append(contentsOf: obs)
    if discrete {
      for a in actions { batch.actions.append(Int32(a)) }
    } else {
      batch.continuousActions.append(contentsOf: actions)
    }
    batch.rewards.append(contentsOf: rewards)
    for t in 0..<rewards.count {
      let last = t == rewards.count - 1
      batch.terminated.append(last && term ? 1 : 0)
      batch.truncated.append(last && trunc ? 1 : 0)
    }
    batch.episodeReturns.append(rewards.reduce(0, +))
    batch.episodeLengths.append(rewards.count)
  }
}
