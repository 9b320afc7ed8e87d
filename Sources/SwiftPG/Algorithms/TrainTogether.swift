#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif
import Synchronization

/// Trains independent learners side by side in one call — the many-seeds
/// study (K agents, the same settings, different seeds) in one process on
/// shared threads, as JAX's `vmap` over seeds does.
///
/// Each learner iterates until its `totalEnvSteps` reaches `totalEnvSteps`
/// (a total, like `train`), exactly as it would alone: learner k's
/// iterations are its own, in order, on one thread at a time, so every
/// learner ends bit-identical to training it by itself. `threads` learners
/// run at once (claimed in order by the `WorkerPool`'s threads); within a
/// learner, passes that would use the pool (PPO's `updateThreads`, an
/// environment's threads) run on the learner's own thread while the pool
/// serves the group, which changes no result. The learners must not share
/// an environment, policy or critic (the caller checks; see the C entry
/// point).
///
/// - Parameters:
///   - onIteration: called after each iteration with the learner's index
///     and statistics, on the thread that ran it (calls for different
///     learners may be concurrent; for one learner they are in order).
///   - cancellation: checked (not consumed) before every iteration of every
///     learner; a learner whose iteration throws `.cancelled` stops the
///     others at their next iteration too.
/// - Returns: per learner, nil or the error that stopped it (the others
///   go on); a learner stopped by cancellation gets `.cancelled`.
public func trainTogether(
  _ learners: [any PolicyGradientLearner], totalEnvSteps: Int, threads: Int,
  cancellation: CancellationFlag? = nil, onIteration: ((Int, TrainStats) -> Void)? = nil
) -> [SwiftPGError?] {
  let job = TrainTogetherJob(
    learners, totalEnvSteps: totalEnvSteps, cancellation: cancellation, onIteration: onIteration)
  WorkerPool.shared.run(
    chunks: learners.count, threads: Swift.max(1, Swift.min(threads, WorkerPool.maxThreads)), job: job)
  return job.outcomes()
}

private final class TrainTogetherJob: ParallelJob, @unchecked Sendable {
  let learners: [any PolicyGradientLearner]
  let totalEnvSteps: Int
  let cancellation: CancellationFlag?
  let onIteration: ((Int, TrainStats) -> Void)?
  /// Set when any learner is cancelled: the others stop before their next iteration.
  let stopped = Atomic<Bool>(false)
  /// One slot per learner, each written only by the thread running it.
  let errors: UnsafeMutableBufferPointer<SwiftPGError?>

  init(
    _ learners: [any PolicyGradientLearner], totalEnvSteps: Int, cancellation: CancellationFlag?,
    onIteration: ((Int, TrainStats) -> Void)?
  ) {
    self.learners = learners
    self.totalEnvSteps = totalEnvSteps
    self.cancellation = cancellation
    self.onIteration = onIteration
    errors = .allocate(capacity: learners.count)
    errors.initialize(repeating: nil)
  }

  deinit { errors.deallocate() }

  func runChunk(_ k: Int) {
    let learner = learners[k]
    while learner.totalEnvSteps < totalEnvSteps {
      if stopped.load(ordering: .acquiring) || (cancellation?.isRequested ?? false) {
        errors[k] = SwiftPGError(.cancelled, "training was cancelled")
        stopped.store(true, ordering: .releasing)
        return
      }
      do throws(SwiftPGError) {
        let stats = try learner.iterate()
        onIteration?(k, stats)
      } catch {
        errors[k] = error
        if error.code == .cancelled { stopped.store(true, ordering: .releasing) }
        return
      }
    }
  }

  func outcomes() -> [SwiftPGError?] { Array(errors) }
}
