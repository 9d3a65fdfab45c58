// A raw HTTP/1.1 exchange over a socket, for requests no well-behaved client library would send
// (absolute-form targets, odd bytes, header names in mixed case). The request is sent as given,
// with `Connection: close`, and the answer read until the server closes.
import { connect } from 'node:net'

export interface RawResponse {
  status: number
  head: string
  body: string
}

export function rawRequest (port: number, head: string, body = '', timeoutMs = 5000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    const timer = setTimeout(() => { socket.destroy(); reject(new Error('raw request timed out')) }, timeoutMs)
    socket.on('data', c => chunks.push(c))
    socket.on('error', () => {})
    socket.on('close', () => {
      clearTimeout(timer)
      const text = Buffer.concat(chunks).toString('latin1')
      const end = text.indexOf('\r\n\r\n')
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0)
      resolve({ status, head: end === -1 ? text : text.slice(0, end), body: end === -1 ? '' : text.slice(end + 4) })
    })
    socket.write(Buffer.concat([Buffer.from(`${head}\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`, 'utf8'), Buffer.from(body)]))
  })
}
