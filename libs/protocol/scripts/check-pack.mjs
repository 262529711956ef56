// Packs @goim/protocol as npm would publish it (run `npm run build` first) and checks the
// tarball: ESM + .d.ts for both entries, no specs, and a browser bundle of the packed main
// entry that imports no Node built-in. Run by `npm run check-package` in libs/protocol (after publint and attw).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';

const dir = mkdtempSync(join(tmpdir(), 'goim-protocol-pack-'));
try {
  const [info] = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', dir], { encoding: 'utf8' }));
  const files = info.files.map((f) => f.path);
  const required = ['package.json', 'README.md', 'dist/index.js', 'dist/index.d.ts', 'dist/rpc/index.js', 'dist/rpc/index.d.ts'];
  const missing = required.filter((f) => !files.includes(f));
  const specs = files.filter((f) => /\.spec\./.test(f));
  if (missing.length || specs.length) throw new Error(`bad tarball: missing ${missing.join(', ') || '-'}; specs ${specs.join(', ') || '-'}`);

  execFileSync('tar', ['xzf', join(dir, info.filename), '-C', dir]);
  const builtins = new Set(builtinModules);
  const result = await build({
    entryPoints: [join(dir, 'package', 'dist', 'index.js')],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    minify: true,
    write: false,
    logLevel: 'silent',
    plugins: [
      {
        name: 'no-node-builtins',
        setup(b) {
          b.onResolve({ filter: /.*/ }, (args) =>
            args.path.startsWith('node:') || builtins.has(args.path.split('/')[0])
              ? { errors: [{ text: `Node built-in "${args.path}" imported by ${args.importer}` }] }
              : undefined,
          );
        },
      },
    ],
  });
  const mod = await import(join(dir, 'package', 'dist', 'index.js'));
  console.log(
    `ok: ${info.filename}, ${files.length} files, ESM main entry with ${Object.keys(mod).length} exports (version ${mod.version}), ` +
      `browser bundle ${result.outputFiles[0].text.length} bytes minified, no Node built-ins`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
