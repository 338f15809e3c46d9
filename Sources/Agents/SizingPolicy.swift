import Foundation

/// What the planner asks the optimization agent for.
public enum PolicyGoal: String, Sendable, Codable {
    /// Make the failing specs hold.
    case fix
    /// Every spec holds: raise the FoM without breaking any.
    case improve
    /// Every spec holds: move the target metric onto its value.
    case target
}

/// What the optimization agent sees when asked for a move.
public struct PolicyContext: Sendable {
    public var spec: SizingSpec
    public var stage: PlanningStage
    public var goal: PolicyGoal
    public var design: Design
    public var evaluation: Evaluation
    public var corners: [CornerResult]
    /// Earlier iterations, oldest first: the move made and the evaluation after it.
    public var history: [TraceRecord]
    /// Knobs that sat at a limit the last time they were pushed.
    public var exhausted: Set<String>
    /// Moves tried in the improve phase that were rejected (reasoning strings), so they are not repeated.
    public var rejected: [String]

    public init(spec: SizingSpec, stage: PlanningStage, goal: PolicyGoal, design: Design, evaluation: Evaluation,
                corners: [CornerResult], history: [TraceRecord], exhausted: Set<String>, rejected: [String]) {
        self.spec = spec; self.stage = stage; self.goal = goal; self.design = design; self.evaluation = evaluation
        self.corners = corners; self.history = history; self.exhausted = exhausted; self.rejected = rejected
    }
}

/// An optimization agent: proposes the next resizing actions (nil when it has nothing to try).
public protocol SizingPolicy {
    var name: String { get }
    mutating func propose(_ context: PolicyContext) throws -> ActionPlan?
    /// LLM calls, generated tokens and seconds spent so far (zero for deterministic policies).
    var usage: LLMUsage { get }
}

/// Counters of the LLM's work in a run.
public struct LLMUsage: Sendable, Equatable, Codable {
    public var calls = 0
    public var promptTokens = 0
    public var reusedPromptTokens = 0
    public var generatedTokens = 0
    public var seconds = 0.0
    public var fallbacks = 0
    public init() {}
}

extension ExpertRule {
    /// The metrics a rule's cost names (read from its cost text: PM, GBW, SR, Idc, gain).
    var costs: Set<Metric> {
        var out: Set<Metric> = []
        if cost.contains("PM") { out.insert(.pmDeg) }
        if cost.contains("GBW") { out.insert(.gbwMHz) }
        if cost.contains("SR") { out.insert(.srVPerUs) }
        if cost.contains("Idc") { out.insert(.idcUA) }
        if cost.contains("gain") { out.insert(.gainDB) }
        return out
    }
}

/// The deterministic expert: the rule table of `ExpertPolicy` plus the trade-offs the sky130 notes
/// teach (output near mid-rail, FoM moves that trade phase margin and slew for current).
public struct ExpertSizingPolicy: SizingPolicy {
    public var name: String { "expert" }
    public var usage: LLMUsage { LLMUsage() }
    /// Per metric, which of its rules comes next (a rule that did not help gives way to the next).
    var cursor: [Metric: Int] = [:]
    var lastFix: (metric: Metric, margin: Double, rule: Int)?
    /// `metric#rule` pairs that failed to raise their metric when tried.
    var ineffective: Set<String> = []
    /// Step multiplier per improve move (by key); a move under 0.2 is retired.
    var moveStep: [String: Double] = [:]
    var improveIndex = 0
    /// The improve move last proposed (its key).
    var pending: String?
    var rejectedCount = 0
    /// M6 widths tried while the open-loop output sat at a rail, with the output's offset from mid-rail.
    var centring: [(w6: Double, offset: Double)] = []
    /// Exponent on the target ratio (halved after each rejected target move) and the rejections seen.
    /// Accepted tries in a row of the current improve move.
    var streak = 0
    var targetDamping = 1.0
    var targetRejected = 0

    public init() {}

