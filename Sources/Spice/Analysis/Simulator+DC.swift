extension Simulator {
    /// What a `.dc` sweep varies: an independent source's dc value, a resistor, or the temperature.
    private enum Knob {
        case source(String)
        case temperature
    }

    /// `.dc`: sweeps one source (inner loop) or two (the second is the outer loop), warm-starting each
    /// point from the previous solution; swept values are restored afterwards.
    public func dcSweep(_ sweeps: [DCSweep]) throws -> Plot {
        guard let inner = sweeps.first, sweeps.count <= 2 else {
            throw SimulationError(.badValue, ".dc needs one or two sweeps, got \(sweeps.count)")
        }
        let knobs = try sweeps.map { sweep -> Knob in
            let name = sweep.source.lowercased()
            if name == "temp" { return .temperature }
            guard circuit.deviceIndex[name] is SweepableSource else {
                throw SimulationError(.unknownName, ".dc sweeps '\(sweep.source)', which is not an independent source, a resistor or temp",
                                      subject: sweep.source)
            }
            return .source(name)
        }
        var sourceValues: [String: Double] = [:]
        var sweptTemperature = false
        let originals = knobs.compactMap { knob -> (String, Double)? in
            if case .source(let name) = knob, let s = circuit.deviceIndex[name] as? SweepableSource { return (name, s.dcValue) }
            return nil
        }
        defer {
            if sweptTemperature { try? rebuild(temperature: deck.options.temp, sourceValues: [:]) }
            for (name, value) in originals { (circuit.deviceIndex[name] as? SweepableSource)?.dcValue = value }
        }
        func set(_ knob: Knob, _ value: Double) throws {
            switch knob {
            case .source(let name):
                sourceValues[name] = value
                (circuit.deviceIndex[name] as? SweepableSource)?.dcValue = value
            case .temperature:
                sweptTemperature = true
                try rebuild(temperature: value, sourceValues: sourceValues)
            }
        }
        let outer = sweeps.count == 2 ? sweeps[1].values : [0]
        let outs = outputs
        var scale: [Double] = []
        var columns = [[Double]](repeating: [], count: outs.count)
        var first = true
        for outerValue in outer {
            if knobs.count == 2 { try set(knobs[1], outerValue) }
            for value in inner.values {
                try set(knobs[0], value)
                if first {
                    try solveOperatingPoint()
                    first = false
                } else if !solver.newton(maxIterations: deck.options.itl2) {
                    try solver.operatingPoint(initJunction: false)
                }
                let x = solver.solution
                scale.append(value)
                for (k, out) in outs.enumerated() { columns[k].append(x[out.unknown.index]) }
            }
        }
        let scaleVector: Vector
        switch knobs[0] {
        case .temperature:
            scaleVector = Vector(name: "temp-sweep", type: .notype, values: .real(scale))
        case .source(let name):
            let device = circuit.deviceIndex[name] as? SweepableSource
            switch device?.sweepKind {
            case .voltage?: scaleVector = Vector(name: "v(v-sweep)", type: .voltage, values: .real(scale))
            case .current?: scaleVector = Vector(name: "i(i-sweep)", type: .current, values: .real(scale))
            default: scaleVector = Vector(name: "res-sweep", type: .notype, values: .real(scale))
            }
        }
        var vectors = [scaleVector]
        for (k, out) in outs.enumerated() { vectors.append(Vector(name: out.name, type: out.quantity, values: .real(columns[k]))) }
        return Plot(name: nextPlotName("dc"), title: "DC transfer characteristic", vectors: vectors)
    }
}
