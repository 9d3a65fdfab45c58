// Anthropic Messages answer → OpenAI Chat Completions answer (non-streamed), from the two
// providers' API references: text joined, tool_use blocks as tool_calls, thinking dropped (Chat
// Completions has no field for it; its tokens are in the usage), the stop reason as a finish
// reason, and the usage in OpenAI's fields, cached tokens included in the prompt's count.
import { count } from './checks.ts'

export interface AnthropicUsage {
  input_tokens?: number
  output_tokens?: number
  cache_creation_input_tokens?: number | null
  cache_read_input_tokens?: number | null
}

export interface AnthropicMessage {
  id?: string
  model?: string
  content?: { type: string, text?: string, id?: string, name?: string, input?: unknown }[]
  stop_reason?: string | null
  usage?: AnthropicUsage
}

export interface ChatUsage {
  prompt_tokens: number
  completion_tokens: number
  total_tokens: number
  prompt_tokens_details: { cached_tokens: number }
  completion_tokens_details: { reasoning_tokens: number }
}

export interface ChatCompletion {
  id: string
  object: 'chat.completion'
  created: number
  model: string
  choices: {
    index: 0
    message: { role: 'assistant', content: string | null, refusal: null, tool_calls?: { id: string, type: 'function', function: { name: string, arguments: string } }[] }
    finish_reason: 'stop' | 'length' | 'tool_calls' | 'content_filter'
    logprobs: null
  }[]
  usage: ChatUsage
}


export function finishReason (stop: string | null | undefined): ChatCompletion['choices'][0]['finish_reason'] {
  switch (stop) {
    case 'max_tokens': case 'model_context_window_exceeded': return 'length'
    case 'tool_use': return 'tool_calls'
    case 'refusal': return 'content_filter'
    default: return 'stop'
  }
}

/** Anthropic's usage in OpenAI's fields: the prompt counts every input token, cached or not. */
export function chatUsage (u: AnthropicUsage | undefined): ChatUsage {
  const input = count(u?.input_tokens)
  const written = count(u?.cache_creation_input_tokens)
  const read = count(u?.cache_read_input_tokens)
  const output = count(u?.output_tokens)
  const prompt = input + written + read
  return {
    prompt_tokens: prompt,
    completion_tokens: output,
    total_tokens: prompt + output,
    prompt_tokens_details: { cached_tokens: read },
    // Anthropic counts thinking in output_tokens and does not say how much of it was thinking.
    completion_tokens_details: { reasoning_tokens: 0 },
  }
}

export function anthropicToChat (m: AnthropicMessage, requestedModel: string, now = Date.now()): ChatCompletion {
  const blocks = Array.isArray(m.content) ? m.content : []
  const text = blocks.filter(b => b.type === 'text' && typeof b.text === 'string').map(b => b.text).join('')
  const calls = blocks.filter(b => b.type === 'tool_use' && typeof b.id === 'string' && typeof b.name === 'string')
    .map(b => ({ id: b.id!, type: 'function' as const, function: { name: b.name!, arguments: JSON.stringify(b.input ?? {}) } }))
  return {
    id: `chatcmpl-${typeof m.id === 'string' ? m.id.replace(/^msg_/, '') : now.toString(36)}`,
    object: 'chat.completion',
    created: Math.floor(now / 1000),
    model: typeof m.model === 'string' ? m.model : requestedModel,
    choices: [{
      index: 0,
      message: { role: 'assistant', content: text === '' && calls.length > 0 ? null : text, refusal: null, ...(calls.length > 0 ? { tool_calls: calls } : {}) },
      finish_reason: finishReason(m.stop_reason),
      logprobs: null,
    }],
    usage: chatUsage(m.usage),
  }
}
