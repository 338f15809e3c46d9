import Foundation
import Synchronization

/// A fixed set of worker threads that run one job at a time, the calling thread taking part as
/// worker 0.
///
/// Workers spin briefly on an atomic generation counter (a forward pass hands out a job every few
/// microseconds, so waking a sleeping thread each time would cost more than the work), then park on
/// a condition variable when idle so an idle model costs no CPU.
final class ThreadPool: @unchecked Sendable {
    /// Number of threads that run each job, the caller included.
    let count: Int
    private let state: PoolState

    init(threads: Int) {
        count = max(1, threads)
        state = PoolState()
        for index in 1..<count {
            let state = self.state
            let thread = Thread { state.workerLoop(index: index) }
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    deinit { state.stop() }

    /// Runs `body(worker)` once for every worker index in `0..<count` and returns when all are done.
    func run(_ body: (Int) -> Void) {
        if count == 1 { body(0); return }
        withoutActuallyEscaping(body) { escaping in state.dispatch(escaping, workers: count - 1) }
    }

    /// The half-open range of `0..<total` that worker `index` handles, in multiples of `granule`.
    func share(of total: Int, worker index: Int, granule: Int = 1) -> Range<Int> {
        let units = (total + granule - 1) / granule
        let lo = min(total, units * index / count * granule)
        let hi = index == count - 1 ? total : min(total, units * (index + 1) / count * granule)
        return lo..<max(lo, hi)
    }
}

/// The state the workers share with the pool; outlives the pool until every worker has stopped.
private final class PoolState: @unchecked Sendable {
    let generation = Atomic<Int>(0)
    let remaining = Atomic<Int>(0)
    let sleepers = Atomic<Int>(0)
    let stopping = Atomic<Bool>(false)
    let condition = NSCondition()
    // Written by the caller before `generation` is bumped and read by workers after they observe it.
    var job: ((Int) -> Void)?
    /// Spin iterations before an idle worker parks.
    let spinLimit = 20_000

    func dispatch(_ body: @escaping (Int) -> Void, workers: Int) {
        job = body
        remaining.store(workers, ordering: .sequentiallyConsistent)
        generation.add(1, ordering: .sequentiallyConsistent)
        if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
            condition.lock(); condition.broadcast(); condition.unlock()
        }
        body(0)
        // Spin briefly, then yield: on an oversubscribed machine the worker we wait for may need
        // this core.
        var spins = 0
        while remaining.load(ordering: .acquiring) > 0 {
            spins += 1
            if spins > 2_000 { sched_yield() }
        }
        job = nil
    }

    func stop() {
        stopping.store(true, ordering: .sequentiallyConsistent)
        generation.add(1, ordering: .sequentiallyConsistent)
        condition.lock(); condition.broadcast(); condition.unlock()
    }

    func workerLoop(index: Int) {
        var seen = 0
        while true {
            var spins = 0
            var current = generation.load(ordering: .acquiring)
            while current == seen {
                spins += 1
                if spins > 2_000 { sched_yield() }
                if spins > spinLimit {
                    condition.lock()
                    sleepers.add(1, ordering: .sequentiallyConsistent)
                    while generation.load(ordering: .sequentiallyConsistent) == seen { condition.wait() }
                    sleepers.subtract(1, ordering: .sequentiallyConsistent)
                    condition.unlock()
                    spins = 0
                }
                current = generation.load(ordering: .acquiring)
            }
            seen = current
            if stopping.load(ordering: .sequentiallyConsistent) { return }
            job?(index)
            remaining.subtract(1, ordering: .releasing)
        }
    }
}
