// Gemini CLI's Code Assist API ("Login with Google") and the public Gemini API, each served by
// either kind of account. A Code Assist call is an envelope `{model, project, user_prompt_id,
// request}` around a Gemini API request; the answers come wrapped as `{response}`. The relay
// answers a client's setup calls itself (a stable virtual project, so a client never needs a
// Google project and the pool may move it between accounts) and puts the serving account's
// real project into what it forwards.
import { randomUUID } from 'node:crypto'
import type { LocalResponse } from '../../core/plugin-api.ts'

/** The project every client is told it has; each account's real one is put in what it forwards. */
export const VIRTUAL_PROJECT = 'ai-relay-virtual-project'

const json = (body: unknown): LocalResponse => ({ status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })

/** The setup and housekeeping calls Gemini CLI 0.61 makes, answered by the relay. */
export const LOCAL_CALLS: Record<string, () => LocalResponse> = {
  loadCodeAssist: () => json({ currentTier: { id: 'standard-tier', name: 'Relay' }, allowedTiers: [{ id: 'standard-tier', isDefault: true }], cloudaicompanionProject: VIRTUAL_PROJECT }),
  onboardUser: () => json({ done: true, response: { cloudaicompanionProject: { id: VIRTUAL_PROJECT, name: VIRTUAL_PROJECT } } }),
  retrieveUserQuota: () => json({ buckets: [] }),
  listExperiments: () => json({}),
}

export interface Envelope {
  model?: unknown
  project?: unknown
  user_prompt_id?: unknown
  request?: { session_id?: unknown, model?: unknown, contents?: unknown, systemInstruction?: unknown } & Record<string, unknown>
}

/** Model ids travel in a URL path or an envelope once translated: only plain ones are accepted. */
export const MODEL_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/

const parse = (body: Buffer) => JSON.parse(body.toString('utf8')) as Record<string, unknown>

/**
 * A Code Assist envelope naming another model (an account's model map): `model`, or for
 * countTokens `request.model` (`models/…`).
 */
export function envelopeForModel (body: Buffer, model: string): Buffer {
  const envelope = parse(body) as Envelope
  if (envelope.model !== undefined) envelope.model = model
  if (envelope.request && typeof envelope.request.model === 'string') envelope.request.model = `models/${model}`
  return Buffer.from(JSON.stringify(envelope))
}

/** A public countTokens body naming another model: its `generateContentRequest.model`. */
export function countForModel (body: Buffer, model: string): Buffer {
  const plain = parse(body)
  const inner = plain.generateContentRequest as Record<string, unknown> | undefined
  if (!inner || typeof inner !== 'object' || inner.model === undefined) return body
  inner.model = `models/${model}`
  return Buffer.from(JSON.stringify(plain))
}

/** A Code Assist request as the Gemini API takes it: the envelope's `request`, without its Code Assist-only fields. */
export function unwrapRequest (body: Buffer): Buffer {
  const { request } = parse(body) as Envelope
  const { session_id: _s, model: _m, ...plain } = request ?? {}
  return Buffer.from(JSON.stringify(plain))
}

/**
 * A Gemini API request in a Code Assist envelope for `project`. countTokens has its own shape
 * (`{request: {model: "models/…", contents}}`, no project), as Gemini CLI sends it; its public
 * body holds `contents` or a whole `generateContentRequest`.
 */
export function wrapRequest (body: Buffer, model: string, action: string, project: string): Buffer {
  const plain = parse(body)
  if (action === 'countTokens') {
    const inner = plain.generateContentRequest as Record<string, unknown> | undefined
    return Buffer.from(JSON.stringify({ request: { model: `models/${model}`, contents: plain.contents ?? inner?.contents ?? [] } }))
  }
  return Buffer.from(JSON.stringify({ model, project, user_prompt_id: randomUUID(), request: plain }))
}

/** A client's Code Assist request with the serving account's project in place of the virtual one. */
export function withProject (body: Buffer, project: string): Buffer {
  const envelope = parse(body)
  // countTokens carries no project; it is not given one.
  if (!('project' in envelope)) return body
  return Buffer.from(JSON.stringify({ ...envelope, project }))
}
