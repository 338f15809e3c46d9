extension ControlSession {
    /// The plot a measurement reads: `plotIndex`, except that a `noise` measurement made while the
    /// integrated-noise plot (which has no scale) is current reads the spectra plot made with it.
    ///
    /// ngspice 39 refuses `meas noise` ("measure limited to tran, dc, sp, or ac analysis"); Miller measures
    /// the spectra (`find inoise_spectrum at=1k`), which is what the noise testbenches ask for.
    func measurementPlot(for m: Measure, default plotIndex: Int) -> Int {
        guard m.analysis == "noise", plotIndex > 0, ControlSession.kind(of: plots[plotIndex]) == "noise",
              plots[plotIndex].vectors.first?.type != .frequency else { return plotIndex }
        return plots[..<plotIndex].lastIndex {
            ControlSession.kind(of: $0) == "noise" && $0.vectors.first?.type == .frequency
        } ?? plotIndex
    }
}
