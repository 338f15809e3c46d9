/// Typed metadata look-ups that fail with errors naming the key.
extension GGUFFile {
    private func value(_ key: String) throws -> GGUFValue {
        guard let v = metadata[key] else { throw GGUFError.missingKey(key) }
        return v
    }

    private static func describe(_ v: GGUFValue) -> String {
        if case .array(let items) = v, let first = items.first { return "array of \(first.typeName)" }
        return v.typeName
    }

    /// The string stored under `key`.
    public func string(_ key: String) throws -> String {
        let v = try value(key)
        guard let s = v.stringValue else { throw GGUFError.wrongType(key: key, expected: "string", found: Self.describe(v)) }
        return s
    }

    /// The integer (of any stored width) under `key`, which must fit in `Int`.
    public func int(_ key: String) throws -> Int {
        let v = try value(key)
        guard let i = v.intValue else { throw GGUFError.wrongType(key: key, expected: "integer", found: Self.describe(v)) }
        return i
    }

    /// The number under `key` as a `Float` (f32, f64 or any integer).
    public func float(_ key: String) throws -> Float {
        let v = try value(key)
        guard let f = v.floatValue else { throw GGUFError.wrongType(key: key, expected: "number", found: Self.describe(v)) }
        return f
    }

    /// The bool under `key`.
    public func bool(_ key: String) throws -> Bool {
        let v = try value(key)
        guard let b = v.boolValue else { throw GGUFError.wrongType(key: key, expected: "bool", found: Self.describe(v)) }
        return b
    }

    /// The array of strings under `key`.
    public func strings(_ key: String) throws -> [String] {
        try array(key, expected: "array of strings") { $0.stringValue }
    }

    /// The array of numbers under `key` as `Float`s.
    public func floats(_ key: String) throws -> [Float] {
        try array(key, expected: "array of numbers") { $0.floatValue }
    }

    /// The array of integers under `key` as `Int`s.
    public func ints(_ key: String) throws -> [Int] {
        try array(key, expected: "array of integers") { $0.intValue }
    }

    private func array<T>(_ key: String, expected: String, _ convert: (GGUFValue) -> T?) throws -> [T] {
        let v = try value(key)
        guard let items = v.arrayValue else { throw GGUFError.wrongType(key: key, expected: expected, found: Self.describe(v)) }
        var out: [T] = []
        out.reserveCapacity(items.count)
        for item in items {
            guard let x = convert(item) else {
                throw GGUFError.wrongType(key: key, expected: expected, found: "array of \(item.typeName)")
            }
            out.append(x)
        }
        return out
    }
}
