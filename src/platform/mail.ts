import { sql } from 'kysely'
import nodemailer from 'nodemailer'
import { NotifyClient } from 'notifications-node-client'
import { withSystem, type Db } from './db.ts'

export type Email = { to: string; subject: string; body: string }
export type Transport = { name: 'smtp' | 'notify' | 'mailbox'; send(email: Email & { id: string }): Promise<void> }

export const SEND_EMAIL_JOB = 'email-send'
const MAX_ATTEMPTS = 5

/**
 * Puts an email in the outbox, in the caller's transaction, so it is sent only if the change
 * that caused it commits. Never put a child's personal data in an email: link to the page instead.
 */
export async function queueEmail(tx: Db, laId: string, email: Email): Promise<string> {
  const { rows } = await sql<{ id: string }>`
    insert into email_outbox (local_authority_id, to_address, subject, body)
    values (${laId}, ${email.to}, ${email.subject}, ${email.body}) returning id`.execute(tx)
  return rows[0].id
}

export type MailConfig = { from: string; smtpUrl?: string; notify?: { apiKey: string; templateId: string; baseUrl?: string } }

export function createTransport(config: MailConfig): Transport {
  if (config.notify) {
    const { apiKey, templateId, baseUrl } = config.notify
    const client = baseUrl ? new NotifyClient(baseUrl, apiKey) : new NotifyClient(apiKey)
    return {
      name: 'notify',
      async send(email) {
        // The Notify template holds ((subject)) and ((body)); the reference lets support trace a message without its content.
        await client.sendEmail(templateId, email.to, { personalisation: { subject: email.subject, body: email.body }, reference: email.id })
      },
    }
  }
  if (config.smtpUrl) {
    const transporter = nodemailer.createTransport(config.smtpUrl)
    return {
      name: 'smtp',
      async send(email) {
        await transporter.sendMail({ from: config.from, to: email.to, subject: email.subject, text: email.body, messageId: `<${email.id}@lantern>` })
      },
    }
  }
  // No outgoing mail configured: messages stay in the outbox, readable on the local mailbox page.
  return { name: 'mailbox', async send() {} }
}

type Claimed = { laId: string; id: string; to: string; subject: string; body: string; attempts: number }

/** Sends what is waiting in every LA's outbox. Runs as a job; claims rows so two workers never send one twice. */
export async function deliverPendingEmail(db: Db, transport: Transport, now: () => Date, limit = 50): Promise<{ sent: number; failed: number }> {
  const claimed = await withSystem(db, async (tx) => {
    // A worker that died mid-send leaves rows claimed; give them back after ten minutes.
    await sql`update email_outbox set status = 'pending' where status = 'sending' and claimed_at < ${new Date(now().getTime() - 600_000)}`.execute(tx)
    const { rows } = await sql<Claimed>`
      update email_outbox set status = 'sending', claimed_at = ${now()}, attempts = attempts + 1
      where (local_authority_id, id) in (
        select local_authority_id, id from email_outbox where status = 'pending'
        order by created_at limit ${limit} for update skip locked)
      returning local_authority_id as "laId", id, to_address as "to", subject, body, attempts`.execute(tx)
    return rows
  })
  let sent = 0
  let failed = 0
  for (const email of claimed) {
    try {
      await transport.send(email)
      await withSystem(db, (tx) =>
        sql`update email_outbox set status = 'sent', sent_at = ${now()}, transport = ${transport.name}, last_error = null
          where local_authority_id = ${email.laId} and id = ${email.id}`.execute(tx),
      )
      sent++
    } catch (err) {
      failed++
      const status = email.attempts >= MAX_ATTEMPTS ? 'failed' : 'pending'
      const message = err instanceof Error ? err.message.slice(0, 500) : 'unknown error'
      await withSystem(db, (tx) =>
        sql`update email_outbox set status = ${status}, last_error = ${message}
          where local_authority_id = ${email.laId} and id = ${email.id}`.execute(tx),
      )
    }
  }
  return { sent, failed }
}

export type MailboxMessage = { id: string; to: string; subject: string; body: string; status: string; createdAt: Date; transport: string | null }

/** Every LA's recent messages, for the development mailbox page only. */
export async function listMailbox(db: Db, limit = 50): Promise<MailboxMessage[]> {
  return withSystem(db, async (tx) => {
    const { rows } = await sql<MailboxMessage>`
      select id, to_address as "to", subject, body, status, created_at as "createdAt", transport
      from email_outbox order by created_at desc limit ${limit}`.execute(tx)
    return rows
  })
}
