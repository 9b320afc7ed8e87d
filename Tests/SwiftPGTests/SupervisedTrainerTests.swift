import Testing

@testable import SwiftPG

#if canImport(Glibc)
  import Glibc
#endif

/// A `SupervisedModel` whose inputs are ids (as a sequence model's contexts
/// are), not feature rows: logits θ[id, ·] from a table.
final class IdTableModel: SupervisedModel {
  typealias Inputs = [Int]
  let ids: Int
  let actionCount: Int
  private(set) var parameters: [Double]
  private var last: [Int] = []
  private let out = ScratchBuffer()

  init(ids: Int, actions: Int) {
    self.ids = ids
    actionCount = actions
    parameters = Array(repeating: 0, count: ids * actions)
  }
  var parameterCount: Int { parameters.count }
  func setParameters(_ values: [Double]) throws(SwiftPGError) { parameters = values }
  func exampleCount(_ inputs: [Int]) throws(SwiftPGError) -> Int {
    try require(inputs.allSatisfy { $0 >= 0 && $0 < ids }, "bad id")
    return inputs.count
  }
  func forward(_ inputs: [Int], rows: UnsafeBufferPointer<Int>) throws(SwiftPGError) -> UnsafePointer<Double> {
    last = rows.map { inputs[$0] }
    let o = out.reserve(rows.count * actionCount)
    for (r, id) in last.enumerated() {
      for a in 0..<actionCount { o[r * actionCount + a] = parameters[id * actionCount + a] }
    }
    return UnsafePointer(o)
  }
  func backward(_ dLogits: UnsafePointer<Double>, into gradient: UnsafeMutablePointer<Double>) {
    for (r, id) in last.enumerated() {
      for a in 0..<actionCount { gradient[id * actionCount + a] += dLogits[r * actionCount + a] }
    }
  }
}

@Suite struct SupervisedTrainerTests {
  typealias L = SupervisedLoss

  let logits: [Double] = [0.5, -1, 2, 0.3, 1.5, -0.2, 0, 0.7, -2, 1, 0.1, 3]
  let mask: [UInt8] = [1, 1, 0, 1, 0, 1, 1, 1, 1, 1, 0, 0]
  let targets: [Int32] = [1, 2, 0]
  let weights: [Double] = [1, 0.5, 2]

  @Test func goldenValues() throws {
    var d: [Double] = []
    let r = try L.maskedCrossEntropy(logits: [0, 0, 0, 0], mask: nil, targets: [0, 1], weights: nil, actions: 2, dLogits: &d)
    #expect(Swift.abs(r.loss - log(2.0)) < 1e-15 && r.weightSum == 2)
    #expect(d == [-0.25, 0.25, 0.25, -0.25])
    // One row [1, 2, 3], action 2 illegal, target 0: −log(e/(e + e²)) = log(1 + e)
    // = 1.3132616875182228; the argmax over legal actions is 1 → accuracy 0.
    let m = try L.maskedCrossEntropy(logits: [1, 2, 3], mask: [1, 1, 0], targets: [0], weights: nil, actions: 3, dLogits: &d)
    #expect(Swift.abs(m.loss - 1.3132616875182228) < 1e-15 && m.accuracy == 0)
    #expect(d[2] == 0)
    let one = try L.maskedCrossEntropy(logits: [1, 2, 3], mask: [1, 1, 0], targets: [1], weights: nil, actions: 3, dLogits: &d)
    #expect(one.accuracy == 1)
  }

