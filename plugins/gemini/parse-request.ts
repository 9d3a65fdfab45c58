// What core needs from a Gemini API request: the model and the action from the path
// (`/v1beta/models/<model>:streamGenerateContent`), the conversation for sticky selection (a
// hash of the system instruction and the first user turn, which stay the same across its turns),
// and the client. The body is only read.
import { createHash } from 'node:crypto'
import { parseJsonObject, type IncomingRequest, type ParsedRequest, type PluginRefusal, type PluginRoute } from '../../core/plugin-api.ts'
import { detectClientKind } from './client-kind.ts'
import { MODEL_ID, type Envelope } from './code-assist.ts'

interface GenerateBody { systemInstruction?: unknown, system_instruction?: unknown, contents?: unknown }

const refuse = (message: string): PluginRefusal => ({ error: { code: 'RELAY_ERR_BODY_INVALID', message } })

/** `gemini-2.5-pro` and `streamGenerateContent` from `/v1beta/models/gemini-2.5-pro:streamGenerateContent`. */
export function modelAndAction (path: string): { model?: string, action?: string } {
  const last = decodeURIComponent(path.split('/').pop() ?? '')
  const colon = last.lastIndexOf(':')
  return colon === -1 ? { model: last } : { model: last.slice(0, colon), action: last.slice(colon + 1) }
}

function conversationHash (body: GenerateBody): string | undefined {
  const system = body.systemInstruction ?? body.system_instruction
  const first = Array.isArray(body.contents) ? (body.contents as { role?: unknown }[]).find(c => c && (c.role === 'user' || c.role === undefined)) : undefined
  if (system === undefined && first === undefined) return undefined
  return 'h:' + createHash('sha256').update(JSON.stringify([system ?? null, first ?? null])).digest('hex').slice(0, 32)
}

export const isCodeAssist = (route: PluginRoute) => route.path.startsWith('/v1internal:')

/** A Code Assist call: `{model, project, user_prompt_id, request}`; the conversation is the request's `session_id`. */
function parseEnvelope (path: string, body: Envelope, clientKind: ParsedRequest['clientKind']): ParsedRequest | PluginRefusal {
  const action = path.slice(path.indexOf(':') + 1)
  const raw = action === 'countTokens' ? String(body.request?.model ?? '').replace(/^models\//, '') : body.model
  if (typeof raw !== 'string' || !MODEL_ID.test(raw)) return refuse('Invalid model: a plain model id is required')
  if (body.request === null || typeof body.request !== 'object' || Array.isArray(body.request)) return refuse('Invalid JSON payload received: request must be an object.')
  const session = body.request.session_id
  return {
    model: raw,
    stream: action === 'streamGenerateContent',
    sessionKey: typeof session === 'string' && session.length > 0 ? session : conversationHash(body.request),
    clientKind,
    notes: { codeAssist: action },
  }
}

export function parseRequest (route: PluginRoute, req: IncomingRequest): ParsedRequest | PluginRefusal {
  const clientKind = detectClientKind(req.headers)
  // A listing (`GET …/models`) is noted: Antigravity's backend answers it, Gemini CLI's has none.
  if (route.method === 'GET') return { stream: false, clientKind, ...(route.path.endsWith('/models') ? { notes: { listing: true } } : {}) }
  if (isCodeAssist(route)) {
    if (!req.body || req.body.length === 0) return refuse('Invalid JSON payload received. The request body is empty.')
    // The envelope names the model, which the relay checks: the upstream must read the same one.
    const read = parseJsonObject(req.body.toString('utf8'), ['model'])
    if ('problem' in read) {
      if (read.problem === 'not-json') return refuse('Invalid JSON payload received.')
      if (read.problem === 'not-object') return refuse('Invalid JSON payload received: the body must be an object.')
      return refuse(`Invalid JSON payload received. Duplicate field "${read.key}".`)
    }
    return parseEnvelope(req.path, read.value as Envelope, clientKind)
  }
  const { model, action } = modelAndAction(req.path)
  if (!model) return refuse('The model is missing from the path: models/{model}:{action}')
  if (!MODEL_ID.test(model)) return refuse(`Invalid model id: ${JSON.stringify(model.slice(0, 64))}`)
  if (!req.body || req.body.length === 0) return refuse('Invalid JSON payload received. The request body is empty.')
  let body: GenerateBody
  try {
    body = JSON.parse(req.body.toString('utf8')) as GenerateBody
  } catch {
    return refuse('Invalid JSON payload received.')
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return refuse('Invalid JSON payload received: the body must be an object.')
  // The action, and whether a stream was asked for as SSE, for a translation onto Code Assist.
  const notes = { action, clientSse: new URLSearchParams(req.query).get('alt') === 'sse' }
  return { model, stream: action === 'streamGenerateContent', sessionKey: conversationHash(body), clientKind, notes }
}
