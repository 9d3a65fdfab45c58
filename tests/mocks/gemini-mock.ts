// A fake Gemini API on 127.0.0.1 speaking the real wire format: generateContent (JSON),
// streamGenerateContent as SSE (`?alt=sse`) or as a JSON array streamed element by element,
// countTokens, models, and Google's error shape. usageMetadata is the real one:
// promptTokenCount includes cachedContentTokenCount; candidatesTokenCount excludes
// thoughtsTokenCount. A request for structured output (generationConfig.responseJsonSchema /
// responseSchema, as Gemini CLI's model router sends) gets JSON text that fits the schema, as the
// real API answers. The same server is Gemini CLI's Code Assist upstream (`/v1internal:*`): a
// bearer token, the account's project (found through loadCodeAssist and, for a new account,
// onboardUser and its long-running operation), and answers wrapped as `{response}`.
// Behaviours are queued per request to inject faults.
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface GeminiUsage { prompt: number, cached: number, candidates: number, thoughts: number }

export type GeminiBehaviour =
  | {
    kind: 'ok', usage?: Partial<GeminiUsage>, text?: string, /** Streams: headers at once, the first chunk once this resolves (the model thinking). */ firstChunkAfter?: Promise<void>
    /** Function calls the answer ends with (in the last chunk, whole, as Gemini sends them; the first signed as Gemini 3 signs it). */
    calls?: { name: string, args: Record<string, unknown> }[]
  }
  | { kind: 'status', status: number, body?: string, headers?: Record<string, string> }
  | { kind: 'cut', afterChunks: number }
  | { kind: 'hang' }

export interface GeminiMock {
  url: string
  requests: { method: string, url: string, headers: IncomingHttpHeaders, body: Buffer }[]
  enqueue (...b: GeminiBehaviour[]): void
  /** Decides by the request itself (the generateContent body, unwrapped from Code Assist's envelope), before the queue; undefined: the queue decides. */
  decide: ((request: Record<string, unknown>) => GeminiBehaviour | undefined) | undefined
  /** Code Assist: the bearer token it takes (any when unset). */
  bearer: (() => string) | undefined
  /**
   * Antigravity's backend instead of Gemini CLI's: Claude models too, and the envelope and
   * headers Antigravity sends are required (a Claude function's parameters in the OpenAPI subset).
   */
  antigravity: boolean
  /** Code Assist: the project its account is served under, and whether it was onboarded. */
  project: string
  onboarded: boolean
  close (): Promise<void>
}

export const CODE_ASSIST_PROJECT = 'mystical-mock-42ab7'
/** What the Antigravity backend lists for an account. */
export const ANTIGRAVITY_MODELS = ['claude-sonnet-4-5', 'claude-sonnet-4-5-thinking', 'claude-opus-4-5-thinking', 'gemini-3-pro-high', 'gemini-2.5-flash']

export const DEFAULT_GEMINI_USAGE: GeminiUsage = { prompt: 150, cached: 100, candidates: 20, thoughts: 40 }
export const GEMINI_TEXT = 'Hello from the mock Gemini upstream.'

export function usageMetadata (u: GeminiUsage) {
  return { promptTokenCount: u.prompt, cachedContentTokenCount: u.cached, candidatesTokenCount: u.candidates, thoughtsTokenCount: u.thoughts, totalTokenCount: u.prompt + u.candidates + u.thoughts }
}

/** Why Antigravity's backend would refuse this generate call, or undefined. */
function antigravityProblem (headers: IncomingHttpHeaders, envelope: Record<string, unknown>, model: string): string | undefined {
  if (!String(headers['user-agent'] ?? '').startsWith('antigravity/')) return 'unknown client'
  const request = (envelope.request ?? {}) as { sessionId?: unknown, session_id?: unknown, tools?: { functionDeclarations?: Record<string, unknown>[] }[] }
  if (envelope.userAgent !== 'antigravity' || typeof envelope.requestId !== 'string' || typeof request.sessionId !== 'string' || request.session_id !== undefined) return 'Invalid JSON payload received: not an Antigravity request'
  if (/^claude-/.test(model)) {
    for (const decl of (request.tools ?? []).flatMap(t => t.functionDeclarations ?? [])) {
      if (decl.parametersJsonSchema !== undefined) return 'Invalid JSON payload received. Unknown name "parametersJsonSchema"'
      const text = JSON.stringify(decl.parameters ?? {})
      for (const bad of ['$schema', 'additionalProperties', '"const"']) if (text.includes(bad)) return `Invalid JSON payload received. Unknown name ${bad} at 'request.tools[0].function_declarations[0].parameters'`
    }
  }
  return undefined
}

export const THOUGHT_TEXT = 'Weighing the question.'
export const MOCK_SIGNATURE = 'c2lnbmVkLWJ5LXRoZS1tb2Nr'

/**
 * The answer as stream chunks: a thought first when the request asked for thoughts
 * (`thinkingConfig.includeThoughts`), the text word by word, then any function calls.
 */
