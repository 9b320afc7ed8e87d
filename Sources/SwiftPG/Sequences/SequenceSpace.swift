/// The response space of a sequence task: V content tokens `0..<V`, an
/// end-of-sequence token `EOS = V`, and at most L generated positions.
///
/// A response is its content tokens y = (y₁ … y_l), 0 ≤ l ≤ L. When l < L
/// the policy emitted EOS at position l + 1, so the response *ended*; when
/// l = L it ran out of positions without EOS (*truncated* — the "missing
/// EOS" of practice). Each prompt therefore has Σ_{l=0}^{L} V^l responses.
///
/// Batches of responses are `tokens` `Int32 [B, L]` (row-major) with
/// `lengths` `Int32 [B]` counting the generated positions n ∈ 1…L, EOS
/// included: an ended response of l content tokens has n = l + 1 and
/// `tokens[b, l] == EOS`; a truncated one has n = L and no EOS. Positions
/// at or beyond n are ignored on input and written as EOS on output.
///
/// Responses are numbered canonically, shortest first and then in
/// lexicographic (base-V) order: the response with content y₁ … y_l has
/// index offset(l) + Σᵢ yᵢ·V^{l−i}, offset(l) = Σ_{j<l} V^j. Prefixes (the
/// contexts a policy sees, y_<t for t ≤ L) use the same numbering over
/// l < L: there are `prefixCount` = Σ_{l<L} V^l of them.
public struct SequenceSpace: Sendable, Equatable, CustomStringConvertible {
  /// V: the number of content tokens.
  public let vocabularySize: Int
  /// L: the maximum number of generated positions (EOS included).
  public let maxLength: Int
  /// Σ_{l≤L} V^l, or nil when it exceeds `Int.max`.
  public let responseCount: Int?
  /// Σ_{l<L} V^l, or nil when it exceeds `Int.max`.
  public let prefixCount: Int?
  /// offset(l) for l = 0 … L + 1 (nil from the first overflow on).
  private let offsets: [Int?]

  /// The largest V and L accepted (token ids must fit `Int32`, lengths too).
  public static let maxVocabularySize = 1 << 20
  public static let maxMaxLength = 1 << 12

  public init(vocabularySize: Int, maxLength: Int) throws(SwiftPGError) {
    try require(
      vocabularySize >= 1 && vocabularySize <= Self.maxVocabularySize,
      "vocabulary_size must be in [1, \(Self.maxVocabularySize)], got \(vocabularySize)")
    try require(
      maxLength >= 1 && maxLength <= Self.maxMaxLength,
      "max_length must be in [1, \(Self.maxMaxLength)], got \(maxLength)")
    self.vocabularySize = vocabularySize
    self.maxLength = maxLength
    var offsets: [Int?] = [0]
    var power: Int? = 1  // V^l
    var total: Int? = 0
    for _ in 0...maxLength {
      if let t = total, let p = power {
        let (s, o) = t.addingReportingOverflow(p)
        total = o ? nil : s
        let (q, o2) = p.multipliedReportingOverflow(by: vocabularySize)
        power = o2 ? nil : q
      } else {
        total = nil
      }
      offsets.append(total)
    }
    self.offsets = offsets
    prefixCount = offsets[maxLength]
    responseCount = offsets[maxLength + 1]
  }

  /// EOS, the end-of-sequence token id (= V).
  public var endToken: Int32 { Int32(vocabularySize) }
  /// V + 1: the size of every next-token distribution.
  public var tokenCount: Int { vocabularySize + 1 }

  public var description: String { "SequenceSpace(V: \(vocabularySize), L: \(maxLength))" }

  /// Σ_{j<l} V^j, the index of the first response (or prefix) with l content tokens.
  public func offset(contentLength l: Int) -> Int? { l >= 0 && l < offsets.count ? offsets[l] : nil }

  /// The number of responses, or `.tooLarge` when it exceeds `limit`
  /// (exact enumeration refuses larger spaces and callers use Monte Carlo).
  public func enumerableResponseCount(limit: Int) throws(SwiftPGError) -> Int {
    guard let n = responseCount, n <= limit else {
      throw SwiftPGError(
        .tooLarge,
        "\(self) has \(responseCount.map(String.init) ?? "more than 2^63") responses per prompt; exact figures"
          + " are limited to \(limit) (use Monte Carlo estimates)")
    }
    return n
  }

