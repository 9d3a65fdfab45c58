// OpenAI Chat Completions request → Gemini `generateContent` request, and Gemini's answer back,
// from the two providers' API references. Gemini names a function's result by the function's
// name, not by a call id: each tool message's `tool_call_id` is looked up among the calls the
// conversation made. Lossy spots are in LOSSY (the README lists them).
import type { ChatRequest } from './chat-to-anthropic.ts'
import { argumentsObject, count, isObject, number, Refused, refuse, refuseUnsupported } from './checks.ts'
import type { ChatCompletion } from './anthropic-to-chat.ts'
import { imageByUrl, type GeminiImagePart } from './gemini-image.ts'
import { IMAGE_BY_URL_LOSS, STAND_IN_SIGNATURE_LOSS } from './gemini-losses.ts'

type Part =
  | { text: string, thought?: boolean }
  | GeminiImagePart
  | { functionCall: { name: string, args: Record<string, unknown> }, thoughtSignature?: string }
  | { functionResponse: { name: string, response: Record<string, unknown> } }

export interface GeminiRequest {
  contents: { role: 'user' | 'model', parts: Part[] }[]
  systemInstruction?: { parts: { text: string }[] }
  /** `parametersJsonSchema`: a tool's JSON Schema as given (`parameters` takes only an OpenAPI subset). */
  tools?: { functionDeclarations: { name: string, description?: string, parametersJsonSchema?: Record<string, unknown> }[] }[]
  toolConfig?: { functionCallingConfig: { mode: 'AUTO' | 'ANY' | 'NONE', allowedFunctionNames?: string[] } }
  generationConfig?: {
    maxOutputTokens?: number
    temperature?: number
    topP?: number
    stopSequences?: string[]
    responseMimeType?: 'application/json'
    responseJsonSchema?: Record<string, unknown>
    topK?: number
    thinkingConfig?: { thinkingBudget: number, includeThoughts?: boolean }
  }
}

export type GeminiTranslated = { ok: true, request: GeminiRequest } | { ok: false, message: string }

export const LOSSY = [
  'n > 1 is refused',
  IMAGE_BY_URL_LOSS,
  'logprobs, presence_penalty, frequency_penalty, logit_bias and seed are refused when set to a non-default value',
  'tool call ids are made up on the way back (Gemini names calls by function only); a tool result is matched to its call by id',
  'reasoning_effort becomes a thinking budget (minimal 0, low 1024, medium 8192, high 24576 tokens)',
  'thoughts are left out of the answer (Chat Completions has no field for them); they are counted in completion_tokens_details.reasoning_tokens',
  STAND_IN_SIGNATURE_LOSS,
] as const

const THINKING_BUDGET: Record<string, number> = { minimal: 0, low: 1024, medium: 8192, high: 24_576 }
const DATA_URL = /^data:(image\/(?:png|jpeg|gif|webp|heic|heif));base64,([A-Za-z0-9+/=\s]+)$/


function textOf (content: unknown, where: string): string {
  if (typeof content === 'string') return content
  if (content === null || content === undefined) return ''
  if (!Array.isArray(content)) return refuse(`${where}.content: must be a string or an array of parts`)
  return content.map((p, i) => (isObject(p) && p.type === 'text' && typeof p.text === 'string' ? p.text : refuse(`${where}.content[${i}]: only text parts are allowed here`))).join('')
}

function userParts (content: unknown, where: string): Part[] {
  if (typeof content === 'string') return [{ text: content }]
  if (!Array.isArray(content)) return refuse(`${where}.content: must be a string or an array of parts`)
  return content.map((p, i): Part => {
    const at = `${where}.content[${i}]`
    if (!isObject(p)) return refuse(`${at}: must be an object`)
    if (p.type === 'text' && typeof p.text === 'string') return { text: p.text }
    if (p.type === 'image_url') {
      const url = typeof p.image_url === 'string' ? p.image_url : isObject(p.image_url) && typeof p.image_url.url === 'string' ? p.image_url.url : refuse(`${at}.image_url.url: must be a string`)
      const m = DATA_URL.exec(url)
      return m ? { inlineData: { mimeType: m[1]!, data: m[2]!.replace(/\s+/g, '') } } : url.startsWith('data:') ? refuse(`${at}.image_url.url: a data: URL of a PNG, JPEG, GIF, WebP, HEIC or HEIF image, base64`) : imageByUrl(url, `${at}.image_url.url`)
    }
    return refuse(`${at}.type: ${JSON.stringify(p.type)} is not supported (text and image_url are)`)
  })
}

function push (out: GeminiRequest['contents'], role: 'user' | 'model', parts: Part[]): void {
  const last = out.at(-1)
  if (last && last.role === role) last.parts.push(...parts)
  else out.push({ role, parts })
}

