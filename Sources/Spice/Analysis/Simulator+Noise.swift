#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a `.noise` analysis asks for, resolved against the circuit.
struct NoiseRequest {
    let output: Unknown, reference: Unknown
    /// The input source's excitation as a right-hand side: (unknown, coefficient) pairs.
    let input: [(Unknown, Double)]
    let inputIsCurrent: Bool
}

extension Simulator {
    /// `.noise v(out[,ref]) src sweep [pts_per_summary]`: output and input-referred noise spectral densities
    /// (plot `noiseN`) and their integrals over the sweep (plot `noiseN+1`, omitted when the sweep is one
    /// frequency), as ngspice 39 computes and names them.
    ///
    /// At each frequency the complex system G + jωC is factored once and solved transposed for the output
    /// pair (the adjoint system): entry k of the solution is the transfer from a unit current injected at
    /// unknown k to the output, so every generator's gain comes from that one solve, and so does the gain
    /// from the input source (ngspice excites the input alone with unit magnitude). Integration between
    /// points follows ngspice's power-law fit per generator. With `pointsPerSummary` ≥ 1, ngspice also
    /// writes one vector per generator and per device, and only every `pointsPerSummary`-th point of the
    /// spectra.
    public func noise(output: String, reference: String?, source: String, sweep: FrequencySweep,
                      pointsPerSummary: Int?) throws -> [Plot] {
        let frequencies = try Simulator.noiseFrequencies(sweep, reltol: deck.options.reltol)
        let request = try noiseRequest(output: output, reference: reference, source: source)
        try solveOperatingPoint()
        let n = circuit.size, nnz = circuit.nonzeros
        let (g, c) = smallSignalMatrices()
        let temperature = circuit.temperature
        let noisy = noiseDeviceOrder()
        let summary = (pointsPerSummary ?? 0) > 0 ? pointsPerSummary! : 0

        var tallies = noisy.map { NoiseTally(device: $0) }
        var onoise: [Double] = [], inoise: [Double] = [], kept: [Double] = []
        var totalOut = 0.0, totalIn = 0.0

        var values = [Double](repeating: 0, count: 2 * nnz)
        var y = [Double](repeating: 0, count: 2 * n)
        var previous = frequencies.first ?? 0
        for (step, f) in frequencies.enumerated() {
            try factorSmallSignal(&values, g: g, c: c, at: f, matrixName: "noise analysis matrix")
            // Adjoint: Aᵀy = e(out) − e(ref).
            for i in 0..<(2 * n) { y[i] = 0 }
            if request.output.index >= 0 { y[2 * request.output.index] += 1 }
            if request.reference.index >= 0 { y[2 * request.reference.index] -= 1 }
            values.withUnsafeMutableBufferPointer { v in
                y.withUnsafeMutableBufferPointer { circuit.lu.solveComplexTransposed($0, values: v) }
            }
            var gainRe = 0.0, gainIm = 0.0
            for (u, coefficient) in request.input where u.index >= 0 {
                gainRe += coefficient * y[2 * u.index]; gainIm += coefficient * y[2 * u.index + 1]
            }
            let gainSqInv = 1 / max(gainRe * gainRe + gainIm * gainIm, 1e-20)
            let lnGainInv = log(gainSqInv)
            let interval = NoiseInterval(frequency: f, last: previous)
            let printed = summary == 0 || step % summary == 0

            var density = 0.0
            for d in tallies.indices {
                let generators = tallies[d].device.noise(frequency: f, temperature: temperature)
                if step == 0 { tallies[d].start(generators, summary: summary > 0) }
                guard generators.count == tallies[d].suffixes.count else {
                    throw SimulationError(.unsupported, "device '\(tallies[d].device.name)' changed its noise generators between frequencies")
                }
                var deviceDensity = 0.0
                for (k, generator) in generators.enumerated() {
                    let ga = generator.a.index, gb = generator.b.index
                    let dr = (ga < 0 ? 0 : y[2 * ga]) - (gb < 0 ? 0 : y[2 * gb])
                    let di = (ga < 0 ? 0 : y[2 * ga + 1]) - (gb < 0 ? 0 : y[2 * gb + 1])
                    let value = generator.density * (dr * dr + di * di)
                    let lnValue = log(max(value, NoiseDensity.minimumLog))
                    deviceDensity += value
                    if step > 0 {
                        let last = tallies[d].lastLog[k]
                        let o = interval.integrate(value, lnValue, last)
                        let i = interval.integrate(value * gainSqInv, lnValue + lnGainInv, last + lnGainInv)
                        tallies[d].add(generator: k, out: o, in: i)
                        totalOut += o; totalIn += i
                    }
                    tallies[d].lastLog[k] = lnValue
                    if summary > 0, printed { tallies[d].spectra[k].append(value.squareRoot()) }
                }
                if summary > 0, printed { tallies[d].spectra[generators.count].append(deviceDensity.squareRoot()) }
                density += deviceDensity
            }
            if printed {
                kept.append(f)
                onoise.append(density.squareRoot())
                inoise.append((density * gainSqInv).squareRoot())
            }
            previous = f
        }

        // Input-referred noise is in the input source's unit: V/√Hz for a voltage source, A/√Hz for a current.
        let inputDensity: Vector.Quantity = request.inputIsCurrent ? .currentDensity : .voltageDensity
        let inputTotal: Vector.Quantity = request.inputIsCurrent ? .current : .voltage
        var spectrumVectors = [Vector(name: "frequency", type: .frequency, values: .real(kept))]
        var totalVectors: [Vector] = []
        if summary > 0 {
            for tally in tallies {
                let separator = tally.suffixes.first?.first.map(String.init) ?? "_"
                for (k, suffix) in (tally.suffixes + [""]).enumerated() {
                    let tail = separator + tally.device.name + suffix
                    spectrumVectors.append(Vector(name: "onoise" + tail, type: .voltageDensity, values: .real(tally.spectra[k])))
                    totalVectors.append(Vector(name: "onoise_total" + tail, type: .voltage,
                                               values: .real([tally.outIntegral[k].squareRoot()])))
                    totalVectors.append(Vector(name: "inoise_total" + tail, type: inputTotal,
                                               values: .real([tally.inIntegral[k].squareRoot()])))
                }
            }
        }
        spectrumVectors.append(Vector(name: "onoise_spectrum", type: .voltageDensity, values: .real(onoise)))
        spectrumVectors.append(Vector(name: "inoise_spectrum", type: inputDensity, values: .real(inoise)))
        var plots = [Plot(name: nextPlotName("noise"), title: "Noise Spectral Density Curves", vectors: spectrumVectors)]
        if sweep.start != sweep.stop {
            totalVectors.append(Vector(name: "onoise_total", type: .voltage, values: .real([totalOut.squareRoot()])))
            totalVectors.append(Vector(name: "inoise_total", type: inputTotal, values: .real([totalIn.squareRoot()])))
            plots.append(Plot(name: nextPlotName("noise"), title: "Integrated Noise", vectors: totalVectors))
        }
        return plots
    }
}