  /// With a mask, the loss is the cross-entropy of the legal logits alone
  /// (renormalised softmax); illegal logits may be anything, even −∞.
  @Test func maskEqualsCrossEntropyOfTheLegalLogits() throws {
    var d: [Double] = [], dl: [Double] = []
    let r = try L.maskedCrossEntropy(logits: logits, mask: mask, targets: targets, weights: weights, actions: 4, dLogits: &d)
    var loss = 0.0
    for b in 0..<3 {
      var legal: [Double] = [], t: Int32 = 0
      for a in 0..<4 where mask[b * 4 + a] != 0 {
        if a == Int(targets[b]) { t = Int32(legal.count) }
        legal.append(logits[b * 4 + a])
      }
      let one = try L.maskedCrossEntropy(logits: legal, mask: nil, targets: [t], weights: nil, actions: legal.count, dLogits: &dl)
      loss += weights[b] * one.loss
    }
    #expect(Swift.abs(r.loss - loss / 3.5) < 1e-14)
    var poisoned = logits
    for i in poisoned.indices where mask[i] == 0 { poisoned[i] = i % 2 == 0 ? -.infinity : 1e300 }
    var d2: [Double] = []
    let p = try L.maskedCrossEntropy(logits: poisoned, mask: mask, targets: targets, weights: weights, actions: 4, dLogits: &d2)
    #expect(p == r && d2 == d)
  }

  @Test func derivativesMatchFiniteDifferences() throws {
    var d: [Double] = [], s: [Double] = []
    for (m, w) in [(nil, nil), (mask, nil), (mask, weights)] as [([UInt8]?, [Double]?)] {
      _ = try L.maskedCrossEntropy(logits: logits, mask: m, targets: targets, weights: w, actions: 4, dLogits: &d)
      let fd = try numericGradient(logits) {
        try L.maskedCrossEntropy(logits: $0, mask: m, targets: targets, weights: w, actions: 4, dLogits: &s).loss
      }
      #expect(maxAbsDifference(d, fd) < 1e-9)
    }
  }

