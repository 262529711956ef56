module.exports = { ...require('../../jest.preset.cjs'), displayName: 'discovery-client' };
