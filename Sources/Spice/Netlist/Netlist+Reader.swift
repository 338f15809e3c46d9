#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One logical netlist line: continuations joined, comments removed, original case kept.
struct Line {
    var text: String
    var location: SourceLocation
}

/// Reads deck text into logical lines and splices `.include` / `.lib` files in place.
struct LineReader {
    /// Dot cards the reader handles itself.
    static let readerKeywords: Set<String> = [".control", ".include", ".inc", ".lib", ".endl", ".end"]

    /// Deepest `.include`/`.lib` nesting accepted before reporting an error.
    static let maximumIncludeDepth = 32

    /// File contents already read, by resolved path (sky130-style decks read one library many times).
    var fileCache: [String: [Line]] = [:]

    /// Splits `text` into logical lines. `hasTitle`: the first physical line is the title.
    static func logicalLines(_ text: String, file: String, hasTitle: Bool) throws -> (title: String?, lines: [Line]) {
        var title: String? = nil
        var out: [Line] = []
        var lineNumber = 0
        var inControl = false
        let u = Array(text.utf8)
        out.reserveCapacity(u.count / 24)
        var pos = 0
        while pos < u.count || (pos == u.count && lineNumber == 0 && hasTitle) {
            var end = pos
            while end < u.count, u[end] != 10 { end += 1 }
            let next = end + 1
            lineNumber += 1
            var stop = end
            if stop > pos, u[stop - 1] == 13 { stop -= 1 }
            var begin = pos
            defer { pos = next }
            if hasTitle && lineNumber == 1 {
                var a = begin, b = stop
                while a < b, u[a] == 32 || u[a] == 9 { a += 1 }
                while b > a, u[b - 1] == 32 || u[b - 1] == 9 { b -= 1 }
                title = String(decoding: u[a..<b], as: UTF8.self)
                continue
            }
            while begin < stop, u[begin] == 32 || u[begin] == 9 { begin += 1 }
            guard begin < stop else { continue }
            let first = u[begin]
            if first == UInt8(ascii: "*") { continue }
            let location = SourceLocation(file: file, line: lineNumber)
            // Control-block lines keep `$` (variable substitution) and `;`; only whole-line comments go.
            let body = inControl ? String(decoding: u[begin..<stop], as: UTF8.self) : stripComment(u[begin..<stop])
            if first == UInt8(ascii: "+") {
                guard !out.isEmpty else {
                    throw NetlistError("continuation line '+' with no line before it", at: location)
                }
                out[out.count - 1].text += " " + body.dropFirst()
                continue
            }
            if first == UInt8(ascii: ".") {
                let head = String(decoding: u[begin..<min(stop, begin + 8)], as: UTF8.self).lowercased()
                if head.hasPrefix(".control") { inControl = true }
                if head.hasPrefix(".endc") { inControl = false }
            }
            if body.isEmpty { continue }
            out.append(Line(text: body, location: location))
        }
        return (title, out)
    }

    /// Removes a trailing `;` comment or a `$` comment (`$` then space/tab or line end), outside quotes.
    static func stripComment(_ u: ArraySlice<UInt8>) -> String {
        var quote: UInt8 = 0
        var brace = 0
        var k = u.startIndex
        while k < u.endIndex {
            let c = u[k]
            if quote != 0 {
                if c == quote { quote = 0 }
            } else if c == UInt8(ascii: "'") || c == UInt8(ascii: "\"") {
                quote = c
            } else if c == UInt8(ascii: "{") {
                brace += 1
            } else if c == UInt8(ascii: "}") {
                brace -= 1
            } else if brace <= 0 {
                if c == UInt8(ascii: ";") { break }
                if c == UInt8(ascii: "$"), k + 1 == u.endIndex || u[k + 1] == 32 || u[k + 1] == 9 { break }
            }
            k += 1
        }
        var end = k
        while end > u.startIndex, u[end - 1] == 32 || u[end - 1] == 9 { end -= 1 }
        return String(decoding: u[u.startIndex..<end], as: UTF8.self)
    }