    public mutating func propose(_ c: PolicyContext) throws -> ActionPlan? {
        switch c.goal {
        case .fix: return fix(c)
        case .target: return target(c)
        case .improve: return improve(c)
        }
    }

    /// The knob that moves the bias current: Ibias in stage I, R2 (inversely) with the real reference.
    static func current(_ design: Design, scale: Double) -> SizingAction {
        design.bias == .ideal ? SizingAction(device: "Ibias", param: .value, op: .scale, value: scale)
                              : SizingAction(device: "R2", param: .value, op: .scale, value: 1 / scale)
    }

    mutating func fix(_ c: PolicyContext) -> ActionPlan? {
        pending = nil
        // The open-loop output off mid-rail makes the gain figure meaningless: centre it first by
        // trimming M6 against M7 (the anchor's first lesson).
        let offsets = c.corners.compactMap(\.openLoopVout).map { $0 - c.spec.vdd / 2 }
        if let worst = offsets.max(by: { abs($0) < abs($1) }), abs(worst) > 0.25 * c.spec.vdd,
           offsets.allSatisfy({ $0.sign == worst.sign || abs($0) < 0.1 * c.spec.vdd }),
           c.evaluation.margins[.gainDB].map({ $0 < 0 }) ?? false {
            // At a rail the output says only which side M6 is on, not by how much: bracket M6's width
            // (a wide step until the side flips, then geometric bisection) instead of creeping.
            if let w6 = c.design.devices["M6"]?.w {
                centring.append((w6, worst))
                let lo = centring.filter { $0.offset < 0 }.map(\.w6).max()
                let hi = centring.filter { $0.offset > 0 }.map(\.w6).min()
                let next: Double
                if let lo, let hi, lo < hi { next = (lo * hi).squareRoot() } else { next = worst > 0 ? w6 / 1.6 : w6 * 1.6 }
                return ActionPlan(reasoning: "open-loop output sits at \(String(format: "%.2f", worst + c.spec.vdd / 2)) V: " +
                                  "M6 \(worst > 0 ? "sources more" : "sources less") than M7 sinks, so set M6's width to bring it to mid-rail.",
                                  actions: [SizingAction(device: "M6", param: .w, op: .set, value: (next * 100).rounded() / 100)])
            }
        }
        centring.removeAll()
        let failing = c.evaluation.margins.filter { $0.value < 0 }.sorted { ($0.value, $0.key) < ($1.value, $1.key) }
        // A rule that did not raise its metric's margin gives way to the next one.
        // "Did not help" includes helping too little: under a sixth of the shortfall per step.
        if let last = lastFix, let now = c.evaluation.margins[last.metric], now <= last.margin + max(0.002, -last.margin / 6) {
            cursor[last.metric] = last.rule + 1
            ineffective.insert("\(last.metric.rawValue)#\(last.rule)")
        }
        let knobs = Set(ActionPlan.knobs(of: c.design))
        // Metrics to protect: the other failing ones and those that failed lately (a see-saw between
        // two specs is broken by a rule that costs neither).
        var protect = Set(failing.map(\.key))
        for r in c.history.suffix(4) {
            for (m, v) in r.evaluation?.margins ?? [:] where v < 0 { protect.insert(m) }
        }
        for (metric, margin) in failing {
            let rules = ExpertPolicy.rules(for: metric)
            guard !rules.isEmpty else { continue }
            let start = cursor[metric] ?? 0
            let others = protect.subtracting([metric])
            let order = (0..<rules.count).map { (start + $0) % rules.count }
            // Rules seen not to move their metric here go last; of the rest, those costing no protected spec first.
            let works = order.filter { !ineffective.contains("\(metric.rawValue)#\($0)") }
            // Every rule for this metric was tried without effect: no knob left for it.
            if works.isEmpty { continue }
            let clean = works.filter { rules[$0].costs.isDisjoint(with: others) }
            for index in clean + works.filter({ !clean.contains($0) }) {
                // Larger shortfalls take larger steps (bounded), so a big miss does not cost many iterations.
                let strength = min(2, max(1, -margin / 0.15))
                let actions = rules[index].actions.map { a -> SizingAction in
                    var a = a
                    if a.op == .scale { a.value = pow(a.value, strength) }
                    if a.device == "Ibias", c.design.bias == .selfBiased {
                        return SizingAction(device: "R2", param: .value, op: .scale, value: 1 / a.value)
                    }
                    return a
                }
                guard actions.allSatisfy({ knobs.contains($0.device) && !c.exhausted.contains($0.device) }) else { continue }
                cursor[metric] = index
                lastFix = (metric, margin, index)
                let rule = rules[index]
                return ActionPlan(reasoning: "\(metric.rawValue) short by \(String(format: "%.1f", -margin * 100)) %: \(rule.why); costs \(rule.cost).",
                                  actions: actions)
            }
        }
        return nil
    }

