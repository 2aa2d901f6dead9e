// Compiles the stylesheet (GOV.UK Frontend with the LA-neutral typeface) into dist/public.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import * as sass from 'sass'
import { ROOT, PUBLIC_ASSETS } from '../src/platform/paths.ts'

const started = Date.now()
const result = sass.compile(join(ROOT, 'src', 'styles', 'app.scss'), {
  loadPaths: [join(ROOT, 'node_modules')],
  style: 'compressed',
  quietDeps: true,
  silenceDeprecations: ['import'],
})
mkdirSync(PUBLIC_ASSETS, { recursive: true })
writeFileSync(join(PUBLIC_ASSETS, 'app.css'), result.css)
console.log(`Built dist/public/app.css (${Math.round(result.css.length / 1024)} KB) in ${Date.now() - started} ms`)
