import Testing

@testable import SwiftPG

/// Optimizers/ParameterStep.swift: the guarded step every learner takes —
/// refuse a non-finite gradient or result without touching the parameters
/// or the optimiser, clamp components to ±maxGradValue before stepping.
@Suite struct ParameterStepTests {
  struct Failure: Error {}

  /// Runs `apply` on `params`, returning the error if any.
  func apply(
    _ step: inout ParameterStep, _ params: inout [Double], gradient: [Double], ascend: Bool = true,
    learningRate: Double
  ) -> SwiftPGError? {
    var g = gradient
    var stored = params
    do throws(SwiftPGError) {
      try step.apply(
        gradient: &g, ascend: ascend, learningRate: learningRate, what: "policy", get: { stored },
        set: { stored = $0 }, failure: { SwiftPGError(.numerical, "iteration 1: \($0) is not finite") })
    } catch {
      return error
    }
    params = stored
    return nil
  }

  @Test func sgdStepsAlongTheGradientAtTheGivenRate() throws {
    var step = ParameterStep(optimizer: try AnyOptimizer(.sgd, count: 2, learningRate: 1, epsilon: 1e-8), maxGradValue: 0)
    var p = [1.0, 2.0]
    // The rate passed to apply wins over the optimiser's own (annealing).
    #expect(apply(&step, &p, gradient: [0.5, -1], learningRate: 0.25) == nil)
    #expect(p == [1.125, 1.75])
    #expect(apply(&step, &p, gradient: [0.5, -1], ascend: false, learningRate: 0.25) == nil)
    #expect(p == [1, 2])
  }

  @Test func nonFiniteGradientThrowsAndChangesNothing() throws {
    for kind in [OptimizerKind.adam, .sgd] {
      var step = ParameterStep(optimizer: try AnyOptimizer(kind, count: 3, learningRate: 0.1, epsilon: 1e-8), maxGradValue: 0)
      var p = [1.0, 2.0, 3.0]
      #expect(apply(&step, &p, gradient: [1, 2, 3], learningRate: 0.1) == nil)  // non-zero moments
      let before = p
      let state = optimizerState(step.optimizer)
      for bad in [Double.nan, .infinity, -.infinity] {
        let error = apply(&step, &p, gradient: [1, bad, 3], learningRate: 0.1)
        #expect(error?.code == .numerical && error?.message == "iteration 1: the policy gradient is not finite")
        #expect(p == before)
        #expect(optimizerState(step.optimizer) == state)
      }
    }
  }

  /// A finite gradient whose step overflows: refused, nothing written, and
  /// the optimiser keeps its previous state.
  @Test func nonFiniteResultThrowsAndChangesNothing() throws {
    var step = ParameterStep(optimizer: try AnyOptimizer(.sgd, count: 2, learningRate: 1, epsilon: 1e-8), maxGradValue: 0)
    var p = [1e308, 0.0]
    let error = apply(&step, &p, gradient: [1e308, 1], learningRate: 10)
    #expect(error?.message == "iteration 1: the updated policy parameters is not finite")
    #expect(p == [1e308, 0])
    #expect(optimizerState(step.optimizer) == [0, 0])  // the velocity is not committed
    // A failing setter also leaves the optimiser as it was.
    var adam = ParameterStep(optimizer: try AnyOptimizer(.adam, count: 1, learningRate: 0.1, epsilon: 1e-8), maxGradValue: 0)
    var g = [1.0]
    #expect(throws: SwiftPGError.self) {
      try adam.apply(
        gradient: &g, ascend: true, learningRate: 0.1, what: "policy", get: { [0] },
        set: { (_: [Double]) throws(SwiftPGError) in throw SwiftPGError(.notFinite, "refused") },
        failure: { SwiftPGError(.numerical, $0) })
    }
    #expect(optimizerState(adam.optimizer) == [0, 0, 0])
  }

  /// maxGradValue clamps each component before the step: with SGD each
  /// parameter moves by at most lr·v, and Adam's moments see the clamped gradient.
  @Test func maxGradValueClampsBeforeTheStep() throws {
    var sgd = ParameterStep(optimizer: try AnyOptimizer(.sgd, count: 4, learningRate: 1, epsilon: 1e-8), maxGradValue: 0.5)
    var p = [0.0, 0.0, 0.0, 0.0]
    #expect(apply(&sgd, &p, gradient: [3, -0.25, -7, 0.5], learningRate: 0.1) == nil)
    // clamp to ±0.5: (0.5, −0.25, −0.5, 0.5), times lr 0.1.
    #expect(p == [0.05, -0.025, -0.05, 0.05])
    var adam = ParameterStep(optimizer: try AnyOptimizer(.adam, count: 2, learningRate: 0.1, epsilon: 1e-8), maxGradValue: 0.5)
    var q = [0.0, 0.0]
    #expect(apply(&adam, &q, gradient: [4, -0.2], learningRate: 0.1) == nil)
    guard case .adam(let a) = adam.optimizer else {
      Issue.record("not Adam")
      return
    }
    // m = (1 − β₁) g_clamped = 0.1·(0.5, −0.2); v = (1 − β₂) g² = 0.001·(0.25, 0.04).
    #expect(abs(a.m[0] - 0.05) < 1e-15 && abs(a.m[1] + 0.02) < 1e-15)
    #expect(abs(a.v[0] - 0.00025) < 1e-18 && abs(a.v[1] - 0.00004) < 1e-18)
  }
}

