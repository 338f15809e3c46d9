#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FoundationEssentials
import Platform
import Spice

/// First-order process constants Miller measures itself on the model library, for the initiation
/// agent's prompt and sizing scripts: square-law K' and Vth per polarity, λ at a few lengths and the
/// gm/Id curve against current density.
///
/// Units: K' in µA/V², Vth in V (magnitude for PMOS), λ in 1/V, current density Id/(W/L) in µA.
/// Measured at |Vds| = VDD/2, Vbs = 0, 27 °C, on a W = 5 µm device.
public struct ProcessConstants: Sendable, Equatable, Codable {
    public var corner: Corner
    public var nmos: Polarity
    public var pmos: Polarity

    /// One polarity's constants.
    public struct Polarity: Sendable, Equatable, Codable {
        /// µCox from the square law Id = K'/2 · W/L · Vov², the slope of √Id in strong inversion (L = 1 µm).
        public var kPrime: Double
        /// Constant-current threshold (Id = 0.1 µA · W/L at L = 1 µm), V, positive for both types.
        public var vth: Double
        /// Channel-length modulation gds/Id in saturation (Vov ≈ 0.15 V) per channel length (µm).
        public var lambda: [LengthPoint]
        /// gm/Id (1/V) at current densities Id/(W/L) (µA), L = 1 µm: weak inversion at the low end.
        public var gmOverId: [DensityPoint]
    }

    public struct LengthPoint: Sendable, Equatable, Codable { public var lUM: Double; public var value: Double }
    public struct DensityPoint: Sendable, Equatable, Codable { public var densityUA: Double; public var gmOverId: Double }

    /// Constants under the names sizing scripts read (`kp_n`, `vth_p`, `lambda_n_l1`, `gmid_n_d0_1`...).
    public var scriptConstants: [String: Double] {
        var c: [String: Double] = [:]
        for (p, pol) in [("n", nmos), ("p", pmos)] {
            c["kp_\(p)"] = pol.kPrime
            c["vth_\(p)"] = pol.vth
            for l in pol.lambda { c["lambda_\(p)_l\(Self.tag(l.lUM))"] = l.value }
            for d in pol.gmOverId { c["gmid_\(p)_d\(Self.tag(d.densityUA))"] = d.gmOverId }
        }
        return c
    }

    /// `0.5` → `0_5`, `2` → `2` (names the script language accepts).
    static func tag(_ x: Double) -> String {
        spiceNumber(x).replacing(".", with: "_")
    }

    /// The constants as prompt lines, each with the name a script may use.
    public var promptText: String {
        func f(_ x: Double, _ digits: Int) -> String { String(printf: "%.\(digits)g", x) }
        var lines = ["Process constants measured on the model library (corner \(corner.rawValue), 27 C, |Vds| = VDD/2, W = \(spiceNumber(Self.widthUM)) um):"]
        for (name, p, pol) in [("NMOS", "n", nmos), ("PMOS", "p", pmos)] {
            lines.append("- \(name): kp_\(p) = \(f(pol.kPrime, 4)) uA/V^2 (K' = u*Cox), vth_\(p) = \(String(printf: "%.3f", pol.vth)) V")
            lines.append("  lambda (1/V) by L: " + pol.lambda.map {
                "lambda_\(p)_l\(Self.tag($0.lUM)) = \(f($0.value, 3)) at L = \(spiceNumber($0.lUM)) um"
            }.joined(separator: ", "))
            lines.append("  gm/Id (1/V) by Id/(W/L) (uA), L = 1 um: " + pol.gmOverId.map {
                "gmid_\(p)_d\(Self.tag($0.densityUA)) = \(String(printf: "%.1f", $0.gmOverId)) at \(spiceNumber($0.densityUA))"
            }.joined(separator: ", "))
        }
        return lines.joined(separator: "\n")
    }
}

/// Why process constants could not be measured.
public enum ProcessConstantsError: Error, CustomStringConvertible, Sendable, Equatable {
    case library(path: String, message: String)
    case noCards(path: String, model: String)
    case device(model: String, message: String)
    case noSaturation(model: String)

    public var description: String {
        switch self {
        case .library(let p, let m): return "process constants: cannot read model library '\(p)': \(m)"
        case .noCards(let p, let m): return "process constants: '\(p)' has no cards for model '\(m)'"
        case .device(let m, let msg): return "process constants: model '\(m)': \(msg)"
        case .noSaturation(let m): return "process constants: model '\(m)' never conducts in the Vgs sweep"
        }
    }
}

extension ProcessConstants {
    /// Lengths (µm) at which λ is measured, and the current densities (µA per square) of the gm/Id points.
    public static let lambdaLengths: [Double] = [0.5, 1, 2]
    public static let densities: [Double] = [0.01, 0.1, 1, 10]
    /// Width of the swept device, µm (one finger): a fitted grid width of the sky130 cards, wide enough that
    /// narrow-width effects do not colour the per-square constants.
    public static let widthUM = 5.0

