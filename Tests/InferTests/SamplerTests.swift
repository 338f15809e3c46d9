import Infer
import XCTest

final class SamplerTests: XCTestCase {
    func testGreedyPicksArgmaxAndRespectsMask() {
        var s = Sampler(.greedy)
        var logits: [Float] = [0.1, 2.0, -1.0, 1.5]
        XCTAssertEqual(s.sample(logits: &logits, recent: []), 1)
        XCTAssertEqual(s.sample(logits: &logits, recent: [], allowed: { $0 != 1 }), 3)
        XCTAssertEqual(s.sample(logits: &logits, recent: [], allowed: { _ in false }), -1)
        var withNaN: [Float] = [.nan, 1, 3, .infinity * -1]
        XCTAssertEqual(s.sample(logits: &withNaN, recent: []), 2)
    }

    func testRepeatPenaltyDividesPositiveMultipliesNegative() {
        var s = Sampler(SamplerSettings(temperature: 0, repeatPenalty: 2, repeatLastN: 2))
        var logits: [Float] = [4, 3, -1, 0.5]
        // Token 0 was seen twice and token 2 once in the window; token 1 is outside the window.
        let picked = s.sample(logits: &logits, recent: [1, 0, 0, 2][2...])
        XCTAssertEqual(logits, [2, 3, -2, 0.5])   // 4/2 once (not per occurrence), -1*2
        XCTAssertEqual(picked, 1)
    }

    func testTopKKeepsOnlyKMostLikely() {
        var s = Sampler(SamplerSettings(temperature: 1, topK: 2, topP: 1, minP: 0, seed: 1))
        var seen = Set<Int32>()
        for _ in 0..<500 {
            var logits: [Float] = [1, 1.2, 5, 4.9, 0]
            seen.insert(s.sample(logits: &logits, recent: []))
        }
        XCTAssertEqual(seen, [2, 3])
    }

    func testTopPCutsTheTail() {
        // probabilities ≈ 0.665, 0.245, 0.090: top-p 0.8 keeps the first two.
        var s = Sampler(SamplerSettings(temperature: 1, topK: 0, topP: 0.8, minP: 0, seed: 2))
        var seen = Set<Int32>()
        for _ in 0..<1000 {
            var logits: [Float] = [2, 1, 0]
            seen.insert(s.sample(logits: &logits, recent: []))
        }
        XCTAssertEqual(seen, [0, 1])
    }

    func testMinPDropsUnlikelyTokens() {
        // p(2)/p(0) = e^-3 ≈ 0.05 < 0.1: dropped; p(1)/p(0) = e^-1 kept.
        var s = Sampler(SamplerSettings(temperature: 1, topK: 0, topP: 1, minP: 0.1, seed: 3))
        var seen = Set<Int32>()
        for _ in 0..<1000 {
            var logits: [Float] = [3, 2, 0]
            seen.insert(s.sample(logits: &logits, recent: []))
        }
        XCTAssertEqual(seen, [0, 1])
    }

    func testTemperatureShapesFrequencies() {
        func frequencyOfBest(_ temperature: Float) -> Double {
            var s = Sampler(SamplerSettings(temperature: temperature, topK: 0, topP: 1, minP: 0, seed: 4))
            var hits = 0
            for _ in 0..<4000 {
                var logits: [Float] = [1, 0]
                if s.sample(logits: &logits, recent: []) == 0 { hits += 1 }
            }
            return Double(hits) / 4000
        }
        // Softmax([1, 0] / T): T = 1 → 0.731, T = 0.25 → 0.982, T = 4 → 0.562.
        XCTAssertEqual(frequencyOfBest(1), 0.731, accuracy: 0.03)
        XCTAssertEqual(frequencyOfBest(0.25), 0.982, accuracy: 0.01)
        XCTAssertEqual(frequencyOfBest(4), 0.562, accuracy: 0.03)
    }

    func testSeededSamplingIsReproducible() {
        func run(seed: UInt64) -> [Int32] {
            var s = Sampler(SamplerSettings(temperature: 1, topK: 0, topP: 1, minP: 0, seed: seed))
            return (0..<50).map { _ in
                var logits: [Float] = [0.5, 0.4, 0.3, 0.2, 0.1]
                return s.sample(logits: &logits, recent: [])
            }
        }
        XCTAssertEqual(run(seed: 42), run(seed: 42))
        XCTAssertNotEqual(run(seed: 42), run(seed: 43))
    }
}
