/// Why a control-block line or a measurement could not run, naming the line and what was wrong.
public struct ControlError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// A command the interpreter does not know.
        case unknownCommand
        /// A vector, plot or device parameter that does not exist.
        case unknownVector
        /// An expression or command with bad syntax.
        case syntax
        /// A measurement that never triggered (ngspice reports these as failed).
        case measurementFailed
        /// A command that needs an analysis the engine does not provide yet (`tran`, `noise`).
        case unsupported
        /// A file could not be written.
        case io
        /// The simulator failed inside an analysis command.
        case simulation
    }

    public var kind: Kind
    public var message: String
    public var location: SourceLocation?

    public init(_ kind: Kind, _ message: String, location: SourceLocation? = nil) {
        self.kind = kind; self.message = message; self.location = location
    }

    public var description: String {
        if let location { return "\(location): error: \(message)" }
        return "error: \(message)"
    }
}
