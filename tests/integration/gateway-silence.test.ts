// A stream silent for 75 s mid-way (extended thinking; longer than nginx's default 60 s read
// timeout) is not cut by either shipped kit. Both gateways run at once so the suite waits once.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { request } from 'undici'
import { ALICE_KEY, sseEvents } from '../helpers/relay-harness.ts'
import { requireBinary } from '../helpers/processes.ts'
import { startNginx } from '../helpers/nginx.ts'
import { startCaddy } from '../helpers/caddy.ts'
import { deploy, type StartGateway } from './gateway-cases.ts'

const SILENCE_MS = 75_000

test('a stream silent for 75 s passes nginx and Caddy whole', { timeout: 240_000 }, async t => {
  const nginx = requireBinary(t, 'nginx')
  const caddy = requireBinary(t, 'caddy')
  if (!nginx || !caddy) return
  const through = async (binary: string, start: StartGateway) => {
    const { base, anthropic } = await deploy(t, binary, start)
    anthropic.enqueue({ kind: 'ok', silentGap: { afterEvents: 3, ms: SILENCE_MS } })
    const res = await request(`${base}/claude/v1/messages`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': ALICE_KEY },
      body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 5, stream: true, messages: [{ role: 'user', content: 'think long' }] }),
      bodyTimeout: 0,
    })
    assert.equal(res.statusCode, 200)
    const events: string[] = []
    for await (const ev of sseEvents(res.body)) events.push(ev.event ?? '')
    return events
  }
  const [viaNginx, viaCaddy] = await Promise.all([
    through(nginx, (tt, bin, port, toolPort) => startNginx(tt, bin, port, { toolPort })),
    through(caddy, (tt, bin, port, toolPort) => startCaddy(tt, bin, port, { toolPort })),
  ])
  for (const events of [viaNginx, viaCaddy]) {
    assert.equal(events[0], 'message_start')
    assert.equal(events.at(-1), 'message_stop', 'the stream ended with its last event, not cut at the silence')
  }
})
