#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FoundationEssentials
import Platform

/// What the initiation agent settled on: the script, who wrote it, and the attempts it took.
public struct InitiationResult: Sendable {
    public var script: String
    public var design: Design
    /// `llm` when the model's script passed the checks, `expert` when the expert's equations were used.
    public var author: String
    /// Every rejected script's error, in order.
    public var rejections: [String]
}

extension SizingRun {
    /// The process constants of the spec's first corner (tt when present), measured once per library
    /// file and corner; nil with the reason when the library cannot be swept.
    public static func processConstants(spec: SizingSpec, library: ModelLibrary) -> (ProcessConstants?, String?) {
        let corner = spec.corners.contains(.tt) ? Corner.tt : spec.corners[0]
        do { return (try ProcessConstants.measure(library: library, corner: corner, vdd: spec.vdd), nil) } catch {
            return (nil, error.description)
        }
    }

    /// The LLM writes the stage-I sizing script from the spec and the process constants; Miller runs it
    /// in the sandbox and checks it (every output present, positive, within limits; with `library`, also
    /// `screen`: devices saturated, output near mid-rail), asking again with the error up to `attempts`
    /// times, then falls back to the expert's equations.
    public static func initiate(spec: SizingSpec, process: ProcessConstants?, llm: LLMSizingPolicy, library: ModelLibrary? = nil,
                                attempts: Int = 2, progress: (String) -> Void = { _ in }) -> InitiationResult {
        let constants = process?.scriptConstants ?? [:]
        var rejections: [String] = []
        for _ in 0..<max(0, attempts) {
            let user = InitiationPrompt.user(spec: spec, process: process, previousError: rejections.last)
            let text: String
            do { text = try llm.complete(system: InitiationPrompt.system(topology: spec.topology), user: user) } catch {
                rejections.append("generation failed: \(error)")
                break
            }
            let script = stripFences(text)
            do {
                let design = try InitiationAgent.design(script: script, spec: spec, process: constants)
                if let library, let problem = screen(design, spec: spec, library: library) {
                    rejections.append(problem)
                    progress("initiation: the model's design was rejected: \(problem)")
                    continue
                }
                progress("initiation: the model's sizing script passed the checks")
                return InitiationResult(script: script, design: design, author: "llm", rejections: rejections)
            } catch {
                rejections.append(error.description)
                progress("initiation: the model's script was rejected: \(error)")
            }
        }
        let script = InitiationAgent.expertScript(spec.topology)
        // The expert's equations are tested; a failure here is a bug, reported by the caller's run.
        let design = (try? InitiationAgent.design(script: script, spec: spec, process: constants)) ?? Design.initial(spec.topology)
        progress("initiation: using the expert's sizing equations")
        return InitiationResult(script: script, design: design, author: "expert", rejections: rejections)
    }

    /// The operating-point check of a candidate stage-I design at the typical corner (open-loop AC and
    /// `.op` benches only): nil when every amplifier transistor is saturated, the open-loop output sits
    /// within a quarter of VDD of mid-rail and the gain is a real amplifier's; else what is wrong.
    public static func screen(_ design: Design, spec: SizingSpec, library: ModelLibrary) -> String? {
        let agent = SimulationAgent(library: library, spec: spec, benches: [.ac, .idc], threads: 1)
        let corner = spec.corners.contains(.tt) ? Corner.tt : spec.corners[0]
        let r = agent.simulate(design, corner: corner)
        if let f = r.failures.first { return "simulation failed: \(f)" }
        let triode = r.flags.compactMap { flag -> String? in
            if case .outOfSaturation(let d, _) = flag { return d }
            return nil
        }
        if !triode.isEmpty { return "out of saturation at \(corner.rawValue): " + triode.joined(separator: ", ") }
        if let v = r.openLoopVout, abs(v - spec.vdd / 2) > 0.25 * spec.vdd {
            return String(printf: "open-loop output at %.2f V, far from mid-rail (M6 and M7 currents do not match)", v)
        }
        if let g = r.metrics[.gainDB], g < 40 { return String(printf: "open-loop gain only %.1f dB", g) }
        return nil
    }

    /// A model's answer without Markdown code fences.
    static func stripFences(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.trimmingWhitespace().hasPrefix("```") }
            .joined(separator: "\n")
    }

    /// The LLM-driven run: process constants measured once, the model's initiation script (checked, with
    /// the expert's as the fallback), then the planner's three stages with the model proposing every move.
    public static func run(spec: SizingSpec, library: ModelLibrary, llm: LLMSizingPolicy, threads: Int = 2,
                           slewMaxStep: Double? = 1e-9,
                           progress: @escaping (String) -> Void = { _ in }) throws(SizingRunError) -> SizingOutcome {
        guard FileManager.default.fileExists(atPath: library.path) else { throw .missingLibrary(path: library.path) }
        let t0 = Date()
        let (process, why) = processConstants(spec: spec, library: library)
        if let why { progress("process constants unavailable: \(why)") }
        if let process {
            progress(String(printf: "process constants (%@, %.0f ms): K'n %.0f uA/V^2, K'p %.0f uA/V^2, Vth n %.3f V, p %.3f V",
                            process.corner.rawValue, Date().timeIntervalSince(t0) * 1000, process.nmos.kPrime, process.pmos.kPrime,
                            process.nmos.vth, process.pmos.vth))
        }
        let initiation = initiate(spec: spec, process: process, llm: llm, library: library, progress: progress)
        var simulation = SimulationAgent(library: library, spec: spec, threads: threads)
        simulation.slewMaxStep = slewMaxStep
        let planner = PlanningAgent(spec: spec, simulation: simulation, policy: llm, progress: progress)
        var outcome = planner.run(initial: initiation.design, initiationScript: initiation.script)
        outcome.wallSeconds = Date().timeIntervalSince(t0)
        return outcome
    }
}