  @Test func badInputsThrow() {
    var d: [Double] = []
    let cases: [([Double], [UInt8]?, [Int32], [Double]?)] = [
      ([0, 0], [1, 0], [1], nil),  // illegal target
      ([0, 0], [0, 0], [0], nil),  // no legal action
      ([0, 0], nil, [2], nil),  // target out of range
      ([0, 0], nil, [-1], nil),
      ([0, 0], nil, [0], [-1]),  // negative weight
      ([0, 0], nil, [0], [0]),  // zero weight sum
      ([0, 0], nil, [0], [.nan]),
      ([.nan, 0], nil, [0], nil),  // non-finite legal logit
      ([0, .infinity], [1, 1], [0], nil),
      ([], nil, [], nil),  // empty batch
      ([0, 0, 0], nil, [0], nil),  // wrong size
    ]
    for (z, m, t, w) in cases {
      #expect(throws: SwiftPGError.self) {
        try L.maskedCrossEntropy(logits: z, mask: m, targets: t, weights: w, actions: 2, dLogits: &d)
      }
    }
    #expect(d.isEmpty)
    #expect(throws: SwiftPGError.self) { try SupervisedLabels(targets: [0, 1], actionCount: 2, mask: [1, 1, 1, 0]) }
    #expect(throws: SwiftPGError.self) { try SupervisedLabels(targets: [], actionCount: 2) }
    #expect(throws: SwiftPGError.self) { try FeatureRows(values: [1, 2, 3], count: 2, width: 2) }
    #expect(throws: SwiftPGError.self) { try SupervisedTrainer(parameterCount: 3, config: .init(learningRate: 0)) }
    #expect(throws: SwiftPGError.self) { try SupervisedTrainer(parameterCount: 3, config: .init(epochs: 0)) }
  }

  /// A linear student fits a known linear softmax teacher over random
  /// masks: data from the teacher (4000 examples, 4 features, 3 actions,
  /// each action legal with probability 0.8). The student's excess
  /// held-out KL(teacher ‖ student) should be about (parameters)/(2·N) =
  /// 15/8000 ≈ 0.002 at the optimum; we allow 0.02 for Adam's noise.
  /// Its training loss approaches the teacher's own loss on the data, and
  /// its held-out accuracy the teacher's (within 3 points).
  @Test func fitsAKnownSoftmaxTeacher() throws {
    let k = 4, a = 3
    let teacher: [Double] = [1.5, -1.0, 0.5, 0.0, -0.5, 1.2, 0.8, -1.5, 0.3, 0.2, -1.0, 1.0]  // [a, k]
    let teacherBias: [Double] = [0.2, 0.0, -0.3]
    var rng = PCG64(seed: 11)
    func dataset(_ n: Int) throws -> (FeatureRows, SupervisedLabels, [Double]) {
      var x: [Double] = [], m: [UInt8] = [], t: [Int32] = [], z: [Double] = []
      for _ in 0..<n {
        let row = (0..<k).map { _ in rng.standardNormal() }
        var legal = (0..<a).map { _ in UInt8(rng.nextUnitDouble() < 0.8 ? 1 : 0) }
        if !legal.contains(1) { legal[Int(rng.next() % UInt64(a))] = 1 }
        let logit = (0..<a).map { j in teacherBias[j] + (0..<k).reduce(0.0) { $0 + teacher[j * k + $1] * row[$1] } }
        var probs = (0..<a).map { legal[$0] == 1 ? exp(logit[$0]) : 0 }
        let total = probs.reduce(0, +)
        probs = probs.map { $0 / total }
        var u = rng.nextUnitDouble(), y = 0
        while y < a - 1 && (u >= probs[y] || legal[y] == 0) {
          u -= probs[y]
          y += 1
        }
        if legal[y] == 0 { y = legal.firstIndex(of: 1) ?? 0 }
        x += row
        m += legal
        t.append(Int32(y))
        z += logit
      }
      return (try FeatureRows(values: x, count: n, width: k), try SupervisedLabels(targets: t, actionCount: a, mask: m), z)
    }
    let (train, trainLabels, trainTeacher) = try dataset(4000)
    let (test, testLabels, testTeacher) = try dataset(2000)
    let model = FeatureRowsModel(MLPLogits(network: try MLP(sizes: [k, a], activation: .tanh)))
    let trainer = try SupervisedTrainer(
      parameterCount: model.parameterCount,
      config: .init(epochs: 25, minibatchSize: 64, learningRate: 0.02, seed: 5))
    let history = try trainer.fit(model, inputs: train, labels: trainLabels, heldOut: (test, testLabels))
    #expect(history.loss.count == 25 && history.heldOutAccuracy.count == 25)
    #expect(history.loss[24] < history.loss[0])
    var scratch: [Double] = []
    let teacherTrain = try L.maskedCrossEntropy(
      logits: trainTeacher, mask: trainLabels.mask, targets: trainLabels.targets, weights: nil, actions: a,
      dLogits: &scratch)
    let teacherTest = try L.maskedCrossEntropy(
      logits: testTeacher, mask: testLabels.mask, targets: testLabels.targets, weights: nil, actions: a,
      dLogits: &scratch)
    let studentTrain = try trainer.evaluate(model, inputs: train, labels: trainLabels)
    // The fitted model can only beat the teacher on its own data by overfitting (~p/(2N)).
    #expect(studentTrain.loss < teacherTrain.loss + 0.02 && studentTrain.loss > teacherTrain.loss - 0.01)
    #expect(Swift.abs(history.heldOutAccuracy[24] - teacherTest.accuracy) < 0.03)
    // Held-out KL(teacher ‖ student) over the legal actions.
    let student = test.values.withUnsafeBufferPointer { Array(UnsafeBufferPointer(start: model.model.forward($0.baseAddress!, batch: 2000), count: 2000 * a)) }
    var kl = 0.0
    for b in 0..<2000 {
      let legal = (0..<a).filter { testLabels.mask![b * a + $0] != 0 }
      let lt = log(legal.reduce(0.0) { $0 + exp(testTeacher[b * a + $1]) })
      let ls = log(legal.reduce(0.0) { $0 + exp(student[b * a + $1]) })
      for j in legal {
        let pt = testTeacher[b * a + j] - lt
        kl += exp(pt) * (pt - (student[b * a + j] - ls))
      }
    }
    #expect(kl / 2000 < 0.02, "KL \(kl / 2000)")
    // Same seed, same data → the same parameters.
    let again = FeatureRowsModel(MLPLogits(network: try MLP(sizes: [k, a], activation: .tanh)))
    let trainer2 = try SupervisedTrainer(
      parameterCount: again.parameterCount, config: .init(epochs: 25, minibatchSize: 64, learningRate: 0.02, seed: 5))
    _ = try trainer2.fit(again, inputs: train, labels: trainLabels)
    #expect(again.parameters == model.parameters)
  }

  /// The same loop fits a model whose inputs are ids (the shape of the
  /// sequence model's contexts): with weights, the fitted softmax of each
  /// id approaches the weighted target frequencies of that id.
  @Test func fitsAModelOverIdsWithWeights() throws {
    // id 0: targets 0,0,1 with weights 1,1,2 → weighted frequencies (½, ½, 0);
    // id 1: targets 2, 1 (weight 3 and 1) → (0, ¼, ¾).
    let ids = [0, 0, 0, 1, 1]
    let labels = try SupervisedLabels(targets: [0, 0, 1, 2, 1], actionCount: 3, weights: [1, 1, 2, 3, 1])
    let model = IdTableModel(ids: 2, actions: 3)
    let trainer = try SupervisedTrainer(
      parameterCount: model.parameterCount, config: .init(epochs: 3000, minibatchSize: 5, learningRate: 0.05))
    let h = try trainer.fit(model, inputs: ids, labels: labels)
    func probs(_ id: Int) -> [Double] {
      let z = model.parameters[(id * 3)..<(id * 3 + 3)]
      let total = z.reduce(0.0) { $0 + exp($1) }
      return z.map { exp($0) / total }
    }
    #expect(maxAbsDifference(Array(probs(0).prefix(2)), [0.5, 0.5]) < 0.01)
    #expect(maxAbsDifference(Array(probs(1).suffix(2)), [0.25, 0.75]) < 0.01)
    // The minimum of the weighted loss is the weighted entropy:
    // (4·log 2 + 3·(−¼ log ¼ − ¾ log ¾)·(4/4)…) computed directly:
    let entropy1 = -(0.25 * log(0.25) + 0.75 * log(0.75))
    let optimum = (4 * log(2.0) + 4 * entropy1) / 8
    #expect(Swift.abs(h.loss.last! - optimum) < 0.01)
    // L2 weight decay λθ: the stationary point of the weighted mean loss
    // plus (λ/2)|θ|² has smaller logits; id 1's largest logit (the ¾
    // action) is pulled toward 0.
    let decayed = IdTableModel(ids: 2, actions: 3)
    let decayTrainer = try SupervisedTrainer(
      parameterCount: decayed.parameterCount,
      config: .init(epochs: 3000, minibatchSize: 5, learningRate: 0.05, weightDecay: 0.1))
    _ = try decayTrainer.fit(decayed, inputs: ids, labels: labels)
    let norm = { (p: [Double]) in p.reduce(0) { $0 + $1 * $1 } }
    #expect(norm(decayed.parameters) < 0.5 * norm(model.parameters))
    // At the stationary point of id 1's row, ∂/∂θ = (w₁/W)(softmax − target) + λθ = 0
    // with w₁/W = 4/8: θ = −(softmax − target)/(2λ), so Σ_a θ_a = 0.
    #expect(Swift.abs(decayed.parameters[3..<6].reduce(0, +)) < 0.05)
    #expect(throws: SwiftPGError.self) { try trainer.fit(model, inputs: [0, 5, 0, 1, 1], labels: labels) }
    #expect(throws: SwiftPGError.self) { try trainer.fit(model, inputs: [0, 1], labels: labels) }
  }
}