    /// The first-order lever per target metric, stepped by the ratio still to go.
    mutating func target(_ c: PolicyContext) -> ActionPlan? {
        pending = nil
        guard let t = c.spec.target, let w = c.evaluation.worst[t.metric], w.isFinite, w > 0 else { return nil }
        // A target move the planner rejected (it broke a spec) is retried with half the step (in log).
        if c.rejected.count > targetRejected { targetDamping /= 2 }
        targetRejected = c.rejected.count
        guard targetDamping > 0.1 else { return nil }
        let ratio = pow(t.value / w, targetDamping)
        let r = min(2, max(0.5, ratio))
        let actions: [SizingAction]
        let why: String
        switch t.metric {
        case .gbwMHz:
            // Rz's zero lifts the crossover without touching current or slew; past its range, Cc.
            if c.exhausted.contains("Rz") {
                actions = [SizingAction(device: "Cc", param: .value, op: .scale, value: 1 / r)]; why = "GBW ≈ gm1/(2πCc)"
            } else {
                actions = [SizingAction(device: "Rz", param: .value, op: .scale, value: pow(r, 1.6))]; why = "Rz's zero sets how far the crossover is lifted"
            }
        case .srVPerUs, .idcUA:
            // Rz follows 1/gm6 ∝ 1/I so the zero keeps its place against the second pole (PM kept).
            actions = [Self.current(c.design, scale: r), SizingAction(device: "Rz", param: .value, op: .scale, value: 1 / r)]
            why = "SR ≈ I5/Cc and Idc ∝ bias current; Rz scaled with 1/gm6"
        case .pmDeg:
            actions = [SizingAction(device: "Rz", param: .value, op: .scale, value: pow(1 / r, 2))]; why = "Rz moves the zero against the second pole"
        case .gainDB:
            actions = [SizingAction(device: "M7", param: .l, op: .scale, value: pow(r, 3)),
                       SizingAction(device: "M7", param: .w, op: .scale, value: pow(r, 3))]; why = "ro7 ∝ L"
        case .cmrrDB, .psrrDB, .noiseUVPerRtHz:
            actions = [SizingAction(device: "M1", param: .w, op: .scale, value: r)]; why = "input pair gm"
        }
        return ActionPlan(reasoning: "\(t.metric.rawValue) is \(String(format: "%.3g", w)), target \(t.value): \(why).", actions: actions)
    }

