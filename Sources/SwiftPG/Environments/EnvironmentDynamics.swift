/// The physics of one environment: named constants, reset, step and the
/// observation. Batching, time limits, seeding, automatic reset, parameter
/// randomisation and buffers are written once: the batch kernels in the
/// extension below and the storage in `VectorEnvironment`.
///
/// Each instance of a batch owns its own copy of the dynamics value, so
/// physical parameters (masses, lengths, ...) can differ between instances
/// (domain randomisation).
public protocol EnvironmentDynamics: Sendable {
  /// The physics state of one instance.
  associatedtype State
  /// `Int32` for discrete action spaces, `Double` for continuous ones.
  associatedtype Action

  static var id: String { get }
  /// Length of the public state (`get_state` / `set_state`).
  static var stateSize: Int { get }
  /// Number of storage columns per instance (≥ `stateSize`; extra columns
  /// hold bookkeeping such as a dtype flag). Defaults to `stateSize`.
  static var storageSize: Int { get }
  /// Length of one observation.
  var observationSize: Int { get }
  static var rewardThreshold: Double? { get }
  /// Whether an episode that terminated (rather than was truncated) reached
  /// the goal: true where the only termination is the goal, nil (the
  /// default) where termination also means failure or never happens.
  static var terminationIsSuccess: Bool? { get }
  /// How observations encode the state (vector or one-hot index).
  static var observationKind: ObservationKind { get }

  /// The time limit; the step that reaches it is truncated (0: none).
  var maxEpisodeSteps: Int { get set }
  /// When true, reaching `maxEpisodeSteps` is the end of a finite-horizon
  /// MDP and reported as `terminated`; otherwise it is a time-limit
  /// truncation. Defaults to false.
  var horizonTerminates: Bool { get }
  var actionSpace: ActionSpace { get }
  var observationLow: [Double] { get }
  var observationHigh: [Double] { get }

  /// The named scalar parameters that can be set, read and randomised:
  /// where each lives and which values it takes. The four requirements
  /// below default to reading this table (empty by default).
  static var parameterTable: [DynamicsParameter<Self>] { get }
  /// Named scalar parameters that can be set, read and randomised.
  static var parameterNames: [String] { get }
  func parameter(_ index: Int) -> Double
  mutating func setParameter(_ index: Int, _ value: Double)
  /// nil if `value` is valid for parameter `index`, else why not.
  static func checkParameter(_ index: Int, _ value: Double) -> String?
  /// Observation noise and action delay (`PhysicsEffects`): stored by the
  /// environments that list `effectParameters` in their table (the
  /// classic-control ones); the default has none and ignores writes.
  var effects: PhysicsEffects { get set }

  /// A starting state drawn from the environment's start distribution.
  func initialState(using rng: inout PCG64) -> State
  /// Advances `state` by one step under `action` (a pointer to this
  /// instance's `actionSpace.width` action values). `rng` is the instance's
  /// generator, for stochastic transitions.
  func step(_ state: inout State, action: UnsafePointer<Action>, using rng: inout PCG64)
    -> (reward: Double, terminated: Bool)
  /// Writes the observation of `state` (`observationSize` values).
  func observe(_ state: State, into out: UnsafeMutablePointer<Double>)

  /// Reads one state from structure-of-arrays storage: column k of
  /// instance i is `columns[k * stride + i]`, k < `storageSize`.
  func load(_ columns: UnsafePointer<Double>, _ i: Int, stride: Int) -> State
  func store(_ state: State, _ columns: UnsafeMutablePointer<Double>, _ i: Int, stride: Int)
  /// The public state (`stateSize` values) and back. Default: the first
  /// `stateSize` storage columns.
  func exportState(_ state: State, into out: UnsafeMutablePointer<Double>)
  func importState(_ values: UnsafePointer<Double>) -> State