export function chatToGemini (body: ChatRequest): GeminiTranslated {
  try {
    refuseUnsupported(body)
    if (!Array.isArray(body.messages) || body.messages.length === 0) refuse('messages: must be a non-empty array')
    const system: string[] = []
    const contents: GeminiRequest['contents'] = []
    /** Call id → function name: Gemini's results name the function. */
    const callNames = new Map<string, string>()
    ;(body.messages as unknown[]).forEach((m, i) => {
      const where = `messages[${i}]`
      if (!isObject(m)) return refuse(`${where}: must be an object`)
      switch (m.role) {
        case 'system': case 'developer': {
          const t = textOf(m.content, where)
          if (t !== '') system.push(t)
          return
        }
        case 'user': return push(contents, 'user', userParts(m.content, where))
        case 'assistant': {
          const parts: Part[] = []
          const t = textOf(m.content, where)
          if (t !== '') parts.push({ text: t })
          if (Array.isArray(m.tool_calls)) {
            m.tool_calls.forEach((c, j) => {
              const at = `${where}.tool_calls[${j}]`
              if (!isObject(c) || typeof c.id !== 'string' || !isObject(c.function) || typeof c.function.name !== 'string') return refuse(`${at}: needs an id and a function with a name`)
              callNames.set(c.id, c.function.name)
              parts.push({ functionCall: { name: c.function.name, args: argumentsObject(c.function.arguments, at) } })
            })
          } else if (m.tool_calls !== undefined && m.tool_calls !== null) return refuse(`${where}.tool_calls: must be an array`)
          if (parts.length === 0) return refuse(`${where}: an assistant message needs content or tool_calls`)
          return push(contents, 'model', parts)
        }
        case 'tool': {
          if (typeof m.tool_call_id !== 'string') return refuse(`${where}.tool_call_id: must be a string`)
          const name = callNames.get(m.tool_call_id) ?? refuse(`${where}.tool_call_id: no earlier assistant message made the call ${JSON.stringify(m.tool_call_id)}`)
          const text = textOf(m.content, where)
          let response: Record<string, unknown>
          try {
            const v = JSON.parse(text) as unknown
            response = isObject(v) ? v : { result: v }
          } catch {
            response = { result: text }
          }
          return push(contents, 'user', [{ functionResponse: { name, response } }])
        }
        default:
          return refuse(`${where}.role: ${JSON.stringify(m.role)} is not one of system, developer, user, assistant, tool`)
      }
    })
    if (contents.length === 0) refuse('messages: needs at least one user message besides the system prompt')
    if (contents[0]!.role !== 'user') contents.unshift({ role: 'user', parts: [{ text: '(continue)' }] })
    const request: GeminiRequest = { contents }
    if (system.length > 0) request.systemInstruction = { parts: system.map(text => ({ text })) }
    if (Array.isArray(body.tools) && body.tools.length > 0) {
      request.tools = [{
        functionDeclarations: body.tools.map((t, i) => {
          if (!isObject(t) || t.type !== 'function' || !isObject(t.function) || typeof t.function.name !== 'string') return refuse(`tools[${i}]: must be {type: "function", function: {name, parameters}}`)
          const p = t.function.parameters
          if (p !== undefined && !isObject(p)) return refuse(`tools[${i}].function.parameters: must be a JSON Schema object`)
          return { name: t.function.name, ...(typeof t.function.description === 'string' ? { description: t.function.description } : {}), ...(p ? { parametersJsonSchema: p } : {}) }
        }),
      }]
    } else if (body.tools !== undefined && body.tools !== null && !Array.isArray(body.tools)) refuse('tools: must be an array')
    const choice = body.tool_choice
    if (choice !== undefined && choice !== null) {
      if (choice === 'none') request.toolConfig = { functionCallingConfig: { mode: 'NONE' } }
      else if (choice === 'auto') request.toolConfig = { functionCallingConfig: { mode: 'AUTO' } }
      else if (choice === 'required') request.toolConfig = { functionCallingConfig: { mode: 'ANY' } }
      else if (isObject(choice) && choice.type === 'function' && isObject(choice.function) && typeof choice.function.name === 'string') request.toolConfig = { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [choice.function.name] } }
      else refuse('tool_choice: must be "none", "auto", "required" or {type: "function", function: {name}}')
    }
    const g: NonNullable<GeminiRequest['generationConfig']> = {}
    const limit = number(body.max_completion_tokens ?? body.max_tokens, body.max_completion_tokens !== undefined ? 'max_completion_tokens' : 'max_tokens', 1, 1_000_000)
    if (limit !== undefined) g.maxOutputTokens = Math.floor(limit)
    const temperature = number(body.temperature, 'temperature', 0, 2)
    if (temperature !== undefined) g.temperature = temperature
    const topP = number(body.top_p, 'top_p', 0, 1)
    if (topP !== undefined) g.topP = topP
    if (body.stop !== undefined && body.stop !== null) {
      g.stopSequences = typeof body.stop === 'string' ? [body.stop] : Array.isArray(body.stop) && body.stop.length <= 5 && body.stop.every(s => typeof s === 'string') ? body.stop as string[] : refuse('stop: a string or up to 5 strings')
    }
    const format = body.response_format
    if (format !== undefined && format !== null) {
      if (!isObject(format)) refuse('response_format: must be an object')
      else if (format.type === 'json_object') g.responseMimeType = 'application/json'
      else if (format.type === 'json_schema' && isObject(format.json_schema) && isObject(format.json_schema.schema)) {
        g.responseMimeType = 'application/json'
        g.responseJsonSchema = format.json_schema.schema
      } else if (format.type !== 'text') refuse('response_format: type must be text, json_object, or json_schema with a schema')
    }
    if (body.reasoning_effort !== undefined && body.reasoning_effort !== null) {
      const budget = THINKING_BUDGET[String(body.reasoning_effort)]
      if (budget === undefined) refuse('reasoning_effort: one of minimal, low, medium, high')
      g.thinkingConfig = { thinkingBudget: budget! }
    }
    if (Object.keys(g).length > 0) request.generationConfig = g
    return { ok: true, request }
  } catch (err) {
    if (err instanceof Refused) return { ok: false, message: err.message }
    throw err
  }
}

