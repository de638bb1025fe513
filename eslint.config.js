// Lint: the recommended JS and type-aware TypeScript rules, nothing stylistic (tsc and review cover that).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'web/dist/**', 'vscode-extension/dist/**', 'node_modules/**', 'coverage/**', 'test-results/**', '.ab-dist*/**', '.tap-consumer-*/**', 'eslint.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
);
