/// The batched environment for any `EnvironmentDynamics`: owns the storage of
/// N instances (states in structure-of-arrays layout, one numpy-compatible
/// PCG64 per instance, a per-instance step counter for the time limit, one
/// dynamics value per instance) and runs the dynamics' batch kernels on it.
///
/// Seeding: instance i of a batch seeded with s uses `PCG64(seed: s + i)`
/// for its states (Gymnasium's `reset(seed=s+i)`), and a second generator
/// with entropy (s + i, 1) for randomised parameters.
///
/// - Complexity: `step` is O(N) with no allocation.
public final class VectorEnvironment<D: EnvironmentDynamics>: BatchedEnvironment {
  public let count: Int
  public var id: String { dynamics[0].environmentID }
  public var observationSize: Int { dynamics[0].observationSize }
  /// The physics state plus, with action delay, the last
  /// `actionDelayCapacity` actions given (most recent first).
  public var stateSize: Int { D.stateSize + historyColumns }
  /// The most steps `action_delay` may take in this environment (K of
  /// `PhysicsEffects`; 0: no delay, no history in the state).
  public private(set) var actionDelayCapacity = 0
  /// Actions scalars of history per instance.
  var historySize: Int { actionDelayCapacity * actionSpace.width }
  /// The history block of a public state: the actions and the started flag.
  var historyColumns: Int { actionDelayCapacity > 0 ? historySize + 1 : 0 }
  /// 1 where the running episode's history holds its actions; 0 where the
  /// next step fills it (a new episode); nil without delay.
  private(set) var historyStarted: UnsafeMutablePointer<UInt8>?
  /// [count][capacity][action width] `D.Action` values, and their copy at
  /// the end of each instance's last episode; nil without delay.
  private(set) var history: UnsafeMutablePointer<D.Action>?
  private(set) var finalHistory: UnsafeMutablePointer<D.Action>?
  /// Index of the `action_delay` parameter (nil: no effects).
  let delayIndex = D.parameterNames.firstIndex(of: "action_delay")
  /// Indices of the effects' parameters (`PhysicsEffects`).
  let effectIndices = Set(D.effectParameters.compactMap { p in D.parameterNames.firstIndex(of: p.name) })
  /// Cached (a box space allocates its bounds); refreshed when parameters change.
  public internal(set) var actionSpace: ActionSpace
  public var maxEpisodeSteps: Int { dynamics[0].maxEpisodeSteps }
  public var rewardThreshold: Double? { D.rewardThreshold }
  public var terminationIsSuccess: Bool? { D.terminationIsSuccess }
  public var observationKind: ObservationKind { D.observationKind }
  public var observationLow: [Double] { dynamics[0].observationLow }
  public var observationHigh: [Double] { dynamics[0].observationHigh }
  /// The dynamics' parameters plus `max_episode_steps` (0: no time limit),
  /// which every environment has.
  public var parameterNames: [String] { D.parameterNames + ["max_episode_steps"] }

  /// Largest batch accepted (keeps every buffer size far from overflow).
  public static var maxCount: Int { 1 << 24 }

