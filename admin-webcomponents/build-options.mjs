// How the widgets are bundled for the browser, in one place: the production build
// (scripts/build.mjs) and the build from the sources when first asked for
// (core/admin/widgets-bundle.ts) must serve the same module.
import { join } from 'node:path'

/** esbuild options for the widgets' one ES module, given the package root. */
export function widgetsBuildOptions (root) {
  return {
    entryPoints: [join(root, 'admin-webcomponents/src/index.ts')],
    tsconfig: join(root, 'admin-webcomponents/tsconfig.json'),
    bundle: true,
    format: 'esm',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    loader: { '.css': 'text' },
  }
}
