// The request log's model glob means the same in both stores: SQLite answers it with LIKE, Redis
// with globMatches. Generated model names and globs over an alphabet of LIKE's own wildcards,
// the escape character, both cases and letters beyond ASCII must select the same rows.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { openSqliteStore } from '../../core/store/sqlite-store.ts'
import { globMatches } from '../../core/store/model-glob.ts'
import type { UsageRecord } from '../../core/store/store.ts'

const ALPHABET = ['a', 'A', 'b', 'z', '-', '.', '%', '_', '\\', 'é', 'É', '中', '😀', '4']
const name = fc.array(fc.constantFrom(...ALPHABET), { minLength: 1, maxLength: 8 }).map(a => a.join(''))
const glob = fc.array(fc.constantFrom(...ALPHABET, '*', '?'), { minLength: 0, maxLength: 6 }).map(a => a.join(''))

function row (requestId: string, model: string, keyId: string): UsageRecord {
  return {
    requestId, time: 1_800_000_000_000, keyId, accountId: 'a', provider: 'claude', model, path: '/v1/messages', stream: false, status: 200,
    usage: {}, costPico: 0n, unpriced: false, priceVersion: null, latencyMs: 1, ttfbMs: null, partial: false, attempts: 1, accountsTried: ['a'],
    clientKind: 'sdk', billable: false, flags: null,
  }
}

test('a model glob selects the same rows through SQLite LIKE and through globMatches', async () => {
  const store = openSqliteStore(':memory:')
  let run = 0
  try {
    await fc.assert(fc.asyncProperty(fc.uniqueArray(name, { minLength: 1, maxLength: 12 }), glob, async (models, g) => {
      // Each run's rows under a key of their own: the store outlives the run, and a glob matching
      // everything must not find this run's rows crowded out of a page by earlier runs' rows.
      const keyId = `k${run++}`
      await store.writeUsage({ records: models.map((m, i) => row(`${keyId}-${i}`, m, keyId)) })
      const sql = (await store.queryRequests({ keyId, limit: models.length + 1, modelGlob: g })).map(r => r.model).sort()
      const js = models.filter(m => globMatches(g, m)).sort()
      assert.deepEqual(sql, js, `glob ${JSON.stringify(g)}`)
    }), { numRuns: 200 })
  } finally {
    await store.close()
  }
})
