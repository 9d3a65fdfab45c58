// Debian's nginx with the project's shipped snippets (nginx/), in front of a sidecar on a free
// loopback port. `underscoresInHeaders: false` drops that line, as a site that never set it has.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { request } from 'undici'
import { tempDir, until } from './relay-harness.ts'
import { freePort, ROOT, spawnChild } from './processes.ts'

export interface NginxOptions {
  underscoresInHeaders?: boolean
  /** The port of the example site's protected tool (`/internal/`). */
  toolPort?: number
  /** Rewrites a kit file before use (a deliberately broken setup). */
  edit?: (file: string, text: string) => string
  /** More of the `http` block (the benchmark's direct route to the mock). */
  extraHttp?: string
}

export async function startNginx (t: Pick<TestContext, 'after'>, nginxBin: string, sidecarPort: number, opts: NginxOptions = {}): Promise<string> {
  const dir = tempDir('relay-nginx-')
  const port = await freePort()
  const src = (f: string) => {
    const text = readFileSync(join(ROOT, 'nginx', f), 'utf8').replaceAll('/etc/nginx/snippets/ai-relay/', `${dir}/`)
    return opts.edit ? opts.edit(f, text) : text
  }
  let http = src('relay-http.conf').replace('server 127.0.0.1:8787;', `server 127.0.0.1:${sidecarPort};`)
  if (opts.underscoresInHeaders === false) http = http.replace(/^underscores_in_headers on;$/m, '')
  writeFileSync(join(dir, 'relay-http.conf'), http)
  writeFileSync(join(dir, 'relay-proxy.conf'), src('relay-proxy.conf'))
  writeFileSync(join(dir, 'relay-locations.conf'), src('relay-locations.conf'))
  writeFileSync(join(dir, 'relay-identity.conf'), src('relay-identity.conf'))
  writeFileSync(join(dir, 'relay-client.conf'), src('relay-client.conf'))
  writeFileSync(join(dir, 'example-site.conf'), src('example-site.conf')
    .replace('listen 80;', `listen 127.0.0.1:${port};`)
    .replace('proxy_pass http://127.0.0.1:9000;', `proxy_pass http://127.0.0.1:${opts.toolPort ?? 9};`))
  for (const d of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, d))
  writeFileSync(join(dir, 'nginx.conf'), `
${process.getuid?.() === 0 ? 'user root;' : ''}
daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log stderr warn;
events { worker_connections 2048; }
http {
  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  include ${dir}/example-site.conf;
  ${opts.extraHttp ?? ''}
}
`)
  const nginx = spawnChild(t, nginxBin, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', 'stderr'])
  const url = `http://127.0.0.1:${port}`
  await until(() => nginx.proc.exitCode === null && nginx.stderr.join('').length >= 0, 1000)
  const end = Date.now() + 10_000
  for (;;) {
    try {
      const res = await request(`${url}/_relay/health`)
      await res.body.dump()
      if (res.statusCode === 200) break
    } catch {}
    if (nginx.proc.exitCode !== null || Date.now() > end) throw new Error(`nginx did not start: ${nginx.stderr.join('')}`)
    await new Promise(resolve => setTimeout(resolve, 50))
  }
  return url
}
