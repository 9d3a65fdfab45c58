// The sidecar's own pages: /_relay/admin (log in, then every widget) and /_relay/me (a key
// holder's own use), and the widgets module they load. No trailing slash: the relay refuses
// empty path segments everywhere (request-target.ts), so `/_relay/admin/` is a 400. Strict security headers: no inline
// script or style, nothing from elsewhere, framing only by the configured ancestors.
import type { FastifyInstance, FastifyReply } from 'fastify'
import { widgetsBundle } from './widgets-bundle.ts'

function page (title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<script type="module" src="/_relay/admin/widgets.js"></script>
</head>
<body>
${body}
</body>
</html>
`
}

const ADMIN_PAGE = page('AI relay admin', '<relay-admin></relay-admin>')
const ME_PAGE = page('My AI relay key', '<relay-key-usage></relay-key-usage>')

export async function adminPages (app: FastifyInstance, opts: { frameAncestors: string[] }): Promise<void> {
  const csp = [
    "default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "img-src 'self' data:",
    "base-uri 'none'", "form-action 'self'", `frame-ancestors ${opts.frameAncestors.join(' ')}`,
  ].join('; ')
  const html = (reply: FastifyReply, body: string) => reply
    .header('content-type', 'text/html; charset=utf-8')
    .header('content-security-policy', csp)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('cache-control', 'no-store')
    .send(body)
  app.get('/_relay/admin', async (_request, reply) => html(reply, ADMIN_PAGE))
  app.get('/_relay/me', async (_request, reply) => html(reply, ME_PAGE))
  app.get('/_relay/admin/widgets.js', async (request, reply) => {
    const bundle = await widgetsBundle()
    reply.header('etag', bundle.etag).header('cache-control', 'no-cache').header('x-content-type-options', 'nosniff')
    if (request.headers['if-none-match'] === bundle.etag) return reply.code(304).send()
    return reply.header('content-type', 'text/javascript; charset=utf-8').send(bundle.code)
  })
}
