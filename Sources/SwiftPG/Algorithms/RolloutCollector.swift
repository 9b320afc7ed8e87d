/// Runs N lanes of a batched environment for T steps per call, continuing
/// episodes across calls (fixed-length segments, PPO/A2C style), recording
/// actions, log β(a|s), rewards, flags and final observations. Observation
/// normalisation (and reward scaling by the running std of the discounted
/// return, SB3's VecNormalize) is applied to what is stored, statistics
/// updated as the data arrive; episode statistics use the raw rewards.
public final class RolloutCollector {
  public let env: any BatchedEnvironment
  private let obsBuffer = Store<Double>()
  private let rewardBuffer = Store<Double>()
  private let terminatedBuffer = Store<UInt8>()
  private let truncatedBuffer = Store<UInt8>()
  private let finalBuffer = Store<Double>()
  private var started = false
  private var runningReturn: [Double]
  private var runningLength: [Int]
  var discountedReturn: [Double]
  private let normalized = Store<Double>()
  private let actionBuffer: UnsafeMutableRawPointer
  private let lanes: Int

  public init(env: any BatchedEnvironment) {
    self.env = env
    lanes = env.count
    obsBuffer.reserve(env.count * env.observationSize)
    rewardBuffer.reserve(env.count)
    terminatedBuffer.reserve(env.count)
    truncatedBuffer.reserve(env.count)
    finalBuffer.reserve(env.count * env.observationSize)
    runningReturn = Array(repeating: 0, count: env.count)
    runningLength = Array(repeating: 0, count: env.count)
    discountedReturn = Array(repeating: 0, count: env.count)
    actionBuffer = .allocate(
      byteCount: Swift.max(8, env.count * env.actionSpace.width * 8), alignment: 8)
  }

  deinit { actionBuffer.deallocate() }

  /// Starts over: resets the environment (reseeded when `seed` is given).
  public func restart(seed: UInt64?) {
    if let seed { env.reseed(seed) }
    env.reset(observations: obsBuffer.pointer)
    for i in 0..<lanes {
      runningReturn[i] = 0
      runningLength[i] = 0
      discountedReturn[i] = 0
    }
    started = true
  }

  /// What continues the episodes in progress exactly (checkpoints): whether
  /// collection started, each lane's running return, length and discounted
  /// return (reward scaling), and the observations the next step acts on
  /// (they carry observation noise, which the state cannot reproduce; nil
  /// in files written before they were saved: re-observed from the state).
  public struct State: Sendable, Equatable {
    public var started: Bool
    public var runningReturn: [Double]
    public var runningLength: [Int]
    public var discountedReturn: [Double]
    public var observations: [Double]? = nil
  }

  public var state: State {
    State(
      started: started, runningReturn: runningReturn, runningLength: runningLength,
      discountedReturn: discountedReturn,
      observations: started ? Array(UnsafeBufferPointer(start: obsBuffer.pointer, count: env.count * env.observationSize))
        : nil)
  }

  /// Restores a saved state (arrays of one entry per lane) after the
  /// environment's own state was restored: the current observations are the
  /// saved ones, or read back from the state.
  func restore(_ s: State) {
    started = s.started
    runningReturn = s.runningReturn
    runningLength = s.runningLength
    discountedReturn = s.discountedReturn
    guard started else { return }
    if let o = s.observations, o.count == env.count * env.observationSize {
      obsBuffer.pointer.update(from: o, count: o.count)
    } else {
      env.observe(into: obsBuffer.pointer)
    }
  }

  /// Observation rows as the policy sees them (normalised copy if asked).
  private func view(
    _ raw: UnsafePointer<Double>, rows: Int, normalizer: RunningMeanStd?, clip: Double
  ) -> UnsafePointer<Double> {
    guard let normalizer else { return raw }
    let d = env.observationSize
    let out = normalized.reserve(rows * d)
    out.update(from: raw, count: rows * d)
    normalizer.normalize(out, rows: rows, clip: clip)
    return UnsafePointer(out)
  }

