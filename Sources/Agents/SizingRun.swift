#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FoundationEssentials
import Platform

/// Why a run could not start.
public enum SizingRunError: Error, CustomStringConvertible, Sendable, Equatable {
    case badTarget(String)
    case missingLibrary(path: String)
    case initiation(InitiationError)

    public var description: String {
        switch self {
        case .badTarget(let s):
            return "--target '\(s)' must be metric=value with a metric among \(Metric.allCases.map(\.rawValue).joined(separator: ", "))"
        case .missingLibrary(let p):
            return "model library '\(p)' not found (the sky130 cards live in pdk/sky130/sky130.lib.spice; pass --library)"
        case .initiation(let e): return "initiation agent: \(e)"
        }
    }
}

extension Target {
    /// Parses `metric=value` (as `--target gbw_mhz=30` gives it), ±5 % tolerance.
    public static func parse(_ text: String) throws(SizingRunError) -> Target {
        let parts = text.split(separator: "=", maxSplits: 1).map { $0.trimmingWhitespace() }
        guard parts.count == 2, let m = Metric(rawValue: parts[0]), let v = Double(parts[1]), v.isFinite, v > 0 else {
            throw .badTarget(text)
        }
        return Target(metric: m, value: v)
    }
}

/// The whole sizing flow in one call: initiation, then the planner's three stages.
public enum SizingRun {
    /// Sizes the spec's topology with `policy`; `progress` gets one line per iteration.
    public static func run(spec: SizingSpec, library: ModelLibrary, policy: any SizingPolicy, threads: Int = 2,
                           slewMaxStep: Double? = 1e-9,
                           progress: @escaping (String) -> Void = { _ in }) throws(SizingRunError) -> SizingOutcome {
        guard FileManager.default.fileExists(atPath: library.path) else { throw .missingLibrary(path: library.path) }
        let script = InitiationAgent.expertScript(spec.topology)
        let initial: Design
        do { initial = try InitiationAgent.design(script: script, spec: spec) } catch { throw .initiation(error) }
        progress("initiation: \(initial.deviceNames.compactMap { n in initial.devices[n].map { "\(n) \(String(printf: "%.3g/%.3g", $0.w, $0.l))" } }.joined(separator: ", "))"
                 + String(printf: ", Cc %.3g pF, Rz %.3g kΩ, Ibias %.3g µA", initial.ccPF, initial.rzKOhm, initial.ibiasUA))
        var simulation = SimulationAgent(library: library, spec: spec, threads: threads)
        simulation.slewMaxStep = slewMaxStep
        let planner = PlanningAgent(spec: spec, simulation: simulation, policy: policy, progress: progress)
        return planner.run(initial: initial, initiationScript: script)
    }
}
