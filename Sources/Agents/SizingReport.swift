import Foundation

/// Writes a run's outputs: the netlist in the challenge's format, report.json, trace.jsonl and
/// report.html with SVG plots drawn here (metric trajectories, Bode per corner, slew waveform).
public enum SizingReport {
    /// Writes every output file into `directory` (created if missing); returns their paths.
    @discardableResult
    public static func write(_ outcome: SizingOutcome, spec: SizingSpec, to directory: String) throws -> [String] {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let base = URL(fileURLWithPath: directory)
        var paths: [String] = []
        func put(_ name: String, _ text: String) throws {
            let url = base.appendingPathComponent(name)
            try text.write(to: url, atomically: true, encoding: .utf8)
            paths.append(url.path)
        }
        try put("amp.spice", netlist(outcome))
        try put("report.json", json(outcome, spec: spec))
        try put("trace.jsonl", try outcome.trace.map { try $0.jsonLine() }.joined(separator: "\n") + "\n")
        try put("report.html", html(outcome, spec: spec))
        return paths
    }

    /// The sized amplifier as the challenge expects it.
    public static func netlist(_ o: SizingOutcome) -> String {
        "* Miller sizing (\(o.design.topology.rawValue), \(o.policy) policy): \(o.status.rawValue)\n"
            + (o.evaluation.fom.map { String(format: "* worst-corner FoM %.1f\n", $0) } ?? "")
            + o.design.subcircuit() + "\n"
    }