  /// Checks one response row: n in 1…L, content tokens in 0..<V before the
  /// last position, and the last token either EOS or (when n = L) content.
  /// Returns nil when valid, else the reason (naming row `b`).
  public func problem(tokens row: UnsafePointer<Int32>, length n: Int32, row b: Int) -> String? {
    guard n >= 1 && Int(n) <= maxLength else {
      return "lengths[\(b)] must be in [1, \(maxLength)] (generated positions, EOS included), got \(n)"
    }
    let n = Int(n)
    for t in 0..<(n - 1) where row[t] < 0 || Int(row[t]) >= vocabularySize {
      return "tokens[\(b), \(t)] must be a content token in [0, \(vocabularySize)) before the response's end,"
        + " got \(row[t])"
    }
    let last = row[n - 1]
    if last == endToken { return nil }
    guard last >= 0 && Int(last) < vocabularySize else {
      return "tokens[\(b), \(n - 1)] must be in [0, \(vocabularySize)], got \(last)"
    }
    guard n == maxLength else {
      return "response \(b) has length \(n) < max_length \(maxLength) but its last token \(last) is not EOS"
        + " (\(endToken))"
    }
    return nil
  }

  /// Validates a batch (`tokens` `[batch, L]`, `lengths` `[batch]`);
  /// throws `.invalidArgument` naming the first bad row.
  public func validate(tokens: UnsafePointer<Int32>, lengths: UnsafePointer<Int32>, batch: Int)
    throws(SwiftPGError)
  {
    for b in 0..<batch {
      if let p = problem(tokens: tokens + b * maxLength, length: lengths[b], row: b) {
        throw SwiftPGError.invalid(p)
      }
    }
  }

  /// The generated positions of a batch, response by response: position k
  /// is token `positions[k]` of row `rows[k]`, for t < lengths[b] — taken
  /// from the lengths, never from token values. Lengths must be validated.
  public static func positions(lengths: [Int32]) -> (rows: [Int32], positions: [Int32]) {
    let n = lengths.reduce(0) { $0 + Int(Swift.max($1, 0)) }
    var rows: [Int32] = [], positions: [Int32] = []
    rows.reserveCapacity(n)
    positions.reserveCapacity(n)
    for (b, len) in lengths.enumerated() where len > 0 {
      for t in 0..<Int(len) {
        rows.append(Int32(b))
        positions.append(Int32(t))
      }
    }
    return (rows, positions)
  }

  /// The number of content tokens l of a valid response of length n.
  @inlinable
  public func contentLength(tokens row: UnsafePointer<Int32>, length n: Int32) -> Int {
    let n = Int(n)
    return row[n - 1] == Int32(vocabularySize) ? n - 1 : n
  }

  /// The canonical index of a valid response (requires `responseCount`).
  public func responseIndex(tokens row: UnsafePointer<Int32>, length n: Int32) -> Int? {
    let l = contentLength(tokens: row, length: n)
    return prefixIndex(row, count: l)
  }

  /// The canonical index of the prefix y₁ … y_l (content tokens), nil on overflow.
  public func prefixIndex(_ row: UnsafePointer<Int32>, count l: Int) -> Int? {
    guard let base = offset(contentLength: l) else { return nil }
    var digits = 0
    for i in 0..<l {
      let (m, o1) = digits.multipliedReportingOverflow(by: vocabularySize)
      let (s, o2) = m.addingReportingOverflow(Int(row[i]))
      if o1 || o2 { return nil }
      digits = s
    }
    let (i, o) = base.addingReportingOverflow(digits)
    return o ? nil : i
  }

  /// Writes response `index` (0 ..< responseCount) as a row of L tokens and
  /// returns its length n (EOS included). Positions ≥ n are EOS.
  public func response(_ index: Int, into row: UnsafeMutablePointer<Int32>) throws(SwiftPGError) -> Int32 {
    guard let count = responseCount, index >= 0 && index < count else {
      throw SwiftPGError(.outOfRange, "response index \(index) is out of range for \(self)")
    }
    var l = 0
    while let next = offset(contentLength: l + 1), next <= index { l += 1 }
    var digits = index - (offset(contentLength: l) ?? 0)
    row.update(repeating: endToken, count: maxLength)
    var i = l - 1
    while i >= 0 {
      row[i] = Int32(digits % vocabularySize)
      digits /= vocabularySize
      i -= 1
    }
    return Int32(l < maxLength ? l + 1 : l)
  }
}
