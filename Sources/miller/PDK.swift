import ArgumentParser
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FoundationEssentials
import Platform
import Spice

/// `miller pdk fit`: fits BSIM-lite cards to the committed sky130 reference data (or checks them).
struct PDK: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pdk", abstract: "Process design kit cards: fit BSIM-lite to foundry data.",
        subcommands: [Fit.self, Bench.self])

    struct Fit: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "fit",
            abstract: "Fit level-8 cards to pdk/sky130/data and write pdk/sky130/sky130.lib.spice (deterministic).")

        @Option(help: "Reference data folder.") var data = "pdk/sky130/data"
        @Option(help: "Library file to write (or to check).") var library = "pdk/sky130/sky130.lib.spice"
        @Option(help: "Corners, comma-separated.") var corners = "tt,ff,ss,fs,sf"
        @Option(help: "Devices, comma-separated.") var devices = "nfet_01v8,pfet_01v8"
        @Option(help: "Only these lengths (µm, comma-separated; with --check use the longest ones).") var lengths: String?
        @Option(help: "LM iterations per stage and length.") var iterations = 40
        @Option(help: "Use every n-th point of each sweep.") var stride = 2
        @Option(help: "Pull of each fit toward its neighbouring geometries' parameters (0: independent fits).") var coherence = 0.01
        @Option(help: "Weight of gds at op-amp bias (saturation, gm/Id 8-20 /V, |Vds| 0.2-1.2 V).") var gdsWeight = 1.6
        @Option(help: "Also write the fit report (markdown + SVG plots) to this file.") var report: String?
        @Flag(help: "Refit and verify the committed library's cards reproduce; writes nothing.") var check = false
        @Flag(help: "Only write --report for the existing library (no fit).") var reportOnly = false

        func run() throws {
            let corners = self.corners.split(separator: ",").map(String.init)
            let devices = self.devices.split(separator: ",").map(String.init)
            let lengths = try self.lengths.map { list in
                try list.split(separator: ",").map { s -> Double in
                    guard let v = Double(s) else { throw ValidationError("bad length '\(s)'") }
                    return v
                }
            }
            let options = PDKFit.Options(iterations: iterations, stride: stride, coherence: coherence, gdsOpAmpWeight: gdsWeight)
            let log: (String) -> Void = { StandardStreams.writeOutput($0 + "\n") }
            if reportOnly {
                guard let report else { throw ValidationError("--report-only needs --report FILE") }
                let md = try PDKReport.write(library: library, data: data, corners: corners, devices: devices, to: report)
                print("wrote \(report) (\(md) plots)")
                return
            }
            if check {
                for line in try PDKPipeline.check(data: data, library: library, corners: corners, devices: devices,
                                                  lengths: lengths, options: options, log: log) {
                    print(line)
                }
                print("check passed")
                return
            }
            let (fits, widths) = try PDKPipeline.fitAll(data: data, corners: corners, devices: devices, lengths: lengths,
                                                        options: options, log: log)
            let text = PDKPipeline.library(fits, widths: widths, options: options)
            try text.write(toFile: library, atomically: true, encoding: .utf8)
            print("wrote \(library)")
            if let report {
                let md = try PDKReport.write(library: library, data: data, corners: corners, devices: devices, to: report)
                print("wrote \(report) (\(md) plots)")
            }
        }
    }

    struct Bench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "bench",
            abstract: "Device evaluations per second of one BSIM-lite instance (DC load with exact Jacobian).")

        @Argument(help: "A deck with the MOSFET and its card.") var deck: String
        @Option(help: "The MOSFET (default: the first).") var element: String?
        @Option(help: "Evaluations per run.") var points = 1_000_000
        @Option(help: "Runs; the median is printed.") var runs = 5

        func run() throws {
            let e = try BSIMLiteEvaluator(deck: Deck.load(path: deck), element: element)
            var rates: [Double] = []
            var checksum = 0.0
            for _ in 0..<max(1, runs) {
                let r = e.throughput(points: points)
                rates.append(r.perSecond); checksum += r.checksum
            }
            rates.sort()
            print(String(printf: "%@: %.3g evaluations/s (median of %d runs of %d; checksum %.6g)",
                         e.name, rates[rates.count / 2], rates.count, points, checksum))
        }
    }
}
