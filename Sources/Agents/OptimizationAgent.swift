#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Platform
import Infer

/// The optimization agent's prompt: a fixed system part (the task and the expert knowledge, so the
/// session's KV prefix is reused across iterations) and a dynamic user part (specs, metrics per corner,
/// flags, history, knobs).
public enum OptimizationPrompt {
    public static func system(topology: Topology) -> String {
        var s = """
            You size a two-stage Miller op-amp (\(topology == .structure1 ? "NMOS input pair M1/M2, PMOS mirror M3/M4, tail M5, PMOS second stage M6, NMOS sink M7, bias diode M11" : "PMOS input pair M1/M2, NMOS mirror M3/M4, tail M5, NMOS second stage M6, PMOS source M7, bias diode M11"); Miller capacitor Cc (pF) in series with Rz (kOhm); bias from Ibias (uA, ideal) or the reference set by R2 (kOhm, larger R2 = less current).
            Each turn you get the specs, the metrics per corner, the flags and the recent moves. Answer with JSON only:
            {"reasoning": "<one short sentence>", "actions": [{"device": "Cc", "param": "value", "op": "scale", "value": 0.9}]}
            param is W or L (um), nf or m for transistors and value for Cc, Rz, R2, Ibias. op scale multiplies, step adds, set replaces. Use 1 or 2 actions, scale factors between 0.7 and 1.4.
            Sizing knowledge (knob: effect; cost):

            """
        for r in ExpertPolicy.rules {
            let acts = r.actions.map { "\($0.device).\($0.param.rawValue) x\(String(printf: "%.2f", $0.value))" }.joined(separator: " + ")
            s += "- \(acts): \(r.raises ? "raises" : "lowers") \(r.metric.rawValue) (\(r.why)); costs \(r.cost)\n"
        }
        s += """
            - keep M6 and M4 at the same L; if the open-loop output sits far from mid-rail, scale M6.W (down when high).
            - FoM = GBW*CL/P with worst-corner GBW and Idc: spend spare PM and SR margin on less current (M7/M6 narrower, less bias) or more GBW (smaller Cc, larger Rz).
            """
        return s
    }

    public static func user(_ c: PolicyContext) -> String {
        var s = "Stage \(c.stage.rawValue), goal: "
        switch c.goal {
        case .fix: s += "make the failing specs hold."
        case .improve: s += "every spec holds; raise the FoM without breaking any spec."
        case .target: s += "every spec holds; move \(c.spec.target?.metric.rawValue ?? "") to \(c.spec.target?.value ?? 0)."
        }
        s += "\nSpecs: " + c.spec.constraints.sorted { $0.key < $1.key }.map { m, b in
            m.rawValue + (b.min.map { " > \($0)" } ?? "") + (b.max.map { " < \($0)" } ?? "")
        }.joined(separator: ", ")
        s += "\nMetrics:"
        for r in c.corners {
            s += "\n  \(r.corner.rawValue): " + r.metrics.sorted { $0.key < $1.key }.map { "\($0.key.rawValue) \(String(printf: "%.3g", $0.value))" }.joined(separator: ", ")
            if let v = r.openLoopVout { s += String(printf: ", open-loop vout %.2f V", v) }
        }
        if let fom = c.evaluation.fom { s += String(printf: "\nWorst-corner FoM %.0f", fom) }
        let flags = c.evaluation.flags.map(\.description)
        s += "\nFlags: " + (flags.isEmpty ? "none" : flags.prefix(8).joined(separator: "; "))
        s += "\nDesign: " + c.design.deviceNames.compactMap { n in
            c.design.devices[n].map { "\(n) W=\(String(printf: "%.3g", $0.w)) L=\(String(printf: "%.3g", $0.l))" }
        }.joined(separator: ", ")
        s += String(printf: ", Cc=%.3g, Rz=%.3g", c.design.ccPF, c.design.rzKOhm)
        s += c.design.bias == .ideal ? String(printf: ", Ibias=%.3g", c.design.ibiasUA) : String(printf: ", R2=%.3g", c.design.r2KOhm)
        if !c.exhausted.isEmpty { s += "\nAt a limit: " + c.exhausted.sorted().joined(separator: ", ") }
        let recent = c.history.suffix(3).filter { !$0.actions.isEmpty }
        if !recent.isEmpty {
            s += "\nRecent moves: " + recent.map { r in
                r.actions.map { "\($0.device).\($0.param.rawValue) \($0.op.rawValue) \(String(printf: "%.3g", $0.value))" }.joined(separator: " + ")
                    + (c.rejected.contains(r.reasoning) ? " (rejected)" : "")
            }.joined(separator: "; ")
        }
        return s
    }
}

/// The LLM-driven optimization agent: a Qwen2 GGUF through Infer, its answer constrained by the action
/// plan's JSON schema (so it always parses), the session's KV prefix reused across calls. When an
/// answer still fails to apply (a knob of the wrong kind, say), the expert's move is used and counted.
public final class LLMSizingPolicy: SizingPolicy {
    public var name: String { "llm" }
    public private(set) var usage = LLMUsage()
    let model: Model
    let tokenizer: Tokenizer
    let template: ChatTemplate
    let session: Session
    var expert = ExpertSizingPolicy()
    public var maxTokens = 160
    /// Prompts and answers of every call, for the trace.
    public private(set) var exchanges: [(prompt: String, answer: String)] = []
    public var onAnswer: (String) -> Void = { _ in }

    public init(modelPath: String, threads: Int = 2) throws {
        model = try Model(path: modelPath)
        tokenizer = try Tokenizer(gguf: model.file)
        template = ChatTemplate.forModel(model.file) ?? .chatML
        session = try Session(model: model, contextLength: 4096, threads: threads)
    }

    public func propose(_ c: PolicyContext) throws -> ActionPlan? {
        let messages: [ChatMessage] = [.system(OptimizationPrompt.system(topology: c.design.topology)), .user(OptimizationPrompt.user(c))]
        let text = template.render(messages, addGenerationPrompt: true)
        let prompt = tokenizer.encode(text)
        let constraint = try JSONSchemaConstraint(schema: ActionPlan.jsonSchema(for: c.design, reasoningLimit: 120))
        let result = try session.generate(prompt: prompt, tokenizer: tokenizer,
                                          options: TextGenerationOptions(maxTokens: maxTokens, sampler: .greedy),
                                          constraint: constraint)
        usage.calls += 1
        usage.promptTokens += prompt.count
        usage.reusedPromptTokens += result.stats.reusedPromptTokens
        usage.generatedTokens += result.stats.generatedTokens
        usage.seconds += result.stats.promptSeconds + result.stats.generationSeconds
        exchanges.append((OptimizationPrompt.user(c), result.text))
        onAnswer(result.text)
        do {
            var plan = try ActionPlan.parse(result.text, for: c.design)
            plan.reasoning = "llm: " + plan.reasoning
            return plan
        } catch {
            usage.fallbacks += 1
            guard var plan = try expert.propose(c) else { return nil }
            plan.reasoning = "expert fallback (llm answer did not parse: \(error)): " + plan.reasoning
            return plan
        }
    }
}
