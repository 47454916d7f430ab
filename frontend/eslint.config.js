import js from '@eslint/js'
import pluginVue from 'eslint-plugin-vue'
import { withVueTs, vueTsConfigs } from '@vue/eslint-config-typescript'
import globals from 'globals'

// Vue's recommended rules plus typescript-eslint's type-checked set: the type-aware rules
// (floating or misused promises, unnecessary assertions) are the ones that find real bugs
// in event handlers and API calls.
export default withVueTs(
  { rootDir: import.meta.dirname },
  { ignores: ['dist/', 'node_modules/', 'e2e-artifacts/', 'src/api/schema.d.ts'] },
  js.configs.recommended,
  pluginVue.configs['flat/recommended'],
  vueTsConfigs.recommendedTypeChecked,
  {
    rules: {
      // Template line breaking is layout, not correctness; the templates keep short elements
      // and their attributes on one line, and reflowing ~2,500 lines would bury real changes.
      'vue/max-attributes-per-line': 'off',
      'vue/singleline-html-element-content-newline': 'off',
      // vue-i18n's `t`/`te` are declared as methods but are closures over the composer;
      // destructuring them from useI18n() is the documented usage.
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    // Node scripts: the e2e run and the API generator. Functions passed to page.evaluate()
    // run in the browser, hence the browser globals too. Plain JS, so no type information.
    files: ['e2e/**/*.mjs', 'scripts/**/*.mjs', '*.js'],
    ...vueTsConfigs.disableTypeChecked[0],
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
  },
)
