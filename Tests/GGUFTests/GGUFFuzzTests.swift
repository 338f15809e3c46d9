import XCTest
import GGUF
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Seeded mutation fuzzing of the reader: whatever the bytes, `GGUFFile(bytes:)` returns or throws
/// a `GGUFError`; it never crashes, never allocates absurdly, and accepted tensors stay in bounds.
final class GGUFFuzzTests: XCTestCase {
    private struct Stats {
        var accepted = 0
        var rejected = 0
        var failures = 0
    }

    /// Small valid files: every value type and plain tensors; k-quant and legacy-quant tensors.
    private func bases() throws -> [[UInt8]] {
        var q = GGUFWriter()
        q.set("general.architecture", .string("fuzz"))
        q.set("tokens", .array(["<s>", "a", "bc", "✓"].map(GGUFValue.string)))
        var g = SplitMix(seed: 3)
        for (i, type) in [GGMLType.q4_K, .q6_K, .q5_0, .q4_0, .q5_K, .q4_1, .q5_1].enumerated() {
            let n = type.blockSize
            let bytes = (0..<type.bytesPerBlock).map { _ in UInt8(truncatingIfNeeded: g.next()) }
            try q.addTensor(name: "w\(i)", shape: [n, 1], type: type, data: bytes)
        }
        var small = GGUFWriter()
        small.set("a", .uint32(1))
        try small.addTensor(name: "x", shape: [2], type: .f32, data: [UInt8](repeating: 0x3F, count: 8))
        return [try sampleWriter().serialize(), try sampleWriter(alignment: 8).serialize(), q.serialize(), small.serialize()]
    }

    func testMutatedFilesNeverCrashOrEscapeBounds() throws {
        let bases = try bases()
        let headerEnds = try bases.map { try GGUFFile(bytes: $0).dataSectionOffset }
        // Positions of small little-endian u64 values: mostly lengths, counts and dimensions.
        let lengthFields: [[Int]] = bases.map { b in
            (0..<(b.count - 8)).filter { i in
                var v: UInt64 = 0
                for k in 0..<8 { v |= UInt64(b[i + k]) << (8 * UInt64(k)) }
                return v > 0 && v < 1 << 20
            }
        }
        let rssBefore = peakResidentBytes()
        var stats = Stats()
        var cases = 0

        // Every truncation of every base file.
        for b in bases {
            for n in 0..<b.count {
                check(Array(b[0..<n]), &stats)
                cases += 1
            }
        }

        // Random mutations, 1 to 4 per case, mostly inside the header.
        var rng = SplitMix(seed: 0x4747_5546)
        for i in 0..<400_000 {
            let which = i % bases.count
            var bytes = bases[which]
            for _ in 0...Int(rng.next() % 4) {
                mutate(&bytes, headerEnd: headerEnds[which], lengthFields: lengthFields[which], &rng)
            }
            check(bytes, &stats)
            cases += 1
            if stats.failures > 10 { break }
        }

        XCTAssertGreaterThanOrEqual(cases, 100_000)
        XCTAssertGreaterThan(stats.accepted, 1000, "fuzzing should also produce files that parse")
        XCTAssertGreaterThan(stats.rejected, 1000)
        XCTAssertEqual(stats.failures, 0)
        let grown = peakResidentBytes() - rssBefore
        XCTAssertLessThan(grown, 1 << 30, "peak memory grew by \(grown >> 20) MiB while fuzzing")
        print("GGUF fuzz: \(cases) cases, \(stats.accepted) accepted, \(stats.rejected) rejected, peak RSS grew \(grown >> 20) MiB")
    }

