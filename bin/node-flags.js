// The Node and V8 flags production runs the relay with. Node reads them only at process
// start, so they are written out where the relay is launched as a service: `npm start` and
// deploy/ai-relay.service (tests/deploy/service.test.ts checks both); the benchmark and the
// tests' spawned relays take them from here. bin/ai-relay.js's `#!` line stays a plain
// `env node`: `env -S` (to pass flags there) is missing from BusyBox (Alpine) and older
// coreutils, and the one-shot CLI commands gain nothing from them.
//
// --max-semi-space-size=8: V8's young generation tops out at 16 MB instead of 32. Many
// concurrent streams and bursts of requests grow it to its maximum, and RSS keeps what it
// grew: 1,000 concurrent streams peak at ~127 MiB instead of ~142, at the same CPU a request
// within the bench's noise (json and streams, 1 to 64 connections). 4 MB reaches ~120 MiB but
// cost up to ~10 % more CPU under load (docs/architecture.md, issue 14).
//
// --v8-pool-size=2: two V8 helper threads instead of four. Each thread that compiles or marks
// in the background mallocs from an arena of its own, and glibc keeps what an arena grew; with
// two, the idle relay settles at ~70 MiB instead of ~73, and under load RSS is ~10 MiB lower
// (after 10k and 100k requests), at the same CPU a request within the noise. The cost seen:
// the peak of a burst of 1,000 streams, a few MiB higher (median 133 against 129 MiB, with
// less help for concurrent marking). Two still lets V8 mark and scavenge in parallel with the
// main thread.
export const NODE_FLAGS = ['--max-semi-space-size=8', '--v8-pool-size=2']
