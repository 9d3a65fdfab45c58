// Issue 22, item 1: every message that reaches the upstream over Codex's WebSocket mode passed
// the checks an HTTP request passes and was metered for the key, whatever frames carried it
// (text or binary opcode, one frame or many) and however its JSON was spelled; a message the
// relay cannot read or does not take as a request is refused, never forwarded.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { WebSocket } from 'ws'
import { startOpenAIMock } from '../mocks/openai-mock.ts'
import { ALICE_KEY, startRelay, testConfig } from '../helpers/relay-harness.ts'

const CODEX = { originator: 'codex_exec', 'user-agent': 'codex_exec/0.171.0 (Debian 12; x86_64) xterm' }
const ALLOWED = 'gpt-5-mini'

/** What a message asks for, and how its JSON is written. */
type Message =
  | { kind: 'create', model: string, spelling: 'plain' | 'escaped-key' | 'duplicate-model' | 'bom' | 'utf16' }
  | { kind: 'append' }
  | { kind: 'other', text: string }
  | { kind: 'not-utf8' }

interface Sent { message: Message, opcode: 'text' | 'binary', fragments: number }

const message: fc.Arbitrary<Message> = fc.oneof(
  fc.record({
    kind: fc.constant('create' as const),
    model: fc.constantFrom(ALLOWED, 'gpt-5-pro', 'GPT-5-PRO', 'gpt-5.4'),
    spelling: fc.constantFrom('plain' as const, 'escaped-key' as const, 'duplicate-model' as const, 'bom' as const, 'utf16' as const),
  }),
  fc.constant({ kind: 'append' as const }),
  fc.record({
    kind: fc.constant('other' as const),
    text: fc.constantFrom(
      '{"type":"response.cancel"}', '{"type":"session.update","model":"gpt-5-pro"}', '{"model":"gpt-5-pro","input":"x"}',
      '["response.create"]', 'response.create', '{"type":"Response.Create","model":"gpt-5-pro"}', '{"type":"response.create","model":"gpt-5-pro"',
      '{"type":"response.create","model":17}', '{"type":"response.create","type":"response.create","model":"gpt-5-mini"}',
    ),
  }),
)

function encode (m: Message): Buffer {
  switch (m.kind) {
    case 'append': return Buffer.from('{"type":"response.append","input":"more"}')
    case 'other': return Buffer.from(m.text)
    case 'not-utf8': return Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d])
    case 'create': {
      const body = `"input":"hi","prompt_cache_key":"prop"`
      if (m.spelling === 'plain') return Buffer.from(`{"type":"response.create","model":${JSON.stringify(m.model)},${body}}`)
      if (m.spelling === 'escaped-key') return Buffer.from(`{"type":"response.create","mod\\u0065l":${JSON.stringify(m.model)},${body}}`)
      // The relay would read the last; an upstream might read the first.
      if (m.spelling === 'duplicate-model') return Buffer.from(`{"type":"response.create","model":"${ALLOWED}","model":${JSON.stringify(m.model)},${body}}`)
      const text = `{"type":"response.create","model":${JSON.stringify(m.model)},${body}}`
      if (m.spelling === 'bom') return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)])
      return Buffer.from(text, 'utf16le')
    }
  }
}

/** Whether the relay should forward it, given the model the connection's last forwarded turn used. */
function forwarded (m: Message, last: string | undefined): { model: string } | undefined {
  if (m.kind === 'append') return last === ALLOWED ? { model: last } : undefined
  if (m.kind !== 'create' || m.spelling === 'duplicate-model' || m.spelling === 'bom' || m.spelling === 'utf16') return undefined
  return m.model === ALLOWED ? { model: m.model } : undefined
}

const sent: fc.Arbitrary<Sent> = fc.record({ message, opcode: fc.constantFrom('text' as const, 'binary' as const), fragments: fc.integer({ min: 1, max: 4 }) })
  // A text frame must be UTF-8 (ws refuses it otherwise, before the relay sees it).
  .filter(s => s.opcode === 'binary' || !(s.message.kind === 'create' && s.message.spelling === 'utf16'))

function sendFragmented (socket: WebSocket, bytes: Buffer, binary: boolean, fragments: number): void {
  const size = Math.max(1, Math.ceil(bytes.length / fragments))
  for (let i = 0; i < bytes.length; i += size) socket.send(bytes.subarray(i, i + size), { binary, fin: i + size >= bytes.length })
}

test('WebSocket messages reach the upstream only as checked, metered requests, whatever their frames or spelling', async t => {
  const mock = await startOpenAIMock()
  t.after(() => mock.close())
  const relay = await startRelay(t, testConfig(undefined, {
    plugins: [{ use: 'openai', mount: '/openai' }],
    keys: [{ name: 'alice', key: ALICE_KEY, models: { allow: [ALLOWED] } }],
    accounts: [{ name: 'ws', provider: 'openai', type: 'openai-api-key', apiKey: 'sk-proj-upstream-0001', baseUrl: `${mock.url}/v1`, websocket: true }],
  }))
  const url = `${relay.url.replace('http', 'ws')}/openai/v1/responses`

  await fc.assert(fc.asyncProperty(fc.array(sent, { minLength: 1, maxLength: 6 }), fc.boolean(), async (messages, endWithGarbage) => {
    const upstreamBefore = mock.requests.filter(r => r.method === 'WS').length
    const rowsBefore = (await relay.rt.store.recentRequests(10_000)).length
    const socket = new WebSocket(url, { headers: { authorization: `Bearer ${ALICE_KEY}`, ...CODEX } })
    await new Promise((resolve, reject) => { socket.once('open', resolve); socket.once('error', reject) })
    const closed = new Promise<number>(resolve => socket.once('close', code => resolve(code)))
    let expected = 0
    let last: string | undefined
    for (const s of messages) {
      // Each message gets exactly one answer: an error event, or the upstream's last event.
      const answer = new Promise<string>(resolve => {
        const on = (data: Buffer) => {
          const type = (JSON.parse(data.toString()) as { type: string }).type
          if (type === 'error' || type === 'response.completed') {
            socket.off('message', on)
            resolve(type)
          }
        }
        socket.on('message', on)
      })
      sendFragmented(socket, encode(s.message), s.opcode === 'binary', s.fragments)
      const want = forwarded(s.message, last)
      assert.equal(await answer, want ? 'response.completed' : 'error', JSON.stringify(s))
      if (want) {
        expected++
        last = want.model
      }
    }
    if (endWithGarbage) {
      sendFragmented(socket, encode({ kind: 'not-utf8' }), true, 1)
      assert.equal(await closed, 1007, 'bytes that are not UTF-8 close the socket')
    } else {
      socket.close()
      await closed
    }
    await relay.settled()

    const reached = mock.requests.filter(r => r.method === 'WS').slice(upstreamBefore)
    assert.equal(reached.length, expected)
    let model: string | undefined
    for (const r of reached) {
      const msg = JSON.parse(r.body.toString()) as { model?: string }
      model = msg.model ?? model
      assert.equal(model, ALLOWED, `the upstream was sent ${r.body.toString()}`)
    }
    const rows = (await relay.rt.store.recentRequests(10_000)).slice(0, -rowsBefore || undefined)
    const served = rows.filter(r => r.status === 200)
    assert.equal(served.length, reached.length, 'upstream-answered requests = metered requests')
    for (const r of served) assert.ok(r.costPico !== null && r.costPico > 0n, 'each served request is priced')
  }), { numRuns: 25 })
})
