// One flat config for the whole workspace (`npm run lint`, run once in CI).
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['**/dist/**', '**/node_modules/**', '**/rpc/gen/**', '**/coverage/**', '**/test-artifacts/**', '**/reports/**', '.nx/**', 'apps/admin/public/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      // A leading underscore marks a parameter or binding kept for its position or shape.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // `let x; const f = () => x; … x = …`: a closure reads it before its single assignment.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },
  // Browser code: the protocol's main entry and client, the admin UI.
  { files: ['libs/protocol/src/**/*.ts', 'apps/admin/src/ui/**/*.ts'], languageOptions: { globals: { ...globals.browser } } },
  {
    files: ['**/*.spec.ts', '**/testing/**/*.ts', 'jest.preset.cjs'],
    languageOptions: { globals: { ...globals.jest } },
    // Specs decode arbitrary JSON and drive generic codecs.
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  // CommonJS config files (jest) load their preset with require().
  { files: ['**/*.cjs'], languageOptions: { sourceType: 'commonjs' }, rules: { '@typescript-eslint/no-require-imports': 'off' } },
);
