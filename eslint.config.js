import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import path from 'node:path';

/**
 * DESIGN.md's layers, lowest first: a file may import only from its own
 * folder's layer or a lower one. cli/ and bin/ are tops.
 */
const LAYERS = [
  'spec', 'errors', 'lib', 'sys', 'cgroups', 'security', 'runtime', 'content', 'snapshot', 'image',
  'registry', 'build', 'network', 'volume', 'engine', 'daemon', 'api', 'client', 'cli', 'bin',
];
const srcDir = path.resolve('src');
const layerOf = (file) => {
  const rel = path.relative(srcDir, file);
  if (rel.startsWith('..')) return -1;
  return LAYERS.indexOf(rel.split(path.sep)[0]);
};

const layering = {
  meta: { type: 'problem', messages: { upward: '{{from}}/ may not import from {{to}}/ (imports point downward: see DESIGN.md)' } },
  create(context) {
    const from = layerOf(context.filename);
    if (from < 0) return {};
    return {
      ImportDeclaration(node) {
        const spec = node.source.value;
        if (typeof spec !== 'string' || !spec.startsWith('.')) return;
        const to = layerOf(path.resolve(path.dirname(context.filename), spec));
        if (to > from) context.report({ node, messageId: 'upward', data: { from: LAYERS[from], to: LAYERS[to] } });
      },
    };
  },
};

export default tseslint.config(
  { ignores: ['dist/**', 'build/**', 'node_modules/**', '.test-tmp/**'] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    files: ['**/*.ts'],
    plugins: { berth: { rules: { layering } } },
    rules: {
      'berth/layering': 'error',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    // Tests build loosely typed config JSON, and feed in numbers a double cannot hold on purpose.
    files: ['**/*.test.ts', 'test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off', 'no-loss-of-precision': 'off' },
  },
  { files: ['scripts/**/*.mjs', 'eslint.config.js'], languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } } },
  {
    // the launchers' loader: plain CommonJS, run before any bundle
    files: ['bin/**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', __dirname: 'readonly', process: 'readonly', Buffer: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