    private func check(_ bytes: [UInt8], _ stats: inout Stats) {
        let file: GGUFFile
        do {
            file = try GGUFFile(bytes: bytes)
        } catch is GGUFError {
            stats.rejected += 1
            return
        } catch {
            stats.failures += 1
            XCTFail("non-GGUFError thrown: \(error)")
            return
        }
        stats.accepted += 1
        for t in file.tensors {
            let end = file.dataSectionOffset + t.offset + t.byteCount
            guard t.offset >= 0, t.offset % file.alignment == 0, end <= file.byteCount,
                  t.byteCount == t.type.byteCount(forElements: t.elementCount) else {
                stats.failures += 1
                XCTFail("accepted tensor \(t.name) out of bounds: \(t) in \(file.byteCount) bytes")
                continue
            }
            let seen = file.withData(of: t) { buffer -> Int in
                var sum = 0
                for b in buffer { sum &+= Int(b) }
                return buffer.count + (sum & 0)
            }
            if seen != t.byteCount {
                stats.failures += 1
                XCTFail("withData gave \(seen) bytes for \(t.name), expected \(t.byteCount)")
            }
            if t.type.canDequantize, t.elementCount <= 1 << 16 {
                do { _ = try file.dequantized(t) } catch {
                    stats.failures += 1
                    XCTFail("dequantizing accepted tensor \(t.name) failed: \(error)")
                }
            }
        }
        for key in file.metadataKeys {
            _ = try? file.int(key)
            _ = try? file.float(key)
            _ = try? file.strings(key)
            _ = try? file.ints(key)
        }
    }

    private static let u32Boundaries: [UInt32] = [0, 1, 2, 4, 5, 7, 8, 9, 12, 13, 14, 15, 30, 39, 0x7F, 0xFF, 0xFFFF,
                                                   0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF]
    private static let u64Boundaries: [UInt64] = [0, 1, 3, 4, 5, 31, 32, 33, 0xFFFF, 0x7FFF_FFFF, 0xFFFF_FFFF, 1 << 32,
                                                   1 << 40, 0x7FFF_FFFF_FFFF_FFFF, 1 << 63, .max, .max - 31]
    private static let inflations: [UInt64] = [1, 7, 8, 31, 32, 4096, 1 << 20, 1 << 32, 1 << 40, 1 << 62, .max / 2]

    private func mutate(_ b: inout [UInt8], headerEnd: Int, lengthFields: [Int], _ rng: inout SplitMix) {
        guard !b.isEmpty else { return }
        // Nine times in ten aim at the header (metadata and tensor infos), where the parsing is.
        let span = rng.next() % 10 == 0 ? b.count : max(1, min(headerEnd, b.count))
        let at = Int(rng.next() % UInt64(span))
        func put<T: FixedWidthInteger>(_ v: T, _ i: Int) {
            withUnsafeBytes(of: v.littleEndian) { raw in
                for (k, byte) in raw.enumerated() where i + k < b.count { b[i + k] = byte }
            }
        }
        switch rng.next() % 9 {
        case 0:
            b[at] ^= UInt8(1) << (rng.next() % 8)
        case 1:
            b[at] = [0, 1, 0x7F, 0x80, 0xFF][Int(rng.next() % 5)]
        case 2:
            put(Self.u32Boundaries[Int(rng.next() % UInt64(Self.u32Boundaries.count))], at)
        case 3:
            var v = Self.u64Boundaries[Int(rng.next() % UInt64(Self.u64Boundaries.count))]
            if rng.next() % 4 == 0 { v = UInt64(b.count) &+ (rng.next() % 3) &- 1 }
            put(v, at)
        case 4, 5:
            guard !lengthFields.isEmpty else { return }
            let i = lengthFields[Int(rng.next() % UInt64(lengthFields.count))]
            guard i + 8 <= b.count else { return }
            var v: UInt64 = 0
            for k in 0..<8 { v |= UInt64(b[i + k]) << (8 * UInt64(k)) }
            let delta = Self.inflations[Int(rng.next() % UInt64(Self.inflations.count))]
            put(rng.next() % 4 == 0 ? v &- min(v, delta) : v &+ delta, i)
        case 6:
            b.removeSubrange(Int(rng.next() % UInt64(b.count))...)
        case 7:
            let n = Int(rng.next() % 16) + 1
            if rng.next() % 2 == 0 {
                b.insert(contentsOf: (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) }, at: at)
            } else {
                b.removeSubrange(at..<min(b.count, at + n))
            }
        default:
            let n = Int(rng.next() % 24) + 1
            let from = Int(rng.next() % UInt64(b.count))
            let chunk = Array(b[from..<min(b.count, from + n)])
            for (k, byte) in chunk.enumerated() where at + k < b.count { b[at + k] = byte }
        }
    }

    private func peakResidentBytes() -> Int {
        var usage = rusage()
        #if os(Linux)
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Int(usage.ru_maxrss) * 1024     // kilobytes on Linux
        #else
        getrusage(RUSAGE_SELF, &usage)
        return Int(usage.ru_maxrss)
        #endif
    }
}