  // Internal (not private) for EnvironmentRecord.swift, which saves and restores them.
  let states: UnsafeMutablePointer<Double>  // [storageSize][count]
  let elapsed: UnsafeMutablePointer<Int32>
  let finalStates: UnsafeMutablePointer<Double>  // [storageSize][count]
  let finalElapsed: UnsafeMutablePointer<Int32>
  let generators: UnsafeMutablePointer<PCG64>
  let parameterGenerators: UnsafeMutablePointer<PCG64>
  let dynamics: UnsafeMutablePointer<D>
  var ranges: [ParameterRange] = []
  /// Automatic domain randomisation, when enabled (`enableADR`): its
  /// parameters' ranges are the first entries of `ranges`.
  public internal(set) var adr: AutomaticDomainRandomization?
  /// ADR's decisions during the last `step` (empty without ADR).
  public internal(set) var lastDecisions: [AutomaticDomainRandomization.Decision] = []
  // ADR's per-instance episode bookkeeping (see BatchStorage).
  let episodeTags: UnsafeMutablePointer<Int32>
  let episodeReturns: UnsafeMutablePointer<Double>
  let finalTags: UnsafeMutablePointer<Int32>
  let finalReturns: UnsafeMutablePointer<Double>
  /// Same-step (default) or next-step autoreset (see `stepBatch`).
  public internal(set) var autoresetMode: AutoresetMode = .sameStep
  /// Next-step mode: 1 where the next step resets the instance.
  let pendingResets: UnsafeMutablePointer<UInt8>
  /// The dynamics value the batch was created from (before any parameter
  /// was set): what `spawn` and the environment record rebuild.
  public let prototype: D
  /// The seed of the last `reseed` (or of creation).
  public internal(set) var seed: UInt64 = 0
  /// Threads used by `step` (1: the calling thread only). Instances are
  /// independent, so results do not depend on it.
  public var threadCount = 1 {
    didSet { threadCount = Swift.max(1, Swift.min(threadCount, WorkerPool.maxThreads)) }
  }
  private let chunkEnded: UnsafeMutablePointer<Int>
  private static var maxChunks: Int { 4 * WorkerPool.maxThreads }
  private lazy var stepJob = StepJob<D>(ended: chunkEnded)

  private func withStorage<R>(_ body: (BatchStorage<D>) -> R) -> R {
    ranges.withUnsafeBufferPointer { r in
      body(
        BatchStorage(
          count: count, states: states, elapsed: elapsed, finalStates: finalStates, finalElapsed: finalElapsed,
          generators: generators, dynamics: dynamics,
          parameterGenerators: parameterGenerators, ranges: r,
          boundaryProbability: adr?.settings.boundaryProbability ?? 0, boundaryCount: adr?.parameters.count ?? 0,
          episodeTags: episodeTags, episodeReturns: episodeReturns, finalTags: finalTags, finalReturns: finalReturns,
          pendingResets: autoresetMode == .nextStep ? pendingResets : nil,
          actionWidth: actionSpace.width, history: history, finalHistory: finalHistory,
          historyStarted: historyStarted, historyCapacity: actionDelayCapacity, range: 0..<count))
    }
  }

  /// Creates `count` instances of `dynamics` seeded from `seed + i` and
  /// resets them.
  public init(_ dynamics: D, count: Int, seed: UInt64) throws(SwiftPGError) {
    try require(count >= 1, "num_envs must be at least 1, got \(count)")
    try require(
      count <= Self.maxCount, "num_envs \(count) exceeds the limit \(Self.maxCount)",
      code: .tooLarge)
    self.count = count
    prototype = dynamics
    actionSpace = dynamics.actionSpace
    chunkEnded = .allocate(capacity: Self.maxChunks)
    chunkEnded.initialize(repeating: 0, count: Self.maxChunks)
    states = .allocate(capacity: D.storageSize * count)
    states.initialize(repeating: 0, count: D.storageSize * count)
    elapsed = .allocate(capacity: count)
    elapsed.initialize(repeating: 0, count: count)
    finalStates = .allocate(capacity: D.storageSize * count)
    finalStates.initialize(repeating: 0, count: D.storageSize * count)
    finalElapsed = .allocate(capacity: count)
    finalElapsed.initialize(repeating: 0, count: count)
    pendingResets = .allocate(capacity: count)
    pendingResets.initialize(repeating: 0, count: count)
    episodeTags = .allocate(capacity: count)
    episodeTags.initialize(repeating: -1, count: count)
    finalTags = .allocate(capacity: count)
    finalTags.initialize(repeating: -1, count: count)
    episodeReturns = .allocate(capacity: count)
    episodeReturns.initialize(repeating: 0, count: count)
    finalReturns = .allocate(capacity: count)
    finalReturns.initialize(repeating: 0, count: count)
    generators = .allocate(capacity: count)
    parameterGenerators = .allocate(capacity: count)
    self.dynamics = .allocate(capacity: count)
    self.dynamics.initialize(repeating: dynamics, count: count)
    for i in 0..<count {
      (generators + i).initialize(to: PCG64(seed: 0))
      (parameterGenerators + i).initialize(to: PCG64(seed: 0))
    }
    reseed(seed)
    for i in 0..<count {
      dynamics.store(dynamics.initialState(using: &generators[i]), states, i, stride: count)
    }
  }