  /// Fewest instances worth handing to one thread when stepping in
  /// parallel (cheap physics needs larger chunks to pay for the
  /// synchronisation). Default 1024.
  static var parallelChunk: Int { get }
  /// The id shown to users; defaults to `Self.id` (tabular MDPs and
  /// gridworlds name themselves).
  var environmentID: String { get }
  /// nil if the public state `values` (`stateSize` of them) is valid, else
  /// why not (e.g. a tabular state index out of range). Default: valid.
  func checkState(_ values: UnsafePointer<Double>) -> String?
  /// A text picture of `state` (gridworlds), or nil.
  func renderText(_ state: State) -> String?
  /// The tabular model behind the environment, if it is a finite MDP.
  var tabularModel: TabularModel? { get }
  /// What rebuilds this dynamics value from a file (`EnvironmentRecord`):
  /// nil (the default) for an environment of the registry, made by its id;
  /// tabular MDPs and bandits record their arrays.
  var definition: Record? { get }

  /// Resets every instance of `batch` (implemented once, below).
  func resetBatch(_ batch: BatchStorage<Self>, observations: UnsafeMutablePointer<Double>)
  /// Steps every instance of `batch` (implemented once, below); returns the
  /// number of instances whose episode ended.
  func stepBatch(
    _ batch: BatchStorage<Self>, actions: UnsafeRawPointer,
    observations: UnsafeMutablePointer<Double>, rewards: UnsafeMutablePointer<Double>,
    terminated: UnsafeMutablePointer<UInt8>, truncated: UnsafeMutablePointer<UInt8>,
    finalObservations: UnsafeMutablePointer<Double>?) -> Int
}

/// How an observation encodes the state.
public enum ObservationKind: Int32, Sendable {
  /// A real vector.
  case vector = 0
  /// The one-hot encoding of a state index in `0..<observationSize`.
  case oneHot = 1
}

/// A named scalar parameter of an environment: the property it sets and
/// the values it accepts (on top of the finite-magnitude rule
/// `VectorEnvironment` applies to every physical parameter).
public struct DynamicsParameter<D>: Sendable {
  /// Which values a parameter accepts.
  public enum Requirement: Sendable {
    case any, positive, nonNegative, unitInterval
    /// 0 or 1 (a switch).
    case flag
    /// A delay in whole steps, ⌊value⌋ in 0...`PhysicsEffects.maxActionDelay`.
    case delaySteps

    /// nil if `value` meets the requirement, else why not.
    public func problem(_ value: Double) -> String? {
      switch self {
      case .any: nil
      case .positive: value > 0 ? nil : "must be > 0"
      case .nonNegative: value >= 0 ? nil : "must be >= 0"
      case .unitInterval: value >= 0 && value <= 1 ? nil : "must be in [0, 1]"
      case .flag: value == 0 || value == 1 ? nil : "must be 0 or 1"
      case .delaySteps:
        value >= 0 && value < Double(PhysicsEffects.maxActionDelay + 1)
          ? nil : "must be in [0, \(PhysicsEffects.maxActionDelay + 1)) (the delay is ⌊value⌋ steps)"
      }
    }
  }

  public let name: String
  public let keyPath: WritableKeyPath<D, Double> & Sendable
  public let requirement: Requirement

  public init(_ name: String, _ keyPath: WritableKeyPath<D, Double> & Sendable, _ requirement: Requirement = .any) {
    self.name = name
    self.keyPath = keyPath
    self.requirement = requirement
  }
}

