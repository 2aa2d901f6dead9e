import { SMTPServer } from 'smtp-server'
import type { AddressInfo } from 'node:net'

export type CaughtMail = { to: string[]; raw: string }

/** A real SMTP server on 127.0.0.1 that keeps every message it receives. */
export async function startSmtpServer(): Promise<{ url: string; messages: CaughtMail[]; waitFor(pred: (m: CaughtMail) => boolean, ms?: number): Promise<CaughtMail>; close(): Promise<void> }> {
  const messages: CaughtMail[] = []
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => {
        messages.push({ to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString('utf8') })
        callback()
      })
    },
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.server.address() as AddressInfo).port
  return {
    url: `smtp://127.0.0.1:${port}?ignoreTLS=true`,
    messages,
    async waitFor(pred, ms = 15_000) {
      const until = Date.now() + ms
      while (Date.now() < until) {
        const found = messages.find(pred)
        if (found) return found
        await new Promise((r) => setTimeout(r, 100))
      }
      throw new Error('No matching email arrived')
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

/** The body of a plain-text message, with quoted-printable soft line breaks undone. */
export function mailText(raw: string): string {
  const body = raw.split(/\r?\n\r?\n/).slice(1).join('\n\n')
  return body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)))
}
