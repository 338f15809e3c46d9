import Foundation
import XCTest
import Spice
import TestSupport

/// Raw files: reading ngspice 39's own ascii and binary output, write→read round trips, malformed
/// input, and ngspice loading a file we wrote.
final class RawFileTests: XCTestCase {
    private func fixture(_ name: String) throws -> String {
        guard let root = Bundle.module.resourceURL else {
            XCTFail("test bundle has no resources"); throw CocoaError(.fileNoSuchFile)
        }
        return root.appendingPathComponent("Goldens/rawfile/\(name)").path
    }

    private func temporaryPath(_ name: String) -> String {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("miller-rawfile-\(ProcessInfo.processInfo.processIdentifier)")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent(name).path
    }

    private func reals(_ vector: Vector?, file: StaticString = #filePath, line: UInt = #line) -> [Double] {
        guard let vector, case .real(let v) = vector.values else {
            XCTFail("expected a real vector", file: file, line: line); return []
        }
        return v
    }

    // MARK: - Reading ngspice's files

    func testReadsNgspiceAsciiFile() throws {
        let plots = try RawFile.read(path: fixture("fixture-ascii.raw"))
        // ngspice -b -r writes its plots newest first.
        XCTAssertEqual(plots.map(\.title), ["AC Analysis", "DC transfer characteristic", "Operating Point"])
        XCTAssertEqual(plots.map(\.name), ["ac1", "dc1", "op1"])

        let ac = plots[0]
        XCTAssertEqual(ac.vectors.map(\.name), ["frequency", "v(in)", "v(mid)", "v(out)", "i(v1)"])
        XCTAssertEqual(ac.vectors.map(\.type), [.frequency, .voltage, .voltage, .voltage, .current])
        XCTAssertEqual(ac.vectors[0].values.count, 13)
        guard case .complex(let fre, _) = ac.vectors[0].values,
              case .complex(let vin, let vinIm) = ac.vectors[1].values else { return XCTFail("AC plot not complex") }
        XCTAssertEqual(fre.first, 1)
        XCTAssertTrue(isClose(fre.last!, 1e6, relative: 1e-12, absolute: 0))
        XCTAssertEqual(vin, Array(repeating: 1, count: 13))
        XCTAssertEqual(vinIm, Array(repeating: 0, count: 13))

        let dc = plots[1]
        XCTAssertEqual(dc.vectors.first?.name, "v(v-sweep)")
        // Two nested sweeps: v1 (inner, 3 values) inside i1 (outer, 2 values).
        XCTAssertEqual(reals(dc.vectors.first), [0, 0.5, 1, 0, 0.5, 1])

        let op = plots[2]
        XCTAssertEqual(op.vectors.map(\.name), ["v(in)", "v(mid)", "v(out)", "i(v1)"])
        XCTAssertEqual(reals(op.vector(named: "v(in)")), [1])
        // KCL at `in`: the source delivers what r1 carries.
        let vmid = reals(op.vector(named: "v(mid)"))[0]
        let iv1 = reals(op.vector(named: "i(v1)"))[0]
        XCTAssertTrue(isClose(-iv1, (1 - vmid) / 1e3, relative: 1e-9, absolute: 1e-15))
    }

    func testBinaryAndAsciiNgspiceFilesAgree() throws {
        let ascii = try RawFile.read(path: fixture("fixture-ascii.raw"))
        let binary = try RawFile.read(path: fixture("fixture-binary.raw"))
        assertSame(binary, ascii, relative: 1e-14)
    }

    // MARK: - Round trips

