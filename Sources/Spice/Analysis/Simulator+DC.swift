extension Simulator {
    /// `.dc`: sweeps one source (inner loop) or two (the second is the outer loop), warm-starting each
    /// point from the previous solution; the sources' dc values are restored afterwards.
    public func dcSweep(_ sweeps: [DCSweep]) throws -> Plot {
        guard let inner = sweeps.first, sweeps.count <= 2 else {
            throw SimulationError(.badValue, ".dc needs one or two sweeps, got \(sweeps.count)")
        }
        let sources = try sweeps.map { sweep -> SweepableSource in
            guard let source = circuit.deviceIndex[sweep.source.lowercased()] as? SweepableSource else {
                throw SimulationError(.unknownName, ".dc sweeps '\(sweep.source)', which is not an independent voltage or current source in the circuit",
                                      subject: sweep.source)
            }
            return source
        }
        let saved = sources.map(\.dcValue)
        defer { for (source, value) in zip(sources, saved) { source.dcValue = value } }
        let outer = sweeps.count == 2 ? sweeps[1].values : [0]
        let outs = outputs
        var scale: [Double] = []
        var columns = [[Double]](repeating: [], count: outs.count)
        var first = true
        for outerValue in outer {
            if sources.count == 2 { sources[1].dcValue = outerValue }
            for value in inner.values {
                sources[0].dcValue = value
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
        solver.load(mode: .smallSignal, diagonalGmin: 0, sourceFactor: 1)
        let scaleName = sources[0].isVoltage ? "v(v-sweep)" : "i(i-sweep)"
        var vectors = [Vector(name: scaleName, type: sources[0].isVoltage ? .voltage : .current, values: .real(scale))]
        for (k, out) in outs.enumerated() { vectors.append(Vector(name: out.name, type: out.quantity, values: .real(columns[k]))) }
        return Plot(name: nextPlotName("dc"), title: "DC transfer characteristic", vectors: vectors)
    }
}
