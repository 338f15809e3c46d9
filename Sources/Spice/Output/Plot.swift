/// What an analysis produces: ngspice's notion of a plot, a set of equally long vectors over one scale.
public struct Plot: Sendable {
    /// ngspice's plot name: `op1`, `dc1`, `ac1`, `tran1`, `noise1`, ...
    public var name: String
    /// ngspice's plot title line ("Operating Point", "DC transfer characteristic", "AC Analysis", ...).
    public var title: String
    /// The first vector is the scale (absent for `op`).
    public var vectors: [Vector]
    public init(name: String, title: String, vectors: [Vector]) {
        self.name = name; self.title = title; self.vectors = vectors
    }
    public func vector(named name: String) -> Vector? {
        let key = name.lowercased()
        return vectors.first { $0.name.lowercased() == key }
    }
}

/// One named vector, real or complex, with ngspice's name and type.
public struct Vector: Sendable {
    /// As ngspice names it: `v(out)`, `i(v1)`, `frequency`, `v-sweep`, `time`, `@m1[gm]`.
    public var name: String
    public var type: Quantity
    public var values: Values

    public enum Quantity: String, Sendable {
        case time, frequency, voltage, current, notype
        /// Noise spectra and totals, as ngspice types them in raw files.
        case voltageDensity = "voltage-density", voltageSquared = "voltage^2"
        /// Input-referred noise of a current-source input.
        case currentDensity = "current-density"
    }

    public enum Values: Sendable {
        case real([Double])
        case complex(re: [Double], im: [Double])
        public var count: Int {
            switch self { case .real(let v): v.count; case .complex(let re, _): re.count }
        }
    }

    public init(name: String, type: Quantity, values: Values) {
        self.name = name; self.type = type; self.values = values
    }
}