export function geminiChunks (model: string, u: GeminiUsage, text: string, opts: { thoughts?: boolean, calls?: { name: string, args: Record<string, unknown> }[] } = {}): object[] {
  const words = text === '' ? [] : text.split(/(?<= )/)
  const parts: object[][] = [...(opts.thoughts ? [[{ text: THOUGHT_TEXT, thought: true }]] : []), ...words.map(w => [{ text: w }])]
  if (opts.calls && opts.calls.length > 0) parts.push(opts.calls.map((c, i) => ({ functionCall: { name: c.name, args: c.args }, ...(i === 0 ? { thoughtSignature: MOCK_SIGNATURE } : {}) })))
  return parts.map((p, i) => ({
    candidates: [{ content: { parts: p, role: 'model' }, index: 0, ...(i === parts.length - 1 ? { finishReason: 'STOP' } : {}) }],
    usageMetadata: i === parts.length - 1 ? usageMetadata(u) : { promptTokenCount: u.prompt, totalTokenCount: u.prompt },
    modelVersion: model,
    responseId: 'resp-mock-0001',
  }))
}

/** A minimal value that fits a JSON Schema (the first enum value, else a value of its type). */
export function fromSchema (schema: unknown): unknown {
  const s = (schema ?? {}) as { type?: unknown, enum?: unknown[], properties?: Record<string, unknown>, items?: unknown, anyOf?: unknown[] }
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0]
  if (Array.isArray(s.anyOf) && s.anyOf.length > 0) return fromSchema(s.anyOf[0])
  const type = String(Array.isArray(s.type) ? s.type[0] : s.type ?? 'object').toLowerCase()
  if (type === 'object') return Object.fromEntries(Object.entries(s.properties ?? {}).map(([k, v]) => [k, fromSchema(v)]))
  if (type === 'array') return [fromSchema(s.items)]
  if (type === 'string') return 'mock'
  if (type === 'integer' || type === 'number') return 1
  if (type === 'boolean') return true
  return null
}

export function googleError (status: number, message = `mock ${status}`, details: unknown[] = []): string {
  const names: Record<number, string> = { 400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 403: 'PERMISSION_DENIED', 404: 'NOT_FOUND', 429: 'RESOURCE_EXHAUSTED', 500: 'INTERNAL', 503: 'UNAVAILABLE' }
  return JSON.stringify({ error: { code: status, message, status: names[status] ?? 'INTERNAL', details } })
}

