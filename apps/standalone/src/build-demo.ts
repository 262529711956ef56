/**
 * Builds the demo page assets: `index.html` and `goim-client.js`, an IIFE bundle of the
 * browser entry of @goim/protocol exposing `window.Goim` (no network, no CDN).
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

/** Writes the demo assets into `outDir`; `srcDir` holds index.html. Resolves to the bundle size in bytes. */
export async function buildDemo(srcDir: string, outDir: string): Promise<number> {
  mkdirSync(outDir, { recursive: true });
  copyFileSync(join(srcDir, 'index.html'), join(outDir, 'index.html'));
  const result = await build({
    stdin: { contents: "export { GoimClient, Op } from '@goim/protocol';", resolveDir: srcDir, loader: 'ts' },
    bundle: true,
    platform: 'browser',
    format: 'iife',
    globalName: 'Goim',
    minify: true,
    target: 'es2020',
    conditions: ['@goim/source'],
    outfile: join(outDir, 'goim-client.js'),
    metafile: true,
    logLevel: 'silent',
  });
  return Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
}

// `tsx apps/standalone/src/build-demo.ts <outDir>` (the app's build script).
if (process.argv[1] && resolve(process.argv[1]).endsWith('build-demo.ts')) {
  const out = resolve(process.argv[2] ?? 'dist/demo');
  buildDemo(resolve(process.argv[1], '..', 'demo'), out).then(
    (bytes) => console.log(`demo assets → ${out} (goim-client.js ${bytes} bytes)`),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
