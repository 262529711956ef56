const preset = require('../../jest.preset.cjs');
// jose 6 ships ESM only; jest runs specs as CommonJS, so jose's files go through swc too.
module.exports = {
  ...preset,
  displayName: 'logic',
  transform: {
    ...preset.transform,
    '/node_modules/jose/.+\\.js$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!jose/)'],
};
