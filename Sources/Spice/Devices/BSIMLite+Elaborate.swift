#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Circuit {
    /// Builds a BSIM-lite instance for a `level=8`/`level=49` card; the card's ignored parameters become one
    /// warning per card.
    func makeBSIMLite(_ e: Element, nodes: [Unknown], card: ModelCard, instance: MOSInstance) throws -> Device {
        // Fitted cards (pdk/) carry their fitted W/L range: warn when the instance lies outside it.
        let (card, rangeWarning) = PDKRange.check(card, instance: e.name, l: instance.l ?? 5e-6, w: instance.w ?? 5e-6)
        if let rangeWarning, !warnings.contains(rangeWarning) { warnings.append(rangeWarning) }
        let model = try BSIMLiteModel(card: card, nominalTemperature: nominalTemperature)
        if !model.ignored.isEmpty {
            let line = "\(card.location): warning: BSIM model '\(card.name)' ignores unsupported parameters: "
                + model.ignored.joined(separator: " ")
            if !warnings.contains(line) { warnings.append(line) }
        }
        // A single (unbinned) card is used whatever its LMIN/LMAX/WMIN/WMAX say, as ngspice does.
        return try BSIMLite(name: e.name, nodes: nodes, model: model, instance: instance, circuit: self, location: e.location)
    }
}

extension Circuit {
    /// The card of a binned model set `NAME.1 … NAME.k` whose LMIN ≤ L ≤ LMAX and WMIN ≤ W ≤ WMAX range
    /// holds the instance (ngspice's rule); nil when no card is named `NAME.<n>`, an error naming the
    /// instance and the set when none covers it.
    static func binnedCard(_ name: String, for e: Element, instance: MOSInstance, in deck: Deck) throws -> ModelCard? {
        let base = name.lowercased() + "."
        let bins = deck.models.filter { key, _ in
            key.hasPrefix(base) && !key.dropFirst(base.count).isEmpty && key.dropFirst(base.count).allSatisfy(\.isNumber)
        }.sorted { Int($0.key.dropFirst(base.count))! < Int($1.key.dropFirst(base.count))! }
        guard !bins.isEmpty else { return nil }
        let l = instance.l ?? 5e-6, w = instance.w ?? 5e-6
        for (_, card) in bins {
            let p = card.parameters
            // ngspice 39 takes the first bin with LMIN ≤ L ≤ LMAX and WMIN ≤ W ≤ WMAX (both ends inclusive).
            if l >= (p["lmin"] ?? 0) && l <= (p["lmax"] ?? 1) && w >= (p["wmin"] ?? 0) && w <= (p["wmax"] ?? 1) {
                guard ["nmos", "pmos"].contains(card.type.lowercased()) else {
                    throw SimulationError(.badModel, "model '\(card.name)' of '\(e.name)' has type '\(card.type)', expected nmos or pmos",
                                          subject: e.name, location: card.location)
                }
                return card
            }
        }
        let ranges = bins.map { _, c in
            "\(c.name): L \(c.parameters["lmin"] ?? 0)–\(c.parameters["lmax"] ?? 1), W \(c.parameters["wmin"] ?? 0)–\(c.parameters["wmax"] ?? 1)"
        }
        throw SimulationError(.badModel, "MOSFET '\(e.name)': no bin of model '\(name)' covers L=\(l) W=\(w) (\(ranges.joined(separator: "; ")))",
                              subject: e.name, location: e.location)
    }
}
