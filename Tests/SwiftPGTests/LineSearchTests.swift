import Testing

@testable import SwiftPG

/// Optimizers/LineSearch.swift: the backtracking search of TRPO.
@Suite struct LineSearchTests {
  @Test func returnsTheFirstAcceptingStepAndPassesFractionsInOrder() throws {
    var seen: [Double] = []
    let j = try backtrackingLineSearch(steps: 10, ratio: 0.5) { (f: Double) throws(SwiftPGError) -> Bool in
      seen.append(f)
      return f < 0.2
    }
    // 1, 0.5, 0.25, 0.125: the first below 0.2 is c³.
    #expect(j == 3)
    #expect(seen == [1, 0.5, 0.25, 0.125])
  }

  @Test func nilWhenNoTrialAccepts() throws {
    var seen: [Double] = []
    let j = try backtrackingLineSearch(steps: 4, ratio: 0.8) { (f: Double) throws(SwiftPGError) -> Bool in
      seen.append(f)
      return false
    }
    #expect(j == nil)
    #expect(seen == [1, 0.8, 0.8 * 0.8, 0.8 * 0.8 * 0.8])
    // The first trial is the full step.
    #expect(try backtrackingLineSearch(steps: 3, ratio: 0.5) { (_: Double) throws(SwiftPGError) -> Bool in true } == 0)
  }

  @Test func errorsPropagateAndStopTheSearch() {
    var calls = 0
    #expect {
      _ = try backtrackingLineSearch(steps: 5, ratio: 0.5) { (f: Double) throws(SwiftPGError) -> Bool in
        calls += 1
        if f < 1 { throw SwiftPGError(.numerical, "trial \(f)") }
        return false
      }
    } throws: { error in
      (error as? SwiftPGError)?.message == "trial 0.5"
    }
    #expect(calls == 2)
  }
}
