/// A uniform experience-replay buffer of single transitions
/// (s, a, r, s′, terminated, truncated) with discrete actions — DQN's
/// memory (Mnih et al. 2015; Stable-Baselines3's `ReplayBuffer` with
/// `handle_timeout_termination=True`).
///
/// Storage is a ring of `capacity` rows: once full, each new transition
/// overwrites the oldest. `terminated` and `truncated` are kept apart: a
/// learner discounts the bootstrap with γ·(1 − terminated), so a step cut by
/// the time limit still bootstraps from `nextObservations`, which for a step
/// that ended the episode is the *final* observation (the environment's
/// `finalObservations`), never the observation of the next episode's reset.
///
/// Invariants: `0 ≤ count ≤ capacity`; rows `0..<count` hold transitions;
/// sampling draws row indices uniformly with replacement.
///
/// - Complexity: `add` O(N·observationSize), `sample` O(B·observationSize);
///   no allocation after `init` (the minibatch is caller-owned).
public final class ReplayBuffer {
  public let capacity: Int
  public let observationSize: Int
  /// Transitions stored (at most `capacity`).
  public private(set) var count = 0
  /// The row the next transition is written to.
  public private(set) var position = 0
  /// Transitions added since creation (including overwritten ones).
  public private(set) var added = 0

  /// The stored rows (`capacity` of them; rows `0..<count` hold transitions).
  public private(set) var rows: TransitionBatch

  public init(capacity: Int, observationSize: Int) throws(SwiftPGError) {
    rows = try TransitionBatch(size: capacity, observationSize: observationSize, what: "buffer_size")
    self.capacity = capacity
    self.observationSize = observationSize
  }

  /// Adds one environment step of `lanes` lanes (row i = lane i): the
  /// observations the actions were taken in, the actions, rewards, flags,
  /// the observations returned by the step (`nextObservations`, already the
  /// next episode's first one for lanes that ended, with autoreset) and the
  /// final observations of lanes that ended (`finalObservations`; nil only
  /// when no lane ended). A lane that terminated or truncated stores its
  /// final observation as s′. Actions are stored as given: the learner
  /// checks them (`QNetwork.lossAndGradient` refuses ones out of range).
  public func add(
    observations obs: UnsafePointer<Double>, actions a: UnsafePointer<Int32>, rewards r: UnsafePointer<Double>,
    terminated te: UnsafePointer<UInt8>, truncated tr: UnsafePointer<UInt8>,
    nextObservations next: UnsafePointer<Double>, finalObservations final: UnsafePointer<Double>?, lanes: Int
  ) {
    let d = observationSize
    for i in 0..<Swift.max(lanes, 0) {
      let row = position
      let ended = te[i] != 0 || tr[i] != 0
      let source = ended ? (final ?? next) : next
      for j in 0..<d {
        rows.observations[row * d + j] = obs[i * d + j]
        rows.nextObservations[row * d + j] = source[i * d + j]
      }
      rows.actions[row] = a[i]
      rows.rewards[row] = r[i]
      rows.terminated[row] = te[i] != 0 ? 1 : 0
      rows.truncated[row] = tr[i] != 0 ? 1 : 0
      position = position + 1 == capacity ? 0 : position + 1
      count = Swift.min(count + 1, capacity)
      added += 1
    }
  }

  /// Forgets every transition (the storage is kept).
  public func clear() {
    (count, position, added) = (0, 0, 0)
  }

  /// The stored transitions as a checkpoint record: `capacity`, `count`,
  /// `position`, `added` and the columns of rows 0..<count.
  public var record: Record {
    var r = Record()
    r.set("version", .int(1))
    for (name, value) in [("capacity", capacity), ("count", count), ("position", position), ("added", added)] {
      r.set(name, int: value)
    }
    let d = observationSize
    r.set("observations", doubles: Array(rows.observations[0..<(count * d)]))
    r.set("next_observations", doubles: Array(rows.nextObservations[0..<(count * d)]))
    r.set("actions", ints: rows.actions[0..<count].map { Int($0) })
    r.set("rewards", doubles: Array(rows.rewards[0..<count]))
    r.set("terminated", ints: rows.terminated[0..<count].map { Int($0) })
    r.set("truncated", ints: rows.truncated[0..<count].map { Int($0) })
    return r
  }

