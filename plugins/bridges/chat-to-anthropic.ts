// OpenAI Chat Completions request → Anthropic Messages request, from the two providers' API
// references. What has no equivalent is either refused with a clear reason (the client learns
// what to change) or dropped when it cannot change the answer (`user`, `seed`, `logprobs: false`);
// each lossy spot is named in LOSSY, which the README lists.
import { argumentsObject, isObject, number, Refused, refuse, refuseUnsupported } from './checks.ts'

/** The parts of a Chat Completions body this reads; anything else is checked by name. */
export interface ChatRequest {
  model?: unknown
  messages?: unknown
  max_tokens?: unknown
  max_completion_tokens?: unknown
  temperature?: unknown
  top_p?: unknown
  stop?: unknown
  stream?: unknown
  tools?: unknown
  tool_choice?: unknown
  parallel_tool_calls?: unknown
  response_format?: unknown
  reasoning_effort?: unknown
  user?: unknown
  n?: unknown
  [k: string]: unknown
}

type Block =
  | { type: 'text', text: string }
  | { type: 'image', source: { type: 'base64', media_type: string, data: string } | { type: 'url', url: string } }
  | { type: 'tool_use', id: string, name: string, input: unknown }
  | { type: 'tool_result', tool_use_id: string, content: string | Block[], is_error?: boolean }

export interface AnthropicRequest {
  model: string
  max_tokens: number
  messages: { role: 'user' | 'assistant', content: Block[] }[]
  system?: { type: 'text', text: string }[]
  temperature?: number
  top_p?: number
  stop_sequences?: string[]
  stream?: boolean
  tools?: { name: string, description?: string, input_schema: Record<string, unknown> }[]
  tool_choice?: { type: 'auto' | 'any' | 'none' } | { type: 'tool', name: string } | { type: 'auto' | 'any', disable_parallel_tool_use: true }
  thinking?: { type: 'enabled', budget_tokens: number }
  metadata?: { user_id: string }
}

export type Translated = { ok: true, request: AnthropicRequest, notes: string[] } | { ok: false, message: string }

/** Where a Chat Completions feature has no exact Anthropic equivalent (for the README). */
export const LOSSY = [
  'n > 1 is refused (Messages answers once)',
  'response_format json_object / json_schema become an instruction in the system prompt; the answer is not enforced to match',
  'logprobs, presence_penalty, frequency_penalty, logit_bias and seed are refused when set to a non-default value',
  'image detail (low / high / auto) is ignored',
  'reasoning_effort becomes a thinking budget (minimal 1024, low 2048, medium 8192, high 24576 tokens, within max_tokens)',
] as const

/** Without a limit from the client: Anthropic requires one. */
export const DEFAULT_MAX_TOKENS = 8192
const THINKING_BUDGET: Record<string, number> = { minimal: 1024, low: 2048, medium: 8192, high: 24_576 }
const DATA_URL = /^data:(image\/(?:png|jpeg|gif|webp));base64,([A-Za-z0-9+/=\s]+)$/

const fail = (message: string): Translated => ({ ok: false, message })

/** A message's text from a string or from its text parts. */
function textOf (content: unknown, where: string): string {
  if (typeof content === 'string') return content
  if (content === null || content === undefined) return ''
  if (!Array.isArray(content)) return refuse(`${where}.content: must be a string or an array of parts`)
  return content.map((p, i) => {
    if (!isObject(p) || p.type !== 'text' || typeof p.text !== 'string') return refuse(`${where}.content[${i}]: only text parts are allowed here`)
    return p.text
  }).join('')
}

