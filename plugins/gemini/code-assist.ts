// Gemini CLI's Code Assist mode ("Login with Google") served by any account. The client calls
// `v1internal:*` with an envelope `{model, project, user_prompt_id, request}` and expects answers
// wrapped as `{response}`. The relay answers the setup calls itself (a stable virtual project,
// so a client never needs a Google project and the pool may move it between accounts), and for
// an API-key account unwraps each request onto the Gemini API and wraps the answer back.
import type { LocalResponse, ResponseFilter } from '../../core/plugin-api.ts'

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

/** Model ids travel in a URL path once unwrapped: only plain ones are accepted. */
export const MODEL_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/

/**
 * Wraps a Gemini API answer as Code Assist sends it: each SSE event's JSON as `{"response":…}`,
 * a JSON body (or each element of a JSON-array stream) likewise. SSE is rewritten event by event
 * as it flows; a JSON body is held to the end (it arrives whole anyway).
 */
export function createWrapFilter (eventStream: boolean): ResponseFilter {
  let held = ''
  const wrapEvent = (event: string) => event.replace(/^data: ?(.*)$/gm, (_, data: string) => `data: {"response":${data}}`)
  return {
    write (chunk) {
      held += chunk.toString('utf8')
      if (!eventStream) return Buffer.alloc(0)
      let out = ''
      for (let m = /\r?\n\r?\n/.exec(held); m; m = /\r?\n\r?\n/.exec(held)) {
        const end = m.index + m[0].length
        out += wrapEvent(held.slice(0, end))
        held = held.slice(end)
      }
      return Buffer.from(out)
    },
    end () {
      const rest = held
      held = ''
      if (eventStream) return Buffer.from(wrapEvent(rest))
      try {
        const body = JSON.parse(rest) as unknown
        return Buffer.from(JSON.stringify(Array.isArray(body) ? body.map(response => ({ response })) : { response: body }))
      } catch {
        return Buffer.from(rest)
      }
    },
  }
}