export interface GeminiAnswer {
  responseId?: string
  modelVersion?: string
  candidates?: { content?: { parts?: Record<string, unknown>[] }, finishReason?: string }[]
  usageMetadata?: { promptTokenCount?: number, candidatesTokenCount?: number, cachedContentTokenCount?: number, thoughtsTokenCount?: number }
}


/** Gemini's usage in OpenAI's fields: thinking counts as completion (reasoning) tokens, as OpenAI counts them. */
export function geminiChatUsage (u: GeminiAnswer['usageMetadata']): ChatCompletion['usage'] {
  const prompt = count(u?.promptTokenCount)
  const thoughts = count(u?.thoughtsTokenCount)
  const completion = count(u?.candidatesTokenCount) + thoughts
  return {
    prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: Math.min(prompt, count(u?.cachedContentTokenCount)) },
    completion_tokens_details: { reasoning_tokens: thoughts },
  }
}

/**
 * The id a Gemini call gets in Chat Completions (Gemini names calls by function only): unique
 * across the conversation's turns (the answer's id, from the upstream, kept to safe characters),
 * so a client keying results by call id never confuses two turns' calls.
 */
export function chatCallId (responseId: unknown, i: number, now: number): string {
  const answer = typeof responseId === 'string' ? responseId.replace(/[^A-Za-z0-9_-]/g, '').slice(0, 40) : ''
  return `call_${answer === '' ? now.toString(36) : answer}_${i}`
}

/** Gemini's reasons for stopping that mean its filters took the answer. */
export const GEMINI_FILTERED = ['SAFETY', 'RECITATION', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII']

/** Gemini's finish reason as Chat Completions says it (a function call ends a turn as tool_calls). */
export function chatFinishReason (reason: string | undefined, calls: number): ChatCompletion['choices'][0]['finish_reason'] {
  return calls > 0 ? 'tool_calls' : reason === 'MAX_TOKENS' ? 'length' : reason !== undefined && GEMINI_FILTERED.includes(reason) ? 'content_filter' : 'stop'
}

export function geminiToChat (a: GeminiAnswer, requestedModel: string, now = Date.now()): ChatCompletion {
  const candidate = Array.isArray(a.candidates) ? a.candidates[0] : undefined
  const parts = Array.isArray(candidate?.content?.parts) ? candidate.content.parts : []
  // Thoughts are left out of the answer (Chat Completions has no place for them).
  const text = parts.filter(p => typeof p.text === 'string' && p.thought !== true).map(p => p.text as string).join('')
  const calls = parts.filter(p => isObject(p.functionCall) && typeof p.functionCall.name === 'string')
    .map((p, i) => {
      const call = p.functionCall as { name: string, args?: unknown, id?: unknown }
      return { id: typeof call.id === 'string' ? call.id : chatCallId(a.responseId, i, now), type: 'function' as const, function: { name: call.name, arguments: JSON.stringify(call.args ?? {}) } }
    })
  const finish = chatFinishReason(candidate?.finishReason, calls.length)
  return {
    id: `chatcmpl-${typeof a.responseId === 'string' ? a.responseId : now.toString(36)}`,
    object: 'chat.completion',
    created: Math.floor(now / 1000),
    model: typeof a.modelVersion === 'string' ? a.modelVersion : requestedModel,
    choices: [{ index: 0, message: { role: 'assistant', content: text === '' && calls.length > 0 ? null : text, refusal: null, ...(calls.length > 0 ? { tool_calls: calls } : {}) }, finish_reason: finish, logprobs: null }],
    usage: geminiChatUsage(a.usageMetadata),
  }
}
