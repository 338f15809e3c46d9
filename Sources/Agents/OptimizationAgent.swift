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
            You size a two-stage Miller op-amp (\(topology == .structure1 ? "NMOS input pair M1/M2, PMOS mirror M3/M4, tail M5, PMOS second stage M6, NMOS sink M7, bias diode M11" : "NMOS input pair M1/M2 with PMOS diode loads M14/M15 mirrored twice as large by M16/M17, NMOS mirror M3/M4 folding M17's current into the first-stage output n2, tail M5, NMOS second stage M6, PMOS source M7 biased through M18/M19, bias diode M11"); Miller capacitor Cc (pF) in series with Rz (kOhm); bias from Ibias (uA, ideal) or the reference set by R2 (kOhm, larger R2 = less current).
            Each turn you get the specs, the metrics per corner, the flags, the design, the moves that apply now and the recent moves. Answer with compact JSON only:
            {"reasoning":"<one short sentence>","actions":[{"knob":"<knob>","scale":<factor>}]}
            A knob is <device>.W or <device>.L for a transistor (M2 follows M1, M4 follows M3) or Cc, Rz, Ibias (stage I) or R2 (real bias). scale multiplies the knob by one of \(LLMActionFormat.factors.map { LLMActionFormat.factorText($0) }.joined(separator: ", ")). Use 1 or 2 actions. Usually answer with the first move that applies now (its knobs and factors); pick another listed move when the recent moves show that one did not help.
            Sizing knowledge (moves: effect; cost):

            """
        for r in ExpertPolicy.rules {
            let acts = r.actions.map(LLMActionFormat.describe).joined(separator: " + ")
            s += "- \(acts): \(r.raises ? "raises" : "lowers") \(r.metric.rawValue) (\(r.why)); costs \(r.cost)\n"
        }
        s += """
            - keep M6 and M4 at the same L; if the open-loop output sits far from mid-rail, scale M6.W (PMOS M6: down when high; NMOS M6: up when high).
            - FoM = GBW*CL/P with worst-corner GBW and Idc: spend spare PM and SR margin on less current (M7/M6 narrower, less bias) or more GBW (smaller Cc, larger Rz).
            """
        return s
    }

    /// The dynamic part; `hints` lists moves that apply now in answer form (`Cc x1.15 + Rz x0.9`).
    public static func user(_ c: PolicyContext, hints: [String]? = nil) -> String {
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
        if let hints = hints, !hints.isEmpty { s += "\nMoves that apply now (first = the rule table's pick): " + hints.joined(separator: "; ") }
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

/// The LLM-driven optimization agent: a Qwen2 GGUF through Infer, its answer constrained to the compact
/// knob format of `LLMActionFormat` (so every answer parses and applies) with a token budget that
/// always reaches the end of the answer, and the session's KV prefix (system prompt, specs) reused
/// across calls.
public final class LLMSizingPolicy: SizingPolicy {
    public var name: String { "llm" }
    public private(set) var usage = LLMUsage()
    let model: Model
    let tokenizer: Tokenizer
    let template: ChatTemplate
    let session: Session
    /// The rule table's pick, quoted in the prompt as the first move that applies.
    var expert = ExpertSizingPolicy()
    public var reasoningLimit = LLMActionFormat.defaultReasoningLimit
    public var maximumActions = LLMActionFormat.defaultMaximumActions
    /// Prompts and answers of every call, for the trace.
    public private(set) var exchanges: [(prompt: String, answer: String)] = []
    public var onAnswer: (String) -> Void = { _ in }

    public init(modelPath: String, threads: Int = 2, contextLength: Int = 4096) throws {
        model = try Model(path: modelPath)
        tokenizer = try Tokenizer(gguf: model.file)
        template = ChatTemplate.forModel(model.file) ?? .chatML
        session = try Session(model: model, contextLength: contextLength, threads: threads)
    }

    /// Moves that apply now, in answer form: the expert's pick first, then the rule table's entries
    /// for each failing metric (or the FoM moves when every spec holds).
    func hints(_ c: PolicyContext) -> [String] {
        var out: [String] = []
        func add(_ actions: [SizingAction]) {
            let knobs = Set(LLMActionFormat.knobs(of: c.design))
            let converted = actions.compactMap { a -> String? in
                var a = a
                if a.device == "Ibias", c.design.bias == .selfBiased { a = SizingAction(device: "R2", param: .value, op: .scale, value: 1 / a.value) }
                if a.op == .set, a.param == .w, let w = c.design.devices[a.device]?.w, w > 0 {
                    a = SizingAction(device: a.device, param: .w, op: .scale, value: a.value / w)
                }
                guard a.op == .scale, a.param != .nf, a.param != .m else { return nil }
                let knob = a.param == .value ? a.device : "\(a.device).\(a.param.rawValue)"
                guard knobs.contains(knob) else { return nil }
                return "\(knob) x\(LLMActionFormat.factorText(LLMActionFormat.nearestFactor(a.value)))"
            }
            let text = converted.joined(separator: " + ")
            if !text.isEmpty, !out.contains(text) { out.append(text) }
        }
        if let pick = try? expert.propose(c) { add(pick.actions) }
        if c.goal == .fix {
            let failing = c.evaluation.margins.filter { $0.value < 0 }.sorted { $0.value < $1.value }
            for (m, _) in failing { for r in ExpertPolicy.rules(for: m) { add(r.actions) } }
        }
        return Array(out.prefix(6))
    }

    public func propose(_ c: PolicyContext) throws -> ActionPlan? {
        let user = OptimizationPrompt.user(c, hints: hints(c))
        let messages: [ChatMessage] = [.system(OptimizationPrompt.system(topology: c.design.topology)), .user(user)]
        let prompt = tokenizer.encode(template.render(messages, addGenerationPrompt: true))
        let (plan, text, stats) = try answer(prompt: prompt, design: c.design)
        usage.calls += 1
        usage.promptTokens += prompt.count
        usage.reusedPromptTokens += stats.reusedPromptTokens
        usage.generatedTokens += stats.generatedTokens
        usage.seconds += stats.promptSeconds + stats.generationSeconds
        exchanges.append((user, text))
        onAnswer(text)
        guard var plan else {
            // Unreachable under the constraint; kept so a broken answer never stops a run.
            usage.fallbacks += 1
            guard var p = try expert.propose(c) else { return nil }
            p.reasoning = "expert fallback (llm answer did not parse: \(text)): " + p.reasoning
            return p
        }
        plan.reasoning = "llm: " + plan.reasoning
        return plan
    }

    /// One constrained generation for `design`: the plan (nil if the answer did not convert), the text
    /// and the generation's counters.
    public func answer(prompt: [Int32], design: Design) throws -> (ActionPlan?, String, GenerationStats) {
        let constraint = CompactJSONConstraint(try JSONSchemaConstraint(
            schema: LLMActionFormat.schema(for: design, reasoningLimit: reasoningLimit, maximumActions: maximumActions)))
        // The compact answer's byte bound is a token bound: the end of the answer is always reached.
        let budget = LLMActionFormat.tokenBound(for: design, reasoningLimit: reasoningLimit, maximumActions: maximumActions) + 1
        let result = try session.generate(prompt: prompt, tokenizer: tokenizer,
                                          options: TextGenerationOptions(maxTokens: budget, sampler: .greedy),
                                          constraint: constraint)
        let plan = try? LLMActionFormat.plan(from: result.text, for: design)
        return (plan, result.text, result.stats)
    }

    /// Encodes a chat for this model (system + user, generation prompt added).
    public func encode(system: String, user: String) -> [Int32] {
        tokenizer.encode(template.render([.system(system), .user(user)], addGenerationPrompt: true))
    }
}

extension LLMSizingPolicy {
    /// Free text after a system and user message (greedy), counted in `usage`: the initiation agent's
    /// sizing script. The answer ends at the model's end of turn or after `maxTokens`.
    public func complete(system: String, user: String, maxTokens: Int = 300) throws -> String {
        let prompt = encode(system: system, user: user)
        let result = try session.generate(prompt: prompt, tokenizer: tokenizer,
                                          options: TextGenerationOptions(maxTokens: maxTokens, sampler: .greedy))
        usage.calls += 1
        usage.promptTokens += prompt.count
        usage.reusedPromptTokens += result.stats.reusedPromptTokens
        usage.generatedTokens += result.stats.generatedTokens
        usage.seconds += result.stats.promptSeconds + result.stats.generationSeconds
        exchanges.append((user, result.text))
        return result.text
    }
}
