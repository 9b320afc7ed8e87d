/// An environment batch as a bundle section (`Serialization.swift`): what
/// rebuilds it and its exact state, so that a run continues bit for bit.
///
/// Fields (section version 1):
/// - `id`: the environment id; `definition`: a record with `kind`
///   "registry" (made by `id`), "tabular" (the model's arrays: `states`,
///   `actions`, `transitions` and `rewards` [S·A·S], `initial` [S],
///   `terminal` [S] 0/1, `horizon` (0: discounted), `gamma`,
///   `max_episode_steps`, `grid`: a gridworld's layout or "") or "bandit"
///   (`arms_kind` 0 Gaussian / 1 Bernoulli, `means`, `stds`, `horizon`);
/// - `count`, `seed` (of the last reseed), `thread_count`;
/// - `parameters`: one record per parameter name (`max_episode_steps`
///   included) with its `values` in every instance; `randomized`: the
///   ranges drawn at each reset (`name`, `low`, `high`);
/// - `storage_columns` and the states as stored (`states`, `final_states`:
///   `[storage_columns][count]`), step counters (`elapsed`,
///   `final_elapsed`), and every instance's state and parameter generators
///   (`generators`, `parameter_generators`, four words each);
/// - `adr` (only while automatic domain randomisation is on): its settings
///   (`boundary_probability`, `buffer_size`, `upper_threshold`,
///   `lower_threshold`, `success_return`), one record per parameter
///   (`name`, `nominal`, `step`, `lower_limit`, `upper_limit`, `low`,
///   `high`), the boundary `buffers` (2 per parameter, each 0/1 results),
///   the counters (`episodes`, `boundary_episodes`, `successes`,
///   `decisions`, `moves`) and every instance's running episode
///   (`episode_tags`, `episode_returns`) and last finished one
///   (`final_tags`, `final_returns`). Its ranges are the first entries of
///   `randomized`;
/// - `autoreset_mode` (only in next-step mode: 1) and `pending_resets` (per
///   instance 0/1: the next step resets it).
public enum EnvironmentRecord {
  public static let version: Int64 = 1

  /// A bundle holding the environment alone (kind `.environment`, section
  /// `environment`). Throws `.notSupported` for dynamics that cannot be
  /// rebuilt from a file.
  public static func serialize(_ env: any BatchedEnvironment) throws(SwiftPGError) -> [UInt8] {
    Bundle.encode(.environment, section: "environment", try env.record())
  }

  /// The environment of an environment or learner bundle.
  public static func deserialize(_ bytes: [UInt8], source: String = "the bytes") throws(SwiftPGError)
    -> any BatchedEnvironment
  {
    let root = try Bundle.reader(bytes, source: source, kinds: [.environment, .learner], holding: "an environment").root
    guard root.has("environment") else { throw SwiftPGError(.badFormat, "\(source) holds a learner without an environment") }
    return try decode(try root.record("environment"))
  }

  /// Rebuilds the environment of a section: its definition, then its state.
  public static func decode(_ r: RecordReader) throws(SwiftPGError) -> any BatchedEnvironment {
    try r.requireVersion(version, "the environment section has")
    let id = try r.text("id")
    let count = try r.int("count", in: 1...Int64(1 << 24))
    // The instance count sizes what is allocated next: it must be backed by
    // the bytes read (four generator words per instance) before anything is built.
    let words = try r.words("generators")
    guard words.count == 4 * count else {
      throw r.fail("field 'generators' holds \(words.count / 4) generators for \(count) instances")
    }
    let env = try make(r.record("definition"), id: id, count: count, seed: r.uint("seed"), context: r.context)
    try env.prepareRestore(r, adoptingCapacity: true)()
    return env
  }

  /// A fresh batch of `count` instances of the definition.
  static func make(_ d: RecordReader, id: String, count: Int, seed: UInt64, context: String) throws(SwiftPGError)
    -> any BatchedEnvironment
  {
    let kind = try d.text("kind")
    return try Checkpoint.formatError(in: context) { () throws(SwiftPGError) -> any BatchedEnvironment in
      switch kind {
      case "registry":
        try d.finish()
        guard EnvironmentRegistry.ids.contains(id) else {
          throw d.fail("environment id '\(id)' is not registered in this library")
        }
        return try EnvironmentRegistry.make(id, count: count, seed: seed)
      case "tabular":
        return try VectorEnvironment(try tabular(d, id: id), count: count, seed: seed)
      case "bandit":
        return try VectorEnvironment(try bandit(d), count: count, seed: seed)
      default:
        throw d.fail("unknown environment definition kind '\(kind)'")
      }
    }
  }

