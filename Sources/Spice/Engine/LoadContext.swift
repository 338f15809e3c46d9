#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How far the Newton iteration is: the first iteration seeds junctions, the small-signal load at the
/// converged point skips limiting.
enum LoadMode: Sendable { case initJunction, float, smallSignal }

/// What a device sees while it loads the linearized DC system: the present iterate, the matrix values and
/// right-hand side to add into, and the iteration's settings.
///
/// The pointers are valid only during one load pass; devices add through their pre-bound slots.
struct LoadContext {
    let matrix: UnsafeMutablePointer<Double>
    let rhs: UnsafeMutablePointer<Double>
    let solution: UnsafePointer<Double>
    var mode: LoadMode
    var gmin: Double
    /// Source stepping scales every independent source by this factor.
    var sourceFactor: Double
    /// Set by a device when it limited a junction voltage (the iterate cannot count as converged).
    var limited = false
    let reltol: Double
    let abstol: Double
    /// The node voltage tolerance (VNTOL), for devices that skip re-evaluation when their terminals hold still.
    var vntol = 1e-6
    /// Present during a transient analysis (its operating point included): the time, the charge
    /// history and the integration formula. Nil in `.op`, `.dc` and `.ac`.
    var transient: IntegrationStep? = nil

    @inline(__always) func voltage(_ u: Unknown) -> Double { solution[u.index] }
    @inline(__always) func voltage(_ a: Unknown, _ b: Unknown) -> Double { solution[a.index] - solution[b.index] }

    @inline(__always) func add(_ value: Double, at slot: MatrixSlot) { matrix[slot.index] += value }

    /// Stamps a conductance between the pair's two nodes.
    @inline(__always) func conductance(_ g: Double, between p: PairSlots) {
        matrix[p.aa.index] += g; matrix[p.bb.index] += g
        matrix[p.ab.index] -= g; matrix[p.ba.index] -= g
    }

    /// Stamps a current `gm·(v(p) − v(n))` flowing from `a` through the device to `b`.
    @inline(__always) func transconductance(_ gm: Double, _ q: QuadSlots) {
        matrix[q.ap.index] += gm; matrix[q.bn.index] += gm
        matrix[q.an.index] -= gm; matrix[q.bp.index] -= gm
    }

    /// Stamps a constant current flowing from `a` through the device to `b` (a Norton equivalent).
    @inline(__always) func current(_ i: Double, from a: Unknown, to b: Unknown) {
        rhs[a.index] -= i; rhs[b.index] += i
    }

    /// Adds to the right-hand side row of `u` (a branch equation's source term).
    @inline(__always) func source(_ value: Double, at u: Unknown) { rhs[u.index] += value }
}

/// What a device sees while it loads its capacitances (dq/dv) at the operating point; the analysis forms
/// G + jωC from these and the DC Jacobian (transient will integrate the same charges).
struct ReactiveContext {
    let matrix: UnsafeMutablePointer<Double>
    let solution: UnsafePointer<Double>

    @inline(__always) func voltage(_ a: Unknown, _ b: Unknown) -> Double { solution[a.index] - solution[b.index] }
    @inline(__always) func add(_ value: Double, at slot: MatrixSlot) { matrix[slot.index] += value }
    @inline(__always) func capacitance(_ c: Double, between p: PairSlots) {
        matrix[p.aa.index] += c; matrix[p.bb.index] += c
        matrix[p.ab.index] -= c; matrix[p.ba.index] -= c
    }
    @inline(__always) func transcapacitance(_ c: Double, _ q: QuadSlots) {
        matrix[q.ap.index] += c; matrix[q.bn.index] += c
        matrix[q.an.index] -= c; matrix[q.bp.index] -= c
    }
}

/// The small-signal excitation of independent sources: complex right-hand side, split in parts.
struct ACSourceContext {
    let re: UnsafeMutablePointer<Double>
    let im: UnsafeMutablePointer<Double>
    @inline(__always) func add(magnitude: Double, phaseDegrees: Double, at u: Unknown, sign: Double = 1) {
        let phase = phaseDegrees * .pi / 180
        re[u.index] += sign * magnitude * cos(phase)
        im[u.index] += sign * magnitude * sin(phase)
    }
}
