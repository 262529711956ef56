// One jest run over every project (npm test); each project also runs alone via `nx test <name>`.
// Per-project coverage gates (coverageThreshold) apply to `nx test <name> --coverage`; jest
// refuses them inside a multi-project run, so they are left out of the project entries here.
const { existsSync, readdirSync } = require('node:fs');
const { join } = require('node:path');

const projects = [];
for (const group of ['libs', 'apps', 'tools']) {
  for (const name of readdirSync(join(__dirname, group)).sort()) {
    const file = join(__dirname, group, name, 'jest.config.cjs');
    if (!existsSync(file)) continue;
    const { coverageThreshold: _gate, ...config } = require(file);
    projects.push({ ...config, rootDir: join(__dirname, group, name) });
  }
}

module.exports = { projects };
