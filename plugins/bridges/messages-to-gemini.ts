// Anthropic Messages request → Gemini `generateContent` request, and Gemini's answer back as an
// Anthropic message, so Claude Code can drive Gemini accounts. From both API references. Gemini
// names a tool result by its function: each `tool_result` is matched to the `tool_use` with its
// id earlier in the conversation. Thinking blocks the client sends back are dropped (Gemini's
// own thoughts are not Anthropic's, and their signatures mean nothing to it).
import { count, isObject, number, Refused, refuse } from './checks.ts'
import { imageByUrl } from './gemini-image.ts'
import { IMAGE_BY_URL_LOSS, STAND_IN_SIGNATURE_LOSS } from './gemini-losses.ts'
import type { GeminiAnswer, GeminiRequest } from './chat-to-gemini.ts'

export type MessagesToGemini = { ok: true, request: GeminiRequest } | { ok: false, message: string }

export const LOSSY = [
  IMAGE_BY_URL_LOSS,
  'documents, search results and server tools (web search, code execution) are refused',
  'thinking blocks sent back are dropped; redacted thinking too',
  'cache_control is ignored (Gemini caches implicitly); metadata.user_id is not sent',
  'top_k is passed on; stop_sequences above 5 are refused (Gemini takes 5)',
  'system messages inside the conversation (Claude Code sends its environment so) join the system instruction: their place in the conversation is lost',
  STAND_IN_SIGNATURE_LOSS,
] as const

type GPart = GeminiRequest['contents'][number]['parts'][number]

function textOfBlocks (content: unknown, where: string): string {
  if (typeof content === 'string') return content
  if (!Array.isArray(content)) return refuse(`${where}: must be a string or an array of blocks`)
  return content.map((b, i) => (isObject(b) && b.type === 'text' && typeof b.text === 'string' ? b.text : refuse(`${where}[${i}]: only text blocks are allowed here`))).join('')
}

function partsOf (content: unknown, role: 'user' | 'assistant', where: string, toolNames: Map<string, string>): GPart[] {
  if (typeof content === 'string') return content === '' ? [] : [{ text: content }]
  if (!Array.isArray(content)) return refuse(`${where}.content: must be a string or an array of blocks`)
  const parts: GPart[] = []
  content.forEach((b, i) => {
    const at = `${where}.content[${i}]`
    if (!isObject(b)) return refuse(`${at}: must be an object`)
    switch (b.type) {
      case 'text':
        if (typeof b.text !== 'string') return refuse(`${at}.text: must be a string`)
        if (b.text !== '') parts.push({ text: b.text })
        return
      case 'image': {
        const s = b.source
        if (role !== 'user') return refuse(`${at}: images are the user's`)
        if (isObject(s) && s.type === 'url' && typeof s.url === 'string') {
          parts.push(imageByUrl(s.url, `${at}.source.url`))
          return
        }
        if (!isObject(s) || s.type !== 'base64' || typeof s.media_type !== 'string' || typeof s.data !== 'string') return refuse(`${at}.source: {type: "base64", media_type, data} or {type: "url", url}`)
        parts.push({ inlineData: { mimeType: s.media_type, data: s.data } })
        return
      }
      case 'tool_use': {
        if (role !== 'assistant') return refuse(`${at}: tool_use blocks are the assistant's`)
        if (typeof b.id !== 'string' || typeof b.name !== 'string' || !isObject(b.input)) return refuse(`${at}: needs an id, a name and an input object`)
        toolNames.set(b.id, b.name)
        parts.push({ functionCall: { name: b.name, args: b.input } })
        return
      }
      case 'tool_result': {
        if (role !== 'user') return refuse(`${at}: tool_result blocks are the user's`)
        if (typeof b.tool_use_id !== 'string') return refuse(`${at}.tool_use_id: must be a string`)
        const name = toolNames.get(b.tool_use_id) ?? refuse(`${at}.tool_use_id: no earlier tool_use has the id ${JSON.stringify(b.tool_use_id)}`)
        const text = b.content === undefined ? '' : textOfBlocks(b.content, `${at}.content`)
        parts.push({ functionResponse: { name, response: b.is_error === true ? { error: text } : { result: text } } })
        return
      }
      case 'thinking': case 'redacted_thinking':
        return
      default:
        return refuse(`${at}.type: ${JSON.stringify(b.type)} is not supported on Gemini models`)
    }
  })
  return parts
}

