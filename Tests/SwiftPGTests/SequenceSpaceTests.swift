import Testing

@testable import SwiftPG

@Suite struct SequenceSpaceTests {
  @Test func countsAreSumsOfPowers() throws {
    let s = try SequenceSpace(vocabularySize: 3, maxLength: 4)
    #expect(s.responseCount == 1 + 3 + 9 + 27 + 81)
    #expect(s.prefixCount == 1 + 3 + 9 + 27)
    #expect(s.endToken == 3 && s.tokenCount == 4)
    let one = try SequenceSpace(vocabularySize: 1, maxLength: 5)
    #expect(one.responseCount == 6 && one.prefixCount == 5)
    let huge = try SequenceSpace(vocabularySize: 1 << 20, maxLength: 4096)
    #expect(huge.responseCount == nil && huge.prefixCount == nil)
    #expect(throws: SwiftPGError.self) { try huge.enumerableResponseCount(limit: 1 << 20) }
    #expect(try s.enumerableResponseCount(limit: 121) == 121)
    #expect(throws: SwiftPGError.self) { try s.enumerableResponseCount(limit: 120) }
  }

  @Test func rejectsBadSizes() {
    for (v, l) in [(0, 3), (-1, 3), (3, 0), ((1 << 20) + 1, 2), (2, 4097)] {
      #expect(throws: SwiftPGError.self) { try SequenceSpace(vocabularySize: v, maxLength: l) }
    }
  }

  /// Every index round-trips through its token row; indices are ordered
  /// shortest first, then lexicographically; the last L responses lack EOS.
  @Test func indicesRoundTrip() throws {
    let s = try SequenceSpace(vocabularySize: 3, maxLength: 3)
    var row = [Int32](repeating: 0, count: 3)
    var previous: (Int, [Int32])? = nil
    for i in 0..<(s.responseCount ?? 0) {
      let n = try row.withUnsafeMutableBufferPointer { p in try s.response(i, into: p.baseAddress!) }
      let l = row.withUnsafeBufferPointer { s.contentLength(tokens: $0.baseAddress!, length: n) }
      #expect(row.withUnsafeBufferPointer { s.problem(tokens: $0.baseAddress!, length: n, row: 0) } == nil)
      #expect(row.withUnsafeBufferPointer { s.responseIndex(tokens: $0.baseAddress!, length: n) } == i)
      #expect((l < 3) == (row[Int(n) - 1] == s.endToken))
      if let (pl, prow) = previous {
        let content = Array(row[0..<l]), before = Array(prow[0..<pl])
        #expect(pl < l || (pl == l && before.lexicographicallyPrecedes(content)))
      }
      previous = (l, row)
    }
    #expect(throws: SwiftPGError.self) {
      try row.withUnsafeMutableBufferPointer { p in try s.response(40, into: p.baseAddress!) }
    }
  }

  @Test func validationNamesTheBadRow() throws {
    let s = try SequenceSpace(vocabularySize: 4, maxLength: 3)
    let cases: [([Int32], Int32, Bool)] = [
      ([4, 9, 9], 1, true),  // empty response: EOS first
      ([0, 1, 4], 3, true),  // ended at the last position
      ([0, 1, 2], 3, true),  // truncated: no EOS
      ([0, 1, 2], 2, false),  // stopped early without EOS
      ([0, 4, 4], 3, false),  // EOS inside the content
      ([5, 4, 4], 2, false),  // token beyond EOS
      ([-1, 4, 4], 2, false),
      ([4, 4, 4], 0, false),  // length 0
      ([4, 4, 4], 4, false),  // length beyond L
    ]
    for (row, n, ok) in cases {
      let problem = row.withUnsafeBufferPointer { s.problem(tokens: $0.baseAddress!, length: n, row: 7) }
      #expect((problem == nil) == ok, "\(row) n=\(n): \(problem ?? "valid")")
      if let problem { #expect(problem.contains("7")) }
    }
  }
}