/// "Custom physics" effects of the robotics case study (OpenAI et al. 2019,
/// "Solving Rubik's Cube with a Robot Hand", §5: randomised observation
/// noise and action latency), as two more parameters of an environment —
/// set, randomised and ADR-controlled like its physical ones, each instance
/// its own value. Both are off (0) by default, so an environment without
/// them set is bit-identical to one without effects (nothing extra drawn).
///
/// - `observation_noise` σ ≥ 0 (observation units): every observation the
///   agent receives (after reset, after each step, and the final observation
///   of an episode) gets independent N(0, σ²) noise on each component, drawn
///   from the instance's generator after the step's own draws. The state is
///   not affected, and noisy observations are not clipped to the
///   observation bounds (as a real sensor reading is not).
/// - `action_delay` d (steps, the delay is ⌊d⌋, 0...`maxActionDelay`): the
///   action applied at step t of an episode is the one given min(⌊d⌋, t)
///   steps earlier (the first action of the episode until ⌊d⌋ steps have
///   passed: an actuator holds the first command it receives). The pending
///   actions are hidden state: the environment keeps the last K actions
///   given (K = its `max_action_delay`, fixed when it is created, 0 by
///   default) and whether the episode's first step filled them; its public
///   state, `get_state` / `set_state` and its file include both; ⌊d⌋ must
///   not exceed K.
public struct PhysicsEffects: Sendable, Equatable {
  /// The largest `max_action_delay` an environment may have, in steps.
  public static let maxActionDelay = 64
  public var observationNoise = 0.0
  public var actionDelay = 0.0
  public init() {}
  /// The delay in whole steps.
  @inlinable public var delaySteps: Int { Int(actionDelay) }
}

extension EnvironmentDynamics {
  public var effects: PhysicsEffects {
    get { PhysicsEffects() }
    set {}
  }
  /// The parameters of `PhysicsEffects`, for an environment that stores
  /// `effects` to append to its `parameterTable`.
  public static var effectParameters: [DynamicsParameter<Self>] {
    [.init("observation_noise", \.effects.observationNoise, .nonNegative),
     .init("action_delay", \.effects.actionDelay, .delaySteps)]
  }
}

/// A parameter drawn uniformly from `[low, high]` at every reset.
public struct ParameterRange: Sendable, Equatable {
  public var index: Int
  public var low: Double
  public var high: Double
  public init(index: Int, low: Double, high: Double) {
    self.index = index
    self.low = low
    self.high = high
  }
}

/// The storage of a batch of N instances: states in structure-of-arrays
/// layout (`states[k * count + i]`), per-instance step counters, generators
/// and dynamics values, and the parameter ranges drawn at each reset.
public struct BatchStorage<D: EnvironmentDynamics> {
  public let count: Int
  public let states: UnsafeMutablePointer<Double>
  public let elapsed: UnsafeMutablePointer<Int32>
  /// The state and step count each instance ended its last episode in
  /// (written when it ends, before the same-step reset).
  public let finalStates: UnsafeMutablePointer<Double>
  public let finalElapsed: UnsafeMutablePointer<Int32>
  public let generators: UnsafeMutablePointer<PCG64>
  public let dynamics: UnsafeMutablePointer<D>
  /// Generators of the parameter draws, separate from `generators` so that
  /// the state stream is the same with and without randomisation.
  public let parameterGenerators: UnsafeMutablePointer<PCG64>
  public let ranges: UnsafeBufferPointer<ParameterRange>
  /// Automatic domain randomisation (`AutomaticDomainRandomization`): p_b
  /// (0: ADR off), and the first `boundaryCount` ranges are ADR's, whose
  /// boundaries an episode may pin. With ADR on, every instance tracks its
  /// episode's boundary tag and return; `finalTags` / `finalReturns` hold
  /// those of its last finished episode.
  public let boundaryProbability: Double
  public let boundaryCount: Int
  public let episodeTags: UnsafeMutablePointer<Int32>
  public let episodeReturns: UnsafeMutablePointer<Double>
  public let finalTags: UnsafeMutablePointer<Int32>
  public let finalReturns: UnsafeMutablePointer<Double>
  /// Next-step autoreset (Gymnasium's `AutoresetMode.NEXT_STEP`): 1 where
  /// an instance's episode ended in the previous step and the next `step`
  /// resets it instead of moving it; nil in same-step mode.
  public let pendingResets: UnsafeMutablePointer<UInt8>?
  /// Scalars per instance in the action buffer (cached: computing a box
  /// action space allocates its bound arrays).
  public let actionWidth: Int
  /// Action delay (`PhysicsEffects`): the last `historyCapacity` actions
  /// given to each instance, most recent first (`Action` values, instance i
  /// at `history + i * historyCapacity * actionWidth`), and their copy when
  /// an episode ends; nil when the capacity is 0.
  public let history: UnsafeMutablePointer<D.Action>?
  public let finalHistory: UnsafeMutablePointer<D.Action>?
  /// Per instance: 1 once the running episode's first step filled the
  /// history, 0 before (set at every episode start).
  public let historyStarted: UnsafeMutablePointer<UInt8>?
  public let historyCapacity: Int
  /// The instances a kernel call works on (a chunk when run in parallel).
  public var range: Range<Int>
}

