import Foundation
import Spice

/// A sampled curve for the report's plots: `x` and one or two series over it.
public struct Curve: Sendable, Equatable, Codable {
    public var x: [Double]
    public var y: [Double]
    public var y2: [Double]?
    public init(x: [Double], y: [Double], y2: [Double]? = nil) { self.x = x; self.y = y; self.y2 = y2 }
}

/// Everything one corner's benches produced.
public struct CornerResult: Sendable, Equatable, Codable {
    public var corner: Corner
    public var metrics: [Metric: Double] = [:]
    /// Saturation, output level and similar conditions seen in this corner.
    public var flags: [StateFlag] = []
    /// The open-loop bench's DC output voltage (mid-rail is where the gain figure can be trusted).
    public var openLoopVout: Double?
    /// Drain current of the bias diode M11 at the `.op` bench, µA.
    public var biasCurrentUA: Double?
    /// Drain current of the tail M5 at the `.op` bench, µA (rising SR ≈ I5/Cc).
    public var tailCurrentUA: Double?
    /// True when the slew rate is the planner's I5/Cc estimate, calibrated on this corner's last
    /// transient run, rather than a transient result.
    public var slewPredicted = false
    /// Benches the simulator cannot run yet (their metrics are reported as unavailable).
    public var unavailable: [Testbench] = []
    /// Benches that failed (convergence, singular matrix), with the simulator's message.
    public var failures: [String] = []
    public var simulations = 0
    /// Open-loop Bode plot (frequency Hz, magnitude dB, phase °) when waveforms were kept.
    public var bode: Curve?
    /// Slew bench output (time µs, Vout V) when waveforms were kept.
    public var slew: Curve?
    public init(corner: Corner) { self.corner = corner }
}

/// The simulation agent: builds the six official-method testbenches in memory for a design and runs
/// them with the Spice library in-process, corners in parallel, and turns the plots into metrics.
public struct SimulationAgent: Sendable {
    public var library: ModelLibrary
    public var spec: SizingSpec
    /// Benches to run; the planner drops the ones the simulator reports as not implemented.
    public var benches: Set<Testbench>
    /// Worker threads for the corners.
    public var threads: Int
    /// Largest transient step in the slew bench; nil keeps the official `.tran 0.1n` (ngspice then
    /// steps at most 0.1 ns). 1 ns still puts ~70 points on a 20 V/µs edge and costs a tenth.
    public var slewMaxStep: Double? = 1e-9

    public init(library: ModelLibrary, spec: SizingSpec, benches: Set<Testbench> = Set(Testbench.allCases), threads: Int = 2) {
        self.library = library; self.spec = spec; self.benches = benches; self.threads = max(1, threads)
    }

    /// Simulates `design` at `corners` (in parallel) and summarises against the spec.
    public func evaluate(_ design: Design, corners: [Corner], guardBand: Double = 0,
                         keepWaveforms: Bool = false) -> (Evaluation, [CornerResult]) {
        let results = simulate(design, corners: corners, keepWaveforms: keepWaveforms)
        var perCorner: [Corner: [Metric: Double]] = [:]
        var flags: [StateFlag] = []
        for r in results {
            perCorner[r.corner] = r.metrics
            flags += r.flags
        }
        return (Evaluation(perCorner: perCorner, spec: spec, guardBand: guardBand, extraFlags: flags), results)
    }

