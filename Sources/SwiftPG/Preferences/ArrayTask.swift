/// A task given by arrays: prompt probabilities and features, and the gold
/// (and optionally label) reward of every response to every prompt, in
/// canonical response order — the form a user-supplied task takes once its
/// rewards are tabulated (the Python side builds these tables).
///
/// `goldTable` and `labelTable` are [P, N] row-major with N =
/// `space.responseCount` (≤ `maxResponses`, 2^20). Reward features are
/// generic: `count_0 … count_{V−1}` (occurrences of each content token),
/// `content_length`, `truncated`. The expert writes, for each prompt, the
/// first response (canonical order) of maximum gold reward.
public struct ArrayTask: SequenceTask {
  public static let maxResponses = 1 << 20

  public let name: String
  public let space: SequenceSpace
  public let promptCount: Int
  public let promptProbabilities: [Double]
  public let promptFeatureCount: Int
  public let promptFeatures: [Double]
  /// Gold rewards [P, N] in canonical response order.
  public let goldTable: [Double]
  /// Label rewards [P, N] (equal to `goldTable` when none were given).
  public let labelTable: [Double]
  public let featureNames: [String]
  private let experts: [[Int32]]

  public init(
    name: String = "ArrayTask", vocabularySize: Int, maxLength: Int, promptProbabilities: [Double],
    promptFeatures: [Double], promptFeatureCount: Int, goldTable: [Double], labelTable: [Double]? = nil
  ) throws(SwiftPGError) {
    space = try SequenceSpace(vocabularySize: vocabularySize, maxLength: maxLength)
    let n = try space.enumerableResponseCount(limit: Self.maxResponses)
    let p = promptProbabilities.count
    try require(p >= 1 && p <= 1 << 16, "prompt_probs must have 1 to 65536 entries, got \(p)")
    self.promptProbabilities = try TaskSupport.probabilities(promptProbabilities, name: "prompt_probs")
    try require(promptFeatureCount >= 0, "prompt_feature_count must be >= 0, got \(promptFeatureCount)")
    let f = try Limits.product([p, promptFeatureCount], limit: Limits.maxScratchElements, "prompt features [P, F]")
    try require(
      promptFeatures.count == f,
      "prompt_features must have \(p) × \(promptFeatureCount) entries, got \(promptFeatures.count)")
    for (i, v) in promptFeatures.enumerated() where !v.isFinite {
      throw SwiftPGError(.notFinite, "prompt_features[\(i)] must be finite, got \(v)")
    }
    let total = try Limits.product([p, n], limit: Limits.maxScratchElements, "reward tables [P, responses]")
    for (tableName, table) in [("gold_table", goldTable), ("label_table", labelTable ?? goldTable)] {
      try require(table.count == total, "\(tableName) must have \(p) × \(n) entries, got \(table.count)")
      for (i, v) in table.enumerated() where !v.isFinite {
        throw SwiftPGError(.notFinite, "\(tableName)[\(i / n), \(i % n)] must be finite, got \(v)")
      }
    }
    self.name = name
    self.promptCount = p
    self.promptFeatureCount = promptFeatureCount
    self.promptFeatures = promptFeatures
    self.goldTable = goldTable
    self.labelTable = labelTable ?? goldTable
    featureNames = (0..<vocabularySize).map { "count_\($0)" } + ["content_length", "truncated"]
    var experts: [[Int32]] = []
    var row = [Int32](repeating: 0, count: maxLength)
    for x in 0..<p {
      var best = 0
      for i in 1..<n where goldTable[x * n + i] > goldTable[x * n + best] { best = i }
      let space = self.space
      let len = try row.withMutableBase("row") { (r) throws(SwiftPGError) in try space.response(best, into: r) }
      let l = try row.withBase("row") { (r) throws(SwiftPGError) in space.contentLength(tokens: r, length: len) }
      experts.append(Array(row[0..<l]))
    }
    self.experts = experts
  }

  @inline(__always)
  private func index(_ tokens: UnsafePointer<Int32>, _ length: Int32) -> Int {
    space.responseIndex(tokens: tokens, length: length) ?? 0  // enumerable: never nil
  }

  public func goldReward(prompt: Int, tokens: UnsafePointer<Int32>, length: Int32) -> Double {
    goldTable[prompt * (space.responseCount ?? 0) + index(tokens, length)]
  }

  public func labelReward(prompt: Int, tokens: UnsafePointer<Int32>, length: Int32) -> Double {
    labelTable[prompt * (space.responseCount ?? 0) + index(tokens, length)]
  }

  public func rewardFeatures(
    prompt: Int, tokens: UnsafePointer<Int32>, length: Int32, into out: UnsafeMutablePointer<Double>
  ) {
    let v = space.vocabularySize
    let l = space.contentLength(tokens: tokens, length: length)
    out.update(repeating: 0, count: v + 2)
    for t in 0..<l { out[Int(tokens[t])] += 1 }
    out[v] = Double(l)
    out[v + 1] = l == space.maxLength ? 1 : 0
  }

  public func expertResponse(prompt: Int) -> [Int32] { experts[prompt] }
}
