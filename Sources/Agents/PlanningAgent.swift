import Foundation

/// How a sizing run ended.
public enum RunStatus: String, Sendable, Codable {
    /// Every spec holds in every corner and no further move raised the FoM.
    case converged
    /// The iteration or wall-time budget ran out (the best design so far is kept).
    case budgetSpent = "budget_spent"
    /// No remaining move can make the failing specs hold; `conflicts` says which constraints fight.
    case infeasible
}

/// The result of a sizing run: the best design, its final evaluation and per-corner results, and the
/// bookkeeping the report prints.
public struct SizingOutcome: Sendable, Codable {
    public var design: Design
    public var evaluation: Evaluation
    public var corners: [CornerResult]
    public var status: RunStatus
    public var explanation: String
    /// Pairs of constraints where fixing one broke the other, plus specs no knob could fix.
    public var conflicts: [String]
    public var iterations: Int
    public var simulations: Int
    public var policy: String
    public var llm: LLMUsage
    public var wallSeconds: Double
    /// Metrics the simulator could not produce (benches not implemented yet).
    public var unavailable: [Testbench]
    public var trace: [TraceRecord]
    public var initiationScript: String
}

/// The planning agent: runs stage I (ideal bias, typical corner), stage II (the real reference, its
/// current matched to stage I's) and stage III (every corner with a guard band, then FoM up while every
/// spec holds), asking the policy for moves, and stops when converged, out of budget, or stuck.
public final class PlanningAgent {
    public let spec: SizingSpec
    public var simulation: SimulationAgent
    public var policy: any SizingPolicy
    /// One line per iteration for the terminal.
    public var progress: (String) -> Void
    public private(set) var trace: [TraceRecord] = []
    public private(set) var iterations = 0
    public private(set) var simulations = 0
    var unavailable: Set<Testbench> = []
    var exhausted: Set<String> = []
    var rejected: [String] = []
    var conflicts: Set<String> = []
    let start = Date()

    public init(spec: SizingSpec, simulation: SimulationAgent, policy: any SizingPolicy, progress: @escaping (String) -> Void = { _ in }) {
        self.spec = spec; self.simulation = simulation; self.policy = policy; self.progress = progress
    }

    var elapsed: Double { Date().timeIntervalSince(start) }
    var budgetLeft: Bool { iterations < spec.budget.iterations && elapsed < spec.budget.wallSeconds }

    /// SR·Cc/I5 per corner from the last transient run (rising SR ≈ I5/Cc).
    var slewGain: [Corner: Double] = [:]

    /// One evaluation at the stage's corners; benches found unimplemented are dropped for the rest of the run.
    /// Without `slew` the transient bench is skipped and SR is estimated as k·I5/Cc with k from the
    /// corner's last transient run (the transient costs more than every other bench together).
    public func evaluate(_ design: Design, stage: PlanningStage, slew: Bool = true) -> (Evaluation, [CornerResult]) {
        var agent = simulation
        let runSlew = slew || slewGain.isEmpty
        if !runSlew { agent.benches.remove(.slew) }
        // Inside the loop only the benches behind a constraint or the target run; the report's
        // CMRR, PSRR and noise are measured once on the final design.
        for b in [Testbench.cmrr, .psrr, .noise] where !SimulationAgent.metrics(of: b).contains(where: needed) {
            agent.benches.remove(b)
        }
        var results = agent.simulate(design, corners: stage.corners(of: spec), keepWaveforms: true)
        for i in results.indices {
            let c = results[i].corner
            guard let i5 = results[i].tailCurrentUA, i5 > 0 else { continue }
            if let sr = results[i].metrics[.srVPerUs], runSlew {
                if sr > 0 { slewGain[c] = sr * design.ccPF / i5 }
            } else if !runSlew, simulation.benches.contains(.slew), let k = slewGain[c] ?? slewGain.values.min() {
                results[i].metrics[.srVPerUs] = k * i5 / design.ccPF
                results[i].slewPredicted = true
            }
        }
        let e = Evaluation(perCorner: Dictionary(uniqueKeysWithValues: results.map { ($0.corner, $0.metrics) }), spec: spec,
                           guardBand: stage.guardBand, extraFlags: results.flatMap(\.flags))
        for r in results {
            simulations += r.simulations
            for b in r.unavailable where !unavailable.contains(b) {
                unavailable.insert(b)
                simulation.benches.remove(b)
                progress("  note: the \(b.rawValue) bench is not available in this simulator build; its metrics are reported as unavailable")
            }
        }
        return (e, results)
    }

