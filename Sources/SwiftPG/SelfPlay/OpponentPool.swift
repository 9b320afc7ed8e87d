/// A pool of a policy's former selves: parameter snapshots, one added every
/// `snapshotInterval` iterations, opponents drawn uniformly from it —
/// AlphaGo's RL step (Silver et al. 2016) plays "the current policy network
/// against a randomly selected previous iteration", which stabilises
/// training against overfitting to the current policy.
///
/// With `capacity` snapshots held, adding one drops the oldest.
public struct OpponentPool: Sendable {
  /// The snapshots, oldest first.
  public private(set) var snapshots: [[Double]] = []
  /// The iteration each snapshot was taken at.
  public private(set) var iterations: [Int] = []
  public let capacity: Int

  /// - Throws: `.invalidArgument` unless 1 ≤ capacity ≤ 2^16.
  public init(capacity: Int) throws(SwiftPGError) {
    try require(capacity >= 1 && capacity <= 1 << 16, "the pool capacity must be in [1, 2^16], got \(capacity)")
    self.capacity = capacity
  }

  public var count: Int { snapshots.count }

  /// Adds a snapshot taken at `iteration` (dropping the oldest when full).
  public mutating func add(_ parameters: [Double], iteration: Int) {
    if snapshots.count == capacity {
      snapshots.removeFirst()
      iterations.removeFirst()
    }
    snapshots.append(parameters)
    iterations.append(iteration)
  }

  /// A uniformly drawn snapshot's index (the pool is not empty: refused
  /// with `.invalidArgument` otherwise).
  public func sample(using rng: inout SplitMix64) throws(SwiftPGError) -> Int {
    try require(!snapshots.isEmpty, "the opponent pool is empty")
    return Int.random(in: 0..<snapshots.count, using: &rng)
  }
}
