/// Proximal policy optimisation (Schulman et al. 2017) with the
/// implementation details of Huang et al. (2022), each configurable.
///
/// One iteration on an N × T rollout collected by π_old:
/// 1. V(s_t) and GAE(γ, λ) advantages Â with value bootstrap (truncation
///    bootstraps from the final observation); targets R_t = Â_t + V(s_t);
/// 2. for each of `epochs` epochs, for each shuffled minibatch:
///    a. Â normalised within the minibatch (`normalizeAdvantages`);
///    b. ρ = exp(log π − log π_old); the k3 approx KL; stop all epochs
///       before stepping if it exceeds 1.5 × `targetKL`;
///    c. policy objective L^CLIP = mean min(ρÂ, clip(ρ, 1 ± ε)Â) (or, with
///       `klPenalty`, mean ρÂ − β KL(π_old ‖ π)) + c_H · mean H;
///    d. value loss ½ mean (V − R)², clipped around V_old (`valueClipRange`);
///    e. global grad-norm clipping over both networks, then Adam steps
///       (`sharedNetwork`: the hidden layers take ∇value loss − ∇objective);
/// 3. KL-penalty variant: β halves when KL < target/1.5, doubles when > 1.5·target.
/// ε and the learning rate decay linearly when annealing is on.
extension PolicyGradient {
  func ppoUpdate(_ d: Trajectories, _ s: inout TrainStats) throws(SwiftPGError) {
    let m = d.count

    // 1. Advantages and value targets.
    try computeValues(d)
    computeAdvantages(d)
    s.explainedVariance = explainedVariance(count: m)
    let oldParameters = policy.parameters
    let eps = config.annealClipRange ? config.clipRange * scheduleRemaining : config.clipRange
    let size = config.minibatchSize > 0 ? config.minibatchSize : m

    // 2. Epochs of shuffled minibatches.
    var clipped = 0.0
    var seen = 0.0
    var objective = 0.0
    var valueLoss = 0.0
    var gradNorm = 0.0
    var minibatches = 0.0
    var epochsRun = 0
    let klGrad = Store<Double>()
    let pair = TwoTasks()
    epochs: for _ in 0..<config.epochs {
      let index = shuffledIndices(m)
      var start = 0
      while start < m {
        let b = Swift.min(size, m - start)
        let rows = index + start
        let (obs, actions) = gather(d, rows: rows, count: b)
        // a. Minibatch advantages.
        let adv = weights.reserve(b)
        for r in 0..<b { adv[r] = advantages[rows[r]] }
        if config.normalizeAdvantages { standardize(adv, count: b, center: true) }
        // b, c. Ratios, KL check and the policy gradient in one pass; d. the
        // value loss's gradient — independent computations, run on two threads
        // when `updateThreads` is 2 (same results either way).
        let lp = logProbs.reserve(b)
        let h = entropies.reserve(b)
        var kl = 0.0
        var mbObjective = 0.0
        var mbClipped = 0.0
        var mbValueLoss = 0.0
        let scale = 1 / Double(b)
        let entropyWeight = config.entropyCoef * scale
        let penalty = config.klPenalty
        let policyPass = {
          self.policyGradient.withUnsafeMutableBufferPointer { grad in
            guard let gp = grad.baseAddress else { return }
            self.policy.surrogateGradient(
              obs, rawActions: actions, batch: b, logProbabilities: lp, entropies: h,
              weigh: { lp, _, ws, we in
                for r in 0..<b {
                  let logRatio = lp[r] - d.behaviorLogProbs[rows[r]]
                  let ratio = _exp(logRatio)
                  kl += ratio - 1 - logRatio
                  let unclipped = ratio * adv[r]
                  if penalty {
                    mbObjective += unclipped
                    ws[r] = unclipped * scale
                  } else {
                    let bounded = Swift.min(Swift.max(ratio, 1 - eps), 1 + eps) * adv[r]
                    mbObjective += Swift.min(unclipped, bounded)
                    if abs(ratio - 1) > eps { mbClipped += 1 }
                    ws[r] = unclipped <= bounded ? unclipped * scale : 0
                  }
                  we[r] = entropyWeight
                }
              }, into: gp)
          }
        }
        let y = targets.pointer
        let old = values.pointer  // V_old: computed once above, unchanged by the epochs
        let valuePass = {
          mbValueLoss = self.valueLossGradient(
            obs: obs, targets: { y[rows[$0]] }, oldValues: self.config.valueClipRange > 0 ? { old[rows[$0]] } : nil,
            count: b, coefficient: self.config.valueCoef)
        }
        if config.updateThreads > 1 {
          pair.first = policyPass
          pair.second = valuePass
          WorkerPool.shared.run(chunks: 2, threads: 2, job: pair)
          pair.clear()
        } else {
          policyPass()
          valuePass()
        }
        kl /= Double(b)
        if config.targetKL > 0 && kl > 1.5 * config.targetKL {
          break epochs
        }
        if penalty && klBeta > 0 {
          let kg = klGrad.reserve(policy.parameterCount)
          let w = mbScratch.reserve(b)
          for r in 0..<b { w[r] = klBeta * scale }
          oldParameters.withUnsafeBufferPointer { op in
            if let base = op.baseAddress {
              policy.klGradient(obs, oldParameters: base, weights: w, batch: b, into: kg)
            }
          }
          for k in policyGradient.indices { policyGradient[k] -= kg[k] }
        }
        valueLoss += mbValueLoss
        // e. Shared layers' gradient, joint clipping and the steps.
        tieSharedGradients()
        gradNorm += clipJointNorm()
        try stepPolicy()
        try stepCritic()
        objective += mbObjective * scale
        clipped += mbClipped
        seen += Double(b)
        minibatches += 1
        start += b
      }
      epochsRun += 1
    }

    // 3. Adaptive KL coefficient.
    if config.klPenalty {
      let kl = mbScratch.reserve(m)
      oldParameters.withUnsafeBufferPointer { op in
        if let base = op.baseAddress {
          policy.klDivergences(d.observations.pointer, batch: m, oldParameters: base, into: kl)
        }
      }
      var mean = 0.0
      for k in 0..<m { mean += kl[k] }
      mean /= Double(m)
      if mean < config.klTarget / 1.5 { klBeta /= 2 } else if mean > config.klTarget * 1.5 { klBeta *= 2 }
      s.extra = klBeta
    }

    let mb = Swift.max(minibatches, 1)
    s.policyLoss = objective / mb
    s.valueLoss = valueLoss / mb
    s.gradNorm = gradNorm / mb
    s.clipFraction = seen > 0 ? clipped / seen : 0
    s.updateSteps = epochsRun
    (s.entropy, s.approxKL) = entropyAndKL(d)
    guard s.policyLoss.isFinite else { throw numerical("the policy loss") }
    guard s.valueLoss.isFinite else { throw numerical("the value loss") }
  }
}

/// Two closures run as the two chunks of a `WorkerPool` loop.
final class TwoTasks: ParallelJob {
  var first: () -> Void = {}
  var second: () -> Void = {}

  func runChunk(_ k: Int) { if k == 0 { first() } else { second() } }

  func clear() {
    first = {}
    second = {}
  }
}
