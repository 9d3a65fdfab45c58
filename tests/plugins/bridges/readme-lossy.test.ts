// Each bridge's README section lists every lossy spot its translator declares (LOSSY), word for
// word, so the list a user reads is the list the code keeps.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { LOSSY as CHAT_CLAUDE } from '../../../plugins/bridges/chat-to-anthropic.ts'
import { LOSSY as CHAT_GEMINI } from '../../../plugins/bridges/chat-to-gemini.ts'
import { LOSSY as MESSAGES_GEMINI } from '../../../plugins/bridges/messages-to-gemini.ts'

const README = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8')

for (const [bridge, lossy] of [['chat-claude', CHAT_CLAUDE], ['chat-gemini', CHAT_GEMINI], ['messages-gemini', MESSAGES_GEMINI]] as const) {
  test(`the README lists every lossy spot of ${bridge}`, () => {
    const start = README.indexOf(`**${bridge}**`)
    assert.ok(start !== -1, `the README has a ${bridge} list`)
    const rest = README.slice(start)
    const section = rest.slice(0, rest.indexOf('\n\n', rest.indexOf('\n- ')))
    const listed = section.split('\n').filter(l => l.startsWith('- ')).map(l => l.slice(2))
    assert.deepEqual(listed, [...lossy])
  })
}
