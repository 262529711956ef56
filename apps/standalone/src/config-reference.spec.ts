import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderConfigReference } from './config-reference.js';

describe('docs/config.md', () => {
  it('matches the zod schemas of every app (run `npm run docs:config` after changing a schema)', () => {
    const committed = readFileSync(join(__dirname, '../../../docs/config.md'), 'utf8');
    expect(committed).toBe(renderConfigReference());
  });

  it('lists goim defaults a newcomer looks for', () => {
    const doc = renderConfigReference();
    expect(doc).toContain('| `bucket.size` | integer | `32` |');
    expect(doc).toContain('| `tcp.bind` | string[] | `[":3101"]` |');
    expect(doc).toContain('| `httpServer.addr` | string | `":3111"` |');
  });
});