  /// Validates a `record` of a buffer of the same capacity and
  /// observation size (actions in 0..<actionCount, flags 0 or 1, finite
  /// observations and rewards; s′ of a terminated row may be anything) and
  /// returns what restores it.
  public func prepareRestore(_ r: RecordReader, actionCount: Int) throws(SwiftPGError) -> () -> Void {
    try r.requireVersion(1, "the replay buffer has")
    let saved = try r.int("capacity", in: 0...Int64(1) << 40)
    guard saved == capacity else { throw r.fail("the file's replay buffer holds \(saved) transitions, this one \(capacity)") }
    let n = try r.int("count", in: 0...Int64(capacity))
    let pos = try r.int("position", in: 0...Int64(capacity - 1))
    let total = try r.int("added", in: Int64(n)...Int64(1) << 53)
    guard n == capacity || pos == n else { throw r.fail("position \(pos) of a buffer holding \(n) transitions") }
    let d = observationSize
    let obs = try r.doubles("observations", count: n * d)
    let next = try r.doubles("next_observations", count: n * d, finite: false)
    let acts = try r.ints("actions", count: n, in: 0...Int64(actionCount - 1))
    let rew = try r.doubles("rewards", count: n)
    let term = try r.ints("terminated", count: n, in: 0...1)
    let trunc = try r.ints("truncated", count: n, in: 0...1)
    try r.finish()
    return { [self] in
      for k in 0..<(n * d) {
        rows.observations[k] = obs[k]
        rows.nextObservations[k] = next[k]
      }
      for k in 0..<n {
        rows.actions[k] = Int32(acts[k])
        rows.rewards[k] = rew[k]
        rows.terminated[k] = UInt8(term[k])
        rows.truncated[k] = UInt8(trunc[k])
      }
      (count, position, added) = (n, pos, total)
    }
  }

  /// Fills `batch` with `batch.size` transitions drawn uniformly with
  /// replacement from the stored ones (its `indices` record which rows).
  /// Throws when the buffer is empty.
  public func sample(into batch: inout TransitionBatch, using rng: inout some RandomNumberGenerator)
    throws(SwiftPGError)
  {
    try require(count > 0, "cannot sample from an empty replay buffer")
    try require(batch.observationSize == observationSize, "the minibatch was made for another observation size")
    let d = observationSize
    for k in 0..<batch.size {
      let row = Int.random(in: 0..<count, using: &rng)
      batch.indices[k] = row
      for j in 0..<d {
        batch.observations[k * d + j] = rows.observations[row * d + j]
        batch.nextObservations[k * d + j] = rows.nextObservations[row * d + j]
      }
      batch.actions[k] = rows.actions[row]
      batch.rewards[k] = rows.rewards[row]
      batch.terminated[k] = rows.terminated[row]
      batch.truncated[k] = rows.truncated[row]
    }
  }
}

/// Rows of single transitions, `[size, observationSize]` and `[size]`: the
/// replay buffer's storage, and the minibatches sampled from it (owned by
/// the learner, refilled by `ReplayBuffer.sample`, which records the rows
/// drawn in `indices`).
public struct TransitionBatch {
  public let size: Int
  public let observationSize: Int
  public var indices: [Int]

  /// Most values an observation column may hold (rows × observation size ≤ 2^28).
  public static let maxValues = 1 << 28
  public var observations: [Double]
  public var nextObservations: [Double]
  public var actions: [Int32]
  public var rewards: [Double]
  public var terminated: [UInt8]
  public var truncated: [UInt8]

  /// `what` names `size` in errors ("batch_size", "buffer_size").
  public init(size: Int, observationSize: Int, what: String = "batch_size") throws(SwiftPGError) {
    try require(size >= 1, "\(what) must be at least 1, got \(size)")
    try require(observationSize >= 1, "observation size must be at least 1, got \(observationSize)")
    let values = try checkedProduct(size, observationSize, "\(what) × observation size")
    try require(
      values <= TransitionBatch.maxValues,
      "\(what) \(size) × observation size \(observationSize) exceeds \(TransitionBatch.maxValues) values",
      code: .tooLarge)
    self.size = size
    self.observationSize = observationSize
    indices = Array(repeating: 0, count: size)
    observations = Array(repeating: 0, count: values)
    nextObservations = observations
    actions = Array(repeating: 0, count: size)
    rewards = Array(repeating: 0, count: size)
    terminated = Array(repeating: 0, count: size)
    truncated = terminated
  }

  /// γ·(1 − terminated_i) for each row (rlax's `discounts`): a truncated
  /// step keeps γ and so bootstraps.
  public func discounts(gamma: Double) -> [Double] {
    terminated.map { $0 != 0 ? 0 : gamma }
  }
}