    /// Runs every corner's benches; results in the order of `corners`.
    public func simulate(_ design: Design, corners: [Corner], keepWaveforms: Bool = false) -> [CornerResult] {
        let box = ResultBox(count: corners.count)
        let workers = min(threads, corners.count)
        let next = Counter()
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while let i = next.take(below: corners.count) {
                box.set(i, simulate(design, corner: corners[i], keepWaveforms: keepWaveforms))
            }
        }
        return box.values.enumerated().map { $0.element ?? CornerResult(corner: corners[$0.offset]) }
    }

    /// Runs the selected benches at one corner.
    public func simulate(_ design: Design, corner: Corner, keepWaveforms: Bool = false) -> CornerResult {
        var r = CornerResult(corner: corner)
        for bench in Testbench.allCases where benches.contains(bench) {
            do {
                r.simulations += 1
                try run(bench, design: design, corner: corner, keepWaveforms: keepWaveforms, into: &r)
            } catch let e as SimulationError where e.kind == .unsupported {
                r.simulations -= 1
                r.unavailable.append(bench)
            } catch {
                r.failures.append("\(bench.rawValue) at \(corner.rawValue): \(error)")
                // No stand-in number: the metric stays absent and a flag says why, so a report never
                // shows a failed measurement as a value and the evaluation counts its spec as failing.
                for m in Self.metrics(of: bench) {
                    r.metrics[m] = nil
                    r.flags.append(.measurementFailed(metric: m, corner: corner, reason: String("\(error)".prefix(160))))
                }
            }
        }
        return r
    }

    static func metrics(of bench: Testbench) -> [Metric] {
        switch bench {
        case .ac: [.gainDB, .gbwMHz, .pmDeg]
        case .slew: [.srVPerUs]
        case .cmrr: [.cmrrDB]
        case .psrr: [.psrrDB]
        case .noise: [.noiseUVPerRtHz]
        case .idc: [.idcUA]
        }
    }

    func deck(_ bench: Testbench, design: Design, corner: Corner) throws -> Deck {
        let text = design.testbench(bench, corner: corner, library: library, vdd: spec.vdd, vcm: spec.vcm, clPF: spec.clPF)
        return try Deck.parse(text, file: "<\(bench.rawValue) bench, \(corner.rawValue)>")
    }

    /// The flattened element names of the amplifier's transistors by template name (`M6` → `m.xamp.xm6.…`).
    static func transistors(in deck: Deck) -> [(device: String, element: String)] {
        deck.elements.compactMap { e in
            guard case .mosfet = e.kind else { return nil }
            let parts = e.name.split(separator: ".")
            guard let k = parts.firstIndex(of: "xamp"), k + 1 < parts.count, parts[k + 1].hasPrefix("x") else { return nil }
            return (String(parts[k + 1].dropFirst()).uppercased(), e.name)
        }
    }

    private func run(_ bench: Testbench, design: Design, corner: Corner, keepWaveforms: Bool, into r: inout CornerResult) throws {
        var deck = try deck(bench, design: design, corner: corner)
        let oneKHz = FrequencySweep(kind: .lin, points: 1, start: 1e3, stop: 1e3)
        switch bench {
        case .ac:
            let sim = try Simulator(deck: deck)
            let plot = try sim.ac(FrequencySweep(kind: .dec, points: 100, start: 1, stop: 1e9))
            guard let f = plot.real("frequency"), let out = plot.complex("v(vout)"),
                  let m = BenchMeasurement.openLoop(frequencies: f, re: out.re, im: out.im) else {
                throw SimulationError(.badValue, "no v(vout) in the AC result")
            }
            r.metrics[.gainDB] = m.gainDB
            r.metrics[.gbwMHz] = m.gbwHz / 1e6
            r.metrics[.pmDeg] = m.pmDeg
            let vout = sim.nodeVoltage("vout")
            r.openLoopVout = vout
            if let vout, abs(vout - spec.vdd / 2) > 0.25 * spec.vdd {
                r.flags.append(.outputOffCentre(corner: corner, volts: (vout * 1000).rounded() / 1000))
            }
            for (device, element) in Self.transistors(in: deck) where !device.hasPrefix("S") {
                guard let vds = sim.deviceParameter(element, "vds"), let vdsat = sim.deviceParameter(element, "vdsat") else { continue }
                if abs(vds) < abs(vdsat) { r.flags.append(.outOfSaturation(device: device, corner: corner)) }
            }
            if keepWaveforms {
                r.bode = Curve(x: f, y: zip(out.re, out.im).map { BenchMeasurement.dB($0, $1) },
                               y2: zip(out.re, out.im).map { BenchMeasurement.phaseDegrees($0, $1) })
            }
        case .cmrr, .psrr:
            let sim = try Simulator(deck: deck)
            let plot = try sim.ac(oneKHz)
            guard let out = plot.complex("v(vout)"), !out.re.isEmpty else { throw SimulationError(.badValue, "no v(vout)") }
            r.metrics[bench == .cmrr ? .cmrrDB : .psrrDB] = -BenchMeasurement.dB(out.re[0], out.im[0])
        case .noise:
            // Only the 1 kHz point is reported, and it is one of the official sweep's points.
            deck.analyses = deck.analyses.map {
                guard case .noise(let o, let ref, let src, _, let per) = $0 else { return $0 }
                return .noise(output: o, reference: ref, source: src, sweep: oneKHz, pointsPerSummary: per)
            }
            let plots = try Simulator(deck: deck).run()
            guard let p = plots.first(where: { $0.real(containing: "inoise") != nil }),
                  let y = p.real(containing: "inoise"), let x = p.real("frequency") ?? p.vectors.first.flatMap({ p.real($0.name) }),
                  let v = BenchMeasurement.interpolateLog(x: x, y: y, at: 1e3) else {
                throw SimulationError(.badValue, "no input-referred noise spectrum in the noise result")
            }
            r.metrics[.noiseUVPerRtHz] = v * 1e6
        case .slew:
            // The first rising edge starts at 1 µs and is over well before 1.3 µs for any SR above ~5 V/µs;
            // stopping there saves a third of the official 2 µs run. A slower edge reruns the full length.
            let official = deck.analyses
            deck.analyses = official.map {
                guard case .tran(let step, let stop, let start, let maxStep, let uic) = $0 else { return $0 }
                let h = slewMaxStep ?? maxStep ?? step
                return .tran(step: max(step, h), stop: min(stop, 1.3e-6), start: start, maxStep: h, uic: uic)
            }
            var measured: (sr: Double?, t: [Double], v: [Double]) = (nil, [], [])
            for attempt in 0..<2 {
                if attempt == 1 { deck.analyses = official }
                let plots: [Plot]
                do { plots = try Simulator(deck: deck).run() } catch where attempt == 0 {
                    // A shortened run that does not converge gets the official step and length once.
                    continue
                }
                guard let p = plots.first(where: { $0.vector(named: "time") != nil }),
                      let t = p.real("time"), let v = p.real("v(vout)") else { throw SimulationError(.badValue, "no v(vout) in the transient result") }
                measured = (BenchMeasurement.slewRate(time: t, values: v, low: 0.1 * spec.vdd, high: 0.9 * spec.vdd, after: 0), t, v)
                if measured.sr != nil { break }
            }
            guard let sr = measured.sr else { throw SimulationError(.badValue, "Vout never completes its first rising edge (10 % to 90 % of VDD)") }
            r.metrics[.srVPerUs] = sr
            if keepWaveforms { r.slew = Curve(x: measured.t.map { $0 * 1e6 }, y: measured.v) }
        case .idc:
            let sim = try Simulator(deck: deck)
            let op = try sim.operatingPoint()
            guard let i = op.real("i(vidd)")?.first else { throw SimulationError(.badValue, "no i(vidd) in the operating point") }
            r.metrics[.idcUA] = abs(i) * 1e6
            if let m11 = Self.transistors(in: deck).first(where: { $0.device == "M11" }),
               let id = sim.deviceParameter(m11.element, "id") {
                r.biasCurrentUA = abs(id) * 1e6
            }
            if let m5 = Self.transistors(in: deck).first(where: { $0.device == "M5" }),
               let id = sim.deviceParameter(m5.element, "id") {
                r.tailCurrentUA = abs(id) * 1e6
            }
        }
    }
}

/// Per-index results written from the corner workers.
final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [CornerResult?]
    init(count: Int) { storage = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ r: CornerResult) { lock.lock(); storage[i] = r; lock.unlock() }
    var values: [CornerResult?] { lock.lock(); defer { lock.unlock() }; return storage }
}

/// A shared work counter for the corner workers.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    func take(below limit: Int) -> Int? {
        lock.lock(); defer { lock.unlock() }
        guard n < limit else { return nil }
        n += 1
        return n - 1
    }
}
