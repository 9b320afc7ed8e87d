#if canImport(Glibc)
  import Glibc
#endif
import Testing

@testable import SwiftPG

/// SelfPlay/AlphaGoPipeline.swift: the stages in order, checkpoints,
/// reproducibility by seed, cancellation and bad inputs (tiny settings).
@Suite struct AlphaGoPipelineTests {
  static func tiny(seed: UInt64) -> AlphaGoPipelineConfig {
    var c = AlphaGoPipelineConfig()
    c.hidden = [16]
    c.expertGames = 30
    c.supervisedEpochs = 2
    c.selfPlayIterations = 2
    c.selfPlayGames = 4
    c.snapshotInterval = 1
    c.evaluationGames = 2
    c.valueGames = 20
    c.valueEpochs = 2
    c.alphaZeroIterations = 1
    c.alphaZeroGames = 2
    c.alphaZeroSearch.simulations = 4
    c.search.simulations = 4
    c.solverGames = 2
    c.measureMistakes = true
    c.eloGamesPerPair = 2
    c.seed = seed
    return c
  }

  static func directory(_ name: String) -> String {
    "/tmp/swiftpg-alphago-pipeline-tests-\(getpid())-\(name)"
  }

  static func run(seed: UInt64, _ name: String) throws -> (AlphaGoPipeline<TicTacToe>, [AlphaGoPipeline<TicTacToe>.Progress]) {
    let p = try AlphaGoPipeline(TicTacToe(), config: tiny(seed: seed), directory: directory(name))
    var progress: [AlphaGoPipeline<TicTacToe>.Progress] = []
    try p.run { progress.append($0); return true }
    return (p, progress)
  }

  @Test func stagesRunInOrderAndWriteCheckpoints() throws {
    let (p, progress) = try Self.run(seed: 1, "order")
    #expect(progress.map(\.stage) == [.supervised, .supervised, .selfPlay, .selfPlay, .value, .alphaZero, .evaluation])
    #expect(p.isDone)
    #expect(throws: SwiftPGError.self) { try p.step() }
    #expect(progress[1].heldOutAccuracy >= 0 && progress[1].heldOutAccuracy <= 1)
    #expect(progress[3].scoreVsSupervised.isFinite && progress[4].valueExactMSE.isFinite)
    #expect(p.checkpoints.map { ($0.isPolicy, $0.stage) }.elementsEqual(
      [(true, .supervised), (true, .selfPlay), (true, .selfPlay), (false, .value), (true, .alphaZero),
       (false, .alphaZero)], by: { $0 == $1 }))
    for c in p.checkpoints where c.isPolicy { _ = try Checkpoint.loadBoardPolicy(c.path) }
    let e = try #require(p.evaluation)
    #expect(e.rawVsSolver?.record.games == 2 && e.searchVsSolver?.record.games == 2)
    #expect((e.rawMistakes?.positions ?? 0) > 0)
    // random, 4 policy checkpoints, the search
    #expect(e.eloLabels.count == 6 && e.eloRatings[0] == 0)
  }

  @Test func theSameSeedReplaysTheRun() throws {
    let (a, pa) = try Self.run(seed: 7, "a")
    let (b, pb) = try Self.run(seed: 7, "b")
    let (c, _) = try Self.run(seed: 8, "c")
    #expect(a.policy.parameters == b.policy.parameters && a.value.parameters == b.value.parameters)
    #expect(a.policy.parameters != c.policy.parameters)
    #expect(zip(pa, pb).allSatisfy { $0.heldOutAccuracy.bitPattern == $1.heldOutAccuracy.bitPattern })
    #expect(a.evaluation?.rawMistakes == b.evaluation?.rawMistakes)
    for (x, y) in zip(a.checkpoints, b.checkpoints) {
      #expect(try Checkpoint.read(x.path) == Checkpoint.read(y.path))
    }
  }

  @Test func cancellationKeepsTheStep() throws {
    let p = try AlphaGoPipeline(TicTacToe(), config: Self.tiny(seed: 2), directory: Self.directory("cancel"))
    p.cancellation.request()
    #expect(throws: SwiftPGError.self) { try p.step() }
    #expect(p.stage == .supervised)
    #expect(try p.step().iteration == 1)
  }

  @Test func aFailedCheckpointDoesNotAddAnIteration() throws {
    var c = Self.tiny(seed: 3)
    c.alphaZeroIterations = 0
    let dir = Self.directory("io")
    let p = try AlphaGoPipeline(TicTacToe(), config: c, directory: dir)
    _ = try p.step()
    _ = try p.step()  // the SL policy is written
    for e in p.checkpoints { unlink(e.path) }
    rmdir(dir)
    if let f = fopen(dir, "w") { fclose(f) }  // the directory is now a file: writing fails
    #expect(throws: SwiftPGError.self) { try p.step() }
    unlink(dir)
    mkdir(dir, 0o755)
    let next = try p.step()
    #expect(next.stage == .selfPlay && next.iteration == 2 && next.checkpoints.count == 1)
    #expect(try p.step().stage == .value)
  }

  @Test func badInputsAreRefused() throws {
    let g = TicTacToe()
    for change in [
      { (c: inout AlphaGoPipelineConfig) in c.hidden = [] }, { $0.hidden = [0] }, { $0.expertGames = 0 },
      { $0.heldOutShare = 1 }, { $0.supervisedLearningRate = .nan }, { $0.selfPlayIterations = -1 },
      { $0.valueGames = 1 }, { $0.search.simulations = 0 }, { $0.alphaZeroSearch.dirichletEpsilon = 2 },
      { $0.solverGames = -1 },
    ] {
      var c = Self.tiny(seed: 0)
      change(&c)
      #expect(throws: SwiftPGError.self) { try AlphaGoPipeline(g, config: c, directory: Self.directory("bad")) }
    }
    #expect(throws: SwiftPGError.self) { try AlphaGoPipeline(g, config: Self.tiny(seed: 0), directory: "") }
    // A path through a regular file cannot be a directory.
    let file = Self.directory("file")
    if let f = fopen(file, "w") { fclose(f) }
    #expect(throws: SwiftPGError.self) { try AlphaGoPipeline(g, config: Self.tiny(seed: 0), directory: file) }
  }
}