/// The fused checks (Adam's kernel, SGD's propose) against the flow before
/// them (separate passes over the whole gradient and result): the same
/// error, or the same parameters and optimiser state bit for bit, for
/// gradients shorter and longer than the parameters, optimiser states
/// shorter and longer, clamping on and off, and non-finite or huge
/// components in the gradient and the result.
@Suite struct ParameterStepFusedChecksTests {
  /// The apply of 67f1437^ (separate checks), on copies.
  static func reference(
    _ optimizer: inout AnyOptimizer, maxGradValue: Double, params: inout [Double], gradient: [Double], ascend: Bool,
    learningRate lr: Double
  ) -> String? {
    var gradient = gradient
    guard gradient.allFinite else { return "the policy gradient" }
    if maxGradValue > 0 { clipGradient(&gradient, low: -maxGradValue, high: maxGradValue) }
    guard optimizer.acceptsGradient(gradient) else {
      return "the square of the policy gradient (a component beyond 1.3e154 overflows Adam's second moment)"
    }
    let p = params
    let n = p.count
    var proposed = [Double](repeating: 0, count: n)
    p.withUnsafeBufferPointer { pb in
      gradient.withUnsafeBufferPointer { gb in
        proposed.withUnsafeMutableBufferPointer { ob in
          guard let x = pb.baseAddress, let g = gb.baseAddress, let out = ob.baseAddress else { return }
          out.update(from: x, count: n)
          optimizer.propose(x, gradient: g, count: Swift.min(n, gb.count), ascend: ascend, learningRate: lr, into: out)
        }
      }
    }
    guard proposed.allFinite else { return "the updated policy parameters" }
    params = proposed
    optimizer.commit(learningRate: lr)
    return nil
  }

  static func bits(_ x: [Double]) -> [UInt64] { x.map(\.bitPattern) }

  @Test func sameErrorsAndResultsAsSeparateChecks() throws {
    var g = PCG64(seed: 11)
    func pick(_ k: Int) -> Int { Int(g.next() % UInt64(k)) }
    let specials: [Double] = [.nan, .infinity, -.infinity, 1e200, -1.5e154, 1.3e154, 1e308, -0.0]
    var (steps, refused, mismatches) = (0, 0, 0)
    for _ in 0..<4000 {
      let n = pick(7)
      let gCount = Swift.max(0, n + pick(5) - 2)
      let stateCount = Swift.max(0, n + pick(5) - 2)
      let kind: OptimizerKind = pick(2) == 0 ? .adam : .sgd
      let maxGrad = pick(3) == 0 ? 0.5 : 0
      var expectedParams = (0..<n).map { _ in pick(10) == 0 ? 1e308 : g.standardNormal() }
      var params = expectedParams
      var expectedOptimizer = try AnyOptimizer(kind, count: stateCount, learningRate: 0.1, epsilon: 1e-8)
      var step = ParameterStep(optimizer: expectedOptimizer, maxGradValue: maxGrad)
      for _ in 0..<(1 + pick(3)) {
        let gradient = (0..<gCount).map { _ in pick(12) == 0 ? specials[pick(specials.count)] : g.standardNormal() }
        let ascend = pick(2) == 0
        let lr = pick(4) == 0 ? 1e300 : 0.1
        let expected = Self.reference(
          &expectedOptimizer, maxGradValue: maxGrad, params: &expectedParams, gradient: gradient, ascend: ascend,
          learningRate: lr)
        var gNew = gradient
        var stored = params
        var got: String? = nil
        do throws(SwiftPGError) {
          try step.apply(
            gradient: &gNew, ascend: ascend, learningRate: lr, what: "policy", get: { stored }, set: { stored = $0 },
            failure: { SwiftPGError(.numerical, $0) })
        } catch {
          got = error.message
        }
        params = stored
        steps += 1
        if expected != nil { refused += 1 }
        let same =
          got == expected && Self.bits(params) == Self.bits(expectedParams)
          && Self.bits(optimizerState(step.optimizer)) == Self.bits(optimizerState(expectedOptimizer))
        if !same {
          mismatches += 1
          if mismatches <= 5 {
            Issue.record(
              "n \(n) gradient \(gradient) state \(stateCount) \(kind) clamp \(maxGrad) lr \(lr): expected \(expected ?? "ok"), got \(got ?? "ok")")
          }
        }
      }
    }
    #expect(mismatches == 0)
    #expect(refused > steps / 10 && refused < steps * 9 / 10)  // both outcomes exercised
  }
}
