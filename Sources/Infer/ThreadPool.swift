#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Platform
import Synchronization

/// A fixed set of worker threads that share each job's chunks, the calling thread taking part.
///
/// A job is split into many small chunks that threads claim one at a time from an atomic counter,
/// so a worker that the OS has descheduled (a loaded machine) delays the job by at most the chunk it
/// holds: the others simply take the rest. Idle workers spin briefly (a forward pass hands out a job
/// every few microseconds, and waking a sleeping thread costs more than that) and then park on a
/// condition variable, so an idle model costs no CPU.
final class ThreadPool: @unchecked Sendable {
    /// Number of threads that can run a job's chunks, the caller included.
    let count: Int
    private let state: PoolState

    init(threads: Int) {
        count = max(1, threads)
        state = PoolState()
        for index in 1..<count {
            let state = self.state
            startThread(stackSize: 1 << 20) { state.workerLoop(index: index) }
        }
    }

    deinit { state.stop() }

    /// Runs `body(worker, chunk)` once for every chunk in `0..<chunks`, spread over the threads,
    /// and returns when all have run. `worker` (in `0..<count`) names the thread, for scratch space.
    func run(chunks: Int, _ body: (_ worker: Int, _ chunk: Int) -> Void) {
        if chunks <= 0 { return }
        if count == 1 || chunks == 1 {
            for c in 0..<chunks { body(0, c) }
            return
        }
        withoutActuallyEscaping(body) { escaping in state.dispatch(escaping, chunks: chunks) }
    }

    /// The rows of chunk `chunk` when `total` rows are cut into pieces of `size` (the last shorter).
    static func rows(of chunk: Int, size: Int, total: Int) -> Range<Int> {
        let lo = min(total, chunk * size)
        return lo..<min(total, lo + size)
    }
}

/// The state the workers share with the pool; outlives the pool until every worker has stopped.
///
/// `ticket` packs the job's generation (high 24 bits), its chunk count (20 bits) and the next
/// unclaimed chunk (low 20 bits), so a claim is one compare-and-swap that can only succeed for the
/// job currently published: a worker that wakes late can never run a chunk of a finished job.
private final class PoolState: @unchecked Sendable {
    let ticket = Atomic<UInt64>(0)
    let finished = Atomic<Int>(0)
    let sleepers = Atomic<Int>(0)
    let stopping = Atomic<Bool>(false)
    let condition = Condition()
    // Written by the caller before `ticket` is published; read by workers after a successful claim.
    var job: ((Int, Int) -> Void)?
    var generation: UInt64 = 0
    /// Spin iterations before an idle worker parks (a few hundred microseconds).
    let spinLimit = 50_000

    static let fieldBits: UInt64 = 20
    static let fieldMask: UInt64 = (1 << 20) - 1

    func dispatch(_ body: @escaping (Int, Int) -> Void, chunks: Int) {
        // More chunks than the ticket can count run as several jobs.
        var start = 0
        while start < chunks {
            let n = min(chunks - start, Int(Self.fieldMask))
            let offset = start
            publish(n == chunks ? body : { w, c in body(w, c + offset) }, chunks: n)
            start += n
        }
    }

    private func publish(_ body: @escaping (Int, Int) -> Void, chunks: Int) {
        job = body
        finished.store(0, ordering: .relaxed)
        generation = (generation + 1) & 0xFF_FFFF
        ticket.store(generation << (2 * Self.fieldBits) | UInt64(chunks) << Self.fieldBits,
                     ordering: .sequentiallyConsistent)
        if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
            condition.lock(); condition.broadcast(); condition.unlock()
        }
        let mine = work(worker: 0)
        // Wait only for chunks other threads are still running; yield so that a descheduled
        // worker holding one can get this core back.
        var spins = 0
        while finished.load(ordering: .acquiring) + mine < chunks {
            spins += 1
            if spins > 256 { sched_yield() }
        }
        job = nil
    }

    /// Claims and runs chunks of the published job until none is left; returns how many it ran.
    @discardableResult
    func work(worker: Int) -> Int {
        var ran = 0
        var current = ticket.load(ordering: .acquiring)
        while true {
            let total = (current >> Self.fieldBits) & Self.fieldMask
            let next = current & Self.fieldMask
            if next >= total { break }
            let (exchanged, original) = ticket.compareExchange(
                expected: current, desired: current + 1, ordering: .acquiringAndReleasing)
            if !exchanged { current = original; continue }
            job?(worker, Int(next))
            ran += 1
            current = ticket.load(ordering: .acquiring)
        }
        if worker != 0 && ran > 0 { finished.add(ran, ordering: .releasing) }
        return ran
    }

    func stop() {
        stopping.store(true, ordering: .sequentiallyConsistent)
        condition.lock(); condition.broadcast(); condition.unlock()
    }

    /// True while the published job has unclaimed chunks.
    private func claimable() -> Bool {
        let t = ticket.load(ordering: .acquiring)
        return t & Self.fieldMask < (t >> Self.fieldBits) & Self.fieldMask
    }

    func workerLoop(index: Int) {
        while !stopping.load(ordering: .relaxed) {
            var spins = 0
            while !claimable() && !stopping.load(ordering: .relaxed) {
                spins += 1
                if spins > 2_000 { sched_yield() }
                if spins > spinLimit {
                    condition.lock()
                    sleepers.add(1, ordering: .sequentiallyConsistent)
                    while !claimable() && !stopping.load(ordering: .sequentiallyConsistent) { condition.wait() }
                    sleepers.subtract(1, ordering: .sequentiallyConsistent)
                    condition.unlock()
                    spins = 0
                }
            }
            work(worker: index)
        }
    }
}