  deinit {
    chunkEnded.deallocate()
    states.deallocate()
    elapsed.deallocate()
    finalStates.deallocate()
    finalElapsed.deallocate()
    episodeTags.deallocate()
    pendingResets.deallocate()
    finalTags.deallocate()
    episodeReturns.deallocate()
    finalReturns.deallocate()
    generators.deinitialize(count: count)
    generators.deallocate()
    parameterGenerators.deinitialize(count: count)
    parameterGenerators.deallocate()
    dynamics.deinitialize(count: count)
    dynamics.deallocate()
    Self.free(history)
    Self.free(finalHistory)
    historyStarted?.deallocate()
  }

  private static func free(_ p: UnsafeMutablePointer<D.Action>?) {
    guard let p else { return }
    UnsafeMutableRawPointer(p).deallocate()
  }

  /// Zero-filled storage for `count` action values (all-zero bits are the
  /// action 0 for Int32 and Double actions).
  private static func zeroActions(_ count: Int) -> UnsafeMutablePointer<D.Action> {
    let stride = MemoryLayout<D.Action>.stride
    let raw = UnsafeMutableRawPointer.allocate(byteCount: Swift.max(1, count) * stride, alignment: 16)
    raw.initializeMemory(as: UInt8.self, repeating: 0, count: Swift.max(1, count) * stride)
    return raw.bindMemory(to: D.Action.self, capacity: count)
  }

  /// Sets K, the most steps `action_delay` may take (`PhysicsEffects`), and
  /// allocates the action history: the state grows by K × action width
  /// values and the history's started flag. Every history starts empty
  /// (flag 0): each instance's next step fills it with that step's action.
  /// - Throws: `.notSupported` if the environment has no action delay;
  ///   `.invalidArgument` if K is outside 0...`PhysicsEffects.maxActionDelay`
  ///   or below a delay an instance, a range or ADR's limits use (nothing
  ///   changes).
  public func setActionDelayCapacity(_ capacity: Int) throws(SwiftPGError) {
    guard let delayIndex else {
      throw SwiftPGError(.notSupported, "\(id) has no action delay (only the classic-control environments do)")
    }
    try require(
      capacity >= 0 && capacity <= PhysicsEffects.maxActionDelay,
      "max_action_delay must be in 0...\(PhysicsEffects.maxActionDelay), got \(capacity)")
    let needed = (0..<count).map { Int(dynamics[$0].parameter(delayIndex)) }.max() ?? 0
    let rangeHigh = ranges.filter { $0.index == delayIndex }.map { Int($0.high) }.max() ?? 0
    let adrHigh = adr?.parameters.filter { $0.index == delayIndex }.map { Int($0.upperLimit) }.max() ?? 0
    try require(
      Swift.max(needed, rangeHigh, adrHigh) <= capacity,
      "max_action_delay \(capacity) is below the action_delay in use (\(Swift.max(needed, rangeHigh, adrHigh)) steps, "
        + "by a value, a randomisation range or ADR's limits)")
    installHistory(capacity: capacity, history: [], finalHistory: [])
  }

