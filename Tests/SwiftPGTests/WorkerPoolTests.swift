#if canImport(Glibc)
  import Glibc
#endif
import Synchronization
import Testing

@testable import SwiftPG

/// Counts the runs of every chunk and the threads that ran them.
final class CountingJob: ParallelJob, Sendable {
  let runs: Mutex<[Int]>
  let threads = Mutex<Set<UInt>>([])

  init(chunks: Int) { runs = Mutex(Array(repeating: 0, count: chunks)) }

  func runChunk(_ k: Int) {
    runs.withLock { $0[k] += 1 }
    let me = UInt(pthread_self())
    threads.withLock { _ = $0.insert(me) }
    // A little work, so that workers get a chance to join.
    var x = 0.0
    for i in 0..<2000 { x += _sin(Double(i)) }
    if x.isNaN { print(x) }
  }
}

/// The fork–join pool: every chunk exactly once, whoever runs it.
@Suite struct WorkerPoolTests {
  // At most 4 threads: workers persist for the process and every later
  // parallel loop wakes them all, so a test that started 63 would slow the
  // rest of the suite down on a small machine.
  @Test(arguments: [(0, 4), (1, 4), (7, 1), (7, 2), (100, 3), (200, 4)])
  func everyChunkRunsExactlyOnce(chunks: Int, threads: Int) {
    let job = CountingJob(chunks: chunks)
    WorkerPool.shared.run(chunks: chunks, threads: threads, job: job)
    #expect(job.runs.withLock { $0.allSatisfy { $0 == 1 } })
  }

  /// One thread (or one chunk) runs on the caller only.
  @Test func singleThreadRunsOnTheCaller() {
    let job = CountingJob(chunks: 16)
    WorkerPool.shared.run(chunks: 16, threads: 1, job: job)
    let me = UInt(pthread_self())
    #expect(job.threads.withLock { $0 } == [me])
  }

  /// Callers that find the pool busy run their own chunks: concurrent
  /// loops all complete.
  @Test func concurrentCallersAllComplete() async {
    let jobs = (0..<4).map { _ in CountingJob(chunks: 50) }
    await withTaskGroup(of: Void.self) { group in
      for job in jobs {
        group.addTask { WorkerPool.shared.run(chunks: 50, threads: 2, job: job) }
      }
    }
    for job in jobs { #expect(job.runs.withLock { $0.allSatisfy { $0 == 1 } }) }
  }
}
