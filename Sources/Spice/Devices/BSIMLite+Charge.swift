import Foundation

extension BSIMLite {
    /// Charge-model operating-point quantities (`cgg`, `cgs`, `cgd`...), nil when unknown.
    func chargeParameter(_ name: String) -> Double? { nil }
}
