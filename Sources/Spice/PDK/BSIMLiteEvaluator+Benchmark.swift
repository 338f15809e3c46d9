#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch

extension BSIMLiteEvaluator {
    /// The evaluator of a deck's MOSFET `element` (the first MOSFET when nil), as the deck elaborates it
    /// (`.options scale` and `temp` applied; subcircuit instances by their flattened name).
    public convenience init(deck: Deck, element: String? = nil) throws {
        let mosfets = deck.elements.filter { if case .mosfet = $0.kind { return true } else { return false } }
        guard let e = element.map({ name in mosfets.first { $0.name.lowercased() == name.lowercased() } }) ?? mosfets.first,
              case .mosfet(let model, let instance) = e.kind else {
            throw SimulationError(.unknownName, "no MOSFET \(element.map { "'\($0)' " } ?? "")in the deck", subject: element ?? "")
        }
        try self.init(cards: Array(deck.models.values), model: model, instance: instance, temperature: deck.options.temp,
                      nominalTemperature: deck.options.tnom, name: e.name)
    }

    /// Device evaluations per second of the DC load with its Jacobian (`current`), sweeping Vgs over
    /// `points` values from 0 to `vgsMax` at `vds` (circuit polarity); returns the rate and a checksum of the
    /// currents (so the work cannot be optimized away).
    public func throughput(points: Int, vgsMax: Double = 1.8, vds: Double = 0.9, vbs: Double = 0) -> (perSecond: Double, checksum: Double) {
        let n = max(points, 1)
        let step = vgsMax / Double(n)
        var sum = 0.0
        let start = DispatchTime.now().uptimeNanoseconds
        for i in 0..<n {
            let y = current(vgs: polarity * Double(i) * step, vds: polarity * vds, vbs: vbs)
            sum += y.id + y.gm + y.gds + y.gmbs
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
        return (Double(n) / max(seconds, 1e-9), sum)
    }
}
