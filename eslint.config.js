import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', 'data/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', fetch: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', Buffer: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // NestJS modules are classes with only decorators.
      '@typescript-eslint/no-extraneous-class': 'off',
    },
  },
  {
    // The contract package is imported by the browser too: no Node module may creep in.
    files: ['contract/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '^node:', message: 'contract/ is browser-safe: no Node modules (keep Node code in server/shared).' }, { group: ['@nebula/shared', '@nebula/shared/*'], message: 'contract/ imports nothing Node-side.' }] }],
      'no-restricted-globals': ['error', { name: 'Buffer', message: 'contract/ is browser-safe: use TextEncoder / Uint8Array.' }, { name: 'process', message: 'contract/ is browser-safe: take settings as arguments.' }],
    },
  },
);