export function messagesToGemini (body: Record<string, unknown>): MessagesToGemini {
  try {
    if (!Array.isArray(body.messages) || body.messages.length === 0) refuse('messages: must be a non-empty array')
    const toolNames = new Map<string, string>()
    const contents: GeminiRequest['contents'] = []
    const system: string[] = []
    if (body.system !== undefined && body.system !== null) system.push(textOfBlocks(body.system, 'system'))
    ;(body.messages as unknown[]).forEach((m, i) => {
      const where = `messages.${i}`
      if (isObject(m) && m.role === 'system') {
        system.push(textOfBlocks(m.content, `${where}.content`))
        return
      }
      if (!isObject(m) || (m.role !== 'user' && m.role !== 'assistant')) return refuse(`${where}.role: must be user, assistant or system`)
      const role = m.role === 'user' ? 'user' as const : 'model' as const
      const parts = partsOf(m.content, m.role, where, toolNames)
      if (parts.length === 0) return
      const last = contents.at(-1)
      if (last && last.role === role) last.parts.push(...parts)
      else contents.push({ role, parts })
    })
    if (contents.length === 0 || contents[0]!.role !== 'user') contents.unshift({ role: 'user', parts: [{ text: '(continue)' }] })
    const request: GeminiRequest = { contents }
    const instructions = system.filter(text => text !== '')
    if (instructions.length > 0) request.systemInstruction = { parts: instructions.map(text => ({ text })) }
    if (Array.isArray(body.tools) && body.tools.length > 0) {
      request.tools = [{
        functionDeclarations: body.tools.map((t, i) => {
          if (!isObject(t) || typeof t.name !== 'string' || (t.type !== undefined && t.type !== 'custom')) return refuse(`tools.${i}: only custom tools ({name, input_schema}) are supported on Gemini models`)
          if (!isObject(t.input_schema)) return refuse(`tools.${i}.input_schema: must be a JSON Schema object`)
          return { name: t.name, ...(typeof t.description === 'string' ? { description: t.description } : {}), parametersJsonSchema: t.input_schema }
        }),
      }]
    }
    const choice = body.tool_choice
    if (isObject(choice)) {
      if (choice.type === 'none') request.toolConfig = { functionCallingConfig: { mode: 'NONE' } }
      else if (choice.type === 'any') request.toolConfig = { functionCallingConfig: { mode: 'ANY' } }
      else if (choice.type === 'tool' && typeof choice.name === 'string') request.toolConfig = { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [choice.name] } }
      else if (choice.type === 'auto') request.toolConfig = { functionCallingConfig: { mode: 'AUTO' } }
      else refuse('tool_choice.type: one of auto, any, tool, none')
    }
    const g: NonNullable<GeminiRequest['generationConfig']> = {}
    const max = number(body.max_tokens, 'max_tokens', 1, 1_000_000)
    if (max === undefined) refuse('max_tokens: required')
    g.maxOutputTokens = Math.floor(max!)
    const temperature = number(body.temperature, 'temperature', 0, 1)
    if (temperature !== undefined) g.temperature = temperature
    const topP = number(body.top_p, 'top_p', 0, 1)
    if (topP !== undefined) g.topP = topP
    const topK = number(body.top_k, 'top_k', 1, 1_000_000)
    if (topK !== undefined) g.topK = Math.floor(topK)
    if (body.stop_sequences !== undefined && body.stop_sequences !== null) {
      if (!Array.isArray(body.stop_sequences) || body.stop_sequences.length > 5 || !body.stop_sequences.every(s => typeof s === 'string')) refuse('stop_sequences: up to 5 strings on Gemini models')
      if ((body.stop_sequences as string[]).length > 0) g.stopSequences = body.stop_sequences as string[]
    }
    const thinking = body.thinking
    if (isObject(thinking) && thinking.type === 'enabled') {
      const budget = number(thinking.budget_tokens, 'thinking.budget_tokens', 0, 1_000_000) ?? 0
      g.thinkingConfig = { thinkingBudget: Math.floor(budget), includeThoughts: true }
    } else if (isObject(thinking) && thinking.type === 'disabled') {
      g.thinkingConfig = { thinkingBudget: 0 }
    }
    request.generationConfig = g
    return { ok: true, request }
  } catch (err) {
    if (err instanceof Refused) return { ok: false, message: err.message }
    throw err
  }
}

