import Foundation

extension Metric: CodingKeyRepresentable {}
extension Corner: CodingKeyRepresentable {}

/// Metrics measured at every corner, summarised against a spec: worst case, margins, FoM and flags.
public struct Evaluation: Sendable, Equatable, Codable {
    public var perCorner: [Corner: [Metric: Double]]
    /// Each metric at its worst corner (lowest where higher is better, highest for Idc and noise).
    public var worst: [Metric: Double]
    /// Relative margin per constrained metric: positive holds, negative fails (−0.1 = 10 % short).
    public var margins: [Metric: Double]
    /// GBW[MHz]·CL[pF]/P[mW] with worst-corner GBW and Idc; nil when either is missing.
    public var fom: Double?
    public var flags: [StateFlag]

    /// Summarises `perCorner` against `spec`; `guardBand` (a fraction) tightens every bound (stage III).
    public init(perCorner: [Corner: [Metric: Double]], spec: SizingSpec, guardBand: Double = 0,
                extraFlags: [StateFlag] = []) {
        self.perCorner = perCorner
        var worst: [Metric: Double] = [:]
        for m in Metric.allCases {
            let values = perCorner.values.compactMap { $0[m] }
            guard !values.isEmpty else { continue }
            worst[m] = m.higherIsBetter ? values.min()! : values.max()!
        }
        self.worst = worst
        var margins: [Metric: Double] = [:]
        var flags: [StateFlag] = []
        // A measurement that failed at some corner proves nothing there: its spec counts as failed.
        var failedAt: [Metric: [Corner]] = [:]
        for case .measurementFailed(let m, let c, _) in extraFlags { failedAt[m, default: []].append(c) }
        for (m, bound) in spec.constraints.sorted(by: { $0.key < $1.key }) {
            guard worst[m] != nil || failedAt[m] != nil else { continue }
            var margin = Double.infinity
            if let w = worst[m] {
                if let lo = bound.min { margin = Swift.min(margin, (w - lo) / Swift.max(abs(lo), 1e-12) - guardBand) }
                if let hi = bound.max { margin = Swift.min(margin, (hi - w) / Swift.max(abs(hi), 1e-12) - guardBand) }
            }
            if failedAt[m] != nil { margin = Swift.min(margin, -1) }
            margins[m] = margin
            if margin < 0 {
                let failing = perCorner.filter { _, values in
                    guard let v = values[m] else { return false }
                    return !Bound(min: bound.min.map { $0 + abs($0) * guardBand },
                                  max: bound.max.map { $0 - abs($0) * guardBand }).contains(v)
                }.keys
                flags.append(.specFailed(metric: m, corners: Set(failing).union(failedAt[m] ?? []).sorted(), margin: margin))
            }
        }
        if let t = spec.target, let w = worst[t.metric], !t.isMet(by: w) {
            flags.append(.targetMissed(metric: t.metric, value: w, target: t.value))
        }
        self.margins = margins
        if let gbw = worst[.gbwMHz], let idc = worst[.idcUA], idc > 0 {
            fom = gbw * spec.clPF / (idc * spec.vdd / 1000)
        } else {
            fom = nil
        }
        self.flags = flags + extraFlags
    }

    /// True when no spec fails and any target is met.
    public var meetsSpecs: Bool {
        !flags.contains { if case .specFailed = $0 { return true }; if case .targetMissed = $0 { return true }; return false }
    }
}

/// Conditions the planning and optimization agents react to.
public enum StateFlag: Sendable, Equatable, Codable, CustomStringConvertible {
    case specFailed(metric: Metric, corners: [Corner], margin: Double)
    case targetMissed(metric: Metric, value: Double, target: Double)
    /// A device whose |Vds| is below its Vdsat (in triode) at a corner.
    case outOfSaturation(device: String, corner: Corner)
    /// The open-loop output sits far from mid-rail (gain figures are then untrustworthy).
    case outputOffCentre(corner: Corner, volts: Double)
    /// A knob sits at its limit, so pushing it further does nothing.
    case limitHit(device: String, limit: String)
    /// The bench behind `metric` failed at `corner` (no convergence, no crossing): the metric has no
    /// value there, and a constrained one counts as failing.
    case measurementFailed(metric: Metric, corner: Corner, reason: String)

    public var description: String {
        switch self {
        case .specFailed(let m, let c, let margin):
            return "\(m.rawValue) fails (margin \(String(format: "%.1f", margin * 100)) %) at \(c.map(\.rawValue).joined(separator: ","))"
        case .targetMissed(let m, let v, let t): return "\(m.rawValue) = \(v), target \(t)"
        case .outOfSaturation(let d, let c): return "\(d) out of saturation at \(c.rawValue)"
        case .outputOffCentre(let c, let v): return "open-loop output at \(v) V at \(c.rawValue)"
        case .limitHit(let d, let l): return "\(d) at \(l)"
        case .measurementFailed(let m, let c, let why): return "\(m.rawValue) measurement failed at \(c.rawValue): \(why)"
        }
    }
}

/// The planning agent's stages.
public enum PlanningStage: String, Sendable, Codable, CaseIterable {
    /// I: ideal bias current, typical corner only, until the specs hold.
    case idealBias = "I"
    /// II: the real bias circuit, sized so its current matches stage I's (typical corner).
    case realBias = "II"
    /// III: every corner, specs with a guard band, then FoM pushed up while every spec holds.
    case allCorners = "III"

    public func corners(of spec: SizingSpec) -> [Corner] {
        self == .allCorners ? spec.corners : [spec.corners.contains(.tt) ? .tt : spec.corners[0]]
    }

    public var bias: BiasMode { self == .idealBias ? .ideal : .selfBiased }

    /// Fractional guard band on every bound in this stage.
    public var guardBand: Double { self == .allCorners ? 0.02 : 0 }
}

/// One loop iteration as written to the JSONL trace.
public struct TraceRecord: Sendable, Equatable, Codable {
    public var iteration: Int
    public var stage: PlanningStage
    /// Who chose the actions: `expert`, `llm`, or `init` for the initiation agent.
    public var agent: String
    public var prompt: String?
    public var reasoning: String
    public var actions: [SizingAction]
    public var applied: [AppliedAction]
    public var design: Design
    public var evaluation: Evaluation?
    public var simulations: Int
    public var seconds: Double

    public init(iteration: Int, stage: PlanningStage, agent: String, prompt: String? = nil, reasoning: String,
                actions: [SizingAction], applied: [AppliedAction], design: Design, evaluation: Evaluation?,
                simulations: Int, seconds: Double) {
        self.iteration = iteration; self.stage = stage; self.agent = agent; self.prompt = prompt
        self.reasoning = reasoning; self.actions = actions; self.applied = applied; self.design = design
        self.evaluation = evaluation; self.simulations = simulations; self.seconds = seconds
    }

    /// One JSON line (no newline inside; keys sorted so traces diff cleanly).
    public func jsonLine() throws -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return String(decoding: try e.encode(self), as: UTF8.self)
    }
}