  static func tabular(_ d: RecordReader, id: String) throws(SwiftPGError) -> TabularMDP {
    let s = try d.int("states", in: 1...Int64(TabularModel.maxStates))
    let a = try d.int("actions", in: 1...Int64(TabularModel.maxActions))
    let sas = try TabularModel.tableEntries(states: s, actions: a)
    let horizon = try d.int("horizon", in: 0...Int64(Int32.max))
    let text = try d.text("grid")
    var grid: GridLayout?
    if !text.isEmpty {
      let rows = text.split(separator: "\n", omittingEmptySubsequences: true).map { Array($0) }
      var cells: [(row: Int, column: Int)] = []
      for (i, line) in rows.enumerated() {
        for (j, ch) in line.enumerated() where ch != "#" { cells.append((i, j)) }
      }
      guard cells.count == s else { throw d.fail("the grid layout has \(cells.count) free cells for \(s) states") }
      grid = GridLayout(rows: rows, cellOfState: cells)
    }
    let model = try TabularModel(
      stateCount: s, actionCount: a, transitions: try d.doubles("transitions", count: sas),
      rewards: try d.doubles("rewards", count: sas), rewardsPerNextState: true,
      initial: try d.doubles("initial", count: s),
      terminal: try d.ints("terminal", count: s, in: 0...1).map { $0 == 1 },
      horizon: horizon > 0 ? horizon : nil, gamma: try d.finiteDouble("gamma"), grid: grid)
    let limit = try d.int("max_episode_steps", in: 0...Int64(Int32.max))
    try d.finish()
    return TabularMDP(model: model, maxEpisodeSteps: limit, id: id)
  }

  static func bandit(_ d: RecordReader) throws(SwiftPGError) -> Bandit {
    guard let kind = Bandit.Kind(rawValue: Int32(try d.int("arms_kind", in: 0...1))) else {
      throw d.fail("field 'arms_kind' must be 0 or 1")
    }
    let means = try d.doubles("means")
    let stds = try d.doubles("stds", count: means.count)
    let horizon = try d.int("horizon", in: 1...Int64(Int32.max))
    try d.finish()
    return try Bandit(kind: kind, means: means, stds: kind == .gaussian ? stds : nil, horizon: horizon)
  }
}

extension TabularMDP {
  public var definition: Record? {
    var r = Record()
    r.set("kind", text: "tabular")
    r.set("states", int: model.stateCount)
    r.set("actions", int: model.actionCount)
    r.set("transitions", doubles: model.transitions)
    r.set("rewards", doubles: model.rewards)
    r.set("initial", doubles: model.initial)
    r.set("terminal", ints: model.terminal.map { $0 ? 1 : 0 })
    r.set("horizon", int: model.horizon ?? 0)
    r.set("gamma", double: model.gamma)
    r.set("max_episode_steps", int: maxEpisodeSteps)
    r.set("grid", text: model.grid.map { $0.rows.map { String($0) }.joined(separator: "\n") } ?? "")
    return r
  }
}

extension Bandit {
  public var definition: Record? {
    var r = Record()
    r.set("kind", text: "bandit")
    r.set("arms_kind", int: Int(kind.rawValue))
    r.set("means", doubles: means)
    r.set("stds", doubles: stds)
    r.set("horizon", int: maxEpisodeSteps)
    return r
  }
}

extension VectorEnvironment {
  /// A fresh batch of the prototype with this batch's `max_action_delay`
  /// (parameters are not copied).
  public func spawn(count: Int, seed: UInt64) throws(SwiftPGError) -> any BatchedEnvironment {
    let env = try VectorEnvironment(prototype, count: count, seed: seed)
    if actionDelayCapacity > 0 { try env.setActionDelayCapacity(actionDelayCapacity) }
    return env
  }

