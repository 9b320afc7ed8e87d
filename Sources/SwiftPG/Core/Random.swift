/// Random number generation, bit-compatible with numpy.
///
/// `PCG64` seeded through `SeedSequence` reproduces
/// `numpy.random.PCG64(numpy.random.SeedSequence(seed))` exactly, and
/// `uniform` reproduces `Generator.uniform`, so an environment seeded with
/// `s` starts where Gymnasium's `env.reset(seed=s)` starts.
/// All arithmetic wraps; nothing here can trap.

/// numpy's `SeedSequence` (O'Neill's seed_seq successor) with the default
/// pool of four 32-bit words, for integer entropy and no spawn key.
public struct SeedSequence: Sendable {
  public private(set) var pool: (UInt32, UInt32, UInt32, UInt32)

  private static let initA: UInt32 = 0x43b0_d7e5
  private static let multA: UInt32 = 0x931e_8875
  private static let initB: UInt32 = 0x8b51_f9dd
  private static let multB: UInt32 = 0x58f3_8ded
  private static let mixMultL: UInt32 = 0xca01_f9dd
  private static let mixMultR: UInt32 = 0x4973_f715

  /// Entropy words of a non-negative integer, lowest 32 bits first, as numpy
  /// splits a Python int (0 gives one zero word).
  public static func words(of value: UInt128) -> [UInt32] {
    if value == 0 { return [0] }
    var words: [UInt32] = []
    var v = value
    while v > 0 {
      words.append(UInt32(truncatingIfNeeded: v))
      v >>= 32
    }
    return words
  }

  init(pool: (UInt32, UInt32, UInt32, UInt32)) { self.pool = pool }

  public init(_ entropy: UInt128) {
    self.init(entropyWords: SeedSequence.words(of: entropy))
  }

  public init(entropyWords entropy: [UInt32]) {
    pool = entropy.withUnsafeBufferPointer { SeedSequence.mixedPool($0) }
  }

  /// The pool numpy mixes from `entropy` (no allocation: the seeding of
  /// every per-lane stream runs through here).
  @inline(__always)
  static func mixedPool(_ entropy: UnsafeBufferPointer<UInt32>) -> (UInt32, UInt32, UInt32, UInt32) {
    var hashConst = SeedSequence.initA
    @inline(__always) func hashmix(_ value: UInt32) -> UInt32 {
      var v = value ^ hashConst
      hashConst = hashConst &* SeedSequence.multA
      v = v &* hashConst
      v ^= v >> 16
      return v
    }
    @inline(__always) func mix(_ x: UInt32, _ y: UInt32) -> UInt32 {
      var r = (SeedSequence.mixMultL &* x) &- (SeedSequence.mixMultR &* y)
      r ^= r >> 16
      return r
    }
    return withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 4) { m in
      for i in 0..<4 { m[i] = hashmix(i < entropy.count ? entropy[i] : 0) }
      for src in 0..<4 {
        for dst in 0..<4 where src != dst {
          m[dst] = mix(m[dst], hashmix(m[src]))
        }
      }
      if entropy.count > 4 {
        for src in 4..<entropy.count {
          for dst in 0..<4 {
            m[dst] = mix(m[dst], hashmix(entropy[src]))
          }
        }
      }
      return (m[0], m[1], m[2], m[3])
    }
  }

  /// `generate_state(n, np.uint64)`: n 64-bit words.
  public func generateState64(_ n: Int) -> [UInt64] {
    var state = SeedSequence.Words32(pool: pool)
    return (0..<n).map { _ in state.next64() }
  }

  /// `generate_state(4, np.uint64)` as PCG64's (initstate, initseq), without allocating.
  @inline(__always)
  func pcgSeeds() -> (state: UInt128, sequence: UInt128) {
    var w = SeedSequence.Words32(pool: pool)
    let (a, b, c, d) = (w.next64(), w.next64(), w.next64(), w.next64())
    return (UInt128(a) << 64 | UInt128(b), UInt128(c) << 64 | UInt128(d))
  }

  /// The output words of `generate_state`: pool word i mod 4 hashed with a
  /// running constant; a 64-bit word is two of them, low first.
  private struct Words32 {
    let pool: (UInt32, UInt32, UInt32, UInt32)
    var hashConst = SeedSequence.initB
    var i = 0
    init(pool: (UInt32, UInt32, UInt32, UInt32)) { self.pool = pool }
    @inline(__always) mutating func next32() -> UInt32 {
      let p: UInt32
      switch i & 3 {
      case 0: p = pool.0
      case 1: p = pool.1
      case 2: p = pool.2
      default: p = pool.3
      }
      i &+= 1
      var v = p ^ hashConst
      hashConst = hashConst &* SeedSequence.multB
      v = v &* hashConst
      v ^= v >> 16
      return v
    }
    @inline(__always) mutating func next64() -> UInt64 {
      let low = next32()
      return UInt64(low) | UInt64(next32()) << 32
    }
  }
}

/// numpy's PCG64 (PCG XSL-RR 128/64): a 128-bit LCG with a 64-bit output.
public struct PCG64: RandomNumberGenerator, Sendable, Equatable {
  public var state: UInt128
  public var increment: UInt128

  @usableFromInline static let multiplier: UInt128 =
    UInt128(0x2360_ED05_1FC6_5DA4) << 64 | UInt128(0x4385_DF64_9FCC_F645)

