/// The 8 symmetries of a square Go board (the dihedral group D4), for data
/// augmentation: applied to points, action ids (pass maps to pass), policy
/// vectors over actions, and [C, N, N] planes.
///
/// Symmetry `s` in 0..<8 transposes the board when `s ≥ 4` (point (r, c)
/// goes to (c, r)), then turns it `s % 4` quarter turns ((r, c) goes to
/// (c, N − 1 − r) per turn). Symmetry 0 is the identity. Go's rules commute
/// with all of them: the legal actions of a transformed game are the
/// transformed legal actions, and its outcome is the same.
public enum GoSymmetry {
  /// The number of symmetries.
  public static let count = 8

  /// The symmetry that undoes `symmetry`.
  /// - Throws: `.invalidArgument` unless `symmetry` is in 0..<8.
  public static func inverse(_ symmetry: Int) throws(SwiftPGError) -> Int {
    try check(symmetry)
    return symmetry < 4 ? (4 - symmetry) % 4 : symmetry  // reflections are involutions
  }

  /// Where `symmetry` sends action `action` of a `boardSize` board; pass
  /// (`boardSize²`) stays pass.
  /// - Throws: `.invalidArgument` for a board size outside 5...9, a
  ///   symmetry outside 0..<8 or an action outside 0...boardSize².
  public static func transformAction(_ action: Int, boardSize: Int, symmetry: Int) throws(SwiftPGError)
    -> Int
  {
    try check(symmetry, boardSize: boardSize)
    let points = boardSize * boardSize
    try require(
      (0...points).contains(action),
      "GoSymmetry: action \(action) is out of range 0...\(points)")
    return map(action, boardSize, symmetry)
  }

  /// The policy (or any per-action vector) of the transformed position:
  /// `result[transformAction(a)] = values[a]`.
  /// - Throws: `.invalidArgument` for a bad symmetry or board size, or
  ///   unless `values.count == boardSize² + 1`.
  public static func transformPolicy<T>(_ values: [T], boardSize: Int, symmetry: Int) throws(SwiftPGError)
    -> [T]
  {
    try check(symmetry, boardSize: boardSize)
    let actions = boardSize * boardSize + 1
    try require(
      values.count == actions,
      "GoSymmetry: policy has \(values.count) entries, expected \(actions) (boardSize² + 1)")
    var out = values
    for a in 0..<actions { out[map(a, boardSize, symmetry)] = values[a] }
    return out
  }

  /// Planes [C, N, N] (C = `values.count / N²`) of the transformed
  /// position: each plane's point p moves to `transformAction(p)`.
  /// - Throws: `.invalidArgument` for a bad symmetry or board size, or
  ///   unless `values.count` is a multiple of boardSize².
  public static func transformPlanes<T>(_ values: [T], boardSize: Int, symmetry: Int) throws(SwiftPGError)
    -> [T]
  {
    try check(symmetry, boardSize: boardSize)
    let points = boardSize * boardSize
    try require(
      values.count % points == 0,
      "GoSymmetry: \(values.count) values are not whole planes of \(points) points")
    var out = values
    for base in stride(from: 0, to: values.count, by: points) {
      for p in 0..<points { out[base + map(p, boardSize, symmetry)] = values[base + p] }
    }
    return out
  }

  static func map(_ action: Int, _ n: Int, _ symmetry: Int) -> Int {
    guard action < n * n else { return action }
    var (r, c) = (action / n, action % n)
    if symmetry >= 4 { (r, c) = (c, r) }
    for _ in 0..<(symmetry % 4) { (r, c) = (c, n - 1 - r) }
    return r * n + c
  }

  static func check(_ symmetry: Int, boardSize: Int = GoState.boardSizes.lowerBound) throws(SwiftPGError) {
    try require((0..<count).contains(symmetry), "GoSymmetry: symmetry must be in 0..<8, got \(symmetry)")
    try require(
      GoState.boardSizes.contains(boardSize), "GoSymmetry: board size must be in 5...9, got \(boardSize)")
  }
}