  /// The definition record of this batch (its prototype's, or the registry id's).
  func definitionRecord() throws(SwiftPGError) -> Record {
    if let d = prototype.definition { return d }
    guard EnvironmentRegistry.ids.contains(D.id) else {
      throw SwiftPGError(.notSupported, "\(id) is not in the environment registry and cannot be saved")
    }
    var r = Record()
    r.set("kind", text: "registry")
    return r
  }

  public func record() throws(SwiftPGError) -> Record {
    let n = count
    let k = D.storageSize
    var r = Record()
    r.set("version", .int(EnvironmentRecord.version))
    r.set("id", text: id)
    r.set("definition", record: try definitionRecord())
    r.set("count", int: n)
    r.set("seed", .uint(seed))
    r.set("thread_count", int: threadCount)
    var parameters: [Record] = []
    for (index, name) in parameterNames.enumerated() {
      var p = Record()
      p.set("name", text: name)
      p.set(
        "values",
        doubles: (0..<n).map {
          index == timeLimitIndex ? Double(dynamics[$0].maxEpisodeSteps) : dynamics[$0].parameter(index)
        })
      parameters.append(p)
    }
    r.set("parameters", .records(parameters))
    r.set(
      "randomized",
      .records(
        ranges.map { range in
          var p = Record()
          p.set("name", text: D.parameterNames[range.index])
          p.set("low", double: range.low)
          p.set("high", double: range.high)
          return p
        }))
    if let adr { r.set("adr", record: adrRecord(adr)) }
    if autoresetMode == .nextStep {
      r.set("autoreset_mode", int: Int(AutoresetMode.nextStep.rawValue))
      r.set("pending_resets", ints: (0..<n).map { Int(pendingResets[$0]) })
    }
    r.set("storage_columns", int: k)
    r.set("states", doubles: Array(UnsafeBufferPointer(start: states, count: k * n)))
    r.set("elapsed", ints: (0..<n).map { Int(elapsed[$0]) })
    r.set("final_states", doubles: Array(UnsafeBufferPointer(start: finalStates, count: k * n)))
    r.set("final_elapsed", ints: (0..<n).map { Int(finalElapsed[$0]) })
    r.set("generators", generators: (0..<n).map { generators[$0] })
    r.set("parameter_generators", generators: (0..<n).map { parameterGenerators[$0] })
    if actionDelayCapacity > 0 {  // action delay's hidden state (absent: no delay)
      r.set("max_action_delay", int: actionDelayCapacity)
      let size = historyColumns
      var h = [Double](repeating: 0, count: n * size)
      var f = h
      h.withUnsafeMutableBufferPointer { b in
        guard let base = b.baseAddress else { return }
        for i in 0..<n { exportHistory(history, i, started: historyStarted, into: base + i * size) }
      }
      f.withUnsafeMutableBufferPointer { b in
        guard let base = b.baseAddress else { return }
        for i in 0..<n { exportHistory(finalHistory, i, started: nil, into: base + i * size) }
      }
      r.set("action_history", doubles: h)
      r.set("final_action_history", doubles: f)
    }
    return r
  }

  public func prepareRestore(_ r: RecordReader) throws(SwiftPGError) -> () -> Void {
    try prepareRestore(r, adoptingCapacity: false)
  }

