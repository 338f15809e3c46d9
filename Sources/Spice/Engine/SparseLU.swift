import CKLU

/// The one place KLU is called: real and complex sparse LU over a fixed compressed-column pattern.
///
/// The pattern is analysed once; each Newton iteration refactors in place (same pivots), falling back to a
/// full factorization when the refactored pivots become poor. No C type leaves this file.
final class SparseLU {
    /// Why a factorization failed: the matrix is numerically singular at `column` (an unknown index), or
    /// KLU reported something else.
    enum Failure: Error { case singular(column: Int), failed(status: Int) }

    let size: Int
    private let columnStarts: [Int32]
    private let rowIndices: [Int32]
    private var common = klu_common()
    private var symbolic: UnsafeMutablePointer<klu_symbolic>?
    private var numeric: UnsafeMutablePointer<klu_numeric>?
    private var complexNumeric: UnsafeMutablePointer<klu_numeric>?

    /// Analyzes the pattern (column starts of length n+1 and row indices, both zero-based).
    init(size: Int, columnStarts: [Int], rowIndices: [Int]) throws {
        self.size = size
        self.columnStarts = columnStarts.map { Int32($0) }
        self.rowIndices = rowIndices.map { Int32($0) }
        klu_defaults(&common)
        common.halt_if_singular = 1
        var ap = self.columnStarts, ai = self.rowIndices
        symbolic = klu_analyze(Int32(size), &ap, &ai, &common)
        if symbolic == nil { throw Failure.failed(status: Int(common.status)) }
    }

    deinit {
        if numeric != nil { klu_free_numeric(&numeric, &common) }
        if complexNumeric != nil { klu_z_free_numeric(&complexNumeric, &common) }
        if symbolic != nil { klu_free_symbolic(&symbolic, &common) }
    }

    /// Factors real values (in pattern order), refactoring when a factorization already exists.
    func factor(_ values: UnsafeMutableBufferPointer<Double>) throws {
        try columnStarts.withUnsafeBufferPointer { apb in
            try rowIndices.withUnsafeBufferPointer { aib in
                let ap = UnsafeMutablePointer(mutating: apb.baseAddress!)
                let ai = UnsafeMutablePointer(mutating: aib.baseAddress!)
                if numeric != nil {
                    let ok = klu_refactor(ap, ai, values.baseAddress, symbolic, numeric, &common)
                    if ok == 1 && common.status == KLU_OK {
                        klu_rcond(symbolic, numeric, &common)
                        if common.rcond > 1e-13 { return }
                    }
                    klu_free_numeric(&numeric, &common)
                }
                numeric = klu_factor(ap, ai, values.baseAddress, symbolic, &common)
                if numeric == nil || common.status != KLU_OK {
                    if numeric != nil { klu_free_numeric(&numeric, &common) }
                    if common.status == KLU_SINGULAR { throw Failure.singular(column: Int(common.singular_col)) }
                    throw Failure.failed(status: Int(common.status))
                }
            }
        }
    }

    /// Solves in place with the last real factorization.
    func solve(_ rhs: UnsafeMutableBufferPointer<Double>) {
        klu_solve(symbolic, numeric, Int32(size), 1, rhs.baseAddress, &common)
    }

    /// Factors complex values stored interleaved (re, im) in pattern order.
    func factorComplex(_ values: UnsafeMutableBufferPointer<Double>) throws {
        try columnStarts.withUnsafeBufferPointer { apb in
            try rowIndices.withUnsafeBufferPointer { aib in
                let ap = UnsafeMutablePointer(mutating: apb.baseAddress!)
                let ai = UnsafeMutablePointer(mutating: aib.baseAddress!)
                if complexNumeric != nil {
                    let ok = klu_z_refactor(ap, ai, values.baseAddress, symbolic, complexNumeric, &common)
                    if ok == 1 && common.status == KLU_OK {
                        klu_z_rcond(symbolic, complexNumeric, &common)
                        if common.rcond > 1e-13 { return }
                    }
                    klu_z_free_numeric(&complexNumeric, &common)
                }
                complexNumeric = klu_z_factor(ap, ai, values.baseAddress, symbolic, &common)
                if complexNumeric == nil || common.status != KLU_OK {
                    if complexNumeric != nil { klu_z_free_numeric(&complexNumeric, &common) }
                    if common.status == KLU_SINGULAR { throw Failure.singular(column: Int(common.singular_col)) }
                    throw Failure.failed(status: Int(common.status))
                }
            }
        }
    }

    /// Solves in place (interleaved re, im) with the last complex factorization.
    func solveComplex(_ rhs: UnsafeMutableBufferPointer<Double>) {
        klu_z_solve(symbolic, complexNumeric, Int32(size), 1, rhs.baseAddress, &common)
    }
}