extension EnvironmentDynamics {
  public static var storageSize: Int { stateSize }
  public static var rewardThreshold: Double? { nil }
  public static var terminationIsSuccess: Bool? { nil }
  public static var observationKind: ObservationKind { .vector }
  public var horizonTerminates: Bool { false }
  public static var parameterTable: [DynamicsParameter<Self>] { [] }
  public static var parameterNames: [String] { parameterTable.map(\.name) }
  public func parameter(_ index: Int) -> Double {
    Self.parameterTable.indices.contains(index) ? self[keyPath: Self.parameterTable[index].keyPath] : .nan
  }
  public mutating func setParameter(_ index: Int, _ value: Double) {
    guard Self.parameterTable.indices.contains(index) else { return }
    self[keyPath: Self.parameterTable[index].keyPath] = value
  }
  public static func checkParameter(_ index: Int, _ value: Double) -> String? {
    parameterTable.indices.contains(index) ? parameterTable[index].requirement.problem(value) : nil
  }
  public func renderText(_ state: State) -> String? { nil }
  public var tabularModel: TabularModel? { nil }
  public var definition: Record? { nil }
  public var environmentID: String { Self.id }
  public static var parallelChunk: Int { 1024 }
  public func checkState(_ values: UnsafePointer<Double>) -> String? { nil }

  @inlinable
  public func exportState(_ state: State, into out: UnsafeMutablePointer<Double>) {
    let tmp = UnsafeMutablePointer<Double>.allocate(capacity: Self.storageSize)
    defer { tmp.deallocate() }
    store(state, tmp, 0, stride: 1)
    out.update(from: tmp, count: Self.stateSize)
  }

  @inlinable
  public func importState(_ values: UnsafePointer<Double>) -> State {
    let tmp = UnsafeMutablePointer<Double>.allocate(capacity: Self.storageSize)
    defer { tmp.deallocate() }
    tmp.initialize(repeating: 0, count: Self.storageSize)
    tmp.update(from: values, count: Self.stateSize)
    return load(tmp, 0, stride: 1)
  }
}

// The batch kernels are protocol requirements implemented here once: each
// environment's conformance is a concrete call site, so the compiler
// specialises the loop for it and inlines its physics (one dynamic dispatch
// per batch, none per instance).
extension EnvironmentDynamics {
  /// Draws the randomised parameters of instance `i`, then its start state.
  @inlinable
  static func startEpisode(_ b: BatchStorage<Self>, _ i: Int) -> State {
    for r in b.ranges {
      b.dynamics[i].setParameter(r.index, b.parameterGenerators[i].uniform(r.low, r.high))
    }
    if b.boundaryProbability > 0 {
      // ADR's boundary sampling (draws only with ADR on, so the parameter
      // stream is unchanged without it).
      var tag: Int32 = -1
      if b.parameterGenerators[i].nextUnitDouble() < b.boundaryProbability {
        let k = Swift.min(Int(b.parameterGenerators[i].nextUnitDouble() * Double(b.boundaryCount)), b.boundaryCount - 1)
        let upper = b.parameterGenerators[i].nextUnitDouble() < 0.5
        let r = b.ranges[k]
        b.dynamics[i].setParameter(r.index, upper ? r.high : r.low)
        tag = Int32(2 * k + (upper ? 1 : 0))
      }
      b.episodeTags[i] = tag
      b.episodeReturns[i] = 0
    }
    b.historyStarted?[i] = 0  // the episode's first step fills the action history
    return b.dynamics[i].initialState(using: &b.generators[i])
  }

