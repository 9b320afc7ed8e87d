import Testing

@testable import SwiftPG

@Suite struct AdvantagesTests {
  /// One environment (N = 1), T = 4: steps 0–1 are one episode cut by the
  /// time limit at step 1 (final value 10), steps 2–3 a second episode whose
  /// segment ends after step 3 (bootstrap V(s_4) = 4).
  let rewards: [Double] = [1, 2, 3, 4]
  let terminated: [UInt8] = [0, 0, 0, 0]
  let truncated: [UInt8] = [0, 1, 0, 0]
  let values: [Double] = [0.5, 1.5, 2.5, 3.5, 4]
  let finalValues: [Double] = [0, 10, 0, 0]

  func run(_ body: (Rollout) -> Void) {
    rewards.withUnsafeBufferPointer { r in
      terminated.withUnsafeBufferPointer { te in
        truncated.withUnsafeBufferPointer { tr in
          values.withUnsafeBufferPointer { v in
            finalValues.withUnsafeBufferPointer { f in
              guard let rp = r.baseAddress, let tep = te.baseAddress, let trp = tr.baseAddress else { return }
              body(
                Rollout(
                  steps: 4, count: 1, rewards: rp, terminated: tep, truncated: trp, values: v.baseAddress,
                  finalValues: f.baseAddress))
            }
          }
        }
      }
    }
  }

  @Test func goldenReturnsAndAdvantages() {
    let g = 0.5
    var returns = [Double](repeating: 0, count: 4)
    var deltas = returns
    var gae = returns
    run { r in
      discountedReturns(r, gamma: g, into: &returns)
      temporalDifferences(r, gamma: g, into: &deltas)
      generalizedAdvantages(r, gamma: g, lambda: 0.5, into: &gae)
    }
    // Episode 1: G1 = 2 + 0.5·10 = 7, G0 = 1 + 0.5·7 = 4.5.
    // Episode 2: G3 = 4 + 0.5·4 = 6, G2 = 3 + 0.5·6 = 6.
    #expect(returns == [4.5, 7, 6, 6])
    // δ0 = 1 + 0.5·1.5 − 0.5 = 1.25; δ1 = 2 + 5 − 1.5 = 5.5; δ2 = 3 + 1.75 − 2.5 = 2.25; δ3 = 4 + 2 − 3.5 = 2.5.
    #expect(deltas == [1.25, 5.5, 2.25, 2.5])
    // GAE(0.5, 0.5): Â3 = 2.5, Â2 = 2.25 + 0.25·2.5 = 2.875, Â1 = 5.5, Â0 = 1.25 + 0.25·5.5 = 2.625.
    #expect(gae == [2.625, 5.5, 2.875, 2.5])
  }

  @Test func identities() {
    let g = 0.9
    var mc = [Double](repeating: 0, count: 4)
    var gae1 = mc
    var gae0 = mc
    var td = mc
    var nBig = mc
    var n1 = mc
    run { r in
      discountedReturns(r, gamma: g, into: &mc)
      generalizedAdvantages(r, gamma: g, lambda: 1, into: &gae1)
      generalizedAdvantages(r, gamma: g, lambda: 0, into: &gae0)
      temporalDifferences(r, gamma: g, into: &td)
      nStepAdvantages(r, gamma: g, n: 100, into: &nBig)
      nStepAdvantages(r, gamma: g, n: 1, into: &n1)
    }
    for t in 0..<4 {
      // GAE with λ = 1 is the Monte Carlo advantage; λ = 0 is TD(0);
      // n-step with n ≥ T is Monte Carlo; 1-step is TD(0).
      #expect(abs(gae1[t] - (mc[t] - values[t])) < 1e-12)
      #expect(abs(gae0[t] - td[t]) < 1e-12)
      #expect(abs(nBig[t] - (mc[t] - values[t])) < 1e-12)
      #expect(abs(n1[t] - td[t]) < 1e-12)
    }
  }

  @Test func terminationCutsTheBootstrap() {
    var out = [0.0, 0.0]
    let r: [Double] = [1, 1]
    let te: [UInt8] = [1, 0]
    let tr: [UInt8] = [0, 0]
    let v: [Double] = [5, 5, 5]
    r.withUnsafeBufferPointer { rp in
      te.withUnsafeBufferPointer { tep in
        tr.withUnsafeBufferPointer { trp in
          v.withUnsafeBufferPointer { vp in
            guard let a = rp.baseAddress, let b = tep.baseAddress, let c = trp.baseAddress else { return }
            let roll = Rollout(steps: 2, count: 1, rewards: a, terminated: b, truncated: c, values: vp.baseAddress, finalValues: nil)
            discountedReturns(roll, gamma: 0.9, into: &out)
          }
        }
      }
    }
    let expected: [Double] = [1, 1 + 0.9 * 5]
    #expect(out == expected)
  }
}
