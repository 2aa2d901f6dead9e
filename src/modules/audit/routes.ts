import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import type { Deps } from '../../app.ts'
import { withTenant } from '../../platform/db.ts'
import { recordAudit } from '../../platform/audit.ts'
import { actorFor } from '../../platform/actor.ts'
import { dateFields, toFormErrors } from '../../platform/forms.ts'
import { PAGE_SIZE, pageNumber, pagination } from '../../platform/pagination.ts'
import { csvLine } from '../../platform/csv.ts'
import { VIEW_AUDIT } from './policy.ts'
import { countAuditEvents, listActions, listAuditEvents, listRecordTypes, type AuditFilter } from './queries.ts'

const EXPORT_LIMIT = 100_000
const COUNT_CAP = 10_000

function readFilter(request: FastifyRequest) {
  const q = request.query as Record<string, string | undefined>
  const clean = (v: string | undefined, max = 200) => v?.trim().slice(0, max) || undefined
  const issues: { path: string[]; message: string }[] = []
  const from = dateFields(q, 'from')
  const to = dateFields(q, 'to')
  if (from === 'invalid') issues.push({ path: ['from'], message: 'Enter a real "from" date, like 27 3 2026' })
  if (to === 'invalid') issues.push({ path: ['to'], message: 'Enter a real "to" date, like 27 3 2026' })
  if (from && to && from !== 'invalid' && to !== 'invalid' && from > to) issues.push({ path: ['to'], message: 'The "to" date must be the same as or after the "from" date' })
  const filter: AuditFilter = {
    user: clean(q.user), recordType: clean(q.recordType, 50), recordId: clean(q.recordId, 100), action: clean(q.action, 100),
    from: from && from !== 'invalid' && !issues.length ? from : undefined,
    to: to && to !== 'invalid' && !issues.length ? to : undefined,
  }
  const dateQuery = Object.fromEntries(['from', 'to'].flatMap((n) => ['day', 'month', 'year'].map((p) => [`${n}-${p}`, clean(q[`${n}-${p}`], 4)])))
  return { filter, query: { user: filter.user, recordType: filter.recordType, recordId: filter.recordId, action: filter.action, ...dateQuery }, errors: issues.length ? toFormErrors(issues) : undefined }
}

export function auditRoutes(deps: Deps): FastifyPluginAsync {
  const access = { config: { access: VIEW_AUDIT } }
  return async (app) => {
    app.get('/admin/audit', access, async (request, reply) => {
      const user = request.user!
      const { filter, query, errors } = readFilter(request)
      const page = pageNumber((request.query as Record<string, string>).page)
      const result = await withTenant(deps.db, { laId: user.laId, userId: user.id }, async (tx) => ({
        rows: errors ? [] : await listAuditEvents(tx, filter, PAGE_SIZE, (page - 1) * PAGE_SIZE),
        total: errors ? 0 : await countAuditEvents(tx, filter, Math.max(COUNT_CAP, page * PAGE_SIZE + 1)),
        recordTypes: await listRecordTypes(tx),
        actions: await listActions(tx),
      }))
      const exportQuery = new URLSearchParams(Object.entries(query).filter((e): e is [string, string] => Boolean(e[1]))).toString()
      return reply.page('audit/views/list.njk', {
        title: 'Audit log', events: result.rows, recordTypes: result.recordTypes, actions: result.actions, values: query, errors,
        totalCapped: result.total >= COUNT_CAP,
        pager: pagination('/admin/audit', query, page, result.total), exportHref: `/admin/audit/export.csv${exportQuery ? `?${exportQuery}` : ''}`,
      }, errors ? 400 : 200)
    })

    app.get('/admin/audit/export.csv', access, async (request, reply) => {
      const user = request.user!
      const { filter, errors } = readFilter(request)
      if (errors) return reply.redirect(`/admin/audit?${new URLSearchParams(request.query as Record<string, string>).toString()}`, 303)
      // The export is itself an audited event, written in the same transaction that reads the rows.
      const rows = await withTenant(deps.db, { laId: user.laId, userId: user.id }, async (tx) => {
        const found = await listAuditEvents(tx, filter, EXPORT_LIMIT, 0)
        await recordAudit(tx, actorFor(user, request.ip), { action: 'audit.exported', recordType: 'audit_log',
          details: { rows: found.length, filter: JSON.stringify(filter) } }, deps.now())
        return found
      })
      let body = csvLine(['sequence', 'occurred_at', 'user', 'user_id', 'action', 'record_type', 'record_id', 'ip', 'reason', 'details'])
      for (const r of rows) body += csvLine([r.seq, new Date(r.occurredAt), r.actorLabel, r.actorUserId, r.action, r.recordType, r.recordId, r.ip, r.reason, r.details])
      const stamp = deps.now().toISOString().slice(0, 10)
      return reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', `attachment; filename="lantern-audit-${stamp}.csv"`).send(body)
    })
  }
}
