/// An error in a netlist: what went wrong and, when known, the file and line where it did.
public struct NetlistError: Error, CustomStringConvertible, Sendable {
    public var location: SourceLocation?
    public var message: String

    public init(_ message: String, at location: SourceLocation? = nil) {
        self.message = message; self.location = location
    }

    /// `file:line: message`, or the bare message when no location is known.
    public var description: String {
        if let location { return "\(location): \(message)" }
        return message
    }

    /// The same error, located at `location` unless it already names a place.
    func located(_ location: SourceLocation) -> NetlistError {
        self.location == nil ? NetlistError(message, at: location) : self
    }
}
