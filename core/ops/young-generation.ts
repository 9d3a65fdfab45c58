// V8 grows its young generation (the new space, where objects are born) when many objects
// survive a scavenge, and loading and wiring the whole relay looks exactly like that: start-up
// alone grew it from 2 MB to its maximum (32 MB then; 16 MB with bin/node-flags.js), and RSS
// never gives that back, so an idle relay carried ~30 MB it did not use (bench/, issue 14). The
// production entry (bin/ai-relay.js) holds the young generation at its initial size while the
// relay loads and starts; once the relay listens, growth is allowed again, so under load it
// grows as far as the traffic needs (same CPU per request in the bench). A relay that mostly
// idles, as a small team's does, stays small.
import { setFlagsFromString } from 'node:v8'

/** V8's own default for how much the new space grows at a time. */
const V8_DEFAULT_GROWTH = 2

/** Lets the new space grow again (a no-op where nothing held it, as under tsx in the tests). */
export function releaseYoungGeneration (): void {
  setFlagsFromString(`--semi-space-growth-factor=${V8_DEFAULT_GROWTH}`)
}
