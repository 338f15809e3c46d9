import XCTest
import GGUF
import Infer

/// Session behaviour on the committed tiny model (it carries a small byte-level BPE vocabulary).
final class SessionTests: XCTestCase {
    func tinyModel() throws -> (Model, Tokenizer) {
        let path = ModelLlamaGoldenTests.fixtures.appendingPathComponent("tiny-qwen2-q8_0.gguf").path
        let model = try Model(path: path)
        return (model, try Tokenizer(gguf: model.file))
    }

    func testPrefixIsReusedAndResultsMatchAFreshSession() throws {
        let (model, _) = try tinyModel()
        let system: [Int32] = (0..<40).map { Int32(($0 * 37) % 290) }
        let first = system + [5, 6, 7]
        let second = system + [9, 10, 11, 12]
        let session = try Session(model: model, contextLength: 256)
        let greedy: (inout [Float], [Int32]) -> Int32 = { logits, _ in argmax(logits) }
        let a = try session.generate(prompt: first, maxTokens: 8, next: greedy, isEndOfGeneration: { _ in false },
                                     onToken: { _ in true })
        XCTAssertEqual(a.stats.reusedPromptTokens, 0)
        let b = try session.generate(prompt: second, maxTokens: 8, next: greedy, isEndOfGeneration: { _ in false },
                                     onToken: { _ in true })
        XCTAssertEqual(b.stats.reusedPromptTokens, system.count)
        XCTAssertEqual(b.stats.evaluatedPromptTokens, 4)
        let fresh = try Session(model: model, contextLength: 256)
        let c = try fresh.generate(prompt: second, maxTokens: 8, next: greedy, isEndOfGeneration: { _ in false },
                                   onToken: { _ in true })
        XCTAssertEqual(b.tokens, c.tokens)
        // The same prompt again reuses all but its last token.
        let d = try session.generate(prompt: second, maxTokens: 8, next: greedy, isEndOfGeneration: { _ in false },
                                     onToken: { _ in true })
        XCTAssertEqual(d.stats.reusedPromptTokens, second.count - 1)
        XCTAssertEqual(d.tokens, c.tokens)
    }

    func testStopStringCutsOutputAndStreamingMatchesResult() throws {
        let (model, tokenizer) = try tinyModel()
        let prompt: [Int32] = [3, 141, 59, 265, 35, 89]
        let session = try Session(model: model)
        let free = try session.generate(prompt: prompt, tokenizer: tokenizer,
                                        options: TextGenerationOptions(maxTokens: 24))
        XCTAssertEqual(free.tokens.count, 24)
        let bytes = Array(free.text.utf8)
        XCTAssertGreaterThan(bytes.count, 8)
        // A stop string taken from an ASCII stretch after the start of the unconstrained output.
        guard let at = (2..<bytes.count - 3).first(where: { i in bytes[i..<i + 3].allSatisfy { $0 < 0x80 } }) else {
            return XCTFail("no ASCII stretch in \(free.text)")
        }
        let stop = String(decoding: bytes[at..<at + 3], as: UTF8.self)
        var streamed = ""
        let cut = try session.generate(prompt: prompt, tokenizer: tokenizer,
                                       options: TextGenerationOptions(maxTokens: 24, stopStrings: [stop]),
                                       onText: { streamed += $0 })
        XCTAssertEqual(cut.stopReason, .stoppedByCaller)
        XCTAssertFalse(cut.text.contains(stop))
        XCTAssertTrue(free.text.hasPrefix(cut.text))
        XCTAssertEqual(streamed, cut.text)
    }

    func testSeededSamplingIsReproducible() throws {
        let (model, tokenizer) = try tinyModel()
        let settings = SamplerSettings(temperature: 0.9, topK: 20, topP: 0.9, minP: 0, seed: 1234)
        let prompt: [Int32] = [3, 141, 59]
        let a = try Session(model: model).generate(prompt: prompt, tokenizer: tokenizer,
                                                  options: TextGenerationOptions(maxTokens: 16, sampler: settings))
        let b = try Session(model: model).generate(prompt: prompt, tokenizer: tokenizer,
                                                  options: TextGenerationOptions(maxTokens: 16, sampler: settings))
        XCTAssertEqual(a.tokens, b.tokens)
    }
}
