#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Platform

extension ControlSession {
    /// Measures on a plot; the result is printed (`name = value ...`) and kept for later expressions.
    /// A measurement that never triggers prints ngspice's failure lines and throws.
    func measure(_ m: Measure, plotIndex: Int, dotCard: Bool) throws -> MeasureResult {
        let plot = plots[plotIndex]
        let scale = scale(ofPlot: plotIndex).map(ControlFormat.reals) ?? [0]
        let data = Measure.Data(
            scale: scale, kind: ControlSession.kind(of: plot),
            vector: { [unowned self] e in
                let v = try evaluate(e, plot: plotIndex)
                return v.isComplex ? (0..<v.count).map { v.magnitude(at: $0) } : v.re
            },
            scalar: { [unowned self] e in
                let v = try evaluate(e, plot: plotIndex)
                guard v.count >= 1 else { throw ControlError(.syntax, "empty value in meas") }
                return v.re[0]
            })
        do {
            let result = try m.evaluate(data)
            recordMeasurement(result.name, result.value)
            return result
        } catch let error as ControlError where error.kind == .measurementFailed || error.kind == .unknownVector {
            emit("Error: \(error.message)\n \(dotCard ? ".meas" : "meas") \(m.text) failed!\n")
            throw ControlError(.measurementFailed, "measurement '\(m.name)' failed (\(error.message))", location: m.location)
        }
    }

    /// The control-block `meas` command: measures on the current plot and prints the result.
    func measureCommand(_ text: String, location: SourceLocation?) throws {
        let m = try Measure.parse(text, location: location)
        do {
            let result = try measure(m, plotIndex: measurementPlot(for: m, default: current), dotCard: false)
            emit(result.line + "\n")
        } catch let error as ControlError where error.kind == .measurementFailed {
            // ngspice goes on after a failed measurement; the failure is already printed.
            failedMeasurements.append(error)
        }
    }

    /// The deck's `.meas` cards for this plot's analysis kind, printed under ngspice's heading.
    func runDeckMeasurements(for plot: Plot) throws {
        let kind = ControlSession.kind(of: plot)
        let cards = deck.measurements
        guard !cards.isEmpty else { return }
        let parsed = try cards.map { card -> Measure in
            var text = card.text.trimmingWhitespace()
            if let word = text.split(separator: " ").first, word.lowercased().hasPrefix(".meas") { text = String(text.dropFirst(word.count)) }
            return try Measure.parse(text, location: card.location)
        }
        let mine = parsed.filter { $0.analysis == kind }
        guard !mine.isEmpty else { return }
        let titles = ["ac": "AC", "dc": "DC", "tran": "Transient", "noise": "Noise", "sp": "SP"]
        emit("\n  Measurements for \(titles[kind] ?? kind) Analysis\n\n")
        var lines: [String] = []
        for m in mine {
            do {
                let result = try measure(m, plotIndex: measurementPlot(for: m, default: plots.count - 1), dotCard: true)
                if case .param = m.spec {
                    lines.append(ControlFormat.padded(result.name, 20) + "=  " + ControlFormat.printValue(result.value))
                } else {
                    lines.append(result.line)
                }
            } catch let error as ControlError where error.kind == .measurementFailed {
                failedMeasurements.append(error)
            }
        }
        emit(lines.map { $0 + "\n" }.joined() + "\n")
    }
}