  /// Replaces the history storage with capacity `capacity` and the given
  /// exported blocks (`historyColumns` per instance, checked by
  /// `historyProblem`; empty: empty histories).
  func installHistory(capacity: Int, history h: [Double], finalHistory f: [Double]) {
    Self.free(history)
    Self.free(finalHistory)
    historyStarted?.deallocate()
    actionDelayCapacity = capacity
    history = capacity > 0 ? Self.zeroActions(count * historySize) : nil
    finalHistory = capacity > 0 ? Self.zeroActions(count * historySize) : nil
    historyStarted = nil
    if capacity > 0 {
      let started = UnsafeMutablePointer<UInt8>.allocate(capacity: count)
      started.initialize(repeating: 0, count: count)
      historyStarted = started
    }
    let size = historyColumns
    guard size > 0 else { return }
    h.withUnsafeBufferPointer { b in
      guard let base = b.baseAddress, b.count == count * size else { return }
      for i in 0..<count { importHistory(base + i * size, i, into: history, started: historyStarted) }
    }
    f.withUnsafeBufferPointer { b in
      guard let base = b.baseAddress, b.count == count * size else { return }
      for i in 0..<count { importHistory(base + i * size, i, into: finalHistory, started: nil) }
    }
  }

  /// Writes instance i's history block (`historyColumns` values: its last
  /// K actions, most recent first, as doubles — continuous ones clamped to
  /// the instance's action bounds, which the dynamics apply anyway — then
  /// the started flag; `started` nil: 1, a finished episode's).
  func exportHistory(
    _ source: UnsafeMutablePointer<D.Action>?, _ i: Int, started: UnsafeMutablePointer<UInt8>?,
    into out: UnsafeMutablePointer<Double>
  ) {
    guard let source, historySize > 0 else { return }
    let raw = UnsafeRawPointer(source + i * historySize)
    switch dynamics[i].actionSpace {
    case .discrete:
      let h = raw.assumingMemoryBound(to: Int32.self)
      for j in 0..<historySize { out[j] = Double(h[j]) }
    case .box(let low, let high):
      let h = raw.assumingMemoryBound(to: Double.self)
      let w = low.count
      for j in 0..<historySize { out[j] = Swift.min(Swift.max(h[j], low[j % w]), high[j % w]) }
    }
    out[historySize] = Double(started?[i] ?? 1)
  }

  /// nil if `values` (a history block of `size` actions and the started
  /// flag) holds valid actions and a flag of 0 or 1, else why not.
  func historyProblem(_ values: UnsafePointer<Double>, size: Int? = nil) -> String? {
    let n = size ?? historySize
    for j in 0..<n {
      let v = values[j]
      if case .discrete(let k) = actionSpace {
        if !(v >= 0 && v < Double(k) && v.rounded() == v) {
          return "action history entry \(j) is \(v), not an action in {0, ..., \(k - 1)}"
        }
      } else if !(v.isFinite && Swift.abs(v) <= Self.stateMagnitude) {
        return "action history entry \(j) is \(v); actions must be finite with magnitude <= 1e6"
      }
    }
    if n > 0 && values[n] != 0 && values[n] != 1 {
      return "the action history's started flag is \(values[n]); it must be 0 (empty: the next step fills it) or 1"
    }
    return nil
  }

  /// Reads instance i's history block from `values` (checked by
  /// `historyProblem`), and its started flag into `started` if given.
  func importHistory(
    _ values: UnsafePointer<Double>, _ i: Int, into target: UnsafeMutablePointer<D.Action>?,
    started: UnsafeMutablePointer<UInt8>?
  ) {
    guard let target, historySize > 0 else { return }
    let raw = UnsafeMutableRawPointer(target + i * historySize)
    if case .discrete = actionSpace {
      let h = raw.assumingMemoryBound(to: Int32.self)
      for j in 0..<historySize { h[j] = Int32(values[j]) }
    } else {
      let h = raw.assumingMemoryBound(to: Double.self)
      for j in 0..<historySize { h[j] = values[j] }
    }
    started?[i] = values[historySize] == 1 ? 1 : 0
  }


  public func reseed(_ seed: UInt64) {
    self.seed = seed
    for i in 0..<count { reseedInstance(i, UInt128(seed) + UInt128(i)) }
  }

