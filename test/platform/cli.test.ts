import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { lockDataDir } from '../../src/platform/lock.ts'
import { loadConfig, ConfigError } from '../../src/config.ts'
import { usingPostgres } from '../helpers/test-db.ts'
import { lantern } from '../helpers/cli.ts'

describe('configuration', () => {
  it('reports every bad setting at once', () => {
    assert.throws(() => loadConfig({ PORT: 'abc', DATABASE_URL: 'mysql://x', SESSION_SECRET: 'short' }), (err: unknown) => {
      assert.ok(err instanceof ConfigError)
      assert.equal(err.problems.length, 3)
      assert.match(err.message, /PORT/)
      assert.match(err.message, /DATABASE_URL/)
      assert.match(err.message, /SESSION_SECRET/)
      return true
    })
  })

  it('insists on a secret and a base URL in production', () => {
    assert.throws(() => loadConfig({ NODE_ENV: 'production' }), /SESSION_SECRET must be set in production[\s\S]*BASE_URL must be set/)
  })

  it('has safe production defaults: secure cookies, no demo data, no mailbox', () => {
    const config = loadConfig({ NODE_ENV: 'production', SESSION_SECRET: 'x'.repeat(40), BASE_URL: 'https://lantern.example.gov.uk', MAILBOX: 'true', DEMO: 'true' })
    assert.deepEqual([config.cookieSecure, config.demo, config.mail.mailbox], [true, false, false])
  })
})

// These commands run against the embedded database whatever the test target, so once is enough.
describe('lantern command line on the embedded database', { skip: usingPostgres() && 'covered by the PGlite pass' }, () => {
  let dir: string
  let env: Record<string, string>

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'lantern-cli-'))
    env = { DATA_DIR: join(dir, 'data') }
  })
  after(() => rmSync(dir, { recursive: true, force: true }))

  it('fails with one clear message when settings are bad', async () => {
    const run = await lantern(['migrate'], { ...env, PORT: 'not-a-port' })
    assert.equal(run.code, 1)
    assert.match(run.err, /Lantern cannot start because of its settings:\n {2}- PORT must be a port number/)
    assert.doesNotMatch(run.err, /at .*\.ts:\d+/, 'no stack trace')
  })

  it('migrates, seeds the demo LA, verifies the audit chain, and backs up and restores', async () => {
    assert.match((await lantern(['migrate'], env)).out, /Applied: 0001_platform/)
    assert.match((await lantern(['seed'], env)).out, /Created the demo Local Authority/)
    assert.match((await lantern(['seed'], env)).out, /already has data/)
    const invite = await lantern(['users', 'create', '--la', '990', '--email', 'new.person@northmoor.example', '--name', 'New Person', '--organisation', 'Northmoor Virtual School', '--role', 'virtual_school_officer'], env)
    assert.equal(invite.code, 0, invite.err)
    const verified = await lantern(['audit', 'verify'], env)
    assert.equal(verified.code, 0, verified.err)
    assert.match(verified.out, /Northmoor Borough Council: \d+ entries, chain intact/)

    const backup = join(dir, 'backup.tar.gz')
    assert.equal((await lantern(['backup', backup], env)).code, 0)
    assert.ok(existsSync(backup))
    const restored = await lantern(['restore', backup], env)
    assert.equal(restored.code, 0, restored.err)
    assert.match(restored.out, /previous data is kept in/)
    assert.match((await lantern(['audit', 'verify'], env)).out, /chain intact/)
  })

  it('refuses bad arguments with a usage message', async () => {
    const run = await lantern(['users', 'create', '--la', '990'], env)
    assert.equal(run.code, 1)
    assert.match(run.err, /Give --email, --name, --organisation, --role/)
  })

  it('adds fictional children and cases in bulk, creating the LA the first time', async () => {
    const fresh = { DATA_DIR: join(dir, 'synthetic') }

    const first = await lantern(['seed', '--children', '200'], fresh)
    const second = await lantern(['seed', '--children', '200', '--cases', '5'], fresh)

    assert.equal(first.code, 0, first.err)
    assert.match(first.out, /Created Northmoor Borough Council \(990\) with users cme\.officer@la990\.example and school@la990\.example/)
    assert.match(first.out, /Adding 200 children and 20 cases to Northmoor Borough Council \(990\) with seed 1\.\.\./)
    assert.match(first.out, /Added in [\d.]+ seconds:\n {2}children +200\n {2}addresses +\d+\n {2}cases +20\n {2}enquiries +220\n/)
    assert.equal(second.code, 0, second.err)
    assert.doesNotMatch(second.out, /Created/)
    assert.match(second.out, /with seed 201\.\.\./, 'a second run makes different children')
    assert.match(second.out, /cases +5\n/)
  })

  it('refuses a bad number of children or cases with a usage message', async () => {
    const none = await lantern(['seed', '--children', '0'], env)
    const tooManyCases = await lantern(['seed', '--children', '200', '--cases', '201'], env)
    const unknown = await lantern(['seed', '--childs', '20'], env)

    assert.equal(none.code, 1)
    assert.match(none.err, /--children must be a whole number from 1 to 2,000,000/)
    assert.match(tooManyCases.err, /--cases must be a whole number from 0 to 200/)
    assert.match(unknown.err, /Unknown option '--childs'/)
    assert.doesNotMatch(none.err + tooManyCases.err + unknown.err, /at .*\.ts:\d+/, 'no stack trace')
  })

  it('refuses to open a data folder another process is using', async () => {
    const release = await lockDataDir(env.DATA_DIR)
    try {
      const run = await lantern(['serve'], { ...env, PORT: '0' })
      assert.equal(run.code, 1)
      assert.match(run.err, /Another Lantern process is already using the data folder/)
    } finally {
      await release()
    }
  })
})
