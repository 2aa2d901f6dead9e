#!/usr/bin/env node
// Runs the compiled command-line tool (npm run build first), so `npx lantern …` works after install.
import '../dist/src/cli.js'
