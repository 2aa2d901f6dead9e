import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import type { Deps } from '../../app.ts'
import { noFields, parseForm, versionField } from '../../platform/forms.ts'
import { isUuid } from '../../platform/ids.ts'
import { NotFound } from '../../platform/errors.ts'
import { WORK_CASES } from '../register/policy.ts'
import { listDuplicates, markNotDuplicate, mergeChildren, previewMerge, undoMerge } from './service.ts'

const uuid = z.string({ error: 'The form is missing a field. Reload the page and try again' }).uuid({ error: 'The form is missing a field. Reload the page and try again' })
const mergeForm = z.object({ keepId: uuid, mergeId: uuid, keepVersion: versionField, mergeVersion: versionField })
const pairForm = z.object({ a: uuid, b: uuid })

/** Register hygiene: likely duplicate children, compared, merged, and unmerged (issue 4). CME officers only. */
export function duplicateRoutes(deps: Deps): FastifyPluginAsync {
  const work = { config: { access: WORK_CASES } }
  return async (app) => {
    app.get('/register/duplicates', work, async (request, reply) => {
      const pairs = await listDuplicates(deps.db, request.user!, request.ip, deps.now())
      const flash = (request.query as Record<string, string>).done
      return reply.page('duplicates/views/list.njk', { title: 'Likely duplicate records', pairs, backLink: '/register',
        flash: flash === 'different' ? 'Saved. These two records will not be offered as duplicates again.' : undefined })
    })

    const comparePage = async (request: FastifyRequest, reply: FastifyReply, keepId: string, mergeId: string, problem?: string) => {
      const plan = await previewMerge(deps.db, request.user!, request.ip, keepId, mergeId, deps.now())
      return reply.page('duplicates/views/compare.njk', {
        title: 'Compare two records', plan, problem: problem ?? plan.blocker, backLink: '/register/duplicates',
        errors: problem ? { summary: [{ text: problem, href: '#merge' }], fields: {} } : undefined,
      }, problem ? 409 : 200)
    }
    app.get('/children/merge', work, async (request, reply) => {
      const { keep, merge } = request.query as Record<string, string | undefined>
      if (!keep || !merge || !isUuid(keep) || !isUuid(merge)) throw new NotFound()
      return comparePage(request, reply, keep, merge)
    })
    app.post('/children/merge', work, async (request, reply) => {
      const form = parseForm(mergeForm, request.body)
      if (!form.ok) throw new NotFound()
      const result = await mergeChildren(deps.db, request.user!, request.ip, form.value, deps.now())
      if (!result.ok) return comparePage(request, reply, form.value.keepId, form.value.mergeId, result.reason)
      return reply.redirect(`/children/${form.value.keepId}?merged=1#merges`, 303)
    })
    app.post('/children/merges/:id/undo', work, async (request, reply) => {
      parseForm(noFields, request.body)
      const { id } = request.params as { id: string }
      if (!isUuid(id)) throw new NotFound()
      const result = await undoMerge(deps.db, request.user!, request.ip, id, deps.now())
      return reply.redirect(result.ok ? `/children/${result.mergedChildId}?unmerged=1` : `/children/${result.keptChildId}`, 303)
    })
    app.post('/register/duplicates/different', work, async (request, reply) => {
      const form = parseForm(pairForm, request.body)
      if (!form.ok) throw new NotFound()
      await markNotDuplicate(deps.db, request.user!, request.ip, form.value.a, form.value.b, deps.now())
      return reply.redirect('/register/duplicates?done=different', 303)
    })
  }
}