export async function startGeminiMock (): Promise<GeminiMock> {
  const queue: GeminiBehaviour[] = []
  const requests: GeminiMock['requests'] = []
  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' })
    res.end(typeof body === 'string' ? body : JSON.stringify(body))
  }
  /** Code Assist's own calls; true when answered. */
  const codeAssistSetup = (req: IncomingMessage, res: ServerResponse, call: string): boolean => {
    if (call === 'fetchAvailableModels') {
      // Antigravity's live list: the models by id, with their quota; Gemini CLI's backend has no such call.
      if (!mock.antigravity) json(res, 404, googleError(404, 'Method not found.'))
      else if (req.method !== 'POST' || !String(req.headers['user-agent'] ?? '').startsWith('antigravity/')) json(res, 400, googleError(400, 'unknown client'))
      else json(res, 200, { models: Object.fromEntries(ANTIGRAVITY_MODELS.map(id => [id, { displayName: id.replace(/-/g, ' '), quotaInfo: { remainingFraction: 1, resetTime: '2026-12-08T00:00:00Z' } }])) })
      return true
    }
    if (call === 'loadCodeAssist') {
      json(res, 200, mock.onboarded
        ? { currentTier: { id: 'free-tier', name: 'Gemini Code Assist for individuals' }, allowedTiers: [{ id: 'free-tier', isDefault: true }], cloudaicompanionProject: mock.project }
        : { allowedTiers: [{ id: 'free-tier', name: 'Gemini Code Assist for individuals', isDefault: true }] })
      return true
    }
    if (call === 'onboardUser') {
      json(res, 200, { name: 'operations/onboard-mock-1', done: false })
      return true
    }
    if (req.method === 'GET' && req.url === '/v1internal/operations/onboard-mock-1') {
      mock.onboarded = true
      json(res, 200, { name: 'operations/onboard-mock-1', done: true, response: { '@type': 'type.googleapis.com/google.internal.cloud.code.v1internal.OnboardUserResponse', cloudaicompanionProject: { id: mock.project, name: mock.project } } })
      return true
    }
    return false
  }
  const decided = (body: Buffer, codeAssist: boolean): GeminiBehaviour | undefined => {
    if (!mock.decide) return undefined
    try {
      const parsed = JSON.parse(body.toString('utf8')) as Record<string, unknown>
      return mock.decide((codeAssist ? parsed.request : parsed) as Record<string, unknown>)
    } catch {
      return undefined
    }
  }
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      void (async () => {
        requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) })
        const url = new URL(req.url ?? '/', 'http://mock')
        const codeAssist = url.pathname.startsWith('/v1internal')
        if (codeAssist && mock.bearer && req.headers.authorization !== `Bearer ${mock.bearer()}`) {
          return json(res, 401, googleError(401, 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.'))
        }
        const call = codeAssist ? url.pathname.slice('/v1internal:'.length) : ''
        if (codeAssist && codeAssistSetup(req, res, call)) return
        const b = decided(Buffer.concat(chunks), codeAssist) ?? queue.shift() ?? { kind: 'ok' }
        if (b.kind === 'hang') return
        if (b.kind === 'status') {
          res.writeHead(b.status, { 'content-type': 'application/json; charset=UTF-8', ...b.headers })
          res.end(b.body ?? googleError(b.status))
          return
        }
        let model: string
        let action: string | undefined
        let request: { generationConfig?: { responseJsonSchema?: unknown, responseSchema?: unknown, thinkingConfig?: { includeThoughts?: boolean } } }
        if (codeAssist) {
          const envelope = JSON.parse(Buffer.concat(chunks).toString() || '{}') as { model?: string, project?: string, request?: typeof request & { model?: string } }
          action = call
          model = action === 'countTokens' ? String(envelope.request?.model ?? '').replace(/^models\//, '') : String(envelope.model)
          if (action !== 'countTokens' && envelope.project !== mock.project) return json(res, 403, googleError(403, `Permission denied on resource project ${String(envelope.project)}.`))
          request = envelope.request ?? {}
          if (action !== 'countTokens') {
            const problem = mock.antigravity ? antigravityProblem(req.headers, envelope, model) : /^claude-/.test(model) ? `Requested entity was not found: model ${model}` : undefined
            if (problem !== undefined) return json(res, problem.startsWith('Requested entity') ? 404 : 400, googleError(problem.startsWith('Requested entity') ? 404 : 400, problem))
          }
        } else {
          const last = decodeURIComponent(url.pathname.split('/').pop() ?? '')
          ;[model, action] = last.split(':') as [string, string | undefined]
          request = JSON.parse(Buffer.concat(chunks).toString() || '{}') as typeof request
        }
        // Code Assist wraps every answer but countTokens.
        const wrap = (o: object) => (codeAssist ? { response: o, traceId: 'trace-mock-0001' } : o)
        if (req.method === 'GET') {
          return json(res, 200, action === undefined && model !== 'models' ? { name: `models/${model}` } : { models: [{ name: 'models/gemini-2.5-pro' }] })
        }
        if (action === 'countTokens') return json(res, 200, { totalTokens: 42 })
        const u = { ...DEFAULT_GEMINI_USAGE, ...(b.kind === 'ok' ? b.usage : undefined) }
        const schema = request.generationConfig?.responseJsonSchema ?? request.generationConfig?.responseSchema
        const calls = b.kind === 'ok' ? b.calls : undefined
        const text = b.kind === 'ok' && b.text !== undefined ? b.text : calls ? '' : schema !== undefined ? JSON.stringify(fromSchema(schema)) : GEMINI_TEXT
        const parts = geminiChunks(model, u, text, { thoughts: request.generationConfig?.thinkingConfig?.includeThoughts === true, calls })
        if (action === 'generateContent') {
          // The whole answer: the chunks' parts in one candidate, consecutive text joined as Gemini joins it.
          const all: { text?: string, thought?: boolean }[] = []
          for (const p of parts) {
            for (const part of (p as { candidates: { content: { parts: { text?: string, thought?: boolean }[] } }[] }).candidates[0]!.content.parts) {
              const last = all.at(-1)
              if (last && typeof last.text === 'string' && typeof part.text === 'string' && last.thought === part.thought) last.text += part.text
              else all.push({ ...part })
            }
          }
          return json(res, 200, wrap({ candidates: [{ content: { parts: all, role: 'model' }, finishReason: 'STOP', index: 0 }], usageMetadata: usageMetadata(u), modelVersion: model, responseId: 'resp-mock-0001' }))
        }
        const sse = url.searchParams.get('alt') === 'sse'
        res.writeHead(200, { 'content-type': sse ? 'text/event-stream' : 'application/json; charset=UTF-8' })
        if (b.kind === 'ok' && b.firstChunkAfter) {
          res.flushHeaders()
          await b.firstChunkAfter
        }
        for (const [i, p] of parts.entries()) {
          if (b.kind === 'cut' && i === b.afterChunks) {
            await new Promise(resolve => setTimeout(resolve, 50))
            res.socket?.destroy()
            return
          }
          res.write(sse ? `data: ${JSON.stringify(wrap(p))}\r\n\r\n` : `${i === 0 ? '[' : ',\r\n'}${JSON.stringify(wrap(p))}`)
        }
        res.end(sse ? '' : ']')
      })()
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const mock: GeminiMock = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    bearer: undefined,
    antigravity: false,
    project: CODE_ASSIST_PROJECT,
    onboarded: true,
    enqueue: (...b) => { queue.push(...b) },
    decide: undefined,
    close: () => new Promise<void>(resolve => { server.closeAllConnections(); server.close(() => resolve()) }),
  }
  return mock
}