    /// Whether the loop must measure `metric`: it is constrained or the target.
    func needed(_ metric: Metric) -> Bool { spec.constraints[metric] != nil || spec.target?.metric == metric }

    /// Improve or target moves in a row that raised nothing by at least 0.5 % before the search counts
    /// as converged (each rejected move also halves that move's step).
    public var patience = 5

    /// Records an iteration and prints its line.
    func record(_ stage: PlanningStage, _ plan: ActionPlan?, _ applied: [AppliedAction], _ design: Design,
                _ e: Evaluation, prompt: String? = nil, seconds: Double, simulations: Int, accepted: Bool = true) {
        iterations += 1
        let r = TraceRecord(iteration: iterations, stage: stage, agent: plan == nil ? "init" : policy.name, prompt: prompt,
                            reasoning: plan?.reasoning ?? "initial design", actions: plan?.actions ?? [], applied: applied,
                            design: design, evaluation: e, simulations: simulations, seconds: seconds)
        trace.append(r)
        let w = e.worst
        func f(_ m: Metric, _ fmt: String) -> String { w[m].map { String(format: fmt, $0) } ?? "n/a" }
        let fails = e.flags.compactMap { flag -> String? in
            if case .specFailed(let m, _, _) = flag { return m.rawValue }
            if case .targetMissed(let m, _, _) = flag { return "target " + m.rawValue }
            return nil
        }
        progress(String(format: "[%5.1fs] it %2d  stage %-3@ ", elapsed, iterations, stage.rawValue)
                 + "gain \(f(.gainDB, "%.1f")) dB  GBW \(f(.gbwMHz, "%.1f")) MHz  PM \(f(.pmDeg, "%.1f"))°  SR \(f(.srVPerUs, "%.1f")) V/µs  "
                 + "Idc \(f(.idcUA, "%.1f")) µA  FoM \(e.fom.map { String(format: "%.0f", $0) } ?? "n/a")"
                 + (fails.isEmpty ? "  ok" : "  fails: " + fails.joined(separator: ","))
                 + (accepted ? "" : "  (rejected)")
                 + (plan.map { "  <- " + $0.reasoning.prefix(70) } ?? ""))
    }

    /// Asks the policy and applies its actions; nil when it has nothing to propose.
    func step(_ design: inout Design, stage: PlanningStage, goal: PolicyGoal, evaluation: Evaluation,
              corners: [CornerResult]) -> (ActionPlan, [AppliedAction])? {
        let context = PolicyContext(spec: spec, stage: stage, goal: goal, design: design, evaluation: evaluation,
                                    corners: corners, history: trace, exhausted: exhausted, rejected: rejected)
        let plan: ActionPlan?
        do { plan = try policy.propose(context) } catch {
            progress("  policy error: \(error)")
            return nil
        }
        guard let plan else { return nil }
        var trial = design
        guard let applied = try? trial.apply(Self.withFingers(plan.actions, design: design, limits: spec.limits), limits: spec.limits) else { return nil }
        for a in applied where a.clampedBy != nil { exhausted.formUnion(a.targets.isEmpty ? [a.action.device] : a.targets) }
        if applied.allSatisfy({ $0.newValue == $0.oldValue }) {
            exhausted.insert(plan.actions[0].device)
        }
        design = trial
        return (plan, applied)
    }

    /// Adds a finger-count change ahead of any width change that would push a finger past the width
    /// limit, so wide devices grow by fingers instead of being clamped (which would unbalance M6 and M7).
    public static func withFingers(_ actions: [SizingAction], design: Design, limits: SizingLimits) -> [SizingAction] {
        var out: [SizingAction] = []
        var widths: [String: (w: Double, nf: Int)] = design.devices.mapValues { ($0.w, $0.nf) }
        for a in actions {
            if a.param == .w, let (w, nf) = widths[a.device] {
                let total = a.op == .scale ? w * a.value : a.op == .step ? w + a.value : a.value
                let need = Int((total / limits.wUM.max).rounded(.up))
                if need > nf, Double(need) <= limits.fingers.max {
                    out.append(SizingAction(device: a.device, param: .nf, op: .set, value: Double(need)))
                }
                widths[a.device] = (total, max(nf, need))
            }
            out.append(a)
        }
        return out
    }

