import Testing

@testable import SwiftPG

@Suite struct SummariseTests {
  @Test func contract() throws {
    try TaskChecks.checkContract(Summarise(vocabularySize: 4, maxLength: 4, promptCount: 3, salientCount: 2))
  }

  /// Defaults: V = 6, L = 6, P = 8, 55 987 responses; the brute-force maximum
  /// of every prompt is 3 (1 − 0.1) = 2.7 and the expert reaches it.
  @Test func defaults() throws {
    let task = try Summarise()
    #expect(task.space.responseCount == 55_987 && task.promptCount == 8)
    for x in [0, 7] {
      let r = try TaskChecks.rewards(task, prompt: x)
      #expect(abs(r.max()! - 2.7) < 1e-12)
    }
    let demos = try task.expertDemonstrations(count: 16, noise: 0, seed: 1)
    let g = try task.goldRewards(prompts: demos.prompts, tokens: demos.tokens, lengths: demos.lengths)
    #expect(g.allSatisfy { abs($0 - 2.7) < 1e-12 })
  }

  /// With S = salient tokens (s₀ < s₁ < s₂) of prompt 0 and a non-salient n,
  /// λ = 0.1, c = 1, L = 6:
  /// [s₀, n, s₀] EOS: 1 − 0.3 = 0.7; [s₂, s₁, s₀] EOS: 3 − 0.3 = 2.7;
  /// [s₀, s₁, s₂, n, n, n] (truncated): 3 − 0.6 − 1 = 1.4; [] EOS: 0;
  /// [n, n, n, n, n] EOS: −0.5.
  @Test func goldenValues() throws {
    let task = try Summarise()
    let s = task.salientTokens[0]
    #expect(s.count == 3 && s == s.sorted() && Set(s).count == 3)
    let n = (0..<Int32(6)).first { !s.contains($0) }!
    let cases: [([Int32], Double)] = [
      ([s[0], n, s[0]], 0.7), ([s[2], s[1], s[0]], 2.7), ([s[0], s[1], s[2], n, n, n], 1.4), ([], 0),
      ([n, n, n, n, n], -0.5),
    ]
    for (content, want) in cases {
      #expect(abs(try TaskChecks.gold(task, 0, content) - want) < 1e-12, "\(content)")
      #expect(try TaskChecks.gold(task, 0, content, label: true) == TaskChecks.gold(task, 0, content))
    }
    #expect(try TaskChecks.features(task, 0, [s[0], s[1], s[2], n, n, n]) == [3, 6, 1])
    #expect(try TaskChecks.features(task, 0, [s[0], n, s[0]]) == [1, 3, 0])
  }

  /// Posts hold their salient tokens; prompt features are the salient
  /// indicator and the post's token frequencies; the generation is a pure
  /// function of (seed, prompt id).
  @Test func postsAndFeatures() throws {
    let task = try Summarise()
    let v = 6
    for x in 0..<task.promptCount {
      let post = task.posts[(x * task.postLength)..<((x + 1) * task.postLength)]
      for tok in task.salientTokens[x] { #expect(post.contains(tok)) }
      let f = task.promptFeatures[(x * 2 * v)..<((x + 1) * 2 * v)]
      #expect(f.prefix(v).reduce(0, +) == 3)
      #expect(abs(f.suffix(v).reduce(0, +) - 1) < 1e-12)
    }
    let more = try Summarise(promptCount: 12)
    #expect(Array(more.posts.prefix(8 * 8)) == task.posts && Array(more.salientTokens.prefix(8)) == task.salientTokens)
    let other = try Summarise(seed: 1)
    #expect(other.posts != task.posts)
  }

  @Test func rejectsBadParameters() {
    #expect(throws: SwiftPGError.self) { try Summarise(vocabularySize: 0) }
    #expect(throws: SwiftPGError.self) { try Summarise(maxLength: 0) }
    #expect(throws: SwiftPGError.self) { try Summarise(promptCount: 0) }
    #expect(throws: SwiftPGError.self) { try Summarise(maxLength: 3, salientCount: 3) }
    #expect(throws: SwiftPGError.self) { try Summarise(vocabularySize: 2, salientCount: 3) }
    #expect(throws: SwiftPGError.self) { try Summarise(salientCount: 0) }
    #expect(throws: SwiftPGError.self) { try Summarise(postLength: 2) }
    #expect(throws: SwiftPGError.self) { try Summarise(lengthPenalty: -0.1) }
    #expect(throws: SwiftPGError.self) { try Summarise(lengthPenalty: .nan) }
    #expect(throws: SwiftPGError.self) { try Summarise(missingEOSPenalty: .infinity) }
    do {
      _ = try Summarise(postLength: 1)
      Issue.record("expected a throw")
    } catch { #expect(error.message.contains("post_length") && error.message.contains("1")) }
  }
}