    /// Reads a file's logical lines (no title line: included files have none).
    mutating func readIncluded(_ path: String, from location: SourceLocation) throws -> [Line] {
        if let cached = fileCache[path] { return cached }
        guard let data = Self.readFile(path) else {
            throw NetlistError("cannot read include file '\(path)'", at: location)
        }
        let lines = try Self.logicalLines(String(decoding: data, as: UTF8.self), file: path, hasTitle: false).lines
        fileCache[path] = lines
        return lines
    }

    /// Splices includes and library sections into `out`, in order. `stack` holds what is being read.
    mutating func expand(_ lines: [Line], directory: String, stack: [String], into out: inout [Line]) throws {
        var k = 0
        while k < lines.count {
            let line = lines[k]
            k += 1
            guard line.text.utf8.first == UInt8(ascii: ".") else { out.append(line); continue }
            let keyword = Tokenizer.leadingWord(line.text)
            guard Self.readerKeywords.contains(keyword) else { out.append(line); continue }
            let words = Self.words(line.text)
            switch keyword {
            case ".control":
                out.append(line)
                while k < lines.count {
                    out.append(lines[k])
                    k += 1
                    if Self.words(lines[k - 1].text).first?.lowercased() == ".endc" { break }
                }
            case ".include", ".inc":
                guard words.count == 2 else {
                    throw NetlistError("\(keyword) expects one file name", at: line.location)
                }
                let path = Self.resolve(words[1], in: directory)
                if stack.count >= Self.maximumIncludeDepth {
                    throw NetlistError("includes nested deeper than \(Self.maximumIncludeDepth) levels", at: line.location)
                }
                if stack.contains(path) {
                    throw NetlistError("include cycle: \((stack + [path]).joined(separator: " -> "))", at: line.location)
                }
                let sub = try readIncluded(path, from: line.location)
                try expand(sub, directory: Self.directory(of: path), stack: stack + [path], into: &out)
            case ".lib":
                if words.count == 2 {
                    // A section definition met in the normal flow: only `.lib file section` uses it.
                    let start = line.location
                    var closed = false
                    while k < lines.count {
                        let w = Self.words(lines[k].text).first?.lowercased()
                        k += 1
                        if w == ".endl" { closed = true; break }
                    }
                    if !closed { throw NetlistError("'.lib \(words[1])' has no matching '.endl'", at: start) }
                    continue
                }
                guard words.count == 3 else {
                    throw NetlistError(".lib expects a file name and a section name", at: line.location)
                }
                let path = Self.resolve(words[1], in: directory)
                let section = words[2].lowercased()
                let key = path + "#" + section
                if stack.count >= Self.maximumIncludeDepth {
                    throw NetlistError("includes nested deeper than \(Self.maximumIncludeDepth) levels", at: line.location)
                }
                if stack.contains(key) {
                    throw NetlistError("include cycle: \((stack + [key]).joined(separator: " -> "))", at: line.location)
                }
                let sub = try readIncluded(path, from: line.location)
                let body = try Self.section(section, in: sub, file: path, at: line.location)
                try expand(body, directory: Self.directory(of: path), stack: stack + [key], into: &out)
            case ".endl":
                throw NetlistError("'.endl' without '.lib'", at: line.location)
            case ".end":
                return
            default:
                out.append(line)
            }
        }
    }

    /// The lines between `.lib section` and its `.endl`.
    static func section(_ name: String, in lines: [Line], file: String, at location: SourceLocation) throws -> [Line] {
        var k = 0
        while k < lines.count {
            let w = words(lines[k].text)
            k += 1
            if w.count == 2, w[0].lowercased() == ".lib", w[1].lowercased() == name {
                var body: [Line] = []
                while k < lines.count {
                    if words(lines[k].text).first?.lowercased() == ".endl" { return body }
                    body.append(lines[k])
                    k += 1
                }
                throw NetlistError("'.lib \(name)' has no matching '.endl'", at: lines[k - 1].location)
            }
        }
        throw NetlistError("library section '\(name)' not found in '\(file)'", at: location)
    }