  /// Instance i's generators from seed s (as `reseed` with s = seed + i):
  /// Gymnasium's `reset(seed=s)` of one environment.
  private func reseedInstance(_ i: Int, _ s: UInt128) {
    generators[i] = PCG64(seed: s)
    // A different SeedSequence entropy: the words of s followed by a 1.
    parameterGenerators[i] = PCG64(seedWords: SeedSequence.words(of: s) + [1])
  }

  public func reseed(instances seeds: [UInt64?]) throws(SwiftPGError) {
    try require(seeds.count == count, "expected \(count) seeds (one per instance), got \(seeds.count)")
    for (i, s) in seeds.enumerated() {
      if let s { reseedInstance(i, UInt128(s)) }
    }
  }

  public func reset(observations: UnsafeMutablePointer<Double>) {
    withStorage { dynamics[0].resetBatch($0, observations: observations) }
  }

  public func validateActions(_ actions: UnsafeRawPointer) throws(SwiftPGError) {
    switch actionSpace {
    case .discrete(let n):
      let a = actions.assumingMemoryBound(to: Int32.self)
      for i in 0..<count where a[i] < 0 || Int(a[i]) >= n {
        throw SwiftPGError(
          .outOfRange,
          "action \(a[i]) of instance \(i) is outside the action space {0, ..., \(n - 1)}")
      }
    case .box(let low, _):
      let a = actions.assumingMemoryBound(to: Double.self)
      let total = count * low.count
      for j in 0..<total where !a[j].isFinite {
        throw SwiftPGError(
          .notFinite,
          "action component \(j % low.count) of instance \(j / low.count) is \(a[j]); actions must be finite"
        )
      }
    }
  }

  @discardableResult
  public func step(
    actions: UnsafeRawPointer,
    observations: UnsafeMutablePointer<Double>,
    rewards: UnsafeMutablePointer<Double>,
    terminated: UnsafeMutablePointer<UInt8>,
    truncated: UnsafeMutablePointer<UInt8>,
    finalObservations: UnsafeMutablePointer<Double>?
  ) -> Int {
    let ended = withStorage { whole in
      let chunks = Swift.min(count / D.parallelChunk, 4 * threadCount, Self.maxChunks)
      guard threadCount > 1 && chunks >= 2 else {
        return dynamics[0].stepBatch(
          whole, actions: actions, observations: observations, rewards: rewards,
          terminated: terminated, truncated: truncated, finalObservations: finalObservations)
      }
      // Contiguous chunks of instances, each stepped by one thread.
      let job = stepJob
      job.storage = whole
      job.chunks = chunks
      job.actions = actions
      job.observations = observations
      job.rewards = rewards
      job.terminated = terminated
      job.truncated = truncated
      job.finalObservations = finalObservations
      WorkerPool.shared.run(chunks: chunks, threads: threadCount, job: job)
      job.storage = nil
      var total = 0
      for k in 0..<chunks { total += chunkEnded[k] }
      return total
    }
    if adr != nil { recordEpisodes(terminated: terminated, truncated: truncated) }
    return ended
  }

  /// ADR's bookkeeping after a step (one thread, in instance order): every
  /// episode that ended goes to ADR with its boundary tag and return; a
  /// moved boundary takes effect from the next episode drawn.
  private func recordEpisodes(terminated: UnsafePointer<UInt8>, truncated: UnsafePointer<UInt8>) {
    guard var a = adr else { return }
    lastDecisions.removeAll(keepingCapacity: true)
    for i in 0..<count where terminated[i] == 1 || truncated[i] == 1 {
      if let d = a.record(tag: Int(finalTags[i]), episodeReturn: finalReturns[i]) {
        lastDecisions.append(d)
        if d.after != d.before {
          let p = a.parameters[d.parameter]
          ranges[d.parameter] = ParameterRange(index: p.index, low: p.low, high: p.high)
        }
      }
    }
    adr = a
  }

