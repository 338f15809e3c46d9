/// A JSON-schema subset compiled to a table of nodes that the constraint automaton walks.
///
/// Supported: `type` object (with `properties`, `required`, `additionalProperties`), array (`items`,
/// `minItems`, `maxItems`), string (`minLength`, `maxLength`), number, integer, boolean, null;
/// `enum` and `const` of any JSON values; `{}` or `true` for any JSON value.
struct JSONSchema: Sendable, Hashable {
    enum Node: Sendable, Hashable {
        case any
        case object(keys: [[UInt8]], children: [Int], required: [Bool], additional: Int?)
        case array(items: Int, minItems: Int, maxItems: Int)
        case string(minLength: Int, maxLength: Int)
        case number
        case integer
        case boolean
        case null
        /// Exact texts (compact canonical JSON) of the allowed values.
        case literals([[UInt8]])
    }

    var nodes: [Node] = []
    /// Node index of the schema's root.
    var root = 0
    /// Nodes for the parts of "any JSON value": an object with any members, an array of anything, the literals.
    var anyObject = 0, anyArray = 0, anyLiterals = 0

    init(_ text: String) throws {
        let value: JSONValue
        do { value = try JSONValue.parse(text) } catch { throw ConstraintError.invalidSchema("not JSON: \(error)") }
        let any = push(.any)
        anyObject = push(.object(keys: [], children: [], required: [], additional: any))
        anyArray = push(.array(items: any, minItems: 0, maxItems: Int.max))
        anyLiterals = push(.literals([Array("true".utf8), Array("false".utf8), Array("null".utf8)]))
        root = try add(value, path: "#")
    }

    private mutating func add(_ v: JSONValue, path: String) throws -> Int {
        if case .bool(true) = v { return push(.any) }
        guard case .object(let members) = v else { throw ConstraintError.invalidSchema("\(path): a schema must be an object") }
        if let c = v["const"] { return push(.literals([Array(c.text.utf8)])) }
        if let e = v["enum"] {
            guard case .array(let items) = e, !items.isEmpty else {
                throw ConstraintError.invalidSchema("\(path)/enum: must be a non-empty array")
            }
            return push(.literals(items.map { Array($0.text.utf8) }))
        }
        guard let type = v["type"] else {
            if members.contains(where: { ["anyOf", "oneOf", "allOf", "$ref", "not", "if"].contains($0.0) }) {
                throw ConstraintError.invalidSchema("\(path): only type, properties, required, items, enum and const are supported")
            }
            return push(.any)
        }
        guard case .string(let t) = type else {
            throw ConstraintError.invalidSchema("\(path)/type: must be a single type name")
        }
        func int(_ key: String, _ fallback: Int) throws -> Int {
            guard let x = v[key] else { return fallback }
            guard case .number(_, let d) = x, d >= 0, d == d.rounded(), d < 1e9 else {
                throw ConstraintError.invalidSchema("\(path)/\(key): must be a non-negative integer")
            }
            return Int(d)
        }
        switch t {
        case "object":
            let index = push(.any)
            var keys: [[UInt8]] = [], children: [Int] = []
            if let props = v["properties"] {
                guard case .object(let ps) = props else {
                    throw ConstraintError.invalidSchema("\(path)/properties: must be an object")
                }
                for (name, sub) in ps {
                    guard !name.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) else {
                        throw ConstraintError.invalidSchema("\(path)/properties: key \(JSONValue.quote(name)) needs escaping (unsupported)")
                    }
                    keys.append(Array(name.utf8))
                    children.append(try add(sub, path: path + "/properties/" + name))
                }
            }
            var required = [Bool](repeating: false, count: keys.count)
            if let r = v["required"] {
                guard case .array(let names) = r else { throw ConstraintError.invalidSchema("\(path)/required: must be an array") }
                for n in names {
                    guard case .string(let s) = n, let k = keys.firstIndex(of: Array(s.utf8)) else {
                        throw ConstraintError.invalidSchema("\(path)/required: \(n.text) is not among the properties")
                    }
                    required[k] = true
                }
            }
            guard keys.count <= 64 else { throw ConstraintError.invalidSchema("\(path): more than 64 properties") }
            // Extra keys only when the schema asks for them (or gives no properties at all).
            var additional: Int? = nil
            switch v["additionalProperties"] {
            case .some(.bool(true)): additional = push(.any)
            case .some(let sub) where sub != .bool(false): additional = try add(sub, path: path + "/additionalProperties")
            case .none where keys.isEmpty: additional = push(.any)
            default: break
            }
            nodes[index] = .object(keys: keys, children: children, required: required, additional: additional)
            return index
        case "array":
            let index = push(.any)
            let items = try v["items"].map { try add($0, path: path + "/items") } ?? push(.any)
            let minItems = try int("minItems", 0), maxItems = try int("maxItems", Int.max)
            guard minItems <= maxItems else { throw ConstraintError.invalidSchema("\(path): minItems > maxItems") }
            nodes[index] = .array(items: items, minItems: minItems, maxItems: maxItems)
            return index
        case "string":
            let minLength = try int("minLength", 0), maxLength = try int("maxLength", Int.max)
            guard minLength <= maxLength else { throw ConstraintError.invalidSchema("\(path): minLength > maxLength") }
            return push(.string(minLength: minLength, maxLength: maxLength))
        case "number": return push(.number)
        case "integer": return push(.integer)
        case "boolean": return push(.literals([Array("true".utf8), Array("false".utf8)]))
        case "null": return push(.literals([Array("null".utf8)]))
        default: throw ConstraintError.invalidSchema("\(path)/type: unknown type '\(t)'")
        }
    }

    private mutating func push(_ n: Node) -> Int {
        nodes.append(n)
        return nodes.count - 1
    }

    /// Whether a parsed value satisfies the schema at `node` (used to check constrained output).
    func validate(_ v: JSONValue, node: Int? = nil) -> Bool {
        switch nodes[node ?? root] {
        case .any: return true
        case .null: if case .null = v { return true }; return false
        case .boolean: if case .bool = v { return true }; return false
        case .number: if case .number = v { return true }; return false
        case .integer:
            if case .number(let t, _) = v { return !t.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) }
            return false
        case .string(let lo, let hi):
            if case .string(let s) = v { return s.unicodeScalars.count >= lo && s.unicodeScalars.count <= hi }
            return false
        case .literals(let texts):
            return texts.contains { (try? JSONValue.parse($0)) == v }
        case .array(let items, let lo, let hi):
            guard case .array(let xs) = v, xs.count >= lo, xs.count <= hi else { return false }
            return xs.allSatisfy { validate($0, node: items) }
        case .object(let keys, let children, let required, let additional):
            guard case .object(let members) = v else { return false }
            var seen = Set<Int>()
            for (k, x) in members {
                if let i = keys.firstIndex(of: Array(k.utf8)) {
                    guard seen.insert(i).inserted, validate(x, node: children[i]) else { return false }
                } else {
                    guard let additional, validate(x, node: additional) else { return false }
                }
            }
            return required.indices.allSatisfy { !required[$0] || seen.contains($0) }
        }
    }
}
