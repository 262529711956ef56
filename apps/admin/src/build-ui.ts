/**
 * Builds the dashboard: copies `ui/index.html` and bundles `ui/main.ts` (with the browser
 * entry of @goim/protocol) into one `admin.js` IIFE with esbuild — no framework, no CDN, so
 * the page works offline and the toolchain stays one dependency already in the workspace.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

/** Source directory of the page (`src/ui`) next to this file. */
export function defaultUiSrcDir(fromDir: string): string {
  return join(fromDir, 'ui');
}

/** Writes `index.html` and `admin.js` into `outDir`; resolves to the bundle size in bytes. */
export async function buildAdminUi(srcDir: string, outDir: string, options: { minify?: boolean } = {}): Promise<number> {
  mkdirSync(outDir, { recursive: true });
  copyFileSync(join(srcDir, 'index.html'), join(outDir, 'index.html'));
  const result = await build({
    entryPoints: [join(srcDir, 'main.ts')],
    bundle: true,
    platform: 'browser',
    format: 'iife',
    minify: options.minify ?? true,
    target: 'es2020',
    conditions: ['@goim/source'],
    outfile: join(outDir, 'admin.js'),
    metafile: true,
    logLevel: 'silent',
  });
  return Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
}

// `tsx apps/admin/src/build-ui.ts <outDir>` (the app's build script).
if (process.argv[1] && resolve(process.argv[1]).endsWith('build-ui.ts')) {
  const out = resolve(process.argv[2] ?? 'dist/ui');
  buildAdminUi(defaultUiSrcDir(resolve(process.argv[1], '..')), out).then(
    (bytes) => console.log(`admin UI → ${out} (admin.js ${bytes} bytes)`),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