/// One device's running noise record: its generators' names, last log densities, integrals (generators
/// then the device total) and, with a summary, its spectra.
struct NoiseTally {
    let device: Device
    var suffixes: [String] = []
    var lastLog: [Double] = []
    var outIntegral: [Double] = [], inIntegral: [Double] = []
    var spectra: [[Double]] = []

    init(device: Device) { self.device = device }

    mutating func start(_ generators: [NoiseGenerator], summary: Bool) {
        suffixes = generators.map(\.suffix)
        lastLog = [Double](repeating: 0, count: generators.count)
        outIntegral = [Double](repeating: 0, count: generators.count + 1)
        inIntegral = outIntegral
        spectra = summary ? [[Double]](repeating: [], count: generators.count + 1) : []
    }

    mutating func add(generator k: Int, out: Double, in input: Double) {
        outIntegral[k] += out; outIntegral[suffixes.count] += out
        inIntegral[k] += input; inIntegral[suffixes.count] += input
    }
}

/// ngspice's integration of a noise density between two frequencies (`Nintegrate`): the density is taken
/// as a power law f^k through the two points' log values, integrated exactly; flat and 1/f cases are
/// special-cased below a threshold on the exponent.
struct NoiseInterval {
    let delta: Double, lnFrequency: Double, lnLast: Double, delLn: Double
    static let flatThreshold = 1e-10