  public func getStates(_ out: UnsafeMutablePointer<Double>) {
    let n = count
    let k = stateSize
    for i in 0..<n {
      let d = dynamics[i]
      d.exportState(d.load(states, i, stride: n), into: out + i * k)
      exportHistory(history, i, started: historyStarted, into: out + i * k + D.stateSize)
    }
  }

  public func setStates(_ input: UnsafePointer<Double>) throws(SwiftPGError) {
    let n = count
    let k = stateSize
    for j in 0..<(n * k) where !input[j].isFinite {
      throw SwiftPGError(
        .notFinite, "state component \(j % k) of instance \(j / k) is \(input[j]); states must be finite")
    }
    for j in 0..<(n * k) where Swift.abs(input[j]) > Self.stateMagnitude {
      throw SwiftPGError.invalid(
        "state component \(j % k) of instance \(j / k) is \(input[j]); |state| must be <= 1e6 "
          + "(beyond that the dynamics overflow to NaN or ∞)")
    }
    for i in 0..<n {
      if let problem = dynamics[i].checkState(input + i * k) ?? historyProblem(input + i * k + D.stateSize) {
        throw SwiftPGError.invalid("state of instance \(i): \(problem)")
      }
    }
    for i in 0..<n {
      let d = dynamics[i]
      d.store(d.importState(input + i * k), states, i, stride: n)
      importHistory(input + i * k + D.stateSize, i, into: history, started: historyStarted)
    }
  }

  public func observe(into observations: UnsafeMutablePointer<Double>) {
    let n = count
    for i in 0..<n {
      let d = dynamics[i]
      d.observe(d.load(states, i, stride: n), into: observations + i * d.observationSize)
    }
  }

  public func getFinalStates(_ out: UnsafeMutablePointer<Double>) {
    let n = count
    for i in 0..<n {
      let d = dynamics[i]
      d.exportState(d.load(finalStates, i, stride: n), into: out + i * stateSize)
      exportHistory(finalHistory, i, started: nil, into: out + i * stateSize + D.stateSize)
    }
  }

  public func finalElapsedSteps(into out: UnsafeMutablePointer<Int32>) {
    for i in 0..<count { out[i] = finalElapsed[i] }
  }

  public func elapsedSteps(into out: UnsafeMutablePointer<Int32>) {
    for i in 0..<count { out[i] = elapsed[i] }
  }

  // MARK: Parameters

  private func parameterIndex(_ name: String) throws(SwiftPGError) -> Int {
    guard let index = parameterNames.firstIndex(of: name) else {
      throw SwiftPGError(
        .invalidArgument, "\(id) has no parameter '\(name)' (known: \(parameterNames.joined(separator: ", ")))")
    }
    return index
  }

  /// Index of the generic time-limit parameter.
  var timeLimitIndex: Int { D.parameterNames.count }

  /// Checks `value` for parameter `index`; an action delay against
  /// `delayCapacity` (default: this environment's `actionDelayCapacity`).
  func checkValue(_ index: Int, _ value: Double, delayCapacity: Int? = nil) throws(SwiftPGError) {
    let capacity = delayCapacity ?? actionDelayCapacity
    let name = parameterNames[index]
    guard value.isFinite else {
      throw SwiftPGError(.notFinite, "parameter \(name) must be finite, got \(value)")
    }
    if index == timeLimitIndex {
      try require(
        value >= 0 && value <= Double(Int32.max) && value.rounded() == value,
        "\(id) parameter max_episode_steps = \(value): must be a whole number >= 0 (0: no limit)")
    } else if let problem = D.checkParameter(index, value) {
      throw SwiftPGError(.invalidArgument, "\(id) parameter \(name) = \(value): \(problem)")
    } else if index == delayIndex && Int(value) > capacity {
      throw SwiftPGError(
        .invalidArgument,
        "\(id) parameter action_delay = \(value) is \(Int(value)) steps, more than the environment's "
          + "max_action_delay \(capacity): create it with max_action_delay >= \(Int(value))")
    } else if !effectIndices.contains(index) {  // the effects have their own ranges
      try require(
        value == 0 || (Swift.abs(value) >= Self.parameterMagnitude.lowerBound
          && Swift.abs(value) <= Self.parameterMagnitude.upperBound),
        "\(id) parameter \(name) = \(value): must be 0 or of magnitude in [1e-6, 1e6] "
          + "(beyond that the dynamics overflow to NaN or ∞)")
    }
  }

