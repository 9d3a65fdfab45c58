// The sidecar's own pages: /_relay/admin (log in, then every widget) and /_relay/me (a key
// holder's own use), and the widgets module they load. (`/_relay/admin/` redirects here: the
// relay refuses empty path segments elsewhere.) Strict security headers: no inline script or
// style, nothing from elsewhere, framing only by the configured ancestors. The module is sent
// compressed when the browser takes it (br, else gzip), with an ETag per form, revalidated on
// each use (`no-cache`), and answers HEAD.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import negotiate from '@fastify/accept-negotiator'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { PACKAGE_ROOT } from '../install-root.ts'
import { widgetsBundle, type Encoding } from './widgets-bundle.ts'

function page (title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${title}</title>
<script type="module" src="/_relay/admin/widgets.js"></script>
</head>
<body>
${body}
</body>
</html>
`
}

// A landmark and a heading of the page's own: a widget may be embedded where the portal has its own.
const ADMIN_PAGE = page('AI relay admin', '<main>\n<h1>AI relay</h1>\n<relay-admin></relay-admin>\n</main>')
const ME_PAGE = page('My AI relay key', '<main>\n<h1>AI relay</h1>\n<relay-key-usage></relay-key-usage>\n</main>')

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
  const widgets = async (request: FastifyRequest, reply: FastifyReply) => {
    const bundle = await widgetsBundle()
    const accepted = request.headers['accept-encoding']
    const encoding: Encoding = (typeof accepted === 'string' && negotiate(accepted, ['br', 'gzip'] as const)) || 'identity'
    const form = bundle.forms[encoding]
    reply.header('etag', form.etag).header('cache-control', 'no-cache').header('vary', 'accept-encoding').header('x-content-type-options', 'nosniff')
    if (encoding !== 'identity') reply.header('content-encoding', encoding)
    if (matches(request.headers['if-none-match'], form.etag)) return reply.code(304).send()
    reply.header('content-type', 'text/javascript; charset=utf-8').header('content-length', form.body.length)
    return request.method === 'HEAD' ? reply.send() : reply.send(form.body)
  }
  app.get('/_relay/admin/widgets.js', widgets)
  app.head('/_relay/admin/widgets.js', widgets)
  // What each widget takes and gives (attributes, properties, events, parts, custom properties), for editors and portals.
  app.get('/_relay/admin/custom-elements.json', async (_request, reply) => reply
    .header('content-type', 'application/json; charset=utf-8').header('cache-control', 'no-cache').header('x-content-type-options', 'nosniff')
    .send(await readFile(join(PACKAGE_ROOT, 'admin-webcomponents', 'custom-elements.json'))))
}

/** `If-None-Match`: a list of ETags, weak ones included (`W/"…"`), or `*`. */
function matches (header: string | undefined, etag: string): boolean {
  if (!header) return false
  return header.split(',').some(t => {
    const tag = t.trim()
    return tag === '*' || tag === etag || tag === `W/${etag}`
  })
}
