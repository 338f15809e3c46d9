import Agents
import ArgumentParser
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Platform

/// `miller size --spec FILE`: the multi-stage sizing loop, from spec to netlist and reports.
struct Size: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "size",
        abstract: "Size an op-amp to a spec (expert policy or an LLM), writing netlist, report.json, trace.jsonl and report.html.")

    @Option(help: "The spec file (TOML), e.g. specs/aicas2025.toml.") var spec: String
    @Option(help: "A Qwen2 GGUF model: the LLM proposes the moves (default: the expert policy).") var model: String?
    @Option(help: "expert or llm (llm needs --model).") var policy: String?
    @Option(help: "An extra target, metric=value (e.g. gbw_mhz=30), met within ±5 %.") var target: String?
    @Option(help: "The model library with tt ff ss fs sf sections.") var library = "pdk/sky130/sky130.lib.spice"
    @Option(help: "Output folder.") var out = "out/size"
    @Option(help: "Worker threads (corners in parallel; also the LLM's threads).") var threads = 2
    @Option(help: "Override the spec's iteration budget.") var iterations: Int?
    @Option(help: "Override the spec's wall-time budget, seconds (LLM runs default to 900).") var wallSeconds: Double?
    @Flag(help: "Run the slew bench at the official 0.1 ns step (default: 1 ns steps, a tenth of the time).") var exactSlew = false

    func run() throws {
        var s = try SizingSpec.load(path: spec)
        if let target { s.target = try Target.parse(target) }
        if let iterations { s.budget.iterations = iterations }
        let useLLM = model != nil && policy != "expert"
        if policy == "llm" && model == nil { throw ValidationError("--policy llm needs --model M.gguf") }
        if let p = policy, p != "llm", p != "expert" { throw ValidationError("--policy must be expert or llm") }
        if let wallSeconds { s.budget.wallSeconds = wallSeconds } else if useLLM { s.budget.wallSeconds = max(s.budget.wallSeconds, 900) }
        let outcome: SizingOutcome
        if useLLM, let model {
            log("loading \(model)")
            let llm = try LLMSizingPolicy(modelPath: model, threads: threads)
            outcome = try SizingRun.run(spec: s, library: ModelLibrary(path: library), llm: llm, threads: threads,
                                        slewMaxStep: exactSlew ? nil : 1e-9, progress: log)
        } else {
            outcome = try SizingRun.run(spec: s, library: ModelLibrary(path: library), policy: ExpertSizingPolicy(), threads: threads,
                                        slewMaxStep: exactSlew ? nil : 1e-9, progress: log)
        }
        let paths = try SizingReport.write(outcome, spec: s, to: out)
        print(SizingReport.table(outcome.evaluation, corners: s.corners))
        print("status: \(outcome.status.rawValue): \(outcome.explanation)")
        for c in outcome.conflicts { print("conflict: \(c)") }
        if !outcome.unavailable.isEmpty { print("unavailable benches: \(outcome.unavailable.map(\.rawValue).joined(separator: ", "))") }
        print(String(printf: "iterations %d, simulations %d, wall %.2f s", outcome.iterations, outcome.simulations, outcome.wallSeconds)
              + (outcome.llm.calls > 0 ? String(printf: ", LLM %d calls, %d prompt tokens (%d reused), %d generated, %.1f s, %d fallbacks", outcome.llm.calls,
                                                outcome.llm.promptTokens, outcome.llm.reusedPromptTokens, outcome.llm.generatedTokens,
                                                outcome.llm.seconds, outcome.llm.fallbacks) : ""))
        print("wrote " + paths.joined(separator: ", "))
    }

    private func log(_ line: String) {
        StandardStreams.writeError(line + "\n")
    }
}
