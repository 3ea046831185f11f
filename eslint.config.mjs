// A modest rule set: ESLint's and typescript-eslint's recommended rules, on the package's sources,
// tests and scripts, and the bench (tools/). Formatting is prettier's (npm run format).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '**/.nx/**', '**/.veloiq/**', 'apps/**', 'tools/bench/.scratch/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['packages/veloiq-db/**/*.{ts,js,mjs}', 'tools/**/*.{ts,cjs}'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', require: 'readonly', module: 'writable', __dirname: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', URL: 'readonly' } },
    rules: {
      // CommonJS (the package, the bench's .cjs helpers): require() is how it loads tsx, TypeScript and its own compiled CLI on purpose.
      '@typescript-eslint/no-require-imports': 'off',
      // Output is matched literally, two spaces included ("id  description").
      'no-regex-spaces': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
    },
  },
  { files: ['packages/veloiq-db/test/**/*.ts'], rules: { '@typescript-eslint/no-explicit-any': 'off' } },
);
