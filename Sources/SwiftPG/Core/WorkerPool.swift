#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif
import Synchronization

/// Work split into chunks, run by `WorkerPool`. A job object is allocated
/// once by its owner and refilled for every loop, so running it allocates
/// nothing; `runChunk` must be safe to call concurrently for different k.
public protocol ParallelJob: AnyObject {
  func runChunk(_ k: Int)
}

/// A small fork–join pool of persistent threads for data-parallel loops
/// (environment batches split into chunks of instances).
///
/// `run(chunks:threads:job:)` calls `job.runChunk(k)` once for every chunk
/// k, on the calling thread and up to `threads − 1` workers, and returns
/// when all chunks are done. One loop runs at a time: a caller that finds the pool
/// busy runs its chunks itself, so nothing ever waits for another caller.
/// Results do not depend on which thread runs a chunk, only on the chunking.
public final class WorkerPool: @unchecked Sendable {
  public static let shared = WorkerPool()

  /// The most threads a loop may use (the caller plus 63 workers).
  public static let maxThreads = 64

  private let mutex: UnsafeMutablePointer<pthread_mutex_t>
  private let wake: UnsafeMutablePointer<pthread_cond_t>
  private let finished: UnsafeMutablePointer<pthread_cond_t>
  private let busy = Atomic<Bool>(false)
  private let nextChunk = Atomic<Int>(0)
  private let doneChunks = Atomic<Int>(0)
  /// Bumped (under `mutex`) for every loop; workers watch it.
  private let generation = Atomic<Int>(0)
  // Guarded by `mutex`:
  private var sleeping = 0
  private var workerCount = 0
  /// Workers that may still join the current loop.
  private var openSlots = 0
  /// Workers executing chunks of the current loop.
  private var running = 0
  private var chunkCount = 0
  private var job: (any ParallelJob)?

  private init() {
    mutex = .allocate(capacity: 1)
    wake = .allocate(capacity: 1)
    finished = .allocate(capacity: 1)
    pthread_mutex_init(mutex, nil)
    pthread_cond_init(wake, nil)
    pthread_cond_init(finished, nil)
  }

  /// Runs `job.runChunk(k)` for k in `0..<chunks` on up to `threads` threads.
  public func run(chunks: Int, threads: Int, job: any ParallelJob) {
    let wanted = Swift.min(threads, chunks, Self.maxThreads) - 1
    guard wanted > 0, busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
      for k in 0..<chunks { job.runChunk(k) }
      return
    }
    defer { busy.store(false, ordering: .releasing) }
    pthread_mutex_lock(mutex)
    while workerCount < wanted { startWorker() }
    nextChunk.store(0, ordering: .relaxed)
    doneChunks.store(0, ordering: .relaxed)
    chunkCount = chunks
    openSlots = wanted
    self.job = job
    generation.add(1, ordering: .releasing)
    if sleeping > 0 { pthread_cond_broadcast(wake) }
    pthread_mutex_unlock(mutex)

    work(job, chunks)

    // Every chunk is claimed by now; wait for the workers still running one,
    // then close the loop so that late wakers do not join it.
    pthread_mutex_lock(mutex)
    while doneChunks.load(ordering: .acquiring) < chunks || running > 0 {
      pthread_cond_wait(finished, mutex)
    }
    self.job = nil
    openSlots = 0
    pthread_mutex_unlock(mutex)
  }

  /// Claims and runs chunks until none are left.
  private func work(_ job: any ParallelJob, _ chunks: Int) {
    while true {
      let k = nextChunk.add(1, ordering: .relaxed).oldValue
      if k >= chunks { return }
      job.runChunk(k)
      doneChunks.add(1, ordering: .releasing)
    }
  }

  /// What a new worker starts from: its pool, and the generation before
  /// the loop that starts it is announced (read at creation, under the
  /// mutex), so a worker that begins running only after the announcement
  /// still joins that loop — reading the generation itself then, it took
  /// the current loop for an old one and slept through it (a group run as
  /// one loop, `trainTogether`, then used one thread).
  private final class WorkerStart {
    let pool: WorkerPool
    let generation: Int
    init(pool: WorkerPool, generation: Int) {
      self.pool = pool
      self.generation = generation
    }
  }

  private func startWorker() {
    let start = WorkerStart(pool: self, generation: generation.load(ordering: .acquiring))
    let context = Unmanaged.passRetained(start).toOpaque()
    var thread = pthread_t()
    // Workers block every signal (they inherit the mask in force at
    // pthread_create): a signal sent to the process then reaches a thread
    // that can act on it, e.g. Python's main thread waiting for this call,
    // instead of a worker that would run Python's C handler and leave the
    // main thread asleep.
    // The synchronous signals stay open: blocked, a fault would kill the
    // process without running any handler (no backtrace, no faulthandler).
    var all = sigset_t()
    var previous = sigset_t()
    sigfillset(&all)
    for s in [SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGSYS] { sigdelset(&all, s) }
    pthread_sigmask(SIG_SETMASK, &all, &previous)
    defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
    let created = pthread_create(
      &thread, nil,
      { raw in
        guard let raw else { return nil }
        let start = Unmanaged<WorkerStart>.fromOpaque(raw).takeRetainedValue()
        start.pool.workerLoop(seen: start.generation)
        return nil
      }, context)
    if created == 0 {
      pthread_detach(thread)
      workerCount += 1
    } else {
      Unmanaged<WorkerStart>.fromOpaque(context).release()
      workerCount = Self.maxThreads  // cannot start threads: stop trying
    }
  }

  /// Yields this many times watching for the next loop before sleeping
  /// (back-to-back environment steps then start without a wake-up call).
  private static let spinYields = 2000

  private func workerLoop(seen start: Int) {
    var seen = start
    while true {
      var spins = 0
      while generation.load(ordering: .acquiring) == seen && spins < Self.spinYields {
        spins += 1
        sched_yield()
      }
      pthread_mutex_lock(mutex)
      if generation.load(ordering: .acquiring) == seen {
        sleeping += 1
        while generation.load(ordering: .acquiring) == seen { pthread_cond_wait(wake, mutex) }
        sleeping -= 1
      }
      seen = generation.load(ordering: .acquiring)
      guard let current = job, openSlots > 0 else {
        pthread_mutex_unlock(mutex)
        continue
      }
      openSlots -= 1
      running += 1
      let chunks = chunkCount
      pthread_mutex_unlock(mutex)
      work(current, chunks)
      pthread_mutex_lock(mutex)
      running -= 1
      pthread_cond_signal(finished)
      pthread_mutex_unlock(mutex)
    }
  }
}
