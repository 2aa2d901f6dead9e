import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import { createHmac } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { sql } from 'kysely'
import { createTestDatabase } from '../helpers/test-db.ts'
import { startSmtpServer, mailText } from '../helpers/smtp.ts'
import { withTenant, type Database } from '../../src/platform/db.ts'
import { createTransport, deliverPendingEmail, queueEmail } from '../../src/platform/mail.ts'
import { pgBossJobs } from '../../src/platform/jobs.ts'
import { createLocalAuthority } from '../../src/modules/local-authorities/service.ts'

const statusOf = async (database: Database, laId: string, id: string) =>
  withTenant(database.db, { laId }, async (tx) =>
    (await sql<{ status: string; attempts: number; transport: string | null }>`select status, attempts, transport from email_outbox where id = ${id}`.execute(tx)).rows[0])

describe('email outbox and background jobs', () => {
  let database: Database
  let laId: string
  const now = () => new Date()

  before(async () => {
    database = await createTestDatabase()
    laId = (await createLocalAuthority(database.db, { code: '990', name: 'Northmoor Borough Council' }, 'test', now())).laId
  })
  after(async () => database.close())

  it('queues an email only if the transaction that caused it commits', async () => {
    await assert.rejects(withTenant(database.db, { laId }, async (tx) => {
      await queueEmail(tx, laId, { to: 'rolled.back@example.org', subject: 'Never sent', body: 'x' })
      throw new Error('the change failed')
    }))
    const count = await withTenant(database.db, { laId }, async (tx) =>
      (await sql<{ n: number }>`select count(*)::int as n from email_outbox where to_address = 'rolled.back@example.org'`.execute(tx)).rows[0].n)
    assert.equal(count, 0)
  })

  it('sends queued email over SMTP to a real server and marks it sent', async () => {
    const smtp = await startSmtpServer()
    try {
      const id = await withTenant(database.db, { laId }, (tx) => queueEmail(tx, laId, { to: 'someone@example.org', subject: 'Test message', body: 'Open https://lantern.test/page' }))

      const result = await deliverPendingEmail(database.db, createTransport({ from: 'Lantern <no-reply@lantern.invalid>', smtpUrl: smtp.url }), now)

      assert.equal(result.failed, 0)
      const mail = await smtp.waitFor((m) => m.to.includes('someone@example.org'))
      assert.match(mail.raw, /Subject: Test message/)
      assert.match(mailText(mail.raw), /https:\/\/lantern\.test\/page/)
      assert.deepEqual(await statusOf(database, laId, id), { status: 'sent', attempts: 1, transport: 'smtp' })
      assert.deepEqual(await deliverPendingEmail(database.db, createTransport({ from: 'x <x@x.invalid>', smtpUrl: smtp.url }), now), { sent: 0, failed: 0 }, 'never sent twice')
    } finally {
      await smtp.close()
    }
  })

  it('keeps a message for retry when the server is down, and gives up after five attempts', async () => {
    const id = await withTenant(database.db, { laId }, (tx) => queueEmail(tx, laId, { to: 'retry@example.org', subject: 'Retry', body: 'x' }))
    const down = createTransport({ from: 'x <x@x.invalid>', smtpUrl: 'smtp://127.0.0.1:1?ignoreTLS=true&connectionTimeout=500' })

    await deliverPendingEmail(database.db, down, now)
    assert.deepEqual(await statusOf(database, laId, id), { status: 'pending', attempts: 1, transport: null })
    for (let i = 0; i < 4; i++) await deliverPendingEmail(database.db, down, now)
    assert.equal((await statusOf(database, laId, id)).status, 'failed')
  })

  it('sends through GOV.UK Notify with a signed request when a Notify key is set', async () => {
    const serviceId = '11111111-2222-4333-8444-555555555555'
    const secret = '66666666-7777-4888-9999-aaaaaaaaaaaa'
    const received: { auth: string; body: Record<string, unknown> }[] = []
    const server: Server = createServer((req, res) => {
      let raw = ''
      req.on('data', (c) => (raw += c))
      req.on('end', () => {
        received.push({ auth: req.headers.authorization ?? '', body: JSON.parse(raw) })
        res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 'n1' }))
      })
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    try {
      const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
      const transport = createTransport({ from: 'x', notify: { apiKey: `lantern_test-${serviceId}-${secret}`, templateId: 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee', baseUrl } })
      const id = await withTenant(database.db, { laId }, (tx) => queueEmail(tx, laId, { to: 'notify@example.org', subject: 'Via Notify', body: 'Hello' }))

      await deliverPendingEmail(database.db, transport, now)

      const call = received.find((r) => r.body.email_address === 'notify@example.org')
      assert.ok(call)
      assert.deepEqual(call.body.personalisation, { subject: 'Via Notify', body: 'Hello' })
      assert.equal(call.body.reference, id)
      const [header, payload, signature] = call.auth.replace(/^Bearer /, '').split('.')
      assert.equal(createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url'), signature)
      assert.equal(JSON.parse(Buffer.from(payload, 'base64url').toString()).iss, serviceId)
      assert.equal((await statusOf(database, laId, id)).transport, 'notify')
    } finally {
      await new Promise((r) => server.close(r))
    }
  })

  it('runs background jobs through pg-boss on the app database', async () => {
    const jobs = pgBossJobs(database.pool, (err) => { throw err }, 0.5)
    const seen: unknown[] = []
    await jobs.start([{ name: 'test-job', handler: async (data) => { seen.push(data.n) } }, { name: 'scheduled-job', cron: '*/5 * * * *', handler: async () => {} }])
    try {
      await jobs.send('test-job', { n: 1 })
      await jobs.send('test-job', { n: 2 })
      const until = Date.now() + 15_000
      while (seen.length < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 100))
      assert.deepEqual([...seen].sort(), [1, 2])
      const schedules = (await sql<{ name: string }>`select name from pgboss.schedule`.execute(database.db)).rows.map((r) => r.name)
      assert.ok(schedules.includes('scheduled-job'))
    } finally {
      await jobs.stop()
    }
  })
})
