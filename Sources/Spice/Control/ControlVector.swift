#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A value of the control language: a named real or complex vector, with the scale it was made over.
public struct ControlVector: Sendable {
    public var name: String
    public var re: [Double]
    /// Imaginary parts; nil for a real vector.
    public var im: [Double]?
    public var type: Vector.Quantity
    /// The plot scale this vector runs over (frequency, sweep), when it has one.
    public var scale: Vector?

    public init(name: String, re: [Double], im: [Double]? = nil, type: Vector.Quantity = .notype, scale: Vector? = nil) {
        self.name = name; self.re = re; self.im = im; self.type = type; self.scale = scale
    }

    public init(_ vector: Vector, scale: Vector?) {
        name = vector.name; type = vector.type; self.scale = scale
        switch vector.values {
        case .real(let v): re = v; im = nil
        case .complex(let r, let i): re = r; im = i
        }
    }

    public static func scalar(_ value: Double, name: String) -> ControlVector {
        ControlVector(name: name, re: [value])
    }

    public var count: Int { re.count }
    public var isComplex: Bool { im != nil }

    /// As a `Vector` for plots and raw files.
    public var asVector: Vector {
        Vector(name: name, type: type, values: im.map { .complex(re: re, im: $0) } ?? .real(re))
    }

    /// The value ngspice uses where a real number is wanted: the real part.
    public func real(at index: Int) -> Double { re[index] }

    func magnitude(at i: Int) -> Double {
        guard let im else { return abs(re[i]) }
        return (re[i] * re[i] + im[i] * im[i]).squareRoot()
    }
}
