#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FoundationEssentials
import Platform

/// What can go wrong reading the reference dataset, fitting, or checking cards.
public enum PDKError: Error, CustomStringConvertible {
    case missingFile(String)
    case badFile(String, String)
    case badArgument(String)
    case checkFailed(String)

    public var description: String {
        switch self {
        case .missingFile(let path): "pdk: file not found: \(path)"
        case .badFile(let path, let why): "pdk: \(path): \(why)"
        case .badArgument(let why): "pdk: \(why)"
        case .checkFailed(let why): "pdk check failed: \(why)"
        }
    }
}

/// One DC bias point of the foundry reference (a row of `<device>-<corner>.f32`), in the data's units
/// (µm, V, A, S, F); PMOS voltages signed as applied, currents and conductances as magnitudes.
public struct PDKPoint: Sendable {
    public var temp: Double, w: Double, l: Double, vgs: Double, vds: Double, vbs: Double
    public var id: Double, gm: Double, gds: Double, gmbs: Double, vth: Double
}

/// One AC small-signal point (a row of `<device>-<corner>-ac.f32`): terminal capacitances at 1 MHz.
public struct PDKACPoint: Sendable {
    public var temp: Double, w: Double, l: Double, vgs: Double, vds: Double, vbs: Double
    public var cgg: Double, cgd: Double, cdg: Double, cdd: Double, gm: Double, gds: Double
}

/// The committed sky130 reference data of one device in one corner (see `pdk/sky130/data/README.md`).
public struct PDKDataset: Sendable {
    public var device: String
    public var corner: String
    public var points: [PDKPoint]
    public var ac: [PDKACPoint]

    /// Device short names as the files use them.
    public static let devices = ["nfet_01v8", "pfet_01v8"]
    public static let corners = ["tt", "ff", "ss", "fs", "sf"]

    /// The two sets of geometries: the fitted grid, and the held-out geometries between its points.
    public enum Subset: String, Sendable {
        case grid, mid
        /// The file name suffix after `<device>-<corner>`.
        var suffix: String { self == .grid ? "" : "-mid" }
    }

    /// Reads `<folder>/<device>-<corner>.f32` and its `-ac.f32` companion (`-mid.f32`, `-mid-ac.f32` for
    /// the held-out set).
    public static func load(folder: String, device: String, corner: String, set: Subset = .grid) throws -> PDKDataset {
        let dc = try readFloats(folder + "/\(device)-\(corner)\(set.suffix).f32", columns: 20)
        let ac = try readFloats(folder + "/\(device)-\(corner)\(set.suffix)-ac.f32", columns: 12)
        let points = dc.map { r in
            PDKPoint(temp: r[0], w: grid(r[1]), l: grid(r[2]), vgs: r[3], vds: r[4], vbs: r[5], id: r[6], gm: r[7], gds: r[8],
                     gmbs: r[9], vth: r[10])
        }
        let acPoints = ac.map { r in
            PDKACPoint(temp: r[0], w: grid(r[1]), l: grid(r[2]), vgs: r[3], vds: r[4], vbs: r[5], cgg: r[6], cgd: r[7], cdg: r[8],
                       cdd: r[9], gm: r[10], gds: r[11])
        }
        return PDKDataset(device: device, corner: corner, points: points, ac: acPoints)
    }

    /// A float32 geometry back to the decimal it was written as (6 significant digits: 0.15, not 0.15000001).
    static func grid(_ v: Double) -> Double { Double(String(printf: "%.6g", v)) ?? v }

    /// Little-endian float32 rows of `columns` values.
    static func readFloats(_ path: String, columns: Int) throws -> [[Double]] {
        guard let data = FileManager.default.contents(atPath: path) else { throw PDKError.missingFile(path) }
        let rowBytes = 4 * columns
        guard data.count % rowBytes == 0 else {
            throw PDKError.badFile(path, "size \(data.count) is not a multiple of \(rowBytes) bytes (\(columns) float32 columns)")
        }
        var rows: [[Double]] = []
        rows.reserveCapacity(data.count / rowBytes)
        data.withUnsafeBytes { raw in
            var row = [Double](repeating: 0, count: columns)
            for r in 0..<(data.count / rowBytes) {
                for c in 0..<columns {
                    let bits = raw.loadUnaligned(fromByteOffset: r * rowBytes + 4 * c, as: UInt32.self)
                    row[c] = Double(Float(bitPattern: UInt32(littleEndian: bits)))
                }
                rows.append(row)
            }
        }
        for (i, r) in rows.enumerated() where r.contains(where: { !$0.isFinite }) {
            throw PDKError.badFile(path, "row \(i) holds a non-finite value")
        }
        return rows
    }

    /// The distinct lengths and widths (µm), ascending.
    public var lengths: [Double] { Array(Set(points.map(\.l))).sorted() }
    public var widths: [Double] { Array(Set(points.map(\.w))).sorted() }
    /// The distinct geometries (W, L in µm), by W then L.
    public var geometries: [(w: Double, l: Double)] {
        var seen = Set<String>(), out: [(w: Double, l: Double)] = []
        for p in points where seen.insert("\(p.w)/\(p.l)").inserted { out.append((p.w, p.l)) }
        return out.sorted { ($0.w, $0.l) < ($1.w, $1.l) }
    }
}
