import type { FastifyPluginAsync } from 'fastify'
import type { Deps } from '../../app.ts'
import { PUBLIC } from '../../platform/access.ts'
import { listMailbox } from '../../platform/mail.ts'

/**
 * The development and demo mailbox: every message Lantern has queued, links included, so a demo
 * works with no mail server. Only registered when MAILBOX is on, which production never allows.
 */
export function mailboxRoutes(deps: Deps): FastifyPluginAsync {
  return async (app) => {
    app.get('/mailbox', { config: { access: PUBLIC } }, async (_request, reply) => {
      const messages = await listMailbox(deps.db)
      return reply.page('mailbox/views/list.njk', { title: 'Demo mailbox', messages })
    })
  }
}
