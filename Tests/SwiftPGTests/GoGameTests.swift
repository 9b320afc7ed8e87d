import Testing

@testable import SwiftPG

/// Go as a `TwoPlayerGame`: encoded states that round-trip and refuse what
/// no game reaches, batches, playouts, symmetries and score margins.
@Suite struct GoGameTests {
  /// The states of a random game of `game`, the initial one first.
  func randomGame(_ game: GoGame, seed: UInt64) -> [GoState] {
    var rng = SplitMix64(seed: seed)
    var s = game.initialState()
    var states = [s]
    while !game.isTerminal(s) {
      game.applyLegal(game.randomLegalAction(in: s, using: &rng), to: &s)
      states.append(s)
    }
    return states
  }

  func encoded(_ game: GoGame, _ s: GoState) -> [Int32] {
    var words = [Int32](repeating: -7, count: game.stateSize)
    words.withUnsafeMutableBufferPointer { game.encode(s, into: $0.baseAddress!) }
    return words
  }

  func decoded(_ game: GoGame, _ words: [Int32]) throws(SwiftPGError) -> GoState {
    try words.withUnsafeBufferPointer { (w) throws(SwiftPGError) in try game.decode(w.baseAddress!) }
  }

  @Test func encodedStatesRoundTripAndKeepPlaying() throws {
    for (size, seed) in [(5, 1), (7, 2), (9, 3), (5, 4), (5, 5)] as [(Int, UInt64)] {
      let game = try GoGame(boardSize: size, komi: 0.5)
      for s in randomGame(game, seed: seed) {
        let back = try decoded(game, encoded(game, s))
        #expect(back == s && back.hashValue == s.hashValue)
        #expect(game.legalActions(back) == game.legalActions(s))
        // The decoded state plays on like the original (superko included).
        var a = s
        var b = back
        var rng = SplitMix64(seed: seed)
        while !game.isTerminal(a) {
          let action = game.randomLegalAction(in: a, using: &rng)
          try game.apply(action, to: &a)
          try game.apply(action, to: &b)
          #expect(a == b)
        }
      }
    }
  }

  @Test func aSuperkoEndingRoundTrips() throws {
    let game = try GoGame(boardSize: 5, komi: 0.5)
    var found = false
    for seed in UInt64(0)..<400 where !found {
      let last = randomGame(game, seed: seed).last ?? game.initialState()
      guard last.superko else { continue }
      found = true
      let back = try decoded(game, encoded(game, last))
      #expect(back == last && game.returnOfPlayer0(back) == 0 && game.isTerminal(back))
      var words = encoded(game, last)
      words[25 + 3] = 0  // the flag says no repetition, but the history repeats
      #expect(throws: SwiftPGError.self) { try decoded(game, words) }
    }
    #expect(found)
  }

  @Test func decodeRefusesWordsNoGameReaches() throws {
    let game = try GoGame(boardSize: 5, komi: 7.5)
    let states = randomGame(game, seed: 11)
    let mid = states[min(20, states.count - 1)]
    #expect(mid.moveCount > 0 && !mid.seenHashes.isEmpty)
    let good = encoded(game, mid)
    let header = 25
    let placements = Int(good[header + 4])
    var cases: [(String, (inout [Int32]) -> Void)] = [
      ("point value 3", { $0[0] = 3 }),
      ("negative move count", { $0[header] = -1 }),
      ("move count above the limit", { $0[header] = Int32(game.maxGameLength + 1) }),
      ("three passes", { $0[header + 1] = 3 }),
      ("more passes than moves", { $0[header + 1] = $0[header] + 1 }),
      ("negative passes", { $0[header + 1] = Int32.min }),
      ("negative placements", { $0[header + 4] = -1 }),
      ("ko point off the board", { $0[header + 2] = 25 }),
      ("superko flag 2", { $0[header + 3] = 2 }),
      ("more placements than moves", { $0[header + 4] = $0[header] + 1 }),
      ("a changed last position", { $0[header + 5 + 2 * (placements - 1)] ^= 1 }),
      ("a word after the history", { $0[header + 5 + 2 * placements] = 1 }),
      ("stones without history", { $0[header + 4] = 0 }),
    ]
    if let occupied = (0..<25).first(where: { good[$0] != 0 }) {
      cases.append(("ko point on a stone", { $0[header + 2] = Int32(occupied) }))
    }
    for (name, corrupt) in cases {
      var words = good
      corrupt(&words)
      #expect(throws: SwiftPGError.self, "\(name)") { try decoded(game, words) }
    }
    // A stone removed from the board no longer matches the last position.
    var words = good
    if let stone = (0..<25).first(where: { good[$0] != 0 }) { words[stone] = 0 }
    #expect(throws: SwiftPGError.self) { try decoded(game, words) }
  }