    /// Whitespace-separated words with quotes removed (file names keep their case).
    static func words(_ s: String) -> [String] {
        var out: [String] = []
        var cur: [UInt8] = []
        var quote: UInt8 = 0
        for c in s.utf8 {
            if quote != 0 {
                if c == quote { quote = 0 } else { cur.append(c) }
            } else if c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") {
                quote = c
            } else if c == 32 || c == 9 {
                if !cur.isEmpty { out.append(String(decoding: cur, as: UTF8.self)); cur.removeAll(keepingCapacity: true) }
            } else {
                cur.append(c)
            }
        }
        if !cur.isEmpty { out.append(String(decoding: cur, as: UTF8.self)) }
        return out
    }

    /// The absolute, lexically normalized path (`.` and `..` removed) of `path` relative to `directory`,
    /// itself relative to the working directory when not absolute.
    static func resolve(_ path: String, in directory: String) -> String {
        var full = path.hasPrefix("/") ? path : (directory.isEmpty ? path : directory + "/" + path)
        if !full.hasPrefix("/") { full = currentDirectory() + "/" + full }
        // Byte-level, so no new generic types are instantiated at start-up (each costs a conformance scan).
        let slash = UInt8(ascii: "/"), dot = UInt8(ascii: ".")
        let bytes = Array(full.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            if bytes[i] == slash { i += 1; continue }
            var j = i
            while j < bytes.count, bytes[j] != slash { j += 1 }
            if j - i == 1 && bytes[i] == dot {
                // "." names the folder itself.
            } else if j - i == 2 && bytes[i] == dot && bytes[i + 1] == dot {
                while let last = out.popLast(), last != slash {}
            } else {
                out.append(slash)
                out.append(contentsOf: bytes[i..<j])
            }
            i = j
        }
        return out.isEmpty ? "/" : String(decoding: out, as: UTF8.self)
    }

    /// The folder of an absolute path (`/` for a file at the root).
    static func directory(of path: String) -> String {
        let absolute = resolve(path, in: ".")
        guard let slash = absolute.lastIndex(of: "/"), slash != absolute.startIndex else { return "/" }
        return String(absolute[..<slash])
    }

    /// The working directory (`.` when it cannot be read).
    static func currentDirectory() -> String {
        guard let buffer = getcwd(nil, 0) else { return "." }
        defer { free(buffer) }
        return String(cString: buffer)
    }

    /// A whole file's bytes, or nil when it cannot be opened or read (POSIX calls: Foundation's
    /// `FileManager` would initialise CoreFoundation, a start-up cost of every `miller sim`).
    static func readFile(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        // Straight into storage of the size fstat gives (a zeroed 64 KiB scratch chunk per file cost
        // 16 page faults, 10 % of a small deck's); one byte more shows whether end of file was reached.
        var info = stat()
        let size = fstat(fd, &info) == 0 && info.st_size > 0 ? Int(info.st_size) : 0
        var failed = false
        var bytes = [UInt8](unsafeUninitializedCapacity: size + 1) { buffer, count in
            count = 0
            while count < buffer.count {
                let n = read(fd, buffer.baseAddress! + count, buffer.count - count)
                if n < 0 && errno == EINTR { continue }
                if n < 0 { failed = true }
                if n <= 0 { break }
                count += n
            }
        }
        if failed { return nil }
        if bytes.count <= size { return bytes }
        // Longer than fstat said (a pipe, a growing file): the rest in chunks.
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count < 0 { return nil }
            if count == 0 { return bytes }
            bytes.append(contentsOf: chunk[0..<count])
        }
    }
}
