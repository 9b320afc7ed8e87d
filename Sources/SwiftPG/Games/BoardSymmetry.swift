/// The symmetries of rectangular boards as cell maps (`map[cell]` is the
/// image of `cell`; cells are numbered row-major, `row * width + column`).
public enum BoardSymmetry {
  /// Symmetry `k` of the dihedral group of a square `side × side` board:
  /// k = 0…3 rotate by k quarter turns counter-clockwise (as drawn with
  /// row 0 on top), k = 4…7 first mirror left-right, then rotate by k − 4
  /// quarter turns.
  public static func square(_ k: Int, side: Int) -> [Int] {
    let n = side - 1
    return (0..<(side * side)).map { cell in
      var (r, c) = (cell / side, cell % side)
      if k >= 4 { c = n - c }
      for _ in 0..<(k % 4) { (r, c) = (n - c, r) }
      return r * side + c
    }
  }

  /// Symmetry `k` of a `height × width` board that has only the left-right
  /// mirror: k = 0 the identity, k = 1 the mirror.
  public static func mirror(_ k: Int, height: Int, width: Int) -> [Int] {
    (0..<(height * width)).map { cell in
      let (r, c) = (cell / width, cell % width)
      return r * width + (k == 1 ? width - 1 - c : c)
    }
  }
}
