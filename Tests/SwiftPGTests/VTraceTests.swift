import Glibc
import Testing

@testable import SwiftPG

/// Estimators/VTrace.swift: V-trace targets and advantages — the on-policy
/// identities, a two-step case computed by hand, and truncation of ρ and c.
@Suite struct VTraceTests {
  func run(
    rewards: [Double], terminated: [UInt8], truncated: [UInt8], values: [Double], finalValues: [Double],
    logRhos: [Double], gamma: Double, rhoBar: Double = 1, cBar: Double = 1, lambda: Double = 1, lanes: Int = 1
  ) -> (targets: [Double], advantages: [Double]) {
    let m = rewards.count
    var y = [Double](repeating: .nan, count: m)
    var a = [Double](repeating: .nan, count: m)
    rewards.withUnsafeBufferPointer { rw in
      terminated.withUnsafeBufferPointer { te in
        truncated.withUnsafeBufferPointer { tr in
          values.withUnsafeBufferPointer { v in
            finalValues.withUnsafeBufferPointer { f in
              logRhos.withUnsafeBufferPointer { lr in
                y.withUnsafeMutableBufferPointer { yp in
                  a.withUnsafeMutableBufferPointer { ap in
                    guard let rb = rw.baseAddress, let teb = te.baseAddress, let trb = tr.baseAddress,
                      let vb = v.baseAddress, let fb = f.baseAddress, let lb = lr.baseAddress,
                      let yb = yp.baseAddress, let ab = ap.baseAddress
                    else { return }
                    let r = Rollout(
                      steps: m / lanes, count: lanes, rewards: rb, terminated: teb, truncated: trb, values: vb,
                      finalValues: fb)
                    vtrace(
                      r, gamma: gamma, logRhos: lb, rhoBar: rhoBar, cBar: cBar, lambda: lambda, targets: yb,
                      advantages: ab)
                  }
                }
              }
            }
          }
        }
      }
    }
    return (y, a)
  }

  /// Two steps of one episode cut by the segment, by hand:
  /// ρ = (e^{0.5} → 1, e^{−1}), c = ρ (c̄ = ρ̄ = 1), γ = 0.9,
  /// δ_1 = ρ_1 (r_1 + γ V_2 − V_1), v_1 = V_1 + δ_1,
  /// δ_0 = ρ_0 (r_0 + γ V_1 − V_0), v_0 = V_0 + δ_0 + γ c_0 (v_1 − V_1),
  /// A_1 = ρ_1 (r_1 + γ V_2 − V_1), A_0 = ρ_0 (r_0 + γ v_1 − V_0).
  @Test func twoStepsByHand() {
    let (r0, r1, v0, v1, v2, g) = (1.0, -0.5, 0.2, 0.4, 0.7, 0.9)
    let rho0 = 1.0
    let rho1 = exp(-1.0)
    let out = run(
      rewards: [r0, r1], terminated: [0, 0], truncated: [0, 0], values: [v0, v1, v2], finalValues: [0, 0],
      logRhos: [0.5, -1], gamma: g)
    let d1 = rho1 * (r1 + g * v2 - v1)
    let t1 = v1 + d1
    let t0 = v0 + rho0 * (r0 + g * v1 - v0) + g * rho0 * (t1 - v1)
    #expect(abs(out.targets[1] - t1) < 1e-14 && abs(out.targets[0] - t0) < 1e-14)
    #expect(abs(out.advantages[1] - d1) < 1e-14)
    #expect(abs(out.advantages[0] - rho0 * (r0 + g * t1 - v0)) < 1e-14)
  }

  /// On-policy (log ρ = 0, λ = 1): targets are the bootstrapped discounted
  /// returns and advantages GAE(γ, 1), across terminations and truncations.
  @Test func onPolicyIsDiscountedReturnsAndGAE() {
    var g = PCG64(seed: 11)
    let t = 9
    let n = 3
    let m = t * n
    let rewards = (0..<m).map { _ in g.standardNormal() }
    let terminated: [UInt8] = (0..<m).map { _ in g.next() % 6 == 0 ? 1 : 0 }
    let truncated: [UInt8] = (0..<m).map { k in terminated[k] == 0 && g.next() % 7 == 0 ? 1 : 0 }
    let values = (0..<(m + n)).map { _ in g.standardNormal() }
    let finalValues = (0..<m).map { k in truncated[k] != 0 ? g.standardNormal() : 0 }
    let out = run(
      rewards: rewards, terminated: terminated, truncated: truncated, values: values, finalValues: finalValues,
      logRhos: [Double](repeating: 0, count: m), gamma: 0.95, lanes: n)
    var returns = [Double](repeating: 0, count: m)
    var gae = [Double](repeating: 0, count: m)
    rewards.withUnsafeBufferPointer { rw in
      terminated.withUnsafeBufferPointer { te in
        truncated.withUnsafeBufferPointer { tr in
          values.withUnsafeBufferPointer { v in
            finalValues.withUnsafeBufferPointer { f in
              guard let rb = rw.baseAddress, let teb = te.baseAddress, let trb = tr.baseAddress,
                let vb = v.baseAddress, let fb = f.baseAddress
              else { return }
              let r = Rollout(
                steps: t, count: n, rewards: rb, terminated: teb, truncated: trb, values: vb, finalValues: fb)
              returns.withUnsafeMutableBufferPointer { if let p = $0.baseAddress { discountedReturns(r, gamma: 0.95, into: p) } }
              gae.withUnsafeMutableBufferPointer {
                if let p = $0.baseAddress { generalizedAdvantages(r, gamma: 0.95, lambda: 1, into: p) }
              }
            }
          }
        }
      }
    }
    for k in 0..<m {
      #expect(abs(out.targets[k] - returns[k]) < 1e-12)
      #expect(abs(out.advantages[k] - gae[k]) < 1e-12)
    }
  }

  /// ρ̄ and c̄ truncate the ratios: a huge ratio counts as ρ̄.
  @Test func barsTruncateTheRatios() {
    let big = run(
      rewards: [1], terminated: [1], truncated: [0], values: [0, 0], finalValues: [0], logRhos: [5], gamma: 0.9,
      rhoBar: 2)
    #expect(big.targets[0] == 2 && big.advantages[0] == 2)
  }
}