  public func prepareRestore(_ r: RecordReader, adoptingCapacity: Bool) throws(SwiftPGError) -> () -> Void {
    try r.requireVersion(EnvironmentRecord.version, "the environment section has")
    let n = count
    let k = D.storageSize
    let savedID = try r.text("id")
    guard savedID == id else { throw r.fail("the file's environment is \(savedID), this one is \(id)") }
    let savedCount = try r.int("count", in: 1...Int64(Self.maxCount))
    guard savedCount == n else { throw r.fail("the file's environment has \(savedCount) instances, this one \(n)") }
    let definition = try r.record("definition")
    guard definition.record == (try definitionRecord()) else {
      throw r.fail("the file's \(id) has another definition (model, arms or id) than this one")
    }
    _ = try definition.text("kind")  // compared above; marks the record as read
    let savedSeed = try r.uint("seed")
    let threads = try r.int("thread_count", in: 1...Int64(WorkerPool.maxThreads))
    let columns = try r.int("storage_columns", in: 0...1024)
    guard columns == k else { throw r.fail("\(columns) storage columns, this environment has \(k)") }

    // Action delay's capacity first: the delays below are checked against it.
    let newCapacity =
      r.has("max_action_delay") ? Int(try r.int("max_action_delay", in: 0...Int64(PhysicsEffects.maxActionDelay))) : 0
    guard newCapacity == 0 || delayIndex != nil else { throw r.fail("\(id) has no action delay") }
    guard adoptingCapacity || newCapacity == actionDelayCapacity else {
      throw r.fail(
        "the file's \(id) has max_action_delay \(newCapacity), this one \(actionDelayCapacity) (it sizes the state): "
          + "create the environment with max_action_delay=\(newCapacity)")
    }
    let newHistorySize = newCapacity * actionSpace.width  // actions; a block adds the started flag
    // Randomisation ranges, each checked as randomizeParameter checks them.
    var newRanges: [ParameterRange] = []
    for p in try r.records("randomized") {
      let name = try p.text("name")
      guard let index = D.parameterNames.firstIndex(of: name) else {
        throw p.fail("\(id) has no randomisable parameter '\(name)'")
      }
      guard !newRanges.contains(where: { $0.index == index }) else { throw p.fail("'\(name)' is randomised twice") }
      let low = try p.finiteDouble("low")
      let high = try p.finiteDouble("high")
      guard low <= high else { throw p.fail("the range of \(name) has low \(low) > high \(high)") }
      try Checkpoint.formatError(in: p.context) { () throws(SwiftPGError) in
        try checkValue(index, low, delayCapacity: newCapacity)
        try checkValue(index, high, delayCapacity: newCapacity)
      }
      try p.finish()
      newRanges.append(ParameterRange(index: index, low: low, high: high))
    }

    let newADR = try r.optionalRecord("adr").map { (a) throws(SwiftPGError) in try readADR(a, ranges: newRanges, delayCapacity: newCapacity) }
    // Next-step autoreset (absent: same-step) and the instances waiting for their reset.
    var newMode = AutoresetMode.sameStep
    var newPending = [Int](repeating: 0, count: n)
    if r.has("autoreset_mode") {
      guard let mode = AutoresetMode(rawValue: Int32(try r.int("autoreset_mode", in: 0...1))) else {
        throw r.fail("autoreset_mode must be 0 or 1")
      }
      newMode = mode
      if mode == .nextStep { newPending = try r.ints("pending_resets", count: n, in: 0...1) }
    }

    // Parameter values of every instance: valid values, values drawn from a
    // range, or the environment's own defaults.
    // Files written before the effects parameters existed lack them: those
    // take their defaults (off).
    let names = parameterNames
    let records = try r.records("parameters")
    let effectNames = Set(D.effectParameters.map(\.name))
    var values: [[Double]] = []
    var next = 0
    for (index, expected) in names.enumerated() {
      let fallback = index == timeLimitIndex ? Double(prototype.maxEpisodeSteps) : prototype.parameter(index)
      let name = next < records.count ? try records[next].text("name") : nil
      if name != expected && effectNames.contains(expected) {
        values.append([Double](repeating: fallback, count: n))
        continue
      }
      guard next < records.count, let name else {
        throw r.fail("\(records.count) parameters, \(id) has \(names.count) (\(names.joined(separator: ", ")))")
      }
      let p = records[next]
      next += 1
      guard name == expected else { throw p.fail("parameter \(index) is '\(name)', expected '\(expected)'") }
      let v = try p.doubles("values", count: n)
      let range = newRanges.first { $0.index == index }
      for (i, x) in v.enumerated() {
        if x.bitPattern == fallback.bitPattern { continue }
        if let range, x >= range.low && x <= range.high { continue }
        do throws(SwiftPGError) { try checkValue(index, x, delayCapacity: newCapacity) } catch {
          throw p.fail("value of instance \(i): \(error.message)")
        }
      }
      try p.finish()
      values.append(v)
    }
    guard next == records.count else {
      throw r.fail("\(records.count) parameters, \(id) has \(names.count) (\(names.joined(separator: ", ")))")
    }

    // States as stored, checked as setStates checks them.
    let newStates = try r.doubles("states", count: k * n)
    let newFinal = try r.doubles("final_states", count: k * n)
    for (what, columnsData) in [("states", newStates), ("final_states", newFinal)] {
      if let j = columnsData.firstIndex(where: { Swift.abs($0) > Self.stateMagnitude }) {
        throw r.fail("\(what) column \(j / n) of instance \(j % n) is \(columnsData[j]); |state| must be <= 1e6")
      }
      var one = [Double](repeating: 0, count: Swift.max(1, D.stateSize))
      for i in 0..<n {
        for c in 0..<D.stateSize { one[c] = columnsData[c * n + i] }
        let problem = one.withUnsafeBufferPointer { b in b.baseAddress.flatMap { prototype.checkState($0) } }
        if let problem { throw r.fail("\(what) of instance \(i): \(problem)") }
      }
    }
    let newElapsed = try r.ints("elapsed", count: n, in: 0...Int64(Int32.max))
    let newFinalElapsed = try r.ints("final_elapsed", count: n, in: 0...Int64(Int32.max))
    let newGenerators = try r.generators("generators", count: n)
    let newParameterGenerators = try r.generators("parameter_generators", count: n)
    var newHistory: [Double] = []
    var newFinalHistory: [Double] = []
    if newCapacity > 0 {
      let block = newHistorySize + 1
      newHistory = try r.doubles("action_history", count: n * block)
      newFinalHistory = try r.doubles("final_action_history", count: n * block)
      for (what, h) in [("action_history", newHistory), ("final_action_history", newFinalHistory)] {
        for i in 0..<n {
          let problem = h.withUnsafeBufferPointer { b in
            b.baseAddress.flatMap { historyProblem($0 + i * block, size: newHistorySize) }
          }
          if let problem { throw r.fail("\(what) of instance \(i): \(problem)") }
        }
      }
    }
    try r.finish()

    return { [self] in
      ranges = newRanges
      adr = newADR?.adr
      autoresetMode = newMode
      for i in 0..<n { pendingResets[i] = UInt8(newPending[i]) }
      lastDecisions = []
      for i in 0..<n {
        episodeTags[i] = newADR.map { Int32($0.episodeTags[i]) } ?? -1
        episodeReturns[i] = newADR?.episodeReturns[i] ?? 0
        finalTags[i] = newADR.map { Int32($0.finalTags[i]) } ?? -1
        finalReturns[i] = newADR?.finalReturns[i] ?? 0
      }
      for i in 0..<n {
        var d = prototype
        for (index, v) in values.enumerated() {
          if index == timeLimitIndex { d.maxEpisodeSteps = Int(v[i]) } else { d.setParameter(index, v[i]) }
        }
        dynamics[i] = d
        elapsed[i] = Int32(newElapsed[i])
        finalElapsed[i] = Int32(newFinalElapsed[i])
        generators[i] = newGenerators[i]
        parameterGenerators[i] = newParameterGenerators[i]
      }
      for j in 0..<(k * n) {
        states[j] = newStates[j]
        finalStates[j] = newFinal[j]
      }
      actionSpace = dynamics[0].actionSpace
      threadCount = threads
      seed = savedSeed
      installHistory(capacity: newCapacity, history: newHistory, finalHistory: newFinalHistory)
    }
  }