    init(frequency: Double, last: Double) {
        delta = frequency - last
        lnFrequency = log(max(frequency, NoiseDensity.minimumLog))
        lnLast = log(max(last, NoiseDensity.minimumLog))
        delLn = lnFrequency - lnLast
    }

    /// The integral of a density whose value here is `density` (log `lnDensity`) and whose log at the
    /// previous point was `lnLastDensity`.
    func integrate(_ density: Double, _ lnDensity: Double, _ lnLastDensity: Double) -> Double {
        var exponent = (lnDensity - lnLastDensity) / delLn
        if abs(exponent) < NoiseInterval.flatThreshold { return density * delta }
        let a = exp(lnDensity - exponent * lnFrequency)
        exponent += 1
        if abs(exponent) < NoiseInterval.flatThreshold { return a * (lnFrequency - lnLast) }
        return a * (exp(exponent * lnFrequency) - exp(exponent * lnLast)) / exponent
    }
}

extension Simulator {
    /// The noise sweep's frequencies: ngspice steps them as its AC analysis does; one linear point is the
    /// start frequency alone.
    static func noiseFrequencies(_ sweep: FrequencySweep, reltol: Double) throws -> [Double] {
        do {
            return try frequencies(sweep, reltol: reltol)
        } catch let error as SimulationError {
            throw SimulationError(error.kind, error.message.replacing(".ac", with: ".noise"))
        }
    }

    /// Resolves the output pair and the input source; errors name what is missing.
    func noiseRequest(output: String, reference: String?, source: String) throws -> NoiseRequest {
        func node(_ name: String) throws -> Unknown {
            let key = name.lowercased()
            if key == "0" || key == "gnd" { return circuit.ground }
            guard let i = circuit.nodeIndex[key] else {
                throw SimulationError(.unknownName, ".noise: output node '\(name)' is not in the circuit", subject: key)
            }
            return Unknown(index: i)
        }
        let out = try node(output)
        let ref = try reference.map(node) ?? circuit.ground
        let key = source.lowercased()
        guard let device = circuit.deviceIndex[key] else {
            throw SimulationError(.unknownName, ".noise: input source '\(source)' is not in the circuit", subject: key)
        }
        if let v = device as? VoltageSource {
            guard v.acMagnitude != 0 else {
                throw SimulationError(.badValue, ".noise: input source '\(v.name)' has no AC value", subject: v.name,
                                      location: v.location)
            }
            return NoiseRequest(output: out, reference: ref, input: [(v.branch, 1)], inputIsCurrent: false)
        }
        if let i = device as? CurrentSource {
            guard i.acMagnitude != 0 else {
                throw SimulationError(.badValue, ".noise: input source '\(i.name)' has no AC value", subject: i.name,
                                      location: i.location)
            }
            return NoiseRequest(output: out, reference: ref, input: [(i.a, -1), (i.b, 1)], inputIsCurrent: true)
        }
        throw SimulationError(.badValue, ".noise: input '\(source)' is not an independent voltage or current source",
                              subject: key)
    }

    /// The noisy devices in the order ngspice visits them: by device type in its device table (BSIM3,
    /// diode, MOS1, resistor), within a type by model in reverse order of first use, and within a model in
    /// reverse netlist order (its lists grow at the head).
    func noiseDeviceOrder() -> [Device] {
        func rank(_ device: Device) -> Int? {
            switch device {
            case is BSIMLite: 0
            case is Diode: 1
            case is MOS1: 2
            case is Resistor: 3
            default: nil
            }
        }
        func model(_ element: Element) -> String {
            switch element.kind {
            case .diode(let m, _, _): m.lowercased()
            case .mosfet(let m, _): m.lowercased()
            default: ""
            }
        }
        var groups: [[(model: String, device: Device)]] = [[], [], [], []]
        for (element, device) in zip(circuit.elements, circuit.devices) {
            guard let r = rank(device) else { continue }
            groups[r].append((model(element), device))
        }
        var order: [Device] = []
        for group in groups {
            var models: [String] = []
            for entry in group where !models.contains(entry.model) { models.append(entry.model) }
            for m in models.reversed() {
                order += group.filter { $0.model == m }.reversed().map(\.device)
            }
        }
        return order
    }
}