    /// Metrics that fail in `e` (constraint names).
    static func failing(_ e: Evaluation) -> Set<Metric> {
        Set(e.margins.filter { $0.value < 0 }.map(\.key))
    }

    /// A score to keep the best design: feasible designs by FoM, infeasible ones by their worst margin.
    static func score(_ e: Evaluation) -> Double {
        if e.meetsSpecs { return 1e6 + (e.fom ?? 0) }
        let worst = e.margins.values.filter { $0 < 0 }.reduce(0, +)
        let target = e.flags.contains { if case .targetMissed = $0 { return true }; return false } ? -0.05 : 0
        return worst + target
    }

    /// Runs a stage's fix loop: evaluates, then asks for `.fix` moves until the stage's specs hold.
    /// Returns the design and its evaluation; `ok` false when stuck or out of budget.
    public func fixLoop(_ start: Design, stage: PlanningStage, maxIterations: Int) -> (design: Design, evaluation: Evaluation, corners: [CornerResult], ok: Bool) {
        var design = start
        let t0 = Date()
        var (e, corners) = evaluate(design, stage: stage)
        record(stage, nil, [], design, e, seconds: Date().timeIntervalSince(t0), simulations: corners.map(\.simulations).reduce(0, +))
        var used = 1
        var best = (design, e, corners)
        while !Self.failing(e).isEmpty, used < maxIterations, budgetLeft {
            let before = Self.failing(e)
            guard let (plan, applied) = step(&design, stage: stage, goal: .fix, evaluation: e, corners: corners) else {
                for m in before.sorted() { conflicts.insert("\(m.rawValue): no remaining knob raises it (every rule's knob at a limit)") }
                return (best.0, best.1, best.2, false)
            }
            let t = Date()
            (e, corners) = evaluate(design, stage: stage, slew: false)
            if Self.failing(e).isEmpty {
                // Confirm an apparent pass (or a thin SR) with the transient itself.
                (e, corners) = evaluate(design, stage: stage, slew: true)
            }
            used += 1
            record(stage, plan, applied, design, e, seconds: Date().timeIntervalSince(t), simulations: corners.map(\.simulations).reduce(0, +))
            for broken in Self.failing(e).subtracting(before) {
                for fixed in before {
                    conflicts.insert("\(fixed.rawValue) vs \(broken.rawValue): \(plan.reasoning.prefix(80))")
                }
            }
            if Self.score(e) > Self.score(best.1) { best = (design, e, corners) }
        }
        return (best.0, best.1, best.2, Self.failing(best.1).isEmpty)
    }

    /// Stage II: the real reference in place of the ideal source, R2 stepped (secant in log-log) until the
    /// bias diode's current matches stage I's within 3 %.
    public func matchBias(_ stageI: Design, maxIterations: Int = 5) -> (design: Design, evaluation: Evaluation, corners: [CornerResult]) {
        let target = stageI.ibiasUA
        var design = stageI.withSelfBias(targetUA: target, limits: spec.limits)
        var exponent = 1.3  // I ∝ R2^-exponent: 1 in weak inversion, 2 in strong
        var previous: (r2: Double, i: Double)?
        var result: (Design, Evaluation, [CornerResult])
        var used = 0
        while true {
            let t = Date()
            let (e, corners) = evaluate(design, stage: .realBias, slew: false)
            used += 1
            let measured = corners.first?.biasCurrentUA ?? 0
            let plan = ActionPlan(reasoning: String(format: "bias current %.2f µA, stage I used %.2f µA: R2 sets it (beta multiplier)", measured, target),
                                  actions: [SizingAction(device: "R2", param: .value, op: .set, value: design.r2KOhm)])
            record(.realBias, plan, [], design, e, seconds: Date().timeIntervalSince(t), simulations: corners.map(\.simulations).reduce(0, +))
            result = (design, e, corners)
            guard measured > 0, abs(measured / target - 1) > 0.03, used < maxIterations, budgetLeft else { break }
            if let p = previous, p.i > 0, p.r2 != design.r2KOhm, measured != p.i {
                let slope = -log(measured / p.i) / log(design.r2KOhm / p.r2)
                if slope.isFinite, slope > 0.3, slope < 4 { exponent = slope }
            }
            previous = (design.r2KOhm, measured)
            design.r2KOhm = spec.limits.r2KOhm.clamp(design.r2KOhm * pow(measured / target, 1 / exponent))
        }
        return result
    }