function imageOf (part: Record<string, unknown>, where: string): Block {
  const image = part.image_url
  const url = typeof image === 'string' ? image : isObject(image) && typeof image.url === 'string' ? image.url : refuse(`${where}.image_url.url: must be a string`)
  const data = DATA_URL.exec(url)
  if (data) return { type: 'image', source: { type: 'base64', media_type: data[1]!, data: data[2]!.replace(/\s+/g, '') } }
  if (/^https:\/\//i.test(url)) return { type: 'image', source: { type: 'url', url } }
  return refuse(`${where}.image_url.url: an https URL or a data: URL of a PNG, JPEG, GIF or WebP image`)
}

function userBlocks (content: unknown, where: string): Block[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }]
  if (!Array.isArray(content)) return refuse(`${where}.content: must be a string or an array of parts`)
  return content.map((p, i): Block => {
    const at = `${where}.content[${i}]`
    if (!isObject(p)) return refuse(`${at}: must be an object`)
    if (p.type === 'text' && typeof p.text === 'string') return { type: 'text', text: p.text }
    if (p.type === 'image_url') return imageOf(p, at)
    return refuse(`${at}.type: ${JSON.stringify(p.type)} is not supported (text and image_url are)`)
  })
}

/** Consecutive messages of one role become one (Anthropic alternates user and assistant). */
function push (out: AnthropicRequest['messages'], role: 'user' | 'assistant', blocks: Block[]): void {
  const last = out.at(-1)
  if (last && last.role === role) last.content.push(...blocks)
  else out.push({ role, content: blocks })
}

function messagesOf (raw: unknown, system: string[]): AnthropicRequest['messages'] {
  if (!Array.isArray(raw) || raw.length === 0) return refuse('messages: must be a non-empty array')
  const out: AnthropicRequest['messages'] = []
  raw.forEach((m, i) => {
    const where = `messages[${i}]`
    if (!isObject(m)) return refuse(`${where}: must be an object`)
    switch (m.role) {
      case 'system': case 'developer': {
        system.push(textOf(m.content, where))
        return
      }
      case 'user':
        return push(out, 'user', userBlocks(m.content, where))
      case 'assistant': {
        const blocks: Block[] = []
        const text = textOf(m.content, where)
        if (text !== '') blocks.push({ type: 'text', text })
        if (m.tool_calls !== undefined && m.tool_calls !== null) {
          if (!Array.isArray(m.tool_calls)) return refuse(`${where}.tool_calls: must be an array`)
          m.tool_calls.forEach((c, j) => {
            const at = `${where}.tool_calls[${j}]`
            if (!isObject(c) || typeof c.id !== 'string' || !isObject(c.function) || typeof c.function.name !== 'string') return refuse(`${at}: needs an id and a function with a name`)
            blocks.push({ type: 'tool_use', id: c.id, name: c.function.name, input: argumentsObject(c.function.arguments, at) })
          })
        }
        if (blocks.length === 0) return refuse(`${where}: an assistant message needs content or tool_calls`)
        return push(out, 'assistant', blocks)
      }
      case 'tool': {
        if (typeof m.tool_call_id !== 'string') return refuse(`${where}.tool_call_id: must be a string`)
        return push(out, 'user', [{ type: 'tool_result', tool_use_id: m.tool_call_id, content: textOf(m.content, where) }])
      }
      default:
        return refuse(`${where}.role: ${JSON.stringify(m.role)} is not one of system, developer, user, assistant, tool`)
    }
  })
  if (out.length === 0) return refuse('messages: needs at least one user message besides the system prompt')
  if (out[0]!.role !== 'user') out.unshift({ role: 'user', content: [{ type: 'text', text: '(continue)' }] })
  return out
}

function toolsOf (raw: unknown): AnthropicRequest['tools'] {
  if (raw === undefined || raw === null) return undefined
  if (!Array.isArray(raw)) return refuse('tools: must be an array')
  return raw.map((t, i) => {
    if (!isObject(t) || t.type !== 'function' || !isObject(t.function) || typeof t.function.name !== 'string') return refuse(`tools[${i}]: must be {type: "function", function: {name, parameters}}`)
    const params = t.function.parameters ?? { type: 'object', properties: {} }
    if (!isObject(params)) return refuse(`tools[${i}].function.parameters: must be a JSON Schema object`)
    return { name: t.function.name, ...(typeof t.function.description === 'string' ? { description: t.function.description } : {}), input_schema: params }
  })
}