  /// The magnitudes every physical parameter may take (besides 0): keeps the
  /// dynamics finite (e.g. CartPole's masspole = 1e308 or Pendulum's
  /// m = 1e-300 would give NaN or ∞ states) while leaving domain
  /// randomisation far more room than it uses (typically ×0.1 … ×10).
  public static var parameterMagnitude: ClosedRange<Double> { 1e-6...1e6 }
  /// The largest magnitude of a state component `setStates` accepts.
  public static var stateMagnitude: Double { 1e6 }

  /// Chooses same-step or next-step autoreset; no instance is then waiting
  /// for a next-step reset (call `reset` to start from fresh episodes).
  public func setAutoresetMode(_ mode: AutoresetMode) {
    autoresetMode = mode
    pendingResets.update(repeating: 0, count: count)
  }

  /// Refuses a change to a parameter that ADR controls.
  private func requireNotADR(_ index: Int, _ name: String) throws(SwiftPGError) {
    try require(
      !(adr?.parameters.contains { $0.index == index } ?? false),
      "\(name) is randomised by ADR; disable ADR first (disable_adr) to set or randomise it yourself")
  }

  public func setParameter(_ name: String, _ value: Double) throws(SwiftPGError) {
    let index = try parameterIndex(name)
    try requireNotADR(index, name)
    try checkValue(index, value)
    ranges.removeAll { $0.index == index }
    for i in 0..<count {
      if index == timeLimitIndex {
        dynamics[i].maxEpisodeSteps = Int(value)
      } else {
        dynamics[i].setParameter(index, value)
      }
    }
    actionSpace = dynamics[0].actionSpace
  }

  public func randomizeParameter(_ name: String, low: Double, high: Double) throws(SwiftPGError) {
    let index = try parameterIndex(name)
    try requireNotADR(index, name)
    try require(index != timeLimitIndex, "max_episode_steps cannot be randomised")
    try require(low <= high, "randomisation range of \(name) needs low <= high, got [\(low), \(high)]")
    try checkValue(index, low)
    try checkValue(index, high)
    ranges.removeAll { $0.index == index }
    ranges.append(ParameterRange(index: index, low: low, high: high))
  }

  public func parameterValues(_ name: String, into out: UnsafeMutablePointer<Double>) throws(SwiftPGError) {
    let index = try parameterIndex(name)
    for i in 0..<count {
      out[i] = index == timeLimitIndex ? Double(dynamics[i].maxEpisodeSteps) : dynamics[i].parameter(index)
    }
  }

  /// Starts automatic domain randomisation over `specs`: each parameter is
  /// set to its nominal value (the spec's, or instance 0's current value)
  /// in every instance and its range starts there with zero width; any
  /// earlier ADR and any uniform range of those parameters are replaced,
  /// and the episode records are cleared. Takes effect from each instance's
  /// next episode (or `reset`). Everything is checked before anything
  /// changes.
  /// - Throws: `.invalidArgument` for an unknown parameter,
  ///   `max_episode_steps`, a nominal value outside the limits, limits the
  ///   parameter may not take, a step ≤ 0, or bad settings (nothing
  ///   changes).
  public func enableADR(_ specs: [ADRSpec], settings: AutomaticDomainRandomization.Settings) throws(SwiftPGError) {
    var parameters: [AutomaticDomainRandomization.Parameter] = []
    for spec in specs {
      let index = try parameterIndex(spec.name)
      try require(index != timeLimitIndex, "max_episode_steps cannot be randomised")
      try checkValue(index, spec.lowerLimit)
      try checkValue(index, spec.upperLimit)
      let nominal = spec.nominal ?? dynamics[0].parameter(index)
      try checkValue(index, nominal)
      parameters.append(
        AutomaticDomainRandomization.parameter(
          index: index, name: spec.name, nominal: nominal, step: spec.step,
          lowerLimit: spec.lowerLimit, upperLimit: spec.upperLimit))
    }
    // Everything is checked: from here on nothing throws.
    let a = try AutomaticDomainRandomization(parameters: parameters, settings: settings)
    let others = ranges.dropFirst(adr?.parameters.count ?? 0).filter { r in !parameters.contains { $0.index == r.index } }
    for p in parameters {
      for i in 0..<count { dynamics[i].setParameter(p.index, p.nominal) }
    }
    adr = a
    ranges = a.ranges + others
    clearEpisodeRecords()
  }

