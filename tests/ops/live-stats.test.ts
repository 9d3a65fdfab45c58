// The overview's "last minute": a request counts for 60 seconds, then not; a slot reused a
// minute later starts from zero.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { LiveStats } from '../../core/ops/live-stats.ts'

test('LiveStats.lastMinute counts the requests of the last 60 seconds only', () => {
  let now = 1_000_000_000_000
  const live = new LiveStats(() => now)
  try {
    for (let i = 0; i < 3; i++) live.count()
    now += 30_000
    live.count()
    assert.equal(live.lastMinute(), 4)
    now += 30_500
    assert.equal(live.lastMinute(), 1, 'the first three are older than a minute')
    now += 30_000
    assert.equal(live.lastMinute(), 0)
    // The slot of the first second again, a few minutes on: it starts from zero.
    now = 1_000_000_000_000 + 180_000
    live.count()
    assert.equal(live.lastMinute(), 1)
    const lag = live.eventLoopLag()
    assert.ok(lag.p99Ms >= 0 && lag.maxMs >= lag.meanMs)
  } finally {
    live.close()
  }
})
