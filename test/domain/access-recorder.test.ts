import t from 'tap'
import { AccessRecorder, type AccessRecord } from '../../src/domain/memory/access-recorder.js'

function sink() {
  const batches: AccessRecord[][] = []
  let failing = false
  return {
    batches,
    fail(on: boolean) {
      failing = on
    },
    async recordAccess(records: AccessRecord[]) {
      if (failing) throw new Error('store down')
      batches.push(records.map((r) => ({ ...r })))
    },
  }
}

t.test('reads are counted in memory and written in one batch per flush', async (t) => {
  let now = 1_000
  const s = sink()
  const recorder = new AccessRecorder(s, { intervalMs: 60_000, now: () => now })
  recorder.record('a', 'id1')
  now = 2_000
  recorder.record('a', 'id1')
  recorder.record('b', 'id2')
  t.equal(s.batches.length, 0, 'nothing written on the read path')
  await recorder.flush()
  t.equal(s.batches.length, 1)
  t.same(s.batches[0]?.map((r) => [r.tool, r.id, r.count, r.lastAccessedAt.getTime()]), [['a', 'id1', 2, 2000], ['b', 'id2', 1, 2000]])
  await recorder.flush()
  t.equal(s.batches.length, 1, 'an empty flush writes nothing')
})

t.test('a failed flush keeps the counts and merges later reads', async (t) => {
  const s = sink()
  const errors: unknown[] = []
  const recorder = new AccessRecorder(s, { intervalMs: 60_000, now: () => 5, onError: (e) => errors.push(e) })
  recorder.record('a', 'x')
  s.fail(true)
  await recorder.flush()
  t.equal(errors.length, 1)
  recorder.record('a', 'x')
  s.fail(false)
  await recorder.stop()
  t.same(s.batches.map((b) => b.map((r) => r.count)), [[2]], 'both reads counted once the store is back')
})

t.test('pending entries are bounded', async (t) => {
  const s = sink()
  const recorder = new AccessRecorder(s, { intervalMs: 60_000, now: () => 1, maxPending: 3 })
  for (let i = 0; i < 10; i++) recorder.record('a', `id${i}`)
  recorder.record('a', 'id0')
  await recorder.flush()
  t.equal(s.batches[0]?.length, 3)
  t.equal(s.batches[0]?.[0]?.count, 2, 'tracked entries still count')
})
