// The layering the code must keep, checked by `npm test` (depcruise):
// - a provider plugin talks to core only through core/plugin-api.ts (its contract);
// - core never imports a plugin (plugins are loaded by name from the config);
// - the store is persistence only: it knows nothing of the relay, scheduler, limit or metering logic;
// - no import circles;
// - a gateway adapter talks to the sidecar over HTTP only, like nginx or Caddy would.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'plugins-use-only-the-plugin-api',
      comment: 'A plugin may import from core only core/plugin-api.ts.',
      severity: 'error',
      from: { path: '^plugins/' },
      to: { path: '^core/', pathNot: '^core/plugin-api\\.ts$' },
    },
    {
      name: 'core-never-imports-a-plugin',
      comment: 'Core loads plugins by the names in the config; it never imports one.',
      severity: 'error',
      from: { path: '^core/' },
      to: { path: '^plugins/' },
    },
    {
      name: 'store-is-persistence-only',
      comment: 'The store must not depend on the relay pipeline, the scheduler or the limit logic.',
      severity: 'error',
      from: { path: '^core/store/' },
      // A key policy's schema is the shape of stored data, not logic.
      to: { path: '^core/(relay|scheduler|limits|accounts|keys|cli|admin)/', pathNot: '^core/limits/policy-schema\\.ts$' },
    },
    {
      name: 'no-circular',
      comment: 'A module that depends on itself through others cannot be read, tested or loaded on its own.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'store-does-not-meter',
      comment: 'The store keeps what metering decided; the sums and buckets both use live in core/store.',
      severity: 'error',
      from: { path: '^core/store/' },
      to: { path: '^core/metering/' },
    },
    {
      name: 'adapters-speak-http-only',
      comment: 'A gateway adapter runs in another process than the sidecar: it may not import its code.',
      severity: 'error',
      from: { path: '^adapters/' },
      to: { path: '^(core|plugins)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
}