    private func samplePlots() -> [Plot] {
        let op = Plot(name: "op1", title: "Operating Point", vectors: [
            Vector(name: "v(out)", type: .voltage, values: .real([0.123456789012345678])),
            Vector(name: "v1#branch", type: .current, values: .real([-1.5e-300])),
            Vector(name: "@m1[gm]", type: .notype, values: .real([3.25e-4])),
        ])
        let dc = Plot(name: "dc1", title: "DC transfer characteristic", vectors: [
            Vector(name: "v-sweep", type: .voltage, values: .real([0, 0.1, 0.2])),
            Vector(name: "out", type: .voltage, values: .real([1, -2e-17, .pi])),
            Vector(name: "i(v1)", type: .current, values: .real([1e-3, 2e-3, .nan])),
        ])
        let frequencies = (0..<7).map { pow(10.0, Double($0) / 2) }
        let ac = Plot(name: "ac1", title: "AC Analysis", vectors: [
            Vector(name: "frequency", type: .frequency, values: .real(frequencies)),
            Vector(name: "v(out)", type: .voltage,
                   values: .complex(re: frequencies.map { 1 / (1 + $0 * $0) },
                                    im: frequencies.map { -$0 / (1 + $0 * $0) })),
        ])
        return [op, dc, ac]
    }

    func testAsciiRoundTripKeepsSixteenDigits() throws {
        let path = temporaryPath("roundtrip-ascii.raw")
        try RawFile.write(samplePlots(), title: "round trip", to: path)
        let back = try RawFile.read(path: path)
        XCTAssertEqual(back.map(\.name), ["op1", "dc1", "ac1"])
        // Names come back in ngspice's spelling.
        XCTAssertEqual(back[0].vectors.map(\.name), ["v(out)", "i(v1)", "@m1[gm]"])
        XCTAssertEqual(back[1].vectors.map(\.name), ["v(v-sweep)", "v(out)", "i(v1)"])
        assertSame(back, samplePlots(), relative: 1e-15)
    }

    func testBinaryRoundTripIsExact() throws {
        let path = temporaryPath("roundtrip-binary.raw")
        try RawFile.write(samplePlots(), title: "round trip", to: path, binary: true)
        let back = try RawFile.read(path: path)
        assertSame(back, samplePlots(), relative: 0)
    }

    func testRenderFollowsNgspiceLayout() {
        let text = RawFile.render(Array(samplePlots().suffix(1)), title: "layout")
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        XCTAssertEqual(lines[0], "Title: layout")
        XCTAssertTrue(lines[1].hasPrefix("Date: "))
        XCTAssertEqual(Array(lines[2...9]), [
            "Plotname: AC Analysis", "Flags: complex", "No. Variables: 2", "No. Points: 7       ",
            "Variables:", "\t0\tfrequency\tfrequency\tgrid=3", "\t1\tv(out)\tvoltage", "Values:",
        ])
        XCTAssertEqual(lines[10], "0\t\t1.000000000000000e+00,0.000000000000000e+00")
        XCTAssertEqual(lines[11], "\t5.000000000000000e-01,-5.000000000000000e-01")
        XCTAssertEqual(lines[12], "1\t\t3.162277660168380e+00,0.000000000000000e+00")
    }

    func testReadsNgspiceWriteCommandLayout() throws {
        // ngspice's `write` command pads point indices and separates points with blank lines.
        let text = """
            Title: t
            Date: x
            Plotname: Operating Point
            Flags: real
            No. Variables: 2
            No. Points: 1
            Variables:
            \t0\tv(in)\tvoltage
            \t1\ti(v1)\tcurrent
            Values:
             0\t1.000000000000000e+00
            \t-3.705592175854019e-04

            """
        let plots = try RawFile.parse(Array(text.utf8), file: "w.raw")
        XCTAssertEqual(reals(plots.first?.vector(named: "i(v1)")), [-3.705592175854019e-04])
    }

    // MARK: - Malformed input

    private func assertError(_ text: String, line: Int?, contains fragment: String,
                             file: StaticString = #filePath, at sourceLine: UInt = #line) {
        assertError(Array(text.utf8), position: line.map { .line($0) }, contains: fragment,
                    file: file, at: sourceLine)
    }