  /// Seeds as `numpy.random.PCG64(numpy.random.SeedSequence(seed))`.
  public init(seed: UInt128) {
    let (initState, initSeq) = SeedSequence(seed).pcgSeeds()
    self.init(initState: initState, sequence: initSeq)
  }

  /// Seeds as `numpy.random.PCG64(numpy.random.SeedSequence(words))` for a
  /// list of 32-bit entropy words.
  public init(seedWords: [UInt32]) {
    let (initState, initSeq) = SeedSequence(entropyWords: seedWords).pcgSeeds()
    self.init(initState: initState, sequence: initSeq)
  }

  /// Seeds as `numpy.random.PCG64(numpy.random.SeedSequence(seed,
  /// spawn_key=spawnKey))`: numpy pads the entropy words to the pool size
  /// (4) before appending the spawn key's words. The learners' per-lane
  /// action streams use the key (7, lane) — a stream per (seed, lane), the
  /// same whichever process or thread steps the lane.
  public init(seed: UInt64, spawnKey: [UInt32]) {
    var words = SeedSequence.words(of: UInt128(seed))
    if !spawnKey.isEmpty && words.count < 4 { words += Array(repeating: 0, count: 4 - words.count) }
    self.init(seedWords: words + spawnKey)
  }

  /// The action stream of lane `lane` of a learner seeded with `seed`:
  /// `PCG64(SeedSequence(seed, spawn_key=(7, lane)))`.
  public static func laneStream(seed: UInt64, lane: Int) -> PCG64 {
    // The entropy words of `init(seed:spawnKey:)` for the key (7, lane) —
    // the seed's two words padded to four, 7, the lane's one or two
    // words — on the stack: this runs once per sampled sequence.
    let l = UInt64(clamping: lane)
    let laneWords = l >> 32 == 0 ? 1 : 2
    let (initState, initSeq) = withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 7) { w in
      w[0] = UInt32(truncatingIfNeeded: seed)
      w[1] = UInt32(truncatingIfNeeded: seed >> 32)
      w[2] = 0
      w[3] = 0
      w[4] = 7
      w[5] = UInt32(truncatingIfNeeded: l)
      w[6] = UInt32(truncatingIfNeeded: l >> 32)
      let pool = SeedSequence.mixedPool(UnsafeBufferPointer(rebasing: w[0..<(5 + laneWords)]))
      return SeedSequence(pool: pool).pcgSeeds()
    }
    return PCG64(initState: initState, sequence: initSeq)
  }

  /// PCG's `srandom_r(initstate, initseq)`.
  public init(initState: UInt128, sequence: UInt128) {
    state = 0
    increment = (sequence << 1) | 1
    _ = next()
    state = state &+ initState
    _ = next()
  }

  /// A generator with the given raw state (as numpy's `bit_generator.state`).
  public init(rawState: UInt128, increment: UInt128) {
    self.state = rawState
    self.increment = increment
  }

  @inlinable
  public mutating func next() -> UInt64 {
    state = state &* PCG64.multiplier &+ increment
    let high = UInt64(truncatingIfNeeded: state >> 64)
    let low = UInt64(truncatingIfNeeded: state)
    let rot = UInt64(truncatingIfNeeded: state >> 122)
    let x = high ^ low
    return (x >> rot) | (x << ((64 &- rot) & 63))
  }
}

/// SplitMix64 (Steele, Lea & Flood 2014): a tiny generator used to derive
/// seeds and in tests.
public struct SplitMix64: RandomNumberGenerator, Sendable {
  public var state: UInt64
  public init(seed: UInt64) { state = seed }
  @inlinable
  public mutating func next() -> UInt64 {
    state = state &+ 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

extension RandomNumberGenerator {
  /// A double in [0, 1) with 53 random bits: `(next() >> 11) · 2⁻⁵³`,
  /// numpy's `random()`.
  @inlinable
  public mutating func nextUnitDouble() -> Double {
    Double(next() >> 11) * 0x1.0p-53
  }

  /// numpy's `Generator.uniform(low, high)`: `low + (high − low) · u`.
  @inlinable
  public mutating func uniform(_ low: Double, _ high: Double) -> Double {
    low + (high - low) * nextUnitDouble()
  }

  /// A standard normal draw (Box–Muller on two uniforms; the first of the
  /// pair only, so each call consumes exactly two 64-bit words).
  @inlinable
  public mutating func standardNormal() -> Double {
    let u1 = 1.0 - nextUnitDouble()  // (0, 1]
    let u2 = nextUnitDouble()
    return (-2.0 * _log(u1)).squareRoot() * _cos(2.0 * Double.pi * u2)
  }
}

/// The generator as four 64-bit words stored bit for bit in doubles (the
/// checkpoints of learners and searches), and back.
extension PCG64 {
  var checkpointWords: [Double] {
    [state >> 64, state & UInt128(UInt64.max), increment >> 64, increment & UInt128(UInt64.max)].map {
      Double(bitPattern: UInt64($0))
    }
  }

  init(checkpointWords w: ArraySlice<Double>) {
    let v = w.map { UInt128($0.bitPattern) }
    self.init(rawState: v[v.startIndex] << 64 | v[v.startIndex + 1], increment: v[v.startIndex + 2] << 64 | v[v.startIndex + 3])
  }
}