  /// Forgets every instance's running and last episode (tags −1, returns 0).
  private func clearEpisodeRecords() {
    lastDecisions = []
    for i in 0..<count {
      episodeTags[i] = -1
      episodeReturns[i] = 0
      finalTags[i] = -1
      finalReturns[i] = 0
    }
  }

  /// Stops ADR: its parameters keep the values of the current episodes and
  /// are no longer randomised. Returns the final ADR state (nil if off).
  @discardableResult
  public func disableADR() -> AutomaticDomainRandomization? {
    guard let a = adr else { return nil }
    ranges.removeFirst(a.parameters.count)
    adr = nil
    clearEpisodeRecords()
    return a
  }

  /// Per instance, the boundary tag and the return of its last finished
  /// episode (tags −1 and returns 0 before any, or without ADR).
  public func lastEpisodes(tags: UnsafeMutablePointer<Int32>, returns: UnsafeMutablePointer<Double>) {
    for i in 0..<count {
      tags[i] = finalTags[i]
      returns[i] = finalReturns[i]
    }
  }

  public var randomizedParameters: [(name: String, low: Double, high: Double)] {
    ranges.map { (D.parameterNames[$0.index], $0.low, $0.high) }
  }

  public func renderText(instance i: Int) -> String? {
    guard i >= 0 && i < count else { return nil }
    return dynamics[i].renderText(dynamics[i].load(states, i, stride: count))
  }

  public var tabularModel: TabularModel? { dynamics[0].tabularModel }

  /// The state generator of instance `i` (for tests and checkpoints).
  public func generator(_ i: Int) -> PCG64? { i >= 0 && i < count ? generators[i] : nil }
  /// The dynamics value of instance `i` (its parameters).
  public func instance(_ i: Int) -> D? { i >= 0 && i < count ? dynamics[i] : nil }
}

/// One parallel `step`: the arguments of the call and the chunking, refilled
/// for every call (allocated once per environment).
final class StepJob<D: EnvironmentDynamics>: ParallelJob {
  let ended: UnsafeMutablePointer<Int>
  var storage: BatchStorage<D>?
  var chunks = 1
  var actions = UnsafeRawPointer(bitPattern: 1)
  var observations: UnsafeMutablePointer<Double>?
  var rewards: UnsafeMutablePointer<Double>?
  var terminated: UnsafeMutablePointer<UInt8>?
  var truncated: UnsafeMutablePointer<UInt8>?
  var finalObservations: UnsafeMutablePointer<Double>?

  init(ended: UnsafeMutablePointer<Int>) { self.ended = ended }

  func runChunk(_ k: Int) {
    guard var part = storage, let actions, let observations, let rewards, let terminated, let truncated else {
      return
    }
    part.range = (k * part.count / chunks)..<((k + 1) * part.count / chunks)
    ended[k] = part.dynamics[0].stepBatch(
      part, actions: actions, observations: observations, rewards: rewards, terminated: terminated,
      truncated: truncated, finalObservations: finalObservations)
  }
}