  /// Arbitrary words anywhere in an encoded state are refused or decoded,
  /// never a trap (and a decoded state encodes back to the same words).
  @Test func anyWordsDecodeOrAreRefused() throws {
    let game = try GoGame(boardSize: 5, komi: 0.5, maxGameLength: 12)
    let states = randomGame(game, seed: 2)
    var rng = SplitMix64(seed: 99)
    let extremes: [Int32] = [Int32.min, -2, -1, 0, 1, 2, 3, 12, 13, 25, 26, Int32.max]
    for trial in 0..<3000 {
      var words = encoded(game, states[trial % states.count])
      for _ in 0..<(1 + trial % 3) {
        let i = Int(rng.next() % UInt64(words.count))
        let pickExtreme = rng.next() % 2 == 0
        let random = Int32(truncatingIfNeeded: rng.next())
        words[i] = pickExtreme ? extremes[Int(rng.next() % UInt64(extremes.count))] : random
      }
      if let s = try? decoded(game, words) { #expect(encoded(game, s) == words) }
    }
  }

  @Test func parametersAreChecked() {
    #expect(throws: SwiftPGError.self) { try GoGame(boardSize: 4) }
    #expect(throws: SwiftPGError.self) { try GoGame(boardSize: 10) }
    #expect(throws: SwiftPGError.self) { try GoGame(komi: .nan) }
    #expect(throws: SwiftPGError.self) { try GoGame(maxGameLength: 0) }
    #expect(throws: SwiftPGError.self) { try GoGame(maxGameLength: GoGame.maxGameLengthLimit + 1) }
  }

  @Test func batchesPlayGoAsGoStateDoes() throws {
    let game = try GoGame(boardSize: 7, komi: 6.5)
    let batch = try GameBatch(game, count: 3, autoReset: false)
    var rng = SplitMix64(seed: 5)
    var reference = Array(repeating: game.initialState(), count: 3)
    while !reference.allSatisfy({ $0.isTerminal }) {
      let actions = reference.map { s in
        Int32(s.isTerminal ? 0 : game.randomLegalAction(in: s, using: &rng))
      }
      let active = reference.map { UInt8($0.isTerminal ? 0 : 1) }
      _ = try actions.withUnsafeBufferPointer { (a) throws(SwiftPGError) in
        try active.withUnsafeBufferPointer { (f) throws(SwiftPGError) in
          try batch.step(actions: a.baseAddress!, active: f.baseAddress, ended: nil, outcomes: nil)
        }
      }
      for i in 0..<3 where active[i] == 1 { try reference[i].apply(Int(actions[i])) }
      #expect(batch.games == reference)
    }
    var margins = [Double](repeating: 0, count: 3)
    try margins.withUnsafeMutableBufferPointer { (m) throws(SwiftPGError) in
      try batch.scoreMargins(into: m.baseAddress!)
    }
    #expect(margins == reference.map(\.scoreMargin))
    #expect(reference.map { game.returns($0) } == reference.map { $0.returns() })
  }

  @Test func playoutsEndAndScoreLikeGoState() throws {
    let game = try GoGame(boardSize: 5, komi: 2.5)
    var rng = SplitMix64(seed: 9)
    for _ in 0..<50 {
      let (outcome, moves) = randomPlayout(game, from: game.initialState(), using: &rng)
      #expect([-1.0, 0, 1].contains(outcome) && moves >= 2 && moves <= game.maxGameLength)
    }
  }

  @Test func symmetriesArePermutationsThatKeepPass() throws {
    let game = try GoGame(boardSize: 6)
    for k in 0..<game.symmetryCount {
      let map = game.actionMap(symmetry: k)
      #expect(Set(map).count == game.actionCount && map[36] == 36)
      #expect(Array(map.prefix(36)) == game.cellMap(symmetry: k))
    }
    #expect(game.cellMap(symmetry: 0) == Array(0..<36))
  }

  @Test func observationsAndPlanesAreGoStatesOwn() throws {
    let game = try GoGame(boardSize: 5)
    for s in randomGame(game, seed: 3).prefix(30) {
      var obs = [Double](repeating: -1, count: 100)
      var planes = [Double](repeating: -1, count: 7 * 25)
      obs.withUnsafeMutableBufferPointer { game.writeObservation(s, into: $0.baseAddress!) }
      planes.withUnsafeMutableBufferPointer { game.writePlanes(s, into: $0.baseAddress!) }
      #expect(obs == s.observationTensor().map(Double.init))
      #expect(planes == s.inputPlanes().map(Double.init))
      #expect(game.render(s) == s.description)
    }
  }

  @Test func otherGamesHaveNoScoreMargin() throws {
    let batch = try GameBatch(TicTacToe(), count: 1, autoReset: false)
    var margin = 0.0
    #expect(throws: SwiftPGError.self) { try batch.scoreMargins(into: &margin) }
  }
}
