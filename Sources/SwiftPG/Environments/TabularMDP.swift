/// A finite MDP from arrays (see `TabularModel`), and gridworlds built on it.
///
/// ## Description
/// States `0..<S`, actions `0..<A`, transitions P[s, a, s'], rewards
/// R[s, a, s'], start distribution μ, terminal states, and either a finite
/// horizon H or a discount γ.
///
/// ## Action Space
/// `Discrete(A)`.
///
/// ## Observation Space
/// The one-hot encoding of the state (length S); `get_state` gives the
/// index.
///
/// ## Rewards
/// R[s, a, s'] for the transition taken.
///
/// ## Starting State
/// s₀ ~ μ.
///
/// ## Episode End
/// Termination: entering a terminal state, or (finite horizon) the H-th
/// step. Truncation: `max_episode_steps` (discounted MDPs; default 1000).
///
/// ## Arguments
/// The arrays, H or γ, and `max_episode_steps`.
public struct TabularMDP: EnvironmentDynamics {
  public struct State: Sendable, Equatable {
    public var index: Int
  }
  public typealias Action = Int32

  public static let id = "TabularMDP"
  public static let stateSize = 1
  public static var observationKind: ObservationKind { .oneHot }
  public let model: TabularModel
  public var maxEpisodeSteps: Int
  public let environmentID: String

  public init(model: TabularModel, maxEpisodeSteps: Int? = nil, id: String = "TabularMDP") {
    self.model = model
    self.maxEpisodeSteps = model.horizon ?? maxEpisodeSteps ?? 1000
    environmentID = id
  }

  public var observationSize: Int { model.stateCount }
  public var horizonTerminates: Bool { model.horizon != nil }
  public var actionSpace: ActionSpace { .discrete(model.actionCount) }
  public var observationLow: [Double] { Array(repeating: 0, count: model.stateCount) }
  public var observationHigh: [Double] { Array(repeating: 1, count: model.stateCount) }
  public var tabularModel: TabularModel? { model }

  public func initialState(using rng: inout PCG64) -> State {
    let k = model.initialCumulative.withUnsafeBufferPointer { c in
      c.baseAddress.map { rng.categorical(cumulative: $0, count: model.stateCount) } ?? 0
    }
    return State(index: k)
  }

  public func step(_ s: inout State, action: UnsafePointer<Int32>, using rng: inout PCG64)
    -> (reward: Double, terminated: Bool)
  {
    let n = model.stateCount
    let row = (s.index * model.actionCount + Int(action.pointee)) * n
    let next = model.cumulative.withUnsafeBufferPointer { c in
      c.baseAddress.map { rng.categorical(cumulative: $0 + row, count: n) } ?? 0
    }
    let reward = model.rewards[row + next]
    s.index = next
    return (reward, model.terminal[next])
  }

  @inline(__always)
  public func observe(_ s: State, into out: UnsafeMutablePointer<Double>) {
    oneHot(s.index, size: model.stateCount, into: out)
  }

  @inline(__always)
  public func load(_ c: UnsafePointer<Double>, _ i: Int, stride n: Int) -> State {
    // Stored indices are whole numbers in range (set_state checks them).
    State(index: Int(Swift.max(0, Swift.min(c[i], Double(model.stateCount - 1)))))
  }

  @inline(__always)
  public func store(_ s: State, _ c: UnsafeMutablePointer<Double>, _ i: Int, stride n: Int) {
    c[i] = Double(s.index)
  }

  public func checkState(_ values: UnsafePointer<Double>) -> String? {
    let v = values[0]
    return v.rounded() == v && v >= 0 && v < Double(model.stateCount)
      ? nil : "a state index must be a whole number in [0, \(model.stateCount - 1)], got \(v)"
  }

  public func renderText(_ s: State) -> String? {
    guard let grid = model.grid else { return nil }
    var rows = grid.rows
    let cell = grid.cellOfState[s.index]
    rows[cell.row][cell.column] = "A"
    return rows.map { String($0) }.joined(separator: "\n")
  }
}
