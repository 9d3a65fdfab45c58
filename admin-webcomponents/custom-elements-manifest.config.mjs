// How `npm run manifest` describes the widgets (custom-elements.json, committed beside this file
// and served at /_relay/admin/custom-elements.json): the analyzer with its Lit support, plus one
// correction. The analyzer takes every entry of a Lit `static properties` as an attribute, while
// ours spread the base class's and mark internal state `{ state: true }`: those are not the
// element's API, so they leave the manifest; so does the base class's generic `emit(type)`.
import { readFileSync } from 'node:fs'

/** Names declared `{ state: true }` in a module's static properties. */
function stateNames (source) {
  return new Set([...source.matchAll(/(\w+): \{ state: true \}/g)].map(m => m[1]))
}

function dropInternalState () {
  return {
    name: 'relay-drop-internal-state',
    packageLinkPhase ({ customElementsManifest }) {
      const state = new Set(['auth'])
      for (const mod of customElementsManifest.modules) for (const name of stateNames(readFileSync(mod.path, 'utf8'))) state.add(name)
      for (const mod of customElementsManifest.modules) {
        for (const d of mod.declarations ?? []) {
          if (d.kind !== 'class') continue
          d.members = (d.members ?? []).filter(m => !state.has(m.name) && m.privacy !== 'private' && m.privacy !== 'protected' && !m.name.startsWith('#'))
          d.attributes = (d.attributes ?? []).filter(a => !state.has(a.name) && !state.has(a.fieldName))
          // `emit(type, …)` in the base class reads as an event called "type"; the real ones are documented with @fires.
          d.events = (d.events ?? []).filter(e => e.name.startsWith('relay-'))
        }
      }
    },
  }
}

export default {
  globs: ['admin-webcomponents/src/*.ts'],
  exclude: ['admin-webcomponents/src/locales/*', 'admin-webcomponents/src/assets.d.ts'],
  outdir: 'admin-webcomponents',
  litelement: true,
  // package.json already names the committed file; a scratch run (the test's) must not rewrite it.
  packagejson: false,
  plugins: [dropInternalState()],
}
