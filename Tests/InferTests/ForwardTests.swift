import XCTest
import GGUF
import Infer

/// Our forward pass on tiny random Qwen2 models against the Float64 reference in `TinyModel`.
final class ForwardTests: XCTestCase {
    let prompt: [Int32] = [3, 141, 59, 265, 35, 89, 79, 32, 38, 46, 264, 33, 83, 27, 95, 28, 84, 197, 169, 39]

    /// Compares every position's logits: cosine and the largest error relative to the logit range.
    func check(_ tiny: TinyModel, portable: Bool = false, minCosine: Double, maxRelError: Double,
               file: StaticString = #filePath, line: UInt = #line) throws {
        let model = try tiny.load()
        let state = try RunState(model: model, threads: 2, batchSize: 7, portableKernels: portable)
        let logits = try state.forward(tokens: prompt, startPosition: 0, logits: .all)
        let reference = tiny.referenceLogits(prompt)
        let vocab = tiny.vocab
        XCTAssertEqual(logits.count, prompt.count * vocab, file: file, line: line)
        for (pos, ref) in reference.enumerated() {
            let ours = Array(logits[pos * vocab..<(pos + 1) * vocab])
            let range = ref.map(abs).max()!
            let err = zip(ours, ref).map { abs(Double($0) - $1) }.max()!
            let cos = cosine(ours, ref)
            XCTAssertGreaterThanOrEqual(cos, minCosine, "position \(pos): cosine", file: file, line: line)
            XCTAssertLessThanOrEqual(err / range, maxRelError, "position \(pos): max error \(err) of range \(range)",
                                     file: file, line: line)
        }
    }

    func testF32UntiedMatchesReference() throws {
        try check(TinyModel(), minCosine: 0.99999, maxRelError: 3e-3)
    }

    func testF32PortableKernelsMatchReference() throws {
        try check(TinyModel(), portable: true, minCosine: 0.99999, maxRelError: 3e-3)
    }

    func testQ8TiedMatchesReference() throws {
        try check(TinyModel(weightType: .q8_0, embeddingType: .q8_0, tied: true, seed: 7),
                  minCosine: 0.9995, maxRelError: 3e-2)
    }

    func testQ8UntiedPortableMatchesReference() throws {
        try check(TinyModel(weightType: .q8_0, embeddingType: .f32, tied: false, seed: 9), portable: true,
                  minCosine: 0.9995, maxRelError: 3e-2)
    }

    func testSIMDAndPortableKernelsAgree() throws {
        let model = try TinyModel(weightType: .q8_0, embeddingType: .q8_0, seed: 3).load()
        let a = try RunState(model: model, portableKernels: false).forward(tokens: prompt, startPosition: 0, logits: .all)
        let b = try RunState(model: model, portableKernels: true).forward(tokens: prompt, startPosition: 0, logits: .all)
        let worst = zip(a, b).map { abs($0 - $1) }.max()!
        let range = b.map(abs).max()!
        XCTAssertLessThanOrEqual(worst / range, 1e-4, "SIMD and portable kernels differ by \(worst)")
    }

    func testBatchedEqualsTokenByToken() throws {
        let model = try TinyModel(weightType: .q8_0, embeddingType: .q8_0, seed: 5).load()
        let batched = try RunState(model: model, batchSize: 64).forward(tokens: prompt, startPosition: 0, logits: .all)
        let single = try RunState(model: model, batchSize: 64)
        var stepwise: [Float] = []
        for (i, t) in prompt.enumerated() {
            stepwise += try single.forward(tokens: [t], startPosition: i)
        }
        XCTAssertEqual(batched.count, stepwise.count)
        let worst = zip(batched, stepwise).map { abs($0 - $1) }.max()!
        XCTAssertLessThanOrEqual(worst, 1e-4, "batched and single-token logits differ by \(worst)")
    }

    func testPrefixReuseEqualsFreshRun() throws {
        let model = try TinyModel(weightType: .q8_0, embeddingType: .f32, seed: 11).load()
        let state = try RunState(model: model)
        _ = try state.forward(tokens: prompt, startPosition: 0)
        // Keep the first 12 tokens, then continue with a different suffix.
        let second: [Int32] = Array(prompt[0..<12]) + [7, 8, 9, 10, 200]
        let reused = try state.forward(tokens: Array(second[12...]), startPosition: 12)
        let fresh = try RunState(model: model).forward(tokens: second, startPosition: 0)
        XCTAssertEqual(state.cachedCount, second.count)
        let worst = zip(reused, fresh).map { abs($0 - $1) }.max()!
        XCTAssertLessThanOrEqual(worst, 1e-4, "reused-prefix logits differ from a fresh run by \(worst)")
    }

    // MARK: - Errors, not crashes

    func testUnknownArchitectureIsAnError() throws {
        let bytes = try TinyModel().writer(architecture: "llama").serialize()
        XCTAssertThrowsError(try Model(file: GGUFFile(bytes: bytes))) { error in
            XCTAssertEqual(error as? InferError, .unsupportedArchitecture("llama"))
        }
    }

    func testMissingTensorIsNamed() throws {
        let bytes = try TinyModel().writer(skip: ["blk.1.ffn_up.weight"]).serialize()
        XCTAssertThrowsError(try Model(file: GGUFFile(bytes: bytes))) { error in
            XCTAssertEqual(error as? InferError, .missingTensor(name: "blk.1.ffn_up.weight"))
            XCTAssertTrue("\(error)".contains("blk.1.ffn_up.weight"))
        }
    }

    func testWrongShapeIsNamed() throws {
        let bytes = try TinyModel().writer(reshape: ["blk.0.attn_k.weight": [64, 64]]).serialize()
        XCTAssertThrowsError(try Model(file: GGUFFile(bytes: bytes))) { error in
            XCTAssertEqual(error as? InferError,
                           .wrongShape(tensor: "blk.0.attn_k.weight", expected: [64, 32], actual: [64, 64]))
        }
    }

    func testContextOverflowAndBadTokensAreErrors() throws {
        let model = try TinyModel().load()
        let state = try RunState(model: model, contextLength: 16)
        XCTAssertThrowsError(try state.forward(tokens: prompt, startPosition: 0)) { error in
            XCTAssertEqual(error as? InferError, .contextOverflow(needed: 20, limit: 16))
        }
        XCTAssertThrowsError(try state.forward(tokens: [300], startPosition: 0)) { error in
            XCTAssertEqual(error as? InferError, .invalidToken(300, vocabularySize: 300))
        }
        XCTAssertThrowsError(try state.forward(tokens: [1], startPosition: 3)) { error in
            XCTAssertEqual(error as? InferError, .invalidPosition(3, cached: 0))
        }
        XCTAssertThrowsError(try state.forward(tokens: [], startPosition: 0))
    }
}