  @inlinable
  public func resetBatch(_ b: BatchStorage<Self>, observations: UnsafeMutablePointer<Double>) {
    let n = b.count
    for i in 0..<n {
      let s = Self.startEpisode(b, i)
      b.dynamics[i].store(s, b.states, i, stride: n)
      b.elapsed[i] = 0
      b.pendingResets?[i] = 0
      b.dynamics[i].observe(s, into: observations + i * observationSize)
      Self.addNoise(b, i, b.dynamics[i].effects.observationNoise, observations + i * observationSize, observationSize)
    }
  }

  /// Observation noise (`PhysicsEffects`): adds N(0, σ²) to each of the
  /// `width` components at `out`, drawn from instance i's generator; draws
  /// nothing when σ = 0.
  @inlinable @inline(__always)
  static func addNoise(_ b: BatchStorage<Self>, _ i: Int, _ sigma: Double, _ out: UnsafeMutablePointer<Double>, _ width: Int) {
    guard sigma > 0 else { return }
    for k in 0..<width { out[k] += sigma * b.generators[i].standardNormal() }
  }

  /// Action delay (`PhysicsEffects`): the action instance i applies now
  /// given `given` (its action this step), and the history updated. An
  /// empty history (a new episode: started flag 0) is first filled with
  /// `given`, so the first action is held until `delay` steps have passed.
  @inlinable @inline(__always)
  static func delayedAction(
    _ b: BatchStorage<Self>, _ i: Int, _ delay: Int, given: UnsafePointer<Action>, into applied: UnsafeMutablePointer<Action>
  ) {
    let w = b.actionWidth
    guard let history = b.history else {
      applied.update(from: given, count: w)
      return
    }
    let cap = b.historyCapacity
    let h = history + i * cap * w
    if let started = b.historyStarted, started[i] == 0 {
      for j in 0..<cap { (h + j * w).update(from: given, count: w) }
      started[i] = 1
    }
    if delay > 0 {
      applied.update(from: h + (Swift.min(delay, cap) - 1) * w, count: w)
    } else {
      applied.update(from: given, count: w)
    }
    // Shift: the action j steps ago becomes j + 1 steps ago.
    if cap > 1 { (h + w).update(from: h, count: (cap - 1) * w) }
    h.update(from: given, count: w)
  }

