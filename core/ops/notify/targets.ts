// Where notifications go, each in its own wire format: a generic webhook (JSON, HMAC-SHA256
// signed), Slack, Discord, Telegram, Feishu/Lark, DingTalk and WeCom robots, and e-mail over
// SMTP (nodemailer). A target turns one message into one delivery.
import { createHmac } from 'node:crypto'
import { readText, request, type Dispatcher } from '../../http-client.ts'
import type { RelayEvent } from './events.ts'

export type TargetConfig =
  | { type: 'webhook', url: string, secret?: string }
  | { type: 'slack' | 'discord' | 'wecom', url: string }
  | { type: 'feishu' | 'dingtalk', url: string, secret?: string }
  | { type: 'telegram', botToken: string, chatId: string, apiBase?: string }
  | { type: 'email', smtp: { host: string, port: number, secure?: boolean, user?: string, password?: string }, from: string, to: string[] }

export interface Message {
  event: RelayEvent
  text: string
  /** Further events about the same subject folded into this message. */
  folded: number
  time: number
  relay: string
}

export type Deliver = (m: Message) => Promise<void>

async function post (url: string, body: unknown, dispatcher: Dispatcher, headers: Record<string, string> = {}): Promise<void> {
  const text = JSON.stringify(body)
  const res = await request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: text, dispatcher, headersTimeout: 10_000, bodyTimeout: 10_000 })
  const answer = await readText(res.body)
  if (res.statusCode < 200 || res.statusCode >= 300) throw new Error(`${res.statusCode} ${answer.slice(0, 200)}`)
  // Feishu and DingTalk answer 200 with an error code in the body.
  try {
    const j = JSON.parse(answer) as { code?: unknown, errcode?: unknown, errmsg?: unknown, msg?: unknown, ok?: unknown }
    const code = j.code ?? j.errcode
    if ((typeof code === 'number' && code !== 0) || j.ok === false) throw new Error(`refused: ${String(j.msg ?? j.errmsg ?? answer).slice(0, 200)}`)
  } catch (err) {
    if ((err as Error).message.startsWith('refused')) throw err
  }
}

const line = (m: Message) => `[ai-relay ${m.relay}] ${m.text}${m.folded > 0 ? ` (+${m.folded} more change${m.folded === 1 ? '' : 's'} in this window)` : ''}`

export function createTarget (t: TargetConfig, dispatcher: Dispatcher): Deliver {
  switch (t.type) {
    case 'webhook': return async m => {
      const body = JSON.stringify({ event: m.event.type, text: m.text, details: m.event, folded: m.folded, time: new Date(m.time).toISOString(), relay: m.relay })
      const timestamp = String(Math.floor(m.time / 1000))
      // Signed over `timestamp.body`, as Stripe-style receivers check it (a replay has an old timestamp).
      const signature = t.secret ? createHmac('sha256', t.secret).update(`${timestamp}.${body}`).digest('hex') : undefined
      await post(t.url, JSON.parse(body), dispatcher, { 'x-relay-timestamp': timestamp, ...(signature ? { 'x-relay-signature': `sha256=${signature}` } : {}) })
    }
    case 'slack': return m => post(t.url, { text: line(m) }, dispatcher)
    case 'discord': return m => post(t.url, { content: line(m).slice(0, 2000) }, dispatcher)
    case 'wecom': return m => post(t.url, { msgtype: 'text', text: { content: line(m) } }, dispatcher)
    case 'feishu': return m => {
      const timestamp = String(Math.floor(m.time / 1000))
      // Feishu's signature: HMAC-SHA256 keyed with `timestamp\nsecret` over nothing, base64.
      const sign = t.secret ? createHmac('sha256', `${timestamp}\n${t.secret}`).update('').digest('base64') : undefined
      return post(t.url, { ...(sign ? { timestamp, sign } : {}), msg_type: 'text', content: { text: line(m) } }, dispatcher)
    }
    case 'dingtalk': return m => {
      let url = t.url
      if (t.secret) {
        // DingTalk's signature: HMAC-SHA256 keyed with the secret over `timestamp\nsecret`, base64, in the query.
        const timestamp = String(m.time)
        const sign = createHmac('sha256', t.secret).update(`${timestamp}\n${t.secret}`).digest('base64')
        url += `${url.includes('?') ? '&' : '?'}timestamp=${timestamp}&sign=${encodeURIComponent(sign)}`
      }
      return post(url, { msgtype: 'text', text: { content: line(m) } }, dispatcher)
    }
    case 'telegram': return m => post(`${(t.apiBase ?? 'https://api.telegram.org').replace(/\/+$/, '')}/bot${t.botToken}/sendMessage`, { chat_id: t.chatId, text: line(m) }, dispatcher)
    case 'email': {
      // nodemailer is loaded with the first e-mail, not by every sidecar.
      const transport = import('nodemailer').then(({ default: nodemailer }) => nodemailer.createTransport({
        host: t.smtp.host, port: t.smtp.port, secure: t.smtp.secure ?? t.smtp.port === 465,
        auth: t.smtp.user ? { user: t.smtp.user, pass: t.smtp.password ?? '' } : undefined,
        connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 10_000,
      }))
      return async m => {
        await (await transport).sendMail({ from: t.from, to: t.to, subject: line(m).slice(0, 150), text: `${line(m)}\n\n${JSON.stringify(m.event, null, 2)}\n` })
      }
    }
  }
}
