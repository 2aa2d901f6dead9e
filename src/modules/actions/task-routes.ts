import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import type { Deps } from '../../app.ts'
import { parseForm, text, versionField, type FormErrors } from '../../platform/forms.ts'
import { isUuid } from '../../platform/ids.ts'
import { Conflict, NotFound } from '../../platform/errors.ts'
import { pageNumber, pagination, PAGE_SIZE } from '../../platform/pagination.ts'
import { OWN_TASKS } from './policy.ts'
import { listTasks, updateTask, viewTask } from './service.ts'

const updateForm = z.object({
  kind: z.enum(['progress', 'done'], { error: 'Select whether this is progress or the task is done' }),
  note: text('Say what has happened', 2000, 'Keep it to 2000 characters or fewer'),
  version: versionField,
})

/**
 * Task-shaped access (issue 5): a partner who owns an action (themselves or their organisation) sees
 * that task and the minimum of the child's record it needs, and records progress or the outcome.
 */
export function taskRoutes(deps: Deps): FastifyPluginAsync {
  const access = { config: { access: OWN_TASKS } }
  const today = () => deps.now().toISOString().slice(0, 10)
  return async (app) => {
    app.get('/tasks', access, async (request, reply) => {
      const page = pageNumber((request.query as Record<string, string>).page)
      const result = await listTasks(deps.db, request.user!, page, PAGE_SIZE)
      return reply.page('actions/views/tasks.njk', { title: 'Your tasks', tasks: result.rows, today: today(), pager: pagination('/tasks', {}, page, result.total),
        flash: (request.query as Record<string, string>).saved ? 'Saved. The CME team can see your update.' : undefined })
    })
    const taskPage = async (request: FastifyRequest, reply: FastifyReply, values: Record<string, unknown> = {}, errors?: FormErrors, status?: number) => {
      const { id } = request.params as { id: string }
      if (!isUuid(id)) throw new NotFound()
      const data = await viewTask(deps.db, request.user!, request.ip, id, deps.now())
      return reply.page('actions/views/task.njk', { title: data.action.title, ...data, today: today(), values: { version: data.action.version, ...values }, errors, backLink: '/tasks' },
        status ?? (errors ? 400 : 200))
    }
    app.get('/tasks/:id', access, async (request, reply) => taskPage(request, reply))
    app.post('/tasks/:id', access, async (request, reply) => {
      const body = request.body as Record<string, unknown>
      const form = parseForm(updateForm, body)
      if (!form.ok) return taskPage(request, reply, body, form.errors)
      const { id } = request.params as { id: string }
      if (!isUuid(id)) throw new NotFound()
      try {
        await updateTask(deps.db, request.user!, request.ip, id, form.value, deps.now())
      } catch (err) {
        if (err instanceof Conflict) return taskPage(request, reply, body, { summary: [{ text: err.message, href: '#note' }], fields: { note: { text: err.message } } }, 409)
        throw err
      }
      return reply.redirect('/tasks?saved=1', 303)
    })
  }
}