    /// Stage III's improve phase: FoM (or the target) pushed while every spec holds with the guard band;
    /// a move that breaks a spec or lowers the FoM is undone.
    public func improveLoop(_ start: Design, evaluation: Evaluation, corners: [CornerResult]) -> (Design, Evaluation, [CornerResult], Bool) {
        var best = (start, evaluation, corners)
        var converged = false
        var stale = 0
        while budgetLeft {
            if stale >= patience { converged = true; break }
            let targetOpen = spec.target.map { t in best.1.worst[t.metric].map { !t.isMet(by: $0) } ?? false } ?? false
            let goal: PolicyGoal = targetOpen ? .target : .improve
            if goal == .improve && spec.objective == .none { converged = true; break }
            var design = best.0
            guard let (plan, applied) = step(&design, stage: .allCorners, goal: goal, evaluation: best.1, corners: best.2) else {
                converged = true; break
            }
            let t = Date()
            var (e, cs) = evaluate(design, stage: .allCorners, slew: false)
            if Self.failing(e).isEmpty && (e.fom ?? 0) > (best.1.fom ?? 0) || goal == .target {
                (e, cs) = evaluate(design, stage: .allCorners, slew: true)
            }
            let holds = Self.failing(e).isEmpty
            let better: Bool
            var worthwhile = false
            if goal == .target, let tg = spec.target, let now = e.worst[tg.metric], let was = best.1.worst[tg.metric] {
                better = holds && abs(now - tg.value) < abs(was - tg.value)
                worthwhile = better && (tg.isMet(by: now) || abs(now - tg.value) < 0.8 * abs(was - tg.value))
            } else {
                let targetKept = spec.target.map { t in e.worst[t.metric].map { t.isMet(by: $0) } ?? false } ?? true
                better = holds && targetKept && (e.fom ?? 0) > (best.1.fom ?? 0) * 1.001
                worthwhile = better && (e.fom ?? 0) > (best.1.fom ?? 0) * 1.005
            }
            stale = worthwhile ? 0 : stale + 1
            record(.allCorners, plan, applied, design, e, seconds: Date().timeIntervalSince(t),
                   simulations: cs.map(\.simulations).reduce(0, +), accepted: better)
            if better {
                best = (design, e, cs)
            } else {
                rejected.append(plan.reasoning)
                // A clamp seen on a rejected move still counts; the knob stays marked.
                if !holds {
                    for m in Self.failing(e) { conflicts.insert("fom vs \(m.rawValue): \(plan.reasoning.prefix(60))") }
                }
            }
        }
        return (best.0, best.1, best.2, converged)
    }