    private func assertError(_ bytes: [UInt8], position: RawFileError.Position?, contains fragment: String,
                             file: StaticString = #filePath, at sourceLine: UInt = #line) {
        do {
            _ = try RawFile.parse(bytes, file: "bad.raw")
            XCTFail("expected a RawFileError containing '\(fragment)'", file: file, line: sourceLine)
        } catch let error as RawFileError {
            XCTAssertEqual(error.file, "bad.raw", file: file, line: sourceLine)
            if let position { XCTAssertEqual(error.position, position, "\(error)", file: file, line: sourceLine) }
            XCTAssertTrue(error.description.contains(fragment), "\(error)", file: file, line: sourceLine)
            XCTAssertTrue(error.description.hasPrefix("bad.raw"), "\(error)", file: file, line: sourceLine)
        } catch {
            XCTFail("unexpected error type \(error)", file: file, line: sourceLine)
        }
    }

    private let header = """
        Title: t
        Plotname: Operating Point
        Flags: real
        No. Variables: 2
        No. Points: 2
        Variables:
        \t0\tv(a)\tvoltage
        \t1\ti(v1)\tcurrent

        """

    func testRejectsMalformedFiles() {
        assertError("", line: nil, contains: "no plots")
        assertError("garbage without colon\n", line: 1, contains: "Key: value")
        assertError("Title: t\nFrobnicate: 3\n", line: 2, contains: "unknown header key")
        assertError("Title: t\nNo. Points: -3\n", line: 2, contains: "non-negative integer")
        assertError("Title: t\nFlags: real float\n", line: 2, contains: "unsupported flag")
        assertError("Title: t\nPlotname: x\n", line: 3, contains: "end of file in plot header")
        assertError(header.replacingOccurrences(of: "\t1\ti(v1)", with: "\t7\ti(v1)") + "Values:\n",
                    line: 8, contains: "variable index 7")
        assertError(header.replacingOccurrences(of: "Flags: real\n", with: "") + "Values:\n",
                    line: 8, contains: "Flags:")
        assertError(header + "Values:\n0\t1\n\t2\n1\t3\n", line: 13, contains: "end of file in point 1")
        assertError(header + "Values:\n0\t1\n\t2\n5\t3\n\t4\n", line: 12, contains: "expected point index 1")
        assertError(header + "Values:\n0\t1\n\tx2\n1\t3\n\t4\n", line: 11, contains: "expected a number")
        assertError(header.replacingOccurrences(of: "real", with: "complex") + "Values:\n0\t1\n",
                    line: 10, contains: "complex value")
        var truncated = Array((header + "Binary:\n").utf8)
        let dataStart = truncated.count
        truncated += [UInt8](repeating: 0, count: 8 * 3)
        assertError(truncated, position: .byteOffset(dataStart), contains: "binary data truncated")
    }

