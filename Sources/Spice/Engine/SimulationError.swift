/// Why a simulation could not run or finish, naming the element or node and where the deck states it.
public struct SimulationError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable, Equatable {
        /// A node (or group of nodes) with no DC path to ground.
        case floatingNode
        /// Voltage sources and/or inductors forming a loop.
        case voltageLoop
        /// The matrix is numerically singular at a node or branch.
        case singularMatrix
        /// Newton's method (with gmin and source stepping) did not converge.
        case noConvergence
        /// A model card is missing or of the wrong type.
        case badModel
        /// A value the device cannot use (zero resistance, negative width...).
        case badValue
        /// An element or name the analysis refers to does not exist.
        case unknownName
        /// A feature the engine does not provide.
        case unsupported
    }

    public var kind: Kind
    public var message: String
    /// The element or node the error is about, as flattened in the deck.
    public var subject: String?
    public var location: SourceLocation?

    public init(_ kind: Kind, _ message: String, subject: String? = nil, location: SourceLocation? = nil) {
        self.kind = kind; self.message = message; self.subject = subject; self.location = location
    }

    public var description: String {
        if let location { return "\(location): error: \(message)" }
        return "error: \(message)"
    }
}