    /// The whole run from an initial (ideal-bias) design.
    public func run(initial: Design, initiationScript: String = "") -> SizingOutcome {
        let third = max(3, spec.budget.iterations / 3)
        // Stage I: ideal bias, typical corner.
        progress("stage I: ideal bias current, \(PlanningStage.idealBias.corners(of: spec).map(\.rawValue).joined(separator: ",")) only")
        let s1 = fixLoop(initial, stage: .idealBias, maxIterations: third)
        // Stage II: real bias reference matched to stage I's current, then the typical specs again.
        progress(String(format: "stage II: self-biased reference matched to %.2f µA", s1.design.ibiasUA))
        let s2 = matchBias(s1.design)
        var design = s2.design
        var evaluation = s2.evaluation
        var corners = s2.corners
        if !Self.failing(evaluation).isEmpty, budgetLeft {
            let r = fixLoop(design, stage: .realBias, maxIterations: 4)
            (design, evaluation, corners) = (r.design, r.evaluation, r.corners)
        }
        // Stage III: every corner with the guard band, then the objective.
        progress("stage III: corners \(spec.corners.map(\.rawValue).joined(separator: ",")), guard band \(Int(PlanningStage.allCorners.guardBand * 100)) %")
        let s3 = fixLoop(design, stage: .allCorners, maxIterations: spec.budget.iterations)
        var status: RunStatus
        var explanation: String
        (design, evaluation, corners) = (s3.design, s3.evaluation, s3.corners)
        if s3.ok {
            let (d, e, c, converged) = improveLoop(design, evaluation: evaluation, corners: corners)
            (design, evaluation, corners) = (d, e, c)
            status = converged ? .converged : .budgetSpent
            explanation = converged ? "every spec holds in every corner with the guard band; no further move raised the FoM"
                                    : "every spec holds; the budget ended the FoM search"
            if let t = spec.target, let w = evaluation.worst[t.metric], !t.isMet(by: w) {
                explanation += String(format: "; target %@ = %g not reached (%.4g)", t.metric.rawValue, t.value, w)
            }
        } else if !budgetLeft {
            status = .budgetSpent
            explanation = "the budget ran out with " + Self.failing(evaluation).sorted().map(\.rawValue).joined(separator: ", ") + " failing; the best design so far is kept"
        } else if budgetLeft {
            status = .infeasible
            explanation = "no move makes every spec hold: " + Self.failing(evaluation).sorted().map(\.rawValue).joined(separator: ", ") + " still fail"
        } else {
            status = Self.failing(evaluation).isEmpty ? .budgetSpent : .infeasible
            explanation = "the budget ran out with " + Self.failing(evaluation).sorted().map(\.rawValue).joined(separator: ", ") + " failing"
        }
        // CMRR, PSRR and noise (skipped inside the loop when unconstrained) for the report, on the final design.
        let skipped = simulation.benches.intersection([.cmrr, .psrr, .noise]).filter { !SimulationAgent.metrics(of: $0).contains(where: needed) }
        if !skipped.isEmpty {
            var extra = simulation
            extra.benches = skipped
            let more = extra.simulate(design, corners: corners.map(\.corner))
            for (i, r) in more.enumerated() where i < corners.count {
                corners[i].metrics.merge(r.metrics) { _, new in new }
                corners[i].flags += r.flags
                corners[i].failures += r.failures
                corners[i].simulations += r.simulations
                simulations += r.simulations
            }
            let stage: PlanningStage = corners.count == spec.corners.count ? .allCorners : .realBias
            evaluation = Evaluation(perCorner: Dictionary(uniqueKeysWithValues: corners.map { ($0.corner, $0.metrics) }), spec: spec,
                                    guardBand: stage.guardBand, extraFlags: corners.flatMap(\.flags))
        }
        for m in Self.failing(evaluation).sorted() where !conflicts.contains(where: { $0.hasPrefix(m.rawValue) || $0.contains("vs \(m.rawValue)") }) {
            conflicts.insert(String(format: "%@: still short by %.1f %% after every applicable rule", m.rawValue, -(evaluation.margins[m] ?? 0) * 100))
        }
        // The final figures are the exact (unbanded) spec margins.
        let final = Evaluation(perCorner: evaluation.perCorner, spec: spec, guardBand: 0,
                               extraFlags: evaluation.flags.filter { if case .specFailed = $0 { return false }; if case .targetMissed = $0 { return false }; return true })
        progress(String(format: "done in %.1f s: %@ (%d iterations, %d simulations)", elapsed, status.rawValue, iterations, simulations))
        return SizingOutcome(design: design, evaluation: final, corners: corners, status: status, explanation: explanation,
                             conflicts: Self.failing(evaluation).isEmpty ? [] : conflicts.sorted(), iterations: iterations,
                             simulations: simulations, policy: policy.name, llm: policy.usage, wallSeconds: elapsed,
                             unavailable: unavailable.sorted { $0.rawValue < $1.rawValue }, trace: trace,
                             initiationScript: initiationScript)
    }
}