  private func adrRecord(_ a: AutomaticDomainRandomization) -> Record {
    var r = Record()
    r.set("boundary_probability", double: a.settings.boundaryProbability)
    r.set("buffer_size", int: a.settings.bufferSize)
    r.set("upper_threshold", double: a.settings.upperThreshold)
    r.set("lower_threshold", double: a.settings.lowerThreshold)
    r.set("success_return", double: a.settings.successReturn)
    r.set(
      "parameters",
      .records(
        a.parameters.map { p in
          var q = Record()
          q.set("name", text: p.name)
          q.set("nominal", double: p.nominal)
          q.set("step", double: p.step)
          q.set("lower_limit", double: p.lowerLimit)
          q.set("upper_limit", double: p.upperLimit)
          q.set("low", double: p.low)
          q.set("high", double: p.high)
          return q
        }))
    r.set(
      "buffers",
      .records(
        a.buffers.map { b in
          var q = Record()
          q.set("results", doubles: b)
          return q
        }))
    r.set("episodes", int: a.episodes)
    r.set("boundary_episodes", int: a.boundaryEpisodes)
    r.set("successes", int: a.successes)
    r.set("decisions", int: a.decisions)
    r.set("moves", int: a.moves)
    r.set("episode_tags", ints: (0..<count).map { Int(episodeTags[$0]) })
    r.set("episode_returns", doubles: Array(UnsafeBufferPointer(start: episodeReturns, count: count)))
    r.set("final_tags", ints: (0..<count).map { Int(finalTags[$0]) })
    r.set("final_returns", doubles: Array(UnsafeBufferPointer(start: finalReturns, count: count)))
    return r
  }

