/// The sizing trade-offs of a two-stage Miller op-amp as a rule table: which knob moves which metric
/// and what it costs. The expert policy reads it deterministically; the optimization agent's prompt
/// quotes it to the LLM.
///
/// First-order relations behind the rules (stage-1 gm1 = gm of M1/M2, I5 the tail current):
/// GBW ≈ gm1/(2π·Cc) (lifted by Rz above 1/gm6); PM set by the second pole gm6/CL against GBW and
/// by the Rz zero; SR (rising) ≈ I5/Cc; gain ≈ gm1·(ro2‖ro4)·gm6·(ro6‖ro7), ro ∝ L/I;
/// Idc = I5 + I7 + the bias branch. FoM = GBW·CL/P rewards gm per current (weak inversion).
public struct ExpertRule: Sendable, Equatable {
    /// The metric this rule pushes and in which direction.
    public var metric: Metric
    public var raises: Bool
    public var actions: [SizingAction]
    /// What it costs, for the prompt and the trace.
    public var cost: String
    public var why: String
}

public enum ExpertPolicy {
    /// Rules in the order the policy tries them for each metric (cheapest side effects first).
    /// Written for Structure I's device roles; Structure II shares the roles (M1/M2 pair, M5 tail,
    /// M6 second stage, M7 its current source, M11 bias diode).
    public static let rules: [ExpertRule] = [
        ExpertRule(metric: .gbwMHz, raises: true,
                   actions: [SizingAction(device: "Rz", param: .value, op: .scale, value: 1.2)],
                   cost: "PM (zero moves down towards the crossover)", why: "the LHP zero lifts the crossover above gm1/(2πCc)"),
        ExpertRule(metric: .gbwMHz, raises: true,
                   actions: [SizingAction(device: "M1", param: .w, op: .scale, value: 1.25)],
                   cost: "input capacitance, first-stage pole", why: "more gm1 at the same current in weak inversion"),
        ExpertRule(metric: .gbwMHz, raises: true,
                   actions: [SizingAction(device: "Ibias", param: .value, op: .scale, value: 1.15)],
                   cost: "Idc (FoM)", why: "gm1 ∝ I5 in weak inversion, and gm6 follows (PM kept)"),
        ExpertRule(metric: .gbwMHz, raises: true,
                   actions: [SizingAction(device: "Cc", param: .value, op: .scale, value: 0.85)],
                   cost: "PM", why: "GBW ≈ gm1/(2πCc)"),
        ExpertRule(metric: .pmDeg, raises: true,
                   actions: [SizingAction(device: "Cc", param: .value, op: .scale, value: 1.15)],
                   cost: "GBW and SR", why: "pole splitting: GBW drops away from the second pole"),
        ExpertRule(metric: .pmDeg, raises: true,
                   actions: [SizingAction(device: "Rz", param: .value, op: .scale, value: 0.85)],
                   cost: "GBW", why: "pulls the zero back above the crossover when it over-boosted GBW"),
        ExpertRule(metric: .pmDeg, raises: true,
                   actions: [SizingAction(device: "M6", param: .w, op: .scale, value: 1.2),
                             SizingAction(device: "M3", param: .w, op: .scale, value: 1.2)],
                   cost: "mirror and first-stage node capacitance", why: "more gm6 per µA moves the second pole up; M3/M4 follow so the output stays centred"),
        ExpertRule(metric: .pmDeg, raises: true,
                   actions: [SizingAction(device: "M7", param: .w, op: .scale, value: 1.2),
                             SizingAction(device: "M6", param: .w, op: .scale, value: 1.2)],
                   cost: "Idc (FoM), mirror balance (M7 against M5)", why: "second pole gm6/CL moves up with the second-stage current"),
        ExpertRule(metric: .gainDB, raises: true,
                   actions: [SizingAction(device: "M1", param: .l, op: .scale, value: 1.25)],
                   cost: "input pair area and capacitance", why: "ro2 ∝ L at the same current"),
        ExpertRule(metric: .gainDB, raises: true,
                   actions: [SizingAction(device: "M7", param: .l, op: .scale, value: 1.25),
                             SizingAction(device: "M7", param: .w, op: .scale, value: 1.25)],
                   cost: "output node capacitance", why: "ro7 ∝ L with I7 unchanged"),
        ExpertRule(metric: .gainDB, raises: true,
                   actions: [SizingAction(device: "M3", param: .l, op: .scale, value: 1.25),
                             SizingAction(device: "M3", param: .w, op: .scale, value: 1.25)],
                   cost: "mirror pole, systematic offset (keep M4 and M6 at the same L)", why: "ro4 ∝ L"),
        ExpertRule(metric: .srVPerUs, raises: true,
                   actions: [SizingAction(device: "Ibias", param: .value, op: .scale, value: 1.15)],
                   cost: "Idc (FoM)", why: "rising SR ≈ I5/Cc"),
        ExpertRule(metric: .srVPerUs, raises: true,
                   actions: [SizingAction(device: "Cc", param: .value, op: .scale, value: 0.9)],
                   cost: "PM", why: "rising SR ≈ I5/Cc"),
        ExpertRule(metric: .idcUA, raises: false,
                   actions: [SizingAction(device: "M7", param: .w, op: .scale, value: 0.85),
                             SizingAction(device: "M6", param: .w, op: .scale, value: 0.85)],
                   cost: "PM", why: "I7 dominates Idc"),
        ExpertRule(metric: .idcUA, raises: false,
                   actions: [SizingAction(device: "Ibias", param: .value, op: .scale, value: 0.9)],
                   cost: "SR and GBW", why: "every branch mirrors the bias current"),
    ]

    /// The rules that push `metric` the right way, in order.
    public static func rules(for metric: Metric) -> [ExpertRule] {
        rules.filter { $0.metric == metric && $0.raises == metric.higherIsBetter }
    }

    /// A deterministic proposal: for the failing spec with the smallest margin, the first rule whose
    /// knobs exist in `design` and whose devices are not in `exhausted` (knobs at a limit).
    /// Nil when nothing fails or no rule applies (the planner then decides: FoM push or infeasible).
    public static func propose(_ evaluation: Evaluation, design: Design, exhausted: Set<String> = []) -> ActionPlan? {
        let knobs = Set(ActionPlan.knobs(of: design))
        let failing = evaluation.margins.filter { $0.value < 0 }.sorted { ($0.value, $0.key) < ($1.value, $1.key) }
        for (metric, margin) in failing {
            for rule in rules(for: metric) {
                // In the self-biased design the bias current is R2's job: larger R2, smaller current.
                let actions = rule.actions.map { a -> SizingAction in
                    guard a.device == "Ibias", design.bias == .selfBiased else { return a }
                    return SizingAction(device: "R2", param: .value, op: .scale, value: 1 / a.value)
                }
                guard actions.allSatisfy({ knobs.contains($0.device) && !exhausted.contains($0.device) }) else { continue }
                let reasoning = "\(metric.rawValue) short by \(Int((-margin * 100).rounded())) %: \(rule.why); costs \(rule.cost)."
                return ActionPlan(reasoning: reasoning, actions: actions)
            }
        }
        return nil
    }
}
