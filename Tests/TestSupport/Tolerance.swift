/// The one tolerance rule every numeric comparison in the tests uses:
/// |actual − expected| ≤ max(|actual|, |expected|) · relative + absolute.
public func isClose(_ actual: Double, _ expected: Double, relative: Double, absolute: Double) -> Bool {
    if actual == expected { return true }
    guard actual.isFinite, expected.isFinite else { return false }
    return abs(actual - expected) <= max(abs(actual), abs(expected)) * relative + absolute
}