    /// FoM = GBW·CL/P: moves that trade spare phase margin, slew and gain for GBW or current. A move
    /// that was accepted is repeated with a longer step; one that broke a spec or lowered the FoM has
    /// its step halved and gives way to the next; a move whose step fell below a fifth is retired.
    mutating func improve(_ c: PolicyContext) -> ActionPlan? {
        func moves(_ k: (String) -> Double) -> [(key: String, name: String, actions: [SizingAction])] {
            // Cheapest first: Rz's zero lifts GBW for no current; then current out of the bias and the
            // second stage while the phase margin allows; a narrower M6 (with its mirror) buys the phase
            // margin back by taking gate capacitance off the first-stage node.
            let list: [(String, [SizingAction])] = [
                ("larger Rz: the zero lifts GBW, PM down", [SizingAction(device: "Rz", param: .value, op: .scale, value: 1 + 0.1 * k("rz"))]),
                ("less bias current and a smaller Cc together (GBW and SR ≈ I/Cc kept): Idc down, PM down",
                 [Self.current(c.design, scale: 1 - 0.08 * k("icc")), SizingAction(device: "Cc", param: .value, op: .scale, value: 1 - 0.08 * k("icc"))]),
                ("narrower M6 with M3/M4 (less gate capacitance on the first-stage node, output kept centred): PM up",
                 [SizingAction(device: "M6", param: .w, op: .scale, value: 1 - 0.1 * k("n36")),
                  SizingAction(device: "M3", param: .w, op: .scale, value: 1 - 0.1 * k("n36"))]),
                ("less second-stage current (M7, M6 narrower together keep the output centred): Idc down, PM down",
                 [SizingAction(device: "M7", param: .w, op: .scale, value: 1 - 0.08 * k("i7")),
                  SizingAction(device: "M6", param: .w, op: .scale, value: 1 - 0.08 * k("i7"))]),
                ("wider input pair: more gm1 per µA, GBW up", [SizingAction(device: "M1", param: .w, op: .scale, value: 1 + 0.15 * k("w1"))]),
                ("smaller Cc: GBW and SR up, PM down", [SizingAction(device: "Cc", param: .value, op: .scale, value: 1 - 0.08 * k("cc"))]),
                ("less bias current: Idc down, SR and GBW down", [Self.current(c.design, scale: 1 - 0.06 * k("ib"))]),
                ("less second-stage current with a larger Rz (M7, M6 narrower together keep the output centred; Rz keeps the zero's lift): Idc down",
                 [SizingAction(device: "M7", param: .w, op: .scale, value: 1 - 0.08 * k("i7rz")),
                  SizingAction(device: "M6", param: .w, op: .scale, value: 1 - 0.08 * k("i7rz")),
                  SizingAction(device: "Rz", param: .value, op: .scale, value: 1 + 0.08 * k("i7rz"))]),
            ]
            let keys = ["rz", "icc", "n36", "i7", "w1", "cc", "ib", "i7rz"]
            var tagged = Array(zip(keys, list))
            if c.spec.target?.metric == .gbwMHz {
                // GBW is pinned by the target: spend margin on current only.
                tagged.removeAll { ["rz", "w1", "i7rz"].contains($0.0) }
            }
            if c.spec.target.map({ $0.metric == .idcUA || $0.metric == .srVPerUs }) ?? false {
                tagged.removeAll { ["icc", "ib"].contains($0.0) }
            }
            let knobs = Set(ActionPlan.knobs(of: c.design))
            tagged.removeAll { !$0.1.1.allSatisfy { knobs.contains($0.device) && !c.exhausted.contains($0.device) } }
            tagged.removeAll { (moveStep[$0.0] ?? 1) < 0.2 }
            return tagged.map { (key: $0.0, name: $0.1.0, actions: $0.1.1) }
        }
        // Learn from the move just tried.
        if let key = pending, c.history.last != nil {
            if c.rejected.count == rejectedCount {
                moveStep[key] = min(2, (moveStep[key] ?? 1) * 1.5)
                streak += 1
            } else {
                moveStep[key] = (moveStep[key] ?? 1) / 2
                // A move that had just paid off overshot: bisect it (same move, half the step) before
                // giving way to the next one.
                if streak == 0 { improveIndex += 1 }
                streak = 0
            }
        }
        let list = moves { moveStep[$0] ?? 1 }
        guard !list.isEmpty else { pending = nil; return nil }
        let move = list[improveIndex % list.count]
        pending = move.key
        rejectedCount = c.rejected.count
        return ActionPlan(reasoning: "FoM: " + move.name + String(format: " [step %.2f]", moveStep[move.key] ?? 1), actions: move.actions)
    }
}