function toolChoiceOf (raw: unknown, parallel: unknown): AnthropicRequest['tool_choice'] {
  const noParallel = parallel === false
  if (raw === undefined || raw === null) return noParallel ? { type: 'auto', disable_parallel_tool_use: true } : undefined
  if (raw === 'none') return { type: 'none' }
  if (raw === 'auto') return noParallel ? { type: 'auto', disable_parallel_tool_use: true } : { type: 'auto' }
  if (raw === 'required') return noParallel ? { type: 'any', disable_parallel_tool_use: true } : { type: 'any' }
  if (isObject(raw) && raw.type === 'function' && isObject(raw.function) && typeof raw.function.name === 'string') return { type: 'tool', name: raw.function.name }
  return refuse('tool_choice: must be "none", "auto", "required" or {type: "function", function: {name}}')
}

/** A JSON answer asked for: said in the system prompt (Messages has no JSON mode of its own). */
function responseFormatOf (raw: unknown): string | undefined {
  if (raw === undefined || raw === null) return undefined
  if (!isObject(raw)) return refuse('response_format: must be an object')
  if (raw.type === 'text') return undefined
  if (raw.type === 'json_object') return 'Answer with a single JSON object and nothing else.'
  if (raw.type === 'json_schema' && isObject(raw.json_schema) && isObject(raw.json_schema.schema)) {
    return `Answer with a single JSON value that matches this JSON Schema, and nothing else:\n${JSON.stringify(raw.json_schema.schema)}`
  }
  return refuse('response_format: type must be text, json_object, or json_schema with a schema')
}

export function chatToAnthropic (body: ChatRequest, model: string): Translated {
  try {
    refuseUnsupported(body)
    const system: string[] = []
    const messages = messagesOf(body.messages, system)
    const format = responseFormatOf(body.response_format)
    if (format) system.push(format)
    const limit = number(body.max_completion_tokens ?? body.max_tokens, body.max_completion_tokens !== undefined ? 'max_completion_tokens' : 'max_tokens', 1, 1_000_000)
    const maxTokens = limit === undefined ? DEFAULT_MAX_TOKENS : Math.floor(limit)
    const stop = body.stop === undefined || body.stop === null ? undefined
      : typeof body.stop === 'string' ? [body.stop]
        : Array.isArray(body.stop) && body.stop.length <= 4 && body.stop.every(s => typeof s === 'string') ? body.stop as string[] : refuse('stop: a string or up to 4 strings')
    const request: AnthropicRequest = { model, max_tokens: maxTokens, messages }
    const notes: string[] = []
    if (system.length > 0) request.system = system.filter(s => s !== '').map(text => ({ type: 'text', text }))
    const temperature = number(body.temperature, 'temperature', 0, 2)
    // OpenAI's 0–2 onto Anthropic's 0–1.
    if (temperature !== undefined) request.temperature = Math.min(1, temperature / 2)
    const topP = number(body.top_p, 'top_p', 0, 1)
    if (topP !== undefined) request.top_p = topP
    if (stop) request.stop_sequences = stop
    if (body.stream === true) request.stream = true
    const tools = toolsOf(body.tools)
    if (tools && tools.length > 0) request.tools = tools
    const choice = toolChoiceOf(body.tool_choice, body.parallel_tool_calls)
    if (choice && (request.tools || choice.type === 'none')) request.tool_choice = choice
    if (body.reasoning_effort !== undefined && body.reasoning_effort !== null) {
      const budget = THINKING_BUDGET[String(body.reasoning_effort)]
      if (budget === undefined) return fail('reasoning_effort: one of minimal, low, medium, high')
      // Thinking counts against max_tokens and needs room for the answer after it.
      if (request.max_tokens <= budget) request.max_tokens = budget + Math.max(1024, request.max_tokens)
      request.thinking = { type: 'enabled', budget_tokens: budget }
      // Anthropic refuses temperature and top_p other than defaults with thinking.
      delete request.temperature
      delete request.top_p
      notes.push('thinking')
    }
    if (typeof body.user === 'string' && body.user !== '') request.metadata = { user_id: body.user.slice(0, 256) }
    return { ok: true, request, notes }
  } catch (err) {
    if (err instanceof Refused) return fail(err.message)
    throw err
  }
}