export interface AnthropicAnswer {
  id: string
  type: 'message'
  role: 'assistant'
  model: string
  content: ({ type: 'text', text: string } | { type: 'thinking', thinking: string, signature: string } | { type: 'tool_use', id: string, name: string, input: Record<string, unknown> })[]
  stop_reason: 'end_turn' | 'max_tokens' | 'tool_use' | 'refusal'
  stop_sequence: null
  usage: { input_tokens: number, output_tokens: number, cache_creation_input_tokens: number, cache_read_input_tokens: number }
}

/** Gemini's usage in Anthropic's fields: input excludes what was read from cache; thinking is output. */
export function anthropicUsageOf (u: GeminiAnswer['usageMetadata']): AnthropicAnswer['usage'] {
  const prompt = count(u?.promptTokenCount)
  const cached = Math.min(prompt, count(u?.cachedContentTokenCount))
  return { input_tokens: prompt - cached, output_tokens: count(u?.candidatesTokenCount) + count(u?.thoughtsTokenCount), cache_creation_input_tokens: 0, cache_read_input_tokens: cached }
}

/** Gemini's finish reason as Anthropic says it (a function call ends a turn as tool_use). */
export function anthropicStopReason (reason: string | undefined, calls: number): AnthropicAnswer['stop_reason'] {
  return calls > 0 ? 'tool_use' : reason === 'MAX_TOKENS' ? 'max_tokens' : reason === 'SAFETY' || reason === 'PROHIBITED_CONTENT' || reason === 'BLOCKLIST' || reason === 'SPII' ? 'refusal' : 'end_turn'
}

export function geminiToMessages (a: GeminiAnswer, requestedModel: string): AnthropicAnswer {
  const candidate = Array.isArray(a.candidates) ? a.candidates[0] : undefined
  const content: AnthropicAnswer['content'] = []
  let calls = 0
  for (const p of Array.isArray(candidate?.content?.parts) ? candidate.content.parts : []) {
    if (typeof p.text === 'string' && p.thought === true) content.push({ type: 'thinking', thinking: p.text, signature: '' })
    else if (typeof p.text === 'string' && p.text !== '') content.push({ type: 'text', text: p.text })
    const call = p.functionCall as { name?: unknown, args?: unknown } | undefined
    if (call && typeof call.name === 'string') content.push({ type: 'tool_use', id: `toolu_${String(calls++).padStart(2, '0')}${typeof a.responseId === 'string' ? `_${a.responseId}` : ''}`, name: call.name, input: isObject(call.args) ? call.args : {} })
  }
  const reason = candidate?.finishReason
  return {
    id: `msg_${typeof a.responseId === 'string' ? a.responseId : Date.now().toString(36)}`,
    type: 'message',
    role: 'assistant',
    model: requestedModel,
    content,
    stop_reason: anthropicStopReason(reason, calls),
    stop_sequence: null,
    usage: anthropicUsageOf(a.usageMetadata),
  }
}