    /// Every truncation and many corruptions of ngspice's files parse or throw RawFileError: no crash,
    /// no hang, no other error type, no allocation sized by a corrupted header.
    func testDamagedFilesNeverCrash() throws {
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        func random(_ bound: Int) -> Int {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return Int((seed >> 33) % UInt64(bound))
        }
        for name in ["fixture-ascii.raw", "fixture-binary.raw"] {
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: fixture(name))))
            var damaged: [[UInt8]] = stride(from: 0, to: bytes.count, by: 7).map { Array(bytes[..<$0]) }
            for _ in 0..<400 {
                var copy = bytes
                for _ in 0..<(1 + random(3)) {
                    let at = random(copy.count)
                    // Digits and separators hit the header counts and indices; other bytes anything.
                    let choices: [UInt8] = Array("0123456789\t\n ,:-e".utf8) + [0xFF, UInt8(random(256))]
                    copy[at] = choices[random(choices.count)]
                }
                damaged.append(copy)
            }
            // Headers that claim enormous sizes.
            let text = String(decoding: bytes, as: UTF8.self)
            for (from, to) in [("No. Points: 13", "No. Points: 999999999999999"),
                               ("No. Variables: 5", "No. Variables: 4611686018427387904")] {
                damaged.append(Array(text.replacingOccurrences(of: from, with: to).utf8))
            }
            for candidate in damaged {
                do {
                    _ = try RawFile.parse(candidate, file: name)
                } catch is RawFileError {
                } catch {
                    XCTFail("\(name): unexpected error type \(error)")
                }
            }
        }
    }

    func testMissingFileIsAnError() {
        XCTAssertThrowsError(try RawFile.read(path: "/nonexistent/x.raw")) { error in
            XCTAssertTrue("\(error)".contains("/nonexistent/x.raw"), "\(error)")
        }
    }

    // MARK: - ngspice reads what we write

    func testNgspiceLoadsOurFiles() throws {
        guard let ngspice = which("ngspice") else { throw XCTSkip("ngspice not on PATH; skipped") }
        for binary in [false, true] {
            let ours = temporaryPath("ours-\(binary).raw")
            try RawFile.write(samplePlots(), title: "written by miller", to: ours, binary: binary)
            let deck = temporaryPath("load-\(binary).cir")
            let written = ["op", "dc", "ac"].map { temporaryPath("ngspice-\($0)-\(binary).raw") }
            try """
                load ngspice loads a miller raw file
                .control
                set filetype=ascii
                load \(ours)
                setplot op1
                write \(written[0]) all
                setplot dc1
                write \(written[1]) all
                setplot ac1
                write \(written[2]) all
                .endc
                .end

                """.write(toFile: deck, atomically: true, encoding: .utf8)
            let output = try runProcess(ngspice, ["-b", deck])
            let reread = try written.flatMap { try RawFile.read(path: $0) }
            XCTAssertEqual(reread.map(\.title), samplePlots().map(\.title), output)
            // ngspice's `write` reorders vectors, so compare by name.
            for (theirs, mine) in zip(reread, try RawFile.read(path: ours)) {
                XCTAssertEqual(Set(theirs.vectors.map(\.name)), Set(mine.vectors.map(\.name)))
                for vector in mine.vectors {
                    guard let other = theirs.vector(named: vector.name) else {
                        XCTFail("ngspice lost \(vector.name)"); continue
                    }
                    assertSame(other, vector, relative: 1e-15, context: "\(mine.name) binary=\(binary)",
                               realPartsOnly: vector.type == .frequency)
                }
            }
        }
    }

    // MARK: - Helpers

    private func which(_ tool: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            let path = "\(dir)/\(tool)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    private func runProcess(_ tool: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    private func assertSame(_ actual: [Plot], _ expected: [Plot], relative: Double,
                            file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, "plot count", file: file, line: line)
        for (a, e) in zip(actual, expected) {
            XCTAssertEqual(a.title, e.title, file: file, line: line)
            XCTAssertEqual(a.vectors.count, e.vectors.count, "\(e.name) vector count", file: file, line: line)
            for (va, ve) in zip(a.vectors, e.vectors) {
                XCTAssertEqual(va.type, ve.type, "\(e.name) \(ve.name)", file: file, line: line)
                assertSame(va, ve, relative: relative, context: e.name, realPartsOnly: ve.type == .frequency,
                           file: file, line: line)
            }
        }
    }

    /// Compares two vectors point by point; a real vector compares as complex with zero imaginary part.
    /// ngspice 39 leaves the imaginary part of an AC frequency scale uninitialised, hence `realPartsOnly`.
    private func assertSame(_ a: Vector, _ e: Vector, relative: Double, context: String, realPartsOnly: Bool,
                            file: StaticString = #filePath, line: UInt = #line) {
        func parts(_ v: Vector.Values) -> ([Double], [Double]) {
            switch v {
            case .real(let r): (r, Array(repeating: 0, count: r.count))
            case .complex(let re, let im): (re, im)
            }
        }
        let (ar, ai) = parts(a.values), (er, ei) = parts(e.values)
        XCTAssertEqual(ar.count, er.count, "\(context) \(e.name) length", file: file, line: line)
        for i in 0..<min(ar.count, er.count) {
            let sameRe = (ar[i].isNaN && er[i].isNaN) || isClose(ar[i], er[i], relative: relative, absolute: 0)
            let sameIm = realPartsOnly || (ai[i].isNaN && ei[i].isNaN)
                || isClose(ai[i], ei[i], relative: relative, absolute: 0)
            XCTAssertTrue(sameRe && sameIm,
                          "\(context) \(e.name)[\(i)]: \(ar[i]),\(ai[i]) vs \(er[i]),\(ei[i])", file: file, line: line)
        }
    }
}
