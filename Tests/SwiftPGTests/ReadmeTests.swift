import SwiftPG
import Testing

/// The README's Swift quick start, verbatim (python/tests/test_readme.py
/// checks that the README block and this body are the same lines), so the
/// README cannot name types or arguments that do not exist.
@Suite struct ReadmeTests {
  @Test func swiftQuickStart() throws {
    let env = try VectorEnvironment(CartPole(), count: 8, seed: 0)
    let policy = try SoftmaxPolicy(observationSize: 4, actionCount: 2, hidden: [32, 32], seed: 0)
    var config = Reinforce.Config()
    config.stepsPerIteration = 2000
    let learner = try Reinforce(env: env, policy: policy, critic: nil, config: config)
    for _ in 0..<10 { print(try learner.iterate().meanReturn) }
  }
}