  /// The ADR section, every field checked: settings as `enableADR` checks
  /// them, parameters known, in order and matching the first `ranges`,
  /// buffers of 0/1 results shorter than m, counters consistent, tags of
  /// the parameters.
  private func readADR(_ r: RecordReader, ranges: [ParameterRange], delayCapacity: Int) throws(SwiftPGError) -> (
    adr: AutomaticDomainRandomization, episodeTags: [Int], episodeReturns: [Double], finalTags: [Int],
    finalReturns: [Double]
  ) {
    let settings = AutomaticDomainRandomization.Settings(
      boundaryProbability: try r.finiteDouble("boundary_probability"),
      bufferSize: try r.int("buffer_size", in: 1...(1 << 20)),
      upperThreshold: try r.finiteDouble("upper_threshold"), lowerThreshold: try r.finiteDouble("lower_threshold"),
      successReturn: try r.finiteDouble("success_return"))
    if let problem = settings.problem { throw r.fail(problem) }
    var parameters: [AutomaticDomainRandomization.Parameter] = []
    let records = try r.records("parameters")
    guard !records.isEmpty, records.count <= ranges.count else {
      throw r.fail("\(records.count) ADR parameters with \(ranges.count) randomised ranges")
    }
    for (k, p) in records.enumerated() {
      let name = try p.text("name")
      guard let index = D.parameterNames.firstIndex(of: name), index == ranges[k].index else {
        throw p.fail("ADR parameter \(k) is '\(name)', which is not randomised range \(k)")
      }
      let q = AutomaticDomainRandomization.Parameter(
        index: index, name: name, nominal: try p.finiteDouble("nominal"), step: try p.finiteDouble("step"),
        lowerLimit: try p.finiteDouble("lower_limit"), upperLimit: try p.finiteDouble("upper_limit"),
        low: try p.finiteDouble("low"), high: try p.finiteDouble("high"))
      guard q.low == ranges[k].low && q.high == ranges[k].high else {
        throw p.fail("the ADR range of \(name) differs from its randomised range")
      }
      try Checkpoint.formatError(in: p.context) { () throws(SwiftPGError) in
        try checkValue(index, q.lowerLimit, delayCapacity: delayCapacity)
        try checkValue(index, q.upperLimit, delayCapacity: delayCapacity)
      }
      try p.finish()
      parameters.append(q)
    }
    var a = try Checkpoint.formatError(in: r.context) { () throws(SwiftPGError) in
      try AutomaticDomainRandomization(parameters: parameters, settings: settings)
    }
    let buffers = try r.records("buffers")
    guard buffers.count == 2 * parameters.count else {
      throw r.fail("\(buffers.count) ADR buffers for \(parameters.count) parameters (2 each)")
    }
    for (k, b) in buffers.enumerated() {
      let results = try b.doubles("results")
      guard results.count < settings.bufferSize, results.allSatisfy({ $0 == 0 || $0 == 1 }) else {
        throw b.fail("ADR buffer \(k) must hold fewer than m = \(settings.bufferSize) results, each 0 or 1")
      }
      try b.finish()
      a.buffers[k] = results
    }
    let limit = Int64(Int.max / 4)
    a.episodes = try r.int("episodes", in: 0...limit)
    a.boundaryEpisodes = try r.int("boundary_episodes", in: 0...Int64(a.episodes))
    a.successes = try r.int("successes", in: 0...Int64(a.episodes))
    a.decisions = try r.int("decisions", in: 0...Int64(a.boundaryEpisodes))
    a.moves = try r.int("moves", in: 0...Int64(a.decisions))
    let tagRange = -1...Int64(2 * parameters.count - 1)
    let episodeTags = try r.ints("episode_tags", count: count, in: tagRange)
    let episodeReturns = try r.doubles("episode_returns", count: count)
    let finalTags = try r.ints("final_tags", count: count, in: tagRange)
    let finalReturns = try r.doubles("final_returns", count: count)
    try r.finish()
    return (a, episodeTags, episodeReturns, finalTags, finalReturns)
  }
}
