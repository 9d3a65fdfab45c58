// Run by bridges.test.ts with Node 22: the openai SDK and the Vercel AI SDK's OpenAI-compatible
// provider, as an OpenAI-format app uses them, against the relay's unified /openai/v1 path, for
// each model in MODELS (a Claude and a Gemini one). Per model: a plain call, a streamed call with
// usage, a tool-call round trip, an image (base64 and by URL), and the AI SDK's generateText and
// streamText and its tool loop.
// Prints what each call got as one JSON object.
import OpenAI from 'openai'
import { createOpenAICompatible } from '@ai-sdk/openai-compatible'
import { generateText, jsonSchema, streamText, tool } from 'ai'

const { OPENAI_BASE, RELAY_KEY, MODELS } = process.env
const openai = new OpenAI({ apiKey: RELAY_KEY, baseURL: OPENAI_BASE, maxRetries: 0 })
const relay = createOpenAICompatible({ name: 'relay', apiKey: RELAY_KEY, baseURL: OPENAI_BASE, includeUsage: true })
// A 1×1 PNG.
const PIXEL = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=='
const tools = [{ type: 'function', function: { name: 'get_weather', description: 'The weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }]
const out = {}

for (const model of MODELS.split(',')) {
  const got = out[model] = {}
  const user = [{ role: 'user', content: 'hi' }]
  const plain = await openai.chat.completions.create({ model, messages: user })
  got.plain = plain.choices[0].message.content
  got.plainUsage = plain.usage

  let text = ''
  let usage = null
  for await (const chunk of await openai.chat.completions.create({ model, messages: user, stream: true, stream_options: { include_usage: true } })) {
    text += chunk.choices[0]?.delta?.content ?? ''
    if (chunk.usage) usage = chunk.usage
  }
  got.stream = text
  got.streamUsage = usage

  // The tool round trip: the model calls the tool, the app answers it, the model answers.
  const ask = [{ role: 'user', content: 'What is the weather in Paris?' }]
  const first = await openai.chat.completions.create({ model, messages: ask, tools, tool_choice: 'auto' })
  const call = first.choices[0].message.tool_calls?.[0]
  got.toolCall = call ? { name: call.function.name, arguments: JSON.parse(call.function.arguments), finish: first.choices[0].finish_reason } : null
  const second = await openai.chat.completions.create({
    model, tools,
    messages: [...ask, first.choices[0].message, { role: 'tool', tool_call_id: call?.id ?? 'none', content: '{"temperature": 21}' }],
  })
  got.afterTool = second.choices[0].message.content

  const image = await openai.chat.completions.create({
    model, messages: [{ role: 'user', content: [{ type: 'text', text: 'What is in this image?' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${PIXEL}` } }] }],
  })
  got.image = image.choices[0].message.content
  const byUrl = await openai.chat.completions.create({
    model, messages: [{ role: 'user', content: [{ type: 'text', text: 'And this one?' }, { type: 'image_url', image_url: { url: 'https://images.example.com/cat.png' } }] }],
  })
  got.imageUrl = byUrl.choices[0].message.content

  const generated = await generateText({ model: relay(model), prompt: 'hi', maxRetries: 0 })
  got.aiText = generated.text
  got.aiUsage = { input: generated.usage.inputTokens, output: generated.usage.outputTokens }
  const streamed = streamText({ model: relay(model), prompt: 'hi', maxRetries: 0, onError: () => {} })
  got.aiStream = await streamed.text
  const aiUsage = await streamed.usage
  got.aiStreamUsage = { input: aiUsage.inputTokens, output: aiUsage.outputTokens }
  // The AI SDK's own tool loop.
  const looped = await generateText({
    model: relay(model), prompt: 'What is the weather in Paris?', maxRetries: 0,
    tools: { get_weather: tool({ description: 'The weather in a city', inputSchema: jsonSchema({ type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }), execute: async ({ city }) => ({ city, temperature: 21 }) }) },
    stopWhen: ({ steps }) => steps.length >= 2,
  })
  got.aiToolSteps = looped.steps.map(s => s.toolCalls.map(c => `${c.toolName}(${JSON.stringify(c.input)})`).join(',') || s.text)
}
console.log(JSON.stringify(out))