  /// One step of every instance, with the time limit and same-step autoreset:
  /// an instance that terminates or reaches its time limit writes its last
  /// observation to `finalObservations`, then starts a new episode; the rows
  /// of the other instances in `finalObservations` are set to 0.
  ///
  /// Next-step autoreset (`pendingResets` not nil; Gymnasium's NEXT_STEP):
  /// an instance whose episode ends stays in its final state (its
  /// observation is the final one, also written to `finalObservations`);
  /// the next step ignores its action and resets it: the reset observation,
  /// reward 0, neither terminated nor truncated.
  @inlinable
  public func stepBatch(
    _ b: BatchStorage<Self>, actions: UnsafeRawPointer,
    observations: UnsafeMutablePointer<Double>, rewards: UnsafeMutablePointer<Double>,
    terminated: UnsafeMutablePointer<UInt8>, truncated: UnsafeMutablePointer<UInt8>,
    finalObservations: UnsafeMutablePointer<Double>?
  ) -> Int {
    let n = b.count
    let width = observationSize
    let actionWidth = b.actionWidth
    let a = actions.assumingMemoryBound(to: Action.self)
    var ended = 0
    // One instance; `d` is passed by value so its constants stay in registers
    // (through a pointer they would be reloaded after every store).
    let randomized = !b.ranges.isEmpty
    @inline(__always) func stepOne(_ d: Self, _ i: Int) {
      if let pending = b.pendingResets, pending[i] == 1 {  // next-step autoreset
        pending[i] = 0
        let s = Self.startEpisode(b, i)
        b.elapsed[i] = 0
        rewards[i] = 0
        terminated[i] = 0
        truncated[i] = 0
        if let finalObservations {
          (finalObservations + i * width).update(repeating: 0, count: width)
        }
        b.dynamics[i].store(s, b.states, i, stride: n)
        b.dynamics[i].observe(s, into: observations + i * width)
        Self.addNoise(b, i, b.dynamics[i].effects.observationNoise, observations + i * width, width)
        return
      }
      var s = d.load(b.states, i, stride: n)
      let effects = d.effects
      let reward: Double
      let term: Bool
      if b.history != nil {
        (reward, term) = withUnsafeTemporaryAllocation(of: Action.self, capacity: actionWidth) { buffer in
          guard let applied = buffer.baseAddress else { return d.step(&s, action: a + i * actionWidth, using: &b.generators[i]) }
          Self.delayedAction(b, i, effects.delaySteps, given: a + i * actionWidth, into: applied)
          return d.step(&s, action: applied, using: &b.generators[i])
        }
      } else {
        (reward, term) = d.step(&s, action: a + i * actionWidth, using: &b.generators[i])
      }
      let steps = b.elapsed[i] &+ 1
      let limit = d.maxEpisodeSteps
      let atLimit = limit > 0 && Int(steps) >= limit
      let isTerminated = term || (atLimit && d.horizonTerminates)
      let isTruncated = atLimit && !d.horizonTerminates
      rewards[i] = reward
      terminated[i] = isTerminated ? 1 : 0
      truncated[i] = isTruncated ? 1 : 0
      if b.boundaryProbability > 0 { b.episodeReturns[i] += reward }
      if isTerminated || isTruncated {
        ended &+= 1
        if b.boundaryProbability > 0 {  // before startEpisode draws the next tag
          b.finalTags[i] = b.episodeTags[i]
          b.finalReturns[i] = b.episodeReturns[i]
        }
        if let finalObservations {
          d.observe(s, into: finalObservations + i * width)
          Self.addNoise(b, i, effects.observationNoise, finalObservations + i * width, width)
        }
        d.store(s, b.finalStates, i, stride: n)
        if let history = b.history, let finalHistory = b.finalHistory {
          let size = b.historyCapacity * actionWidth
          (finalHistory + i * size).update(from: history + i * size, count: size)
        }
        b.finalElapsed[i] = steps
        if let pending = b.pendingResets {  // next step resets it
          pending[i] = 1
          b.elapsed[i] = steps
        } else {
          s = Self.startEpisode(b, i)
          b.elapsed[i] = 0
        }
      } else {
        b.elapsed[i] = steps
        if let finalObservations {
          (finalObservations + i * width).update(repeating: 0, count: width)
        }
      }
      d.store(s, b.states, i, stride: n)
      if randomized && b.elapsed[i] == 0 {
        b.dynamics[i].observe(s, into: observations + i * width)  // freshly drawn parameters
        Self.addNoise(b, i, b.dynamics[i].effects.observationNoise, observations + i * width, width)
      } else {
        d.observe(s, into: observations + i * width)
        Self.addNoise(b, i, effects.observationNoise, observations + i * width, width)
      }
    }
    if !randomized {
      // Without randomisation every instance has the same parameters (only
      // randomisation makes them differ), so one value serves all.
      let shared = b.dynamics[0]
      for i in b.range { stepOne(shared, i) }
    } else {
      for i in b.range { stepOne(b.dynamics[i], i) }
    }
    return ended
  }
}

/// Writes the one-hot encoding of `index` into `out[0..<size]`.
@inlinable
public func oneHot(_ index: Int, size: Int, into out: UnsafeMutablePointer<Double>) {
  out.update(repeating: 0, count: size)
  if index >= 0 && index < size { out[index] = 1 }
}

/// The first row of `rows` (`[batch, width]`) that is not a one-hot
/// encoding, with why (`entry k is v` or `n entries are 1`); nil if none.
func firstNonOneHotRow(_ rows: UnsafePointer<Double>, batch: Int, width: Int) -> (row: Int, why: String)? {
  for r in 0..<batch {
    var ones = 0
    for k in 0..<width {
      let v = rows[r * width + k]
      if v == 1 { ones += 1 } else if v != 0 { return (r, "entry \(k) is \(v)") }
    }
    if ones != 1 { return (r, "\(ones) entries are 1") }
  }
  return nil
}
