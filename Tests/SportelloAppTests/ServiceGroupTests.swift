import Foundation
import SportelloCore
import SportelloSite
import SportelloTesting
import Synchronization
import Testing

@testable import SportelloApp

/// A loop that logs its start and end, counts its passes and waits on its own semaphore between them; a busy
/// one spends `busyFor` seconds in each pass without looking at the stop request.
final class ProbeService: BackgroundService {
    let name: String
    let log: Locked<[String]>
    let passes = Atomic<Int>(0)
    let passesFinished = Atomic<Int>(0)
    let busyFor: Double
    private let wake = DispatchSemaphore(value: 0)

    init(_ name: String, log: Locked<[String]>, busyFor: Double = 0) {
        self.name = name
        self.log = log
        self.busyFor = busyFor
    }

    func run(until stop: StopRequest) {
        log.withLock { $0.append("start \(name)") }
        while !stop.isRequested {
            passes.add(1, ordering: .relaxed)
            if busyFor > 0 { Thread.sleep(forTimeInterval: busyFor) }
            passesFinished.add(1, ordering: .relaxed)
            _ = wake.wait(timeout: .now() + 60)
        }
        log.withLock { $0.append("stop \(name)") }
    }

    func interrupt() { wake.signal() }
}

@Suite struct ServiceGroupTests {
    func waitFor(_ condition: () -> Bool) -> Bool {
        for _ in 0..<1_000 where !condition() { usleep(10_000) }
        return condition()
    }

    @Test func startsAndStopsTwiceInReverseOrderLeavingNoThread() {
        let log = Locked<[String]>([])
        let (first, second) = (ProbeService("first", log: log), ProbeService("second", log: log))
        let group = ServiceGroup([first, second])
        for round in 1...2 {
            group.start()
            group.start()  // a second start in a row changes nothing
            #expect(group.isRunning)
            #expect(
                waitFor {
                    first.passes.load(ordering: .relaxed) >= round && second.passes.load(ordering: .relaxed) >= round
                })
            group.stop()
            group.stop()
            #expect(!group.isRunning)
            #expect(group.threadsRunning == 0)
            // Stopped in reverse order, each loop returned before the next was asked to stop.
            #expect(Array(log.withLock { $0 }.suffix(2)) == ["stop second", "stop first"])
        }
        #expect(log.withLock { $0 }.count == 8)
    }

    @Test func aStopWaitsForThePassInHandAndCutsTheWaitShort() {
        let log = Locked<[String]>([])
        let busy = ProbeService("busy", log: log, busyFor: 0.3)
        let group = ServiceGroup([busy])
        group.start()
        #expect(waitFor { busy.passes.load(ordering: .relaxed) == 1 })
        let asked = Date()
        group.stop()  // during the busy pass
        #expect(busy.passesFinished.load(ordering: .relaxed) == busy.passes.load(ordering: .relaxed))
        #expect(group.threadsRunning == 0)
        #expect(log.withLock { $0 } == ["start busy", "stop busy"])
        // Not the loop's 60-second wait: the interrupt ended it.
        #expect(Date().timeIntervalSince(asked) < 30)
    }

    /// The application's own services (two publisher lanes, delivery, the ticker): started and stopped twice,
    /// publishing while running, no thread left afterwards.
    @Test func theApplicationsBackgroundWorkStartsAndStopsTwice() throws {
        let published = Locked<Set<PageID>>([])
        let fixture = try FixtureApplication(
            "services", onPublished: { pages in published.withLock { $0.formUnion(pages) } }, buildFirst: false)
        defer { fixture.remove() }
        let application = fixture.application
        for _ in 1...2 {
            published.withLock { $0 = [] }
            application.startBackgroundWork()
            #expect(application.background.threadsRunning == 4)
            application.queue.mark([.service("residenza")])
            #expect(waitFor { published.withLock { $0.contains(.service("residenza")) } })
            application.stopBackgroundWork()
            #expect(application.background.threadsRunning == 0)
        }
    }

    /// Mail yields to answers: serve's hand-over threads run at the background priority, while its own threads
    /// (the delivery thread, whose claims hold the database's writer, the publisher's lanes, the ticker) and the
    /// caller stay at the default one, and Dispatch's shared pool is left alone (a lowered thread's nice value
    /// passes to every thread it creates; pool threads at nice 10 made unrelated work time out).
    @Test func onlyTheHandOversRunAtTheBackgroundPriority() throws {
        let fixture = try FixtureApplication("services", onPublished: { _ in }, buildFirst: false)
        defer { fixture.remove() }
        let application = fixture.application
        let before = BackgroundPriority.callingThreadNiceness
        #expect(!application.notifier.handOversYieldToAnswers)
        application.startBackgroundWork()
        defer { application.stopBackgroundWork() }
        #expect(waitFor { application.notifier.handOversYieldToAnswers })
        for name in ["notifications", "publisher-weeks", "publisher-summa", "ticker"] {
            #expect(waitFor { !threadNiceness(named: name).isEmpty })
            #expect(threadNiceness(named: name).allSatisfy { $0 == 0 })
        }
        #expect(BackgroundPriority.callingThreadNiceness == before)
        let pool = Locked<[Int32?]>([])
        DispatchQueue.concurrentPerform(iterations: 16) { _ in
            pool.withLock { $0.append(BackgroundPriority.callingThreadNiceness) }
        }
        #expect(pool.withLock { $0 }.allSatisfy { $0 == 0 })
    }
}

/// The nice values of this process's threads whose name is `name` (from `/proc/self/task/<id>/stat`).
private func threadNiceness(named name: String) -> [Int32] {
    let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
    return tasks.compactMap { task in
        guard let stat = try? String(contentsOfFile: "/proc/self/task/\(task)/stat", encoding: .utf8),
            let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")"),
            stat[stat.index(after: open)..<close] == name
        else { return nil }
        // After the name: state is field 3 of the line, nice field 19.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 16 ? Int32(fields[16]) : nil
    }
}
