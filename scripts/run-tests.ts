// Runs the node:test suites through tsx. Node 20 cannot expand test globs itself, so this finds
// the files. Without --e2e: unit and route tests on PGlite, then again on PostgreSQL when
// TEST_DATABASE_URL is set. With --e2e: the browser journeys in test/e2e.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import pg from 'pg'
import { ROOT } from '../src/platform/paths.ts'
import { openDatabase } from '../src/platform/db.ts'
import { migrateToLatest } from '../src/platform/migrate.ts'
import { TEMPLATE } from '../test/helpers/test-db.ts'

const e2e = process.argv.includes('--e2e')
const only = process.argv.slice(2).filter((a) => !a.startsWith('--'))

function find(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) find(path, out)
    else if (name.endsWith('.test.ts')) out.push(relative(ROOT, path))
  }
  return out
}

const all = [...find(join(ROOT, 'src')), ...find(join(ROOT, 'test'))].sort()
let files = all.filter((f) => (e2e ? f.startsWith('test/e2e/') : !f.startsWith('test/e2e/')))
if (only.length) files = files.filter((f) => only.some((o) => f.includes(o)))
if (!files.length) {
  console.error('No test files found')
  process.exit(1)
}

// One migrated PGlite data directory, loaded by every test file instead of running initdb each time.
async function buildTemplate() {
  mkdirSync(join(ROOT, '.cache'), { recursive: true })
  const database = await openDatabase({ kind: 'pglite', dataDir: null })
  await migrateToLatest(database.db)
  const dump = await database.pglite!.dumpDataDir('gzip')
  // Written aside then renamed, so a test file never loads a half-written template.
  const partial = `${TEMPLATE}.${process.pid}`
  writeFileSync(partial, Buffer.from(await dump.arrayBuffer()))
  renameSync(partial, TEMPLATE)
  await database.close()
}

// Test files on PostgreSQL each migrate their own database at the same time. The app role and the
// test user's membership of it are cluster-wide, and two first-time GRANTs racing each other fail, so
// make them once here before any test file starts.
async function prepareCluster(url: string) {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    await client.query(`do $$ begin
      if not exists (select 1 from pg_roles where rolname = 'lantern_app') then create role lantern_app nologin; end if;
    exception when duplicate_object or unique_violation then null; end $$`)
    await client.query('grant lantern_app to current_user')
  } finally {
    await client.end()
  }
}

const targets: ('pglite' | 'postgres')[] = e2e ? ['pglite'] : process.env.TEST_DATABASE_URL ? ['pglite', 'postgres'] : ['pglite']
let failed = false
const totals = { pass: 0, fail: 0 }
await buildTemplate()
if (targets.includes('postgres')) await prepareCluster(process.env.TEST_DATABASE_URL!)
for (const target of targets) {
  console.log(`\n# Running ${files.length} test files on ${target}`)
  // A TAP copy per run (named by process id, so runs side by side do not overwrite each other) gives the totals.
  const tapFile = join(ROOT, '.cache', `tap-${target}-${process.pid}.txt`)
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-reporter=spec', '--test-reporter-destination=stdout', '--test-reporter=tap', `--test-reporter-destination=${tapFile}`, ...files], {
    cwd: ROOT, stdio: 'inherit', env: { ...process.env, LANTERN_TEST_DB: target, NODE_ENV: 'test' },
  })
  if (result.status !== 0) failed = true
  if (existsSync(tapFile)) {
    // The run's own summary is the last one in the file.
    const tap = readFileSync(tapFile, 'utf8')
    const last = (name: string) => Number([...tap.matchAll(new RegExp(`^# ${name} (\\d+)`, 'gm'))].at(-1)?.[1] ?? 0)
    totals.pass += last('pass')
    totals.fail += last('fail') + (result.status !== 0 && last('fail') === 0 ? 1 : 0)
    rmSync(tapFile, { force: true })
  }
}
console.log(`\n# pass ${totals.pass}\n# fail ${totals.fail}`)
console.log(`${totals.pass} passed, ${totals.fail} failed`)
process.exit(failed || totals.fail > 0 ? 1 : 0)
