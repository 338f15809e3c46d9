import XCTest
import Foundation
import Infer
import TestSupport
import Agents

/// The LLM's constrained answer path: the knob format's schema, the compact wrapper's length bound,
/// random walks under the constraint, and the committed tiny Qwen2 model answering through it.
final class LLMActionTests: XCTestCase {
    static let tinyModel = SizingSpecTests.repoRoot
        .appendingPathComponent("Tests/InferTests/Fixtures/model/tiny-qwen2-q8_0.gguf").path

    static let designs: [Design] = [
        Design.initial(.structure1), Design.initial(.structure1, bias: .selfBiased),
        Design.initial(.structure2), Design.initial(.structure2, bias: .selfBiased),
    ]

    func testEveryKnobAndFactorApplies() throws {
        for design in Self.designs {
            let knobs = LLMActionFormat.knobs(of: design)
            XCTAssertFalse(knobs.contains("M2.W"), "matched devices appear once")
            XCTAssertTrue(knobs.contains(design.bias == .ideal ? "Ibias" : "R2"))
            for knob in knobs {
                for f in LLMActionFormat.factors {
                    let json = #"{"reasoning":"x","actions":[{"knob":"\#(knob)","scale":\#(f)}]}"#
                    let plan = try LLMActionFormat.plan(from: json, for: design)
                    var d = design
                    XCTAssertNoThrow(try d.apply(plan.actions, limits: SizingLimits()), "\(knob) x\(f) on \(design.topology)")
                }
            }
        }
    }

