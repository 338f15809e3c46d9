import Foundation
import XCTest
import GGUF
import Infer

/// Our forward pass against llama.cpp's on committed goldens (tiny model) and, when present, on the
/// real Qwen2.5-Coder-0.5B Q8_0 model (goldens made by scripts/infer/make-real-goldens.sh).
final class ModelLlamaGoldenTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/model")

    /// Reads a llama-logits dump: int32 n, int32 vocab, then n × vocab floats.
    static func readLogits(_ url: URL) throws -> (rows: Int, vocab: Int, values: [Float]) {
        let data = try Data(contentsOf: url)
        return data.withUnsafeBytes { raw in
            let n = Int(raw.loadUnaligned(fromByteOffset: 0, as: Int32.self))
            let v = Int(raw.loadUnaligned(fromByteOffset: 4, as: Int32.self))
            let values = (0..<n * v).map { raw.loadUnaligned(fromByteOffset: 8 + 4 * $0, as: Float.self) }
            return (n, v, values)
        }
    }

    static func ids(_ line: Substring) -> [Int32] { line.split(whereSeparator: \.isWhitespace).compactMap { Int32($0) } }

    /// Per-position cosine and argmax agreement of `ours` with `theirs` (both rows × vocab).
    static func compare(_ ours: [Float], _ theirs: [Float], vocab: Int) -> (minCosine: Double, argmaxAgree: Double) {
        guard ours.count == theirs.count else { return (0, 0) }
        let rows = theirs.count / vocab
        var minCos = 1.0, agree = 0
        for r in 0..<rows {
            let a = ours[r * vocab..<(r + 1) * vocab], b = theirs[r * vocab..<(r + 1) * vocab]
            var ab = 0.0, aa = 0.0, bb = 0.0
            for (x, y) in zip(a, b) { ab += Double(x) * Double(y); aa += Double(x * x); bb += Double(y * y) }
            minCos = min(minCos, ab / (aa.squareRoot() * bb.squareRoot()))
            if argmax(Array(a)) == argmax(Array(b)) { agree += 1 }
        }
        return (minCos, Double(agree) / Double(rows))
    }

    func testTinyModelLogitsMatchLlamaCpp() throws {
        let model = try Model(path: Self.fixtures.appendingPathComponent("tiny-qwen2-q8_0.gguf").path)
        let greedy = try String(contentsOf: Self.fixtures.appendingPathComponent("tiny-qwen2-greedy.txt"), encoding: .utf8)
            .split(separator: "\n")
        let prompt = Self.ids(greedy[0])
        let reference = try Self.readLogits(Self.fixtures.appendingPathComponent("tiny-qwen2-logits.bin"))
        XCTAssertEqual(reference.rows, prompt.count)
        XCTAssertEqual(reference.vocab, model.config.vocabularySize)
        for batch in [1, 5, 64] {
            let ours = try RunState(model: model, batchSize: batch).forward(tokens: prompt, startPosition: 0, logits: .all)
            let (cos, agree) = Self.compare(ours, reference.values, vocab: reference.vocab)
            XCTAssertGreaterThanOrEqual(cos, 0.9999, "batch \(batch): worst cosine vs llama.cpp")
            XCTAssertEqual(agree, 1, "batch \(batch): argmax agreement vs llama.cpp")
        }
    }

    func testTinyModelGreedyTokensMatchLlamaCpp() throws {
        let model = try Model(path: Self.fixtures.appendingPathComponent("tiny-qwen2-q8_0.gguf").path)
        let lines = try String(contentsOf: Self.fixtures.appendingPathComponent("tiny-qwen2-greedy.txt"), encoding: .utf8)
            .split(separator: "\n")
        let prompt = Self.ids(lines[0]), expected = Self.ids(lines[1])
        let session = try Session(model: model)
        let result = try session.generate(prompt: prompt, maxTokens: expected.count,
                                          next: { logits, _ in argmax(logits) },
                                          isEndOfGeneration: { _ in false }, onToken: { _ in true })
        XCTAssertEqual(result.tokens, expected)
    }
}
