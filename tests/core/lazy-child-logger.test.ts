// The per-request logger fastify gets from core/lazy-child-logger.ts: no pino child until the
// first log call, then one, with the request's bindings on every line.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { FastifyBaseLogger } from 'fastify'
import { createLogger } from '../../core/log.ts'
import { lazyChildLogger } from '../../core/lazy-child-logger.ts'

test('a request logger makes its pino child on the first line only, and every line carries its bindings', () => {
  const lines: Record<string, unknown>[] = []
  const parent = createLogger('info', { write: (s: string) => { lines.push(JSON.parse(s) as Record<string, unknown>) } }) as unknown as FastifyBaseLogger
  // pino's children inherit from their parent, this override included: count the parent's own.
  let made = 0
  const child = parent.child
  parent.child = function (this: FastifyBaseLogger, bindings, options) {
    if (this === parent) made++
    return child.call(this, bindings, options)
  }

  const quiet = lazyChildLogger(parent, { reqId: 'req_quiet' }, {})
  assert.equal(quiet.level, 'info')
  assert.equal(made, 0, 'a request that logs nothing costs no child')

  const loud = lazyChildLogger(parent, { reqId: 'req_loud' }, {})
  loud.info({ status: 401 }, 'relay refused')
  loud.debug('below the level')
  loud.error(new Error('boom'), 'relay failure')
  loud.child({ part: 'bridge' }).warn('from a grandchild')
  assert.equal(made, 1, 'one child, made once')
  assert.deepEqual(lines.map(l => [l.reqId, l.msg]), [['req_loud', 'relay refused'], ['req_loud', 'relay failure'], ['req_loud', 'from a grandchild']])
  assert.equal(lines[0]!.status, 401)
  assert.equal((lines[1]!.err as { message: string }).message, 'boom')
  assert.equal(lines[2]!.part, 'bridge')
})
