extension Simulator {
    /// `.op`: the DC operating point as a one-point plot of every node voltage and branch current.
    public func operatingPoint() throws -> Plot {
        try solveOperatingPoint()
        let x = solver.solution
        let vectors = outputs.map { Vector(name: $0.name, type: $0.quantity, values: .real([x[$0.unknown.index]])) }
        return Plot(name: nextPlotName("op"), title: "Operating Point", vectors: vectors)
    }
}