  /// Collects `steps` steps of every lane into `data` with actions from
  /// `policy`, lane i sampling with `generators[i]`. Returns false if the environment rejected an action
  /// (non-finite continuous actions from a diverged policy).
  ///
  /// `frozen` (a rollout worker of a distributed run): the policy sees
  /// observations normalised with `observationNormalizer` as it is, which
  /// is not updated, and `data` receives the raw observations (also final
  /// and next ones) and raw rewards — the learner normalises and scales
  /// them where its statistics live (`LearnerCore.normalizeExternal`).
  public func collect(
    steps: Int, policy: any Policy, generators: UnsafeMutablePointer<PCG64>, into data: Trajectories,
    observationNormalizer: inout RunningMeanStd?, rewardScaler: inout RunningMeanStd?,
    gamma: Double, clipObservations: Double, clipRewards: Double, frozen: Bool = false
  ) -> Bool {
    if !started { restart(seed: nil) }
    let n = lanes
    let d = env.observationSize
    let w = env.actionSpace.width
    data.resize(steps: steps, lanes: n)
    let obs = obsBuffer.pointer
    let rew = rewardBuffer.pointer
    let term = terminatedBuffer.pointer
    let trunc = truncatedBuffer.pointer
    let fin = finalBuffer.pointer
    for t in 0..<steps {
      if !frozen { observationNormalizer?.update(obs, rows: n) }
      let x = view(obs, rows: n, normalizer: observationNormalizer, clip: clipObservations)
      let row = t * n
      (data.observations.pointer + row * d).update(from: frozen ? UnsafePointer(obs) : x, count: n * d)
      // One forward pass: lane i's action from its own stream, and log β(a|s).
      policy.sample(
        x, batch: n, rawActions: actionBuffer, generators: generators,
        logProbabilities: data.behaviorLogProbs.pointer + row)
      if data.isDiscrete {
        (data.discreteActions.pointer + row).update(
          from: actionBuffer.assumingMemoryBound(to: Int32.self), count: n)
      } else {
        (data.continuousActions.pointer + row * w).update(
          from: actionBuffer.assumingMemoryBound(to: Double.self), count: n * w)
      }
      do throws(SwiftPGError) { try env.validateActions(UnsafeRawPointer(actionBuffer)) } catch {
        return false
      }
      env.step(
        actions: UnsafeRawPointer(actionBuffer), observations: obs, rewards: rew, terminated: term,
        truncated: trunc, finalObservations: fin)
      for i in 0..<n {
        let k = row + i
        data.terminated[k] = term[i]
        data.truncated[k] = trunc[i]
        runningReturn[i] += rew[i]
        runningLength[i] += 1
        if term[i] != 0 || trunc[i] != 0 {
          data.episodeReturns.append(runningReturn[i])
          data.episodeLengths.append(runningLength[i])
          data.episodeTerminated.append(term[i] != 0)
          runningReturn[i] = 0
          runningLength[i] = 0
        }
      }
      // Rewards: raw, or scaled by the std of the discounted return.
      if rewardScaler != nil && !frozen {
        for i in 0..<n { discountedReturn[i] = discountedReturn[i] * gamma + rew[i] }
        discountedReturn.withUnsafeBufferPointer { dr in
          if let base = dr.baseAddress { rewardScaler?.update(base, rows: n) }
        }
        let s = 1 / ((rewardScaler?.variance[0] ?? 1) + 1e-8).squareRoot()
        for i in 0..<n {
          data.rewards[row + i] = Swift.min(Swift.max(rew[i] * s, -clipRewards), clipRewards)
          if term[i] != 0 || trunc[i] != 0 { discountedReturn[i] = 0 }
        }
      } else {
        (data.rewards.pointer + row).update(from: rew, count: n)
      }
      // Final observations of truncated episodes (for bootstrapping).
      for i in 0..<n where trunc[i] != 0 && term[i] == 0 {
        let fx =
          frozen
          ? UnsafePointer(fin + i * d)
          : view(fin + i * d, rows: 1, normalizer: observationNormalizer, clip: clipObservations)
        (data.finalObservations.pointer + (row + i) * d).update(from: fx, count: d)
      }
    }
    let x = frozen ? UnsafePointer(obs) : view(obs, rows: n, normalizer: observationNormalizer, clip: clipObservations)
    data.nextObservations.pointer.update(from: x, count: n * d)
    return true
  }
}
