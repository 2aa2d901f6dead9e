// Progressive enhancement only: every page works without this script.
import { initAll } from '/govuk/govuk-frontend.min.js'
initAll()
if (document.querySelector('[data-lantern-progress]')) import('/public/source-progress.js')
if (document.querySelector('[data-lantern-run-progress]')) import('/public/run-progress.js')
