#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch

/// Throughput measurements in the manner of llama-bench: prompt processing (one batch of `n`
/// tokens from an empty cache) and generation (`n` single-token steps from an empty cache), each
/// repeated, after one warm-up run.
public enum Benchmark {
    /// Tokens per second of each repetition, with mean and sample standard deviation.
    public struct Result: Sendable {
        public var name: String
        public var samples: [Double]
        public var mean: Double { samples.reduce(0, +) / Double(max(samples.count, 1)) }
        public var standardDeviation: Double {
            guard samples.count > 1 else { return 0 }
            let m = mean
            return (samples.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(samples.count - 1)).squareRoot()
        }
    }

    /// Runs `ppN` (prompt processing of `promptTokens`) and `tgN` (generation of `generatedTokens`),
    /// `repetitions` times each; a count of 0 skips that test.
    public static func run(model: Model, promptTokens: Int, generatedTokens: Int, threads: Int,
                           repetitions: Int) throws -> [Result] {
        let state = try RunState(model: model, contextLength: max(promptTokens + generatedTokens, 1),
                                 threads: threads)
        var rng = SystemRandomNumberGenerator()
        let vocab = model.config.vocabularySize
        func randomTokens(_ n: Int) -> [Int32] { (0..<n).map { _ in Int32.random(in: 0..<Int32(vocab), using: &rng) } }
        func seconds(_ body: () throws -> Void) rethrows -> Double {
            let t0 = DispatchTime.now().uptimeNanoseconds
            try body()
            return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        }
        var results: [Result] = []
        if promptTokens > 0 {
            var samples: [Double] = []
            for rep in -1..<repetitions {
                let tokens = randomTokens(promptTokens)
                state.truncate(to: 0)
                let s = try seconds { _ = try state.forward(tokens: tokens, startPosition: 0) }
                if rep >= 0 { samples.append(Double(promptTokens) / s) }
            }
            results.append(Result(name: "pp\(promptTokens)", samples: samples))
        }
        if generatedTokens > 0 {
            var samples: [Double] = []
            for rep in -1..<repetitions {
                let tokens = randomTokens(generatedTokens)
                state.truncate(to: 0)
                let s = try seconds {
                    for (i, t) in tokens.enumerated() { _ = try state.forward(tokens: [t], startPosition: i) }
                }
                if rep >= 0 { samples.append(Double(generatedTokens) / s) }
            }
            results.append(Result(name: "tg\(generatedTokens)", samples: samples))
        }
        return results
    }

    /// Seconds for an agent-style pair of calls through a `Session`: a prompt of `prefix + suffix`
    /// tokens from an empty cache, then a prompt sharing the first `prefix` tokens with a new
    /// `suffix`-token tail (prefix reuse makes the second cost about the tail's alone).
    public static func prefixReuse(model: Model, prefix: Int, suffix: Int, threads: Int) throws
        -> (first: Double, second: Double) {
        let session = try Session(model: model, contextLength: prefix + suffix + 1, threads: threads)
        let vocab = Int32(model.config.vocabularySize)
        var rng = SystemRandomNumberGenerator()
        let shared = (0..<prefix).map { _ in Int32.random(in: 0..<vocab, using: &rng) }
        let tail1 = (0..<suffix).map { _ in Int32.random(in: 0..<vocab, using: &rng) }
        let tail2 = (0..<suffix).map { _ in Int32.random(in: 0..<vocab, using: &rng) }
        func seconds(_ body: () throws -> Void) rethrows -> Double {
            let t0 = DispatchTime.now().uptimeNanoseconds
            try body()
            return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        }
        let first = try seconds { _ = try session.prefill(shared + tail1) }
        let second = try seconds { _ = try session.prefill(shared + tail2) }
        return (first, second)
    }
}
