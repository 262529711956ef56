/**
 * Every relative link in the repository's markdown points at a file that exists, and every
 * `#anchor` (to the same or another markdown file) names a heading there — so READMEs and
 * docs don't rot as files move. External (http/https/mailto) links are not fetched.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const root = resolve(__dirname, '..', '..', '..');
const files = execFileSync('git', ['ls-files', '*.md'], { cwd: root, encoding: 'utf8' })
  .split('\n')
  .filter((f) => f && !f.startsWith('.changeset/') && existsSync(join(root, f)));

/** GitHub's heading slug: lower case, punctuation dropped, spaces to dashes. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/`/g, '')
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function anchorsOf(file: string): Set<string> {
  const text = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '');
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const m of text.matchAll(/^#{1,6}\s+(.+?)\s*#*$/gm)) {
    const s = slug(m[1]!);
    const n = seen.get(s) ?? 0;
    seen.set(s, n + 1);
    out.add(n === 0 ? s : `${s}-${n}`);
  }
  return out;
}

/** [text](target) links outside code blocks and inline code. */
function linksOf(file: string): string[] {
  const text = readFileSync(file, 'utf8')
    .replace(/```[\s\S]*?```/g, '')
    .replace(/`[^`\n]*`/g, '');
  return [...text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => m[1]!);
}

describe('markdown links', () => {
  it('finds the repository markdown', () => {
    expect(files).toEqual(expect.arrayContaining(['README.md', 'docs/errors.md', 'libs/protocol/README.md']));
  });

  it.each(files)('%s: relative links and anchors resolve', (file) => {
    const abs = join(root, file);
    const broken: string[] = [];
    for (const link of linksOf(abs)) {
      if (/^[a-z]+:/i.test(link)) continue; // http(s), mailto: not fetched
      const [path, anchor] = link.split('#') as [string, string | undefined];
      const target = path === '' ? abs : resolve(dirname(abs), decodeURIComponent(path));
      if (!target.startsWith(root)) {
        broken.push(`${link} (outside the repository)`);
        continue;
      }
      if (!existsSync(target)) {
        broken.push(`${link} (no such file)`);
        continue;
      }
      if (anchor && target.endsWith('.md') && statSync(target).isFile() && !anchorsOf(target).has(anchor.toLowerCase())) {
        broken.push(`${link} (no heading #${anchor})`);
      }
    }
    expect(broken).toEqual([]);
  });
});