    func testPlanErrorsNameTheProblem() {
        let d = Design.initial(.structure1)
        XCTAssertThrowsError(try LLMActionFormat.plan(from: "{", for: d)) { e in
            guard case ActionError.malformedJSON = e else { return XCTFail("\(e)") }
        }
        XCTAssertThrowsError(try LLMActionFormat.plan(from: #"{"reasoning":"","actions":[{"knob":"M9.W","scale":1.1}]}"#, for: d)) { e in
            XCTAssertEqual(e as? ActionError, .unknownDevice(index: 0, device: "M9.W", allowed: LLMActionFormat.knobs(of: d)))
        }
        XCTAssertThrowsError(try LLMActionFormat.plan(from: #"{"reasoning":"","actions":[{"knob":"Cc","scale":-1}]}"#, for: d)) { e in
            XCTAssertEqual(e as? ActionError, .nonPositiveScale(index: 0, value: -1))
        }
    }

    /// The constraint accepts the longest answer the format allows, and its length is within the bound.
    func testLongestAnswerFitsTheTokenBound() throws {
        for design in Self.designs {
            let knob = LLMActionFormat.knobs(of: design).max { $0.count < $1.count }!
            let reasoning = String(repeating: "a", count: LLMActionFormat.defaultReasoningLimit)
            let action = #"{"knob":"\#(knob)","scale":1.05}"#
            let longest = #"{"reasoning":"\#(reasoning)","actions":["#
                + Array(repeating: action, count: LLMActionFormat.defaultMaximumActions).joined(separator: ",") + "]}"
            var c = CompactJSONConstraint(try JSONSchemaConstraint(schema: LLMActionFormat.schema(for: design)))
            for b in longest.utf8 { XCTAssertTrue(c.allows([b])); try c.accept([b]) }
            XCTAssertTrue(c.isComplete)
            XCTAssertLessThanOrEqual(longest.utf8.count, LLMActionFormat.tokenBound(for: design))
            XCTAssertNoThrow(try LLMActionFormat.plan(from: longest, for: design))
        }
    }

    func testCompactWrapperRefusesPaddingAndEscapes() throws {
        let schema = LLMActionFormat.schema(for: Design.initial(.structure1))
        var c = CompactJSONConstraint(try JSONSchemaConstraint(schema: schema))
        XCTAssertFalse(c.allows(Array(" ".utf8)), "no whitespace outside strings")
        try c.accept(Array(#"{"reasoning":"a b"#.utf8))
        XCTAssertTrue(c.allows(Array(" c".utf8)), "spaces inside strings are text")
        XCTAssertFalse(c.allows(Array(#"\n"#.utf8)), "no escapes")
        XCTAssertFalse(c.allows(Array("é".utf8)), "ASCII only")
        XCTAssertThrowsError(try c.accept([0x5C]))
    }

    /// Random walks over a vocabulary of single bytes and JSON-ish pieces: every walk given the bound
    /// ends with a complete answer that parses and applies.
    func testRandomWalksUnderTheConstraintAlwaysComplete() throws {
        var vocab: [[UInt8]] = (0x20..<0x7F).map { [UInt8($0)] } + [[0x0A], [0xC3, 0xA9]]
        for piece in [#"{""#, #"":"#, #"","#, "reasoning", "actions", "knob", "scale", #"":[{""#, "M1", "M6.W", "Cc", "1.", "0.", " the", #"\""#, "}]}", "},{"] {
            vocab.append(Array(piece.utf8))
        }
        let eog = Int32(vocab.count)
        vocab.append([])
        let masker = ConstraintMasker(tokenBytes: vocab, endOfGeneration: [eog])
        var rng = SplitMix(seed: 7)
        for walk in 0..<60 {
            let design = Self.designs[walk % Self.designs.count]
            let bound = LLMActionFormat.tokenBound(for: design)
            var c = CompactJSONConstraint(try JSONSchemaConstraint(schema: LLMActionFormat.schema(for: design)))
            var text: [UInt8] = []
            var ended = false
            for _ in 0...bound {
                let mask = masker.mask(&c)
                let allowed = mask.indices.filter { mask[$0] }
                XCTAssertFalse(allowed.isEmpty, "dead end after \(String(decoding: text, as: UTF8.self))")
                guard !allowed.isEmpty else { break }
                let pick = allowed[rng.below(allowed.count)]
                if pick == Int(eog) { ended = true; break }
                try c.accept(vocab[pick])
                text += vocab[pick]
            }
            let s = String(decoding: text, as: UTF8.self)
            XCTAssertTrue(ended, "walk \(walk) did not end within \(bound) tokens: \(s)")
            XCTAssertNoThrow(try LLMActionFormat.plan(from: s, for: design), s)
        }
    }

    // MARK: - The tiny fixture model

    func context(goal: PolicyGoal, design: Design) throws -> PolicyContext {
        let spec = try SizingSpec.load(path: SizingSpecTests.repoRoot.appendingPathComponent("specs/aicas2025.toml").path)
        let metrics: [Metric: Double] = [.gainDB: 55, .gbwMHz: 25, .pmDeg: 58, .srVPerUs: 22, .idcUA: 80]
        let e = Evaluation(perCorner: [.tt: metrics], spec: spec)
        var r = CornerResult(corner: .tt)
        r.metrics = metrics
        r.openLoopVout = 0.95
        return PolicyContext(spec: spec, stage: .idealBias, goal: goal, design: design, evaluation: e, corners: [r],
                             history: [], exhausted: [], rejected: [])
    }

    /// The whole propose path on the tiny model: every answer parses, applies, and nothing falls back;
    /// the second call reuses the system prompt's KV entries.
    func testTinyModelAnswersAlwaysParseAndApply() throws {
        guard FileManager.default.fileExists(atPath: Self.tinyModel) else {
            throw XCTSkip("tiny model fixture missing at \(Self.tinyModel)")
        }
        let llm = try LLMSizingPolicy(modelPath: Self.tinyModel, threads: 1, contextLength: 8192)
        var calls = 0
        for (i, design) in Self.designs.enumerated() {
            for goal in [PolicyGoal.fix, .improve] {
                let c = try context(goal: goal, design: design)
                let plan = try XCTUnwrap(try llm.propose(c))
                calls += 1
                XCTAssertTrue(plan.reasoning.hasPrefix("llm: "), plan.reasoning)
                XCTAssertFalse(plan.actions.isEmpty)
                var d = design
                XCTAssertNoThrow(try d.apply(plan.actions, limits: c.spec.limits), "design \(i) \(goal)")
            }
        }
        XCTAssertEqual(llm.usage.calls, calls)
        XCTAssertEqual(llm.usage.fallbacks, 0)
        XCTAssertGreaterThan(llm.usage.reusedPromptTokens, 0, "the system prompt's KV prefix is reused")
        XCTAssertEqual(llm.exchanges.count, calls)
    }

    /// Direct prompts the tiny model has never seen (random-ish text) still give parseable answers.
    func testTinyModelOnArbitraryPrompts() throws {
        guard FileManager.default.fileExists(atPath: Self.tinyModel) else {
            throw XCTSkip("tiny model fixture missing at \(Self.tinyModel)")
        }
        let llm = try LLMSizingPolicy(modelPath: Self.tinyModel, threads: 1, contextLength: 2048)
        let design = Design.initial(.structure2, bias: .selfBiased)
        for prompt in ["", "hello", "Answer in French.", String(repeating: "{[\"", count: 30), "M6.W x1.2; Cc x0.9"] {
            let (plan, text, stats) = try llm.answer(prompt: llm.encode(system: "size it", user: prompt), design: design)
            XCTAssertNotNil(plan, "unparseable: \(text)")
            XCTAssertLessThanOrEqual(stats.generatedTokens, LLMActionFormat.tokenBound(for: design) + 1)
        }
    }
}