    /// Measures the constants of `corner` in `library` (sky130 cell names), cached per library file
    /// (path, size, modification time) and corner: the first call per corner costs milliseconds, later
    /// ones nothing.
    public static func measure(library: ModelLibrary, corner: Corner, vdd: Double = 1.8) throws(ProcessConstantsError) -> ProcessConstants {
        let attributes = try? FileManager.default.attributesOfItem(atPath: library.path)
        let stamp = "\((attributes?[.size] as? Int) ?? -1)|\((attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)"
        let key = "\(library.path)|\(stamp)|\(corner.rawValue)|\(vdd)"
        if let hit = cache.get(key) { return hit }
        let deckText = """
            * process constants
            \(library.line(corner))
            xn d g 0 0 sky130_fd_pr__nfet_01v8 w=5 l=1
            xp d g 0 0 sky130_fd_pr__pfet_01v8 w=5 l=1
            .end

            """
        let deck: Deck
        do { deck = try Deck.parse(deckText, file: "<process constants>") } catch {
            throw .library(path: library.path, message: "\(error)")
        }
        // The cells wrap a model card (or a binned set); the flattened deck names which.
        func model(_ instance: String, _ cell: String) throws(ProcessConstantsError) -> String {
            for e in deck.elements where e.name.lowercased().split(separator: ".").contains(Substring(instance)) {
                if case .mosfet(let m, _) = e.kind { return m.lowercased() }
            }
            throw .noCards(path: library.path, model: cell)
        }
        let n = try polarity(deck: deck, model: model("xn", "sky130_fd_pr__nfet_01v8"), sign: 1, vdd: vdd, path: library.path)
        let p = try polarity(deck: deck, model: model("xp", "sky130_fd_pr__pfet_01v8"), sign: -1, vdd: vdd, path: library.path)
        let result = ProcessConstants(corner: corner, nmos: n, pmos: p)
        cache.set(key, result)
        return result
    }

    private static let cache = ConstantsCache()

    /// Sweeps one polarity: √Id fit for K' and Vth, gds/Id at three lengths, gm/Id against density.
    static func polarity(deck: Deck, model: String, sign: Double, vdd: Double, path: String) throws(ProcessConstantsError) -> Polarity {
        let cards = deck.models.values.filter { $0.name.lowercased() == model || $0.name.lowercased().hasPrefix(model + ".") }
        guard !cards.isEmpty else { throw .noCards(path: path, model: model) }
        let w = widthUM
        func evaluator(l: Double) throws(ProcessConstantsError) -> BSIMLiteEvaluator {
            do {
                return try BSIMLiteEvaluator(cards: cards, model: model, instance: MOSInstance(w: w * 1e-6, l: l * 1e-6))
            } catch { throw .device(model: model, message: "\(error)") }
        }
        let vds = sign * vdd / 2
        // Vgs sweep, 5 mV steps, at L = 1 µm: current and gm (device polarity: magnitudes).
        let e1 = try evaluator(l: 1)
        let steps = Int((vdd / 0.005).rounded())
        var vgs: [Double] = [], id: [Double] = [], gm: [Double] = []
        for k in 1...steps {
            let v = Double(k) * 0.005
            let r = e1.current(vgs: sign * v, vds: vds, vbs: 0)
            vgs.append(v); id.append(abs(r.id)); gm.append(abs(r.gm))
        }
        // Vth: the constant-current threshold, Id = 0.1 µA·W/L (robust where a card's weak-to-strong
        // inversion transition has a kink). K': least-squares slope of √Id against Vgs over the strong-
        // inversion stretch (10 % to 50 % of the current at |Vgs| = VDD), so K'/2·W/L·Vov² fits there.
        guard let top = id.last, top > 0 else { throw .noSaturation(model: model) }
        let threshold = 0.1e-6 * (w / 1)
        guard let k0 = id.indices.dropFirst().first(where: { id[$0] >= threshold }), id[k0 - 1] > 0 else {
            throw .noSaturation(model: model)
        }
        let vth = vgs[k0 - 1] + (vgs[k0] - vgs[k0 - 1]) * log(threshold / id[k0 - 1]) / log(id[k0] / id[k0 - 1])
        let fit = id.indices.filter { id[$0] >= 0.1 * top && id[$0] <= 0.5 * top }
        guard fit.count >= 3 else { throw .noSaturation(model: model) }
        let xs = fit.map { vgs[$0] }, ys = fit.map { id[$0].squareRoot() }
        let mx = xs.reduce(0, +) / Double(xs.count), my = ys.reduce(0, +) / Double(ys.count)
        let sxy = zip(xs, ys).reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) }
        let sxx = xs.reduce(0) { $0 + ($1 - mx) * ($1 - mx) }
        let slope = sxy / sxx
        guard slope > 0 else { throw .noSaturation(model: model) }
        let kPrime = 2 * slope * slope / (w / 1) * 1e6
        // λ = gds/Id at Vov = 0.15 V (the overdrive analog stages run at), per length.
        var lambda: [LengthPoint] = []
        for l in lambdaLengths {
            let e = try evaluator(l: l)
            let r = e.current(vgs: sign * (vth + 0.15), vds: vds, vbs: 0)
            if abs(r.id) > 0 { lambda.append(LengthPoint(lUM: l, value: abs(r.gds) / abs(r.id))) }
        }
        // gm/Id at each density, interpolated in log(Id) on the sweep.
        var curve: [DensityPoint] = []
        for d in densities {
            let target = d * 1e-6 * (w / 1)
            guard let k = id.indices.dropFirst().first(where: { id[$0] >= target }), id[k - 1] > 0 else { continue }
            let t = log(target / id[k - 1]) / log(id[k] / id[k - 1])
            let ratio0 = gm[k - 1] / id[k - 1], ratio1 = gm[k] / id[k]
            curve.append(DensityPoint(densityUA: d, gmOverId: ratio0 + t * (ratio1 - ratio0)))
        }
        return Polarity(kPrime: kPrime, vth: vth, lambda: lambda, gmOverId: curve)
    }
}

/// Measured constants by library stamp and corner (thread-safe).
final class ConstantsCache: @unchecked Sendable {
    private let lock = Lock()
    private var entries: [String: ProcessConstants] = [:]
    func get(_ key: String) -> ProcessConstants? { lock.lock(); defer { lock.unlock() }; return entries[key] }
    func set(_ key: String, _ value: ProcessConstants) { lock.lock(); entries[key] = value; lock.unlock() }
}
