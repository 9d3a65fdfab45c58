// Run by sdks.test.ts with Node 22 (the openai and Gen AI SDKs need it): one plain and one
// streamed call per SDK and API through the relay. Prints what each call got as one JSON object.
import Anthropic from '@anthropic-ai/sdk'
import OpenAI from 'openai'
import { GoogleGenAI } from '@google/genai'

const { CLAUDE_BASE, OPENAI_BASE, GEMINI_BASE, RELAY_KEY } = process.env
const anthropic = new Anthropic({ apiKey: RELAY_KEY, baseURL: CLAUDE_BASE, maxRetries: 0 })
const openai = new OpenAI({ apiKey: RELAY_KEY, baseURL: OPENAI_BASE, maxRetries: 0 })
const out = {}

const msg = await anthropic.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 32, messages: [{ role: 'user', content: 'hi' }] })
out.anthropic = msg.content[0].text
const stream = anthropic.messages.stream({ model: 'claude-sonnet-4-5', max_tokens: 32, messages: [{ role: 'user', content: 'hi' }] })
out.anthropicStream = (await stream.finalMessage()).content[0].text

const resp = await openai.responses.create({ model: 'gpt-5.4', input: 'hi' })
out.responses = resp.output_text
let streamed = ''
for await (const ev of await openai.responses.create({ model: 'gpt-5.4', input: 'hi', stream: true })) {
  if (ev.type === 'response.output_text.delta') streamed += ev.delta
}
out.responsesStream = streamed

const chat = await openai.chat.completions.create({ model: 'gpt-5.4', messages: [{ role: 'user', content: 'hi' }] })
out.chat = chat.choices[0].message.content
let chatStreamed = ''
let usageSeen = false
for await (const chunk of await openai.chat.completions.create({ model: 'gpt-5.4', messages: [{ role: 'user', content: 'hi' }], stream: true })) {
  chatStreamed += chunk.choices[0]?.delta?.content ?? ''
  if (chunk.usage) usageSeen = true
}
out.chatStream = chatStreamed
out.chatStreamUsageSeen = usageSeen

const ai = new GoogleGenAI({ apiKey: RELAY_KEY, httpOptions: { baseUrl: GEMINI_BASE } })
out.gemini = (await ai.models.generateContent({ model: 'gemini-2.5-pro', contents: 'hi' })).text
let geminiStreamed = ''
for await (const chunk of await ai.models.generateContentStream({ model: 'gemini-2.5-pro', contents: 'hi' })) geminiStreamed += chunk.text ?? ''
out.geminiStream = geminiStreamed
console.log(JSON.stringify(out))