    /// The per-corner metrics table as text (the same layout `scripts/signoff` prints).
    public static func table(_ e: Evaluation, corners: [Corner]) -> String {
        let metrics = Metric.allCases
        var lines = ["corner " + metrics.map { $0.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0) }.joined(separator: " ")]
        var failed: Set<String> = []
        for case .measurementFailed(let m, let c, _) in e.flags { failed.insert("\(c.rawValue) \(m.rawValue)"); failed.insert("worst \(m.rawValue)") }
        func row(_ name: String, _ values: [Metric: Double]) -> String {
            name.padding(toLength: 7, withPad: " ", startingAt: 0) + metrics.map { m in
                // A failed measurement reads as such, never as a number (and taints the worst case).
                (failed.contains("\(name) \(m.rawValue)") ? "FAILED" : values[m].map { String(format: "%.4g", $0) } ?? "n/a")
                    .padding(toLength: 12, withPad: " ", startingAt: 0)
            }.joined(separator: " ")
        }
        for c in corners { lines.append(row(c.rawValue, e.perCorner[c] ?? [:])) }
        lines.append(row("worst", e.worst))
        lines.append(e.fom.map { String(format: "FoM %.1f", $0) } ?? "FoM n/a")
        return lines.joined(separator: "\n")
    }

    struct Report: Encodable {
        var status: String
        var explanation: String
        var conflicts: [String]
        var policy: String
        var topology: String
        var perCorner: [String: [String: Double]]
        var worst: [String: Double]
        var margins: [String: Double]
        var fom: Double?
        var meetsSpecs: Bool
        var target: Target?
        var flags: [String]
        var unavailableMetrics: [String]
        var iterations: Int
        var simulations: Int
        var llmCalls: Int
        var llmPromptTokens: Int
        var llmReusedPromptTokens: Int
        var llmGeneratedTokens: Int
        var llmSeconds: Double
        var llmFallbacks: Int
        var wallSeconds: Double
        var openLoopVout: [String: Double]
        var design: Design
        var initiationScript: String
    }

    public static func json(_ o: SizingOutcome, spec: SizingSpec) throws -> String {
        let e = o.evaluation
        let report = Report(
            status: o.status.rawValue, explanation: o.explanation, conflicts: o.conflicts, policy: o.policy,
            topology: o.design.topology.rawValue,
            perCorner: Dictionary(uniqueKeysWithValues: e.perCorner.map { ($0.key.rawValue, Dictionary(uniqueKeysWithValues: $0.value.map { ($0.key.rawValue, $0.value) })) }),
            worst: Dictionary(uniqueKeysWithValues: e.worst.map { ($0.key.rawValue, $0.value) }),
            margins: Dictionary(uniqueKeysWithValues: e.margins.map { ($0.key.rawValue, $0.value) }),
            fom: e.fom, meetsSpecs: e.meetsSpecs, target: spec.target, flags: e.flags.map(\.description),
            unavailableMetrics: o.unavailable.flatMap { SimulationAgent.metrics(of: $0).map(\.rawValue) },
            iterations: o.iterations, simulations: o.simulations, llmCalls: o.llm.calls, llmPromptTokens: o.llm.promptTokens,
            llmReusedPromptTokens: o.llm.reusedPromptTokens, llmGeneratedTokens: o.llm.generatedTokens,
            llmSeconds: o.llm.seconds, llmFallbacks: o.llm.fallbacks, wallSeconds: o.wallSeconds,
            openLoopVout: Dictionary(uniqueKeysWithValues: o.corners.compactMap { c in c.openLoopVout.map { (c.corner.rawValue, $0) } }),
            design: o.design, initiationScript: o.initiationScript)
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return String(decoding: try enc.encode(report), as: UTF8.self) + "\n"
    }

    // MARK: - HTML and SVG

    static let palette: [Corner: String] = [.tt: "#1f77b4", .ff: "#d62728", .ss: "#2ca02c", .fs: "#9467bd", .sf: "#ff7f0e"]

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }

    /// A line chart: series of (x, y) points with a colour and label; optional log x and a horizontal mark.
    static func svg(title: String, series: [(label: String, color: String, points: [(Double, Double)])],
                    logX: Bool = false, xLabel: String, yLabel: String, mark: Double? = nil) -> String {
        let w = 520.0, h = 260.0, left = 56.0, right = 12.0, top = 24.0, bottom = 36.0
        let pts = series.flatMap(\.points).filter { $0.0.isFinite && $0.1.isFinite && (!logX || $0.0 > 0) }
        guard !pts.isEmpty else { return "<p>\(escape(title)): no data</p>" }
        func tx(_ x: Double) -> Double { logX ? log10(x) : x }
        var x0 = pts.map { tx($0.0) }.min()!, x1 = pts.map { tx($0.0) }.max()!
        var y0 = pts.map(\.1).min()!, y1 = pts.map(\.1).max()!
        if let mark { y0 = min(y0, mark); y1 = max(y1, mark) }
        if x1 == x0 { x1 = x0 + 1 }
        if y1 == y0 { y1 = y0 + 1; y0 -= 1 }
        let pad = (y1 - y0) * 0.05; y0 -= pad; y1 += pad
        if x1 - x0 < 1e-12 { x0 -= 1 }
        func px(_ x: Double) -> Double { left + (tx(x) - x0) / (x1 - x0) * (w - left - right) }
        func py(_ y: Double) -> Double { top + (y1 - y) / (y1 - y0) * (h - top - bottom) }
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(w))\" height=\"\(Int(h))\" font-family=\"sans-serif\" font-size=\"11\">"
        s += "<rect x=\"\(left)\" y=\"\(top)\" width=\"\(w - left - right)\" height=\"\(h - top - bottom)\" fill=\"none\" stroke=\"#999\"/>"
        s += "<text x=\"\(w / 2)\" y=\"14\" text-anchor=\"middle\" font-weight=\"bold\">\(escape(title))</text>"
        s += "<text x=\"\(w / 2)\" y=\"\(h - 4)\" text-anchor=\"middle\">\(escape(xLabel))</text>"
        s += "<text x=\"12\" y=\"\(h / 2)\" transform=\"rotate(-90 12 \(h / 2))\" text-anchor=\"middle\">\(escape(yLabel))</text>"
        for k in 0...4 {
            let yv = y0 + Double(k) / 4 * (y1 - y0)
            s += "<text x=\"\(left - 4)\" y=\"\(py(yv) + 4)\" text-anchor=\"end\">\(String(format: "%.3g", yv))</text>"
            let xv = x0 + Double(k) / 4 * (x1 - x0)
            let label = logX ? String(format: "%.3g", pow(10, xv)) : String(format: "%.3g", xv)
            s += "<text x=\"\(left + Double(k) / 4 * (w - left - right))\" y=\"\(h - bottom + 14)\" text-anchor=\"middle\">\(label)</text>"
        }
        if let mark {
            s += "<line x1=\"\(left)\" x2=\"\(w - right)\" y1=\"\(py(mark))\" y2=\"\(py(mark))\" stroke=\"#444\" stroke-dasharray=\"4 3\"/>"
        }
        for (i, ser) in series.enumerated() {
            let p = ser.points.filter { $0.0.isFinite && $0.1.isFinite && (!logX || $0.0 > 0) }
                .map { String(format: "%.1f,%.1f", px($0.0), py(min(max($0.1, y0), y1))) }.joined(separator: " ")
            s += "<polyline fill=\"none\" stroke=\"\(ser.color)\" stroke-width=\"1.5\" points=\"\(p)\"/>"
            s += "<text x=\"\(w - right - 4)\" y=\"\(top + 12 + Double(i) * 12)\" text-anchor=\"end\" fill=\"\(ser.color)\">\(escape(ser.label))</text>"
        }
        return s + "</svg>"
    }

    public static func html(_ o: SizingOutcome, spec: SizingSpec) -> String {
        let corners = spec.corners
        var body = "<h1>Miller sizing report</h1>"
        body += "<p>Policy <b>\(o.policy)</b>, topology \(o.design.topology.rawValue), status <b>\(o.status.rawValue)</b>: \(escape(o.explanation)).</p>"
        body += String(format: "<p>%d iterations, %d simulations, %.1f s wall", o.iterations, o.simulations, o.wallSeconds)
        if o.llm.calls > 0 {
            body += String(format: "; %d LLM calls, %d tokens generated, %.1f s in the LLM", o.llm.calls, o.llm.generatedTokens, o.llm.seconds)
        }
        body += ".</p>"
        if !o.unavailable.isEmpty {
            body += "<p>Unavailable in this simulator build: \(o.unavailable.map(\.rawValue).joined(separator: ", ")) bench(es).</p>"
        }
        if !o.conflicts.isEmpty {
            body += "<h2>Conflicting constraints</h2><ul>" + o.conflicts.map { "<li>\(escape($0))</li>" }.joined() + "</ul>"
        }
        body += "<h2>Metrics per corner</h2><pre>\(escape(table(o.evaluation, corners: corners)))</pre>"
        // Trajectories: each metric per corner across iterations (only the iterations that measured that corner).
        body += "<h2>Trajectories</h2>"
        for m in [Metric.gainDB, .gbwMHz, .pmDeg, .srVPerUs, .idcUA] {
            let series = corners.map { c in
                (label: c.rawValue, color: palette[c] ?? "#000",
                 points: o.trace.compactMap { r -> (Double, Double)? in
                     r.evaluation?.perCorner[c]?[m].map { (Double(r.iteration), $0) }
                 })
            }.filter { !$0.points.isEmpty }
            let bound = spec.constraints[m].flatMap { $0.min ?? $0.max }
            body += svg(title: m.rawValue, series: series, xLabel: "iteration", yLabel: m.rawValue, mark: bound)
        }
        let fom = o.trace.compactMap { r in r.evaluation?.fom.map { (Double(r.iteration), $0) } }
        body += svg(title: "worst-corner FoM", series: [("FoM", "#000", fom)], xLabel: "iteration", yLabel: "FoM")
        body += "<h2>Final Bode plots</h2>"
        let bodes = o.corners.compactMap { c in c.bode.map { (c.corner, $0) } }
        body += svg(title: "open-loop gain", series: bodes.map { (label: $0.0.rawValue, color: palette[$0.0] ?? "#000", points: Array(zip($0.1.x, $0.1.y))) },
                    logX: true, xLabel: "frequency (Hz)", yLabel: "dB", mark: 0)
        body += svg(title: "open-loop phase (reads as PM at 0 dB)",
                    series: bodes.map { (label: $0.0.rawValue, color: palette[$0.0] ?? "#000", points: Array(zip($0.1.x, $0.1.y2 ?? []))) },
                    logX: true, xLabel: "frequency (Hz)", yLabel: "degrees")
        body += "<h2>Slew waveform</h2>"
        let slews = o.corners.compactMap { c in c.slew.map { (c.corner, $0) } }
        body += slews.isEmpty ? "<p>No transient results (the slew bench is unavailable).</p>"
            : svg(title: "Vout, first rising edge", series: slews.map { (label: $0.0.rawValue, color: palette[$0.0] ?? "#000", points: Array(zip($0.1.x, $0.1.y))) },
                  xLabel: "time (µs)", yLabel: "V")
        body += "<h2>Netlist</h2><pre>\(escape(netlist(o)))</pre>"
        body += "<h2>Iterations</h2><table border=\"1\" cellspacing=\"0\" cellpadding=\"3\"><tr><th>#</th><th>stage</th><th>agent</th><th>reasoning</th><th>FoM</th></tr>"
        for r in o.trace {
            body += "<tr><td>\(r.iteration)</td><td>\(r.stage.rawValue)</td><td>\(r.agent)</td><td>\(escape(r.reasoning))</td><td>\(r.evaluation?.fom.map { String(format: "%.0f", $0) } ?? "")</td></tr>"
        }
        body += "</table>"
        return "<!doctype html><html><head><meta charset=\"utf-8\"><title>Miller sizing report</title></head><body style=\"font-family:sans-serif;max-width:1100px\">\(body)</body></html>\n"
    }
}
