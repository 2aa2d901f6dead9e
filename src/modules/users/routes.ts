import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import type { Deps } from '../../app.ts'
import { ROLES, ROLE_LABELS, hasRole, type CurrentUser } from '../../platform/access.ts'
import { withTenant } from '../../platform/db.ts'
import { formError, noFields, parseForm } from '../../platform/forms.ts'
import { NotFound } from '../../platform/errors.ts'
import { isUuid } from '../../platform/ids.ts'
import { recordAudit } from '../../platform/audit.ts'
import { actorFor } from '../../platform/actor.ts'
import { SEND_EMAIL_JOB } from '../../platform/mail.ts'
import { PAGE_SIZE, pageNumber, pagination } from '../../platform/pagination.ts'
import { listOrganisationOptions } from '../organisations/service.ts'
import { MANAGE_USERS, canGrantRole } from './policy.ts'
import { editUserForm, inviteForm, reasonForm } from './forms.ts'
import { findUser, listUsers, type UserStatus } from './queries.ts'
import * as users from './service.ts'

const STATUSES: UserStatus[] = ['invited', 'active', 'deactivated']

export function userRoutes(deps: Deps): FastifyPluginAsync {
  const access = { config: { access: MANAGE_USERS } }
  const idOf = (request: FastifyRequest): string => {
    const { id } = request.params as { id: string }
    if (!isUuid(id)) throw new NotFound()
    return id
  }
  const roleItems = (actor: CurrentUser, selected: unknown) => {
    const chosen = Array.isArray(selected) ? selected : selected ? [selected] : []
    return ROLES.filter((r) => canGrantRole(actor, r)).map((r) => ({ value: r, text: ROLE_LABELS[r], checked: chosen.includes(r) }))
  }
  const orgItems = async (actor: CurrentUser, selected: unknown) => {
    const orgs = await withTenant(deps.db, { laId: actor.laId, userId: actor.id }, (tx) => listOrganisationOptions(tx))
    return [{ value: '', text: 'Select an organisation' }, ...orgs.map((o) => ({ value: o.id, text: o.name, selected: o.id === selected }))]
  }
  const loadUser = async (actor: CurrentUser, id: string) => {
    const user = await withTenant(deps.db, { laId: actor.laId, userId: actor.id }, (tx) => findUser(tx, id))
    if (!user) throw new NotFound()
    return user
  }

  return async (app) => {
    app.get('/admin/users', access, async (request, reply) => {
      const actor = request.user!
      const query = request.query as Record<string, string | undefined>
      const status = STATUSES.includes(query.status as UserStatus) ? (query.status as UserStatus) : undefined
      const search = query.q?.trim().slice(0, 100) || undefined
      const page = pageNumber(query.page)
      const result = await withTenant(deps.db, { laId: actor.laId, userId: actor.id }, (tx) =>
        listUsers(tx, { status, search, limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE }))
      return reply.page('users/views/list.njk', {
        title: 'Users', users: result.rows, filters: { status, q: search },
        pager: pagination('/admin/users', { status, q: search }, page, result.total), backLink: '/admin',
      })
    })

    app.get('/admin/users/new', access, async (request, reply) => {
      const actor = request.user!
      return reply.page('users/views/invite.njk', { title: 'Invite a user', values: {}, roles: roleItems(actor, []), organisations: await orgItems(actor, undefined), backLink: '/admin/users' })
    })

    app.post('/admin/users', access, async (request, reply) => {
      const actor = request.user!
      const body = request.body as Record<string, unknown>
      const again = async (errors: ReturnType<typeof formError>) => reply.page('users/views/invite.njk', {
        title: 'Invite a user', values: body, errors, roles: roleItems(actor, body.roles), organisations: await orgItems(actor, body.organisationId), backLink: '/admin/users',
      }, 400)
      const form = parseForm(inviteForm, body)
      if (!form.ok) return again(form.errors)
      const result = await users.inviteUser(deps, actor, request.ip, form.value)
      if (!result.ok) return again(formError(result.field, result.message))
      await deps.jobs.send(SEND_EMAIL_JOB)
      return reply.redirect(`/admin/users/${result.id}?done=invited`, 303)
    })

    app.get('/admin/users/:id', access, async (request, reply) => {
      const actor = request.user!
      const id = idOf(request)
      const user = await withTenant(deps.db, { laId: actor.laId, userId: actor.id }, async (tx) => {
        const found = await findUser(tx, id)
        if (found) await recordAudit(tx, actorFor(actor, request.ip), { action: 'user.viewed', recordType: 'user', recordId: id }, deps.now())
        return found
      })
      if (!user) throw new NotFound()
      const done = (request.query as Record<string, string>).done
      const flash = { invited: 'Invitation sent', saved: 'Changes saved', deactivated: 'User deactivated', reactivated: 'User reactivated', resent: 'Invitation sent again', reset: 'Authenticator reset' }[done ?? '']
      const editable = !user.roles.includes('system_admin') || hasRole(actor, 'system_admin')
      return reply.page('users/views/show.njk', { title: user.displayName, shown: user, flash, editable, isSelf: user.id === actor.id, backLink: '/admin/users' })
    })

    app.get('/admin/users/:id/edit', access, async (request, reply) => {
      const actor = request.user!
      const user = await loadUser(actor, idOf(request))
      const values = { ...user, updatedAt: new Date(user.updatedAt).toISOString() }
      return reply.page('users/views/edit.njk', { title: `Change ${user.displayName}`, id: user.id, values, roles: roleItems(actor, user.roles), organisations: await orgItems(actor, user.organisationId), backLink: `/admin/users/${user.id}` })
    })

    app.post('/admin/users/:id', access, async (request, reply) => {
      const actor = request.user!
      const id = idOf(request)
      const body = request.body as Record<string, unknown>
      const again = async (errors: ReturnType<typeof formError>) => reply.page('users/views/edit.njk', {
        title: 'Change user', id, values: body, errors, roles: roleItems(actor, body.roles), organisations: await orgItems(actor, body.organisationId), backLink: `/admin/users/${id}`,
      }, 400)
      const form = parseForm(editUserForm, body)
      if (!form.ok) return again(form.errors)
      const result = await users.updateUser(deps, actor, request.ip, id, form.value)
      if (!result.ok) return again(formError(result.field, result.message))
      return reply.redirect(`/admin/users/${id}?done=saved`, 303)
    })

    const confirmAction = (path: string, heading: string, button: string, run: (actor: CurrentUser, ip: string, id: string, reason: string) => Promise<void>, done: string) => {
      app.get(`/admin/users/:id/${path}`, access, async (request, reply) => {
        const user = await loadUser(request.user!, idOf(request))
        return reply.page('users/views/confirm.njk', { title: heading, heading, button, shown: user, action: `/admin/users/${user.id}/${path}`, values: {}, backLink: `/admin/users/${user.id}` })
      })
      app.post(`/admin/users/:id/${path}`, access, async (request, reply) => {
        const actor = request.user!
        const id = idOf(request)
        const form = parseForm(reasonForm, request.body)
        if (!form.ok) {
          const user = await loadUser(actor, id)
          return reply.page('users/views/confirm.njk', { title: heading, heading, button, shown: user, action: `/admin/users/${id}/${path}`, values: request.body, errors: form.errors, backLink: `/admin/users/${id}` }, 400)
        }
        await run(actor, request.ip, id, form.value.reason)
        return reply.redirect(`/admin/users/${id}?done=${done}`, 303)
      })
    }
    confirmAction('deactivate', 'Deactivate this user', 'Deactivate user', (a, ip, id, r) => users.deactivateUser(deps, a, ip, id, r), 'deactivated')
    confirmAction('reactivate', 'Reactivate this user', 'Reactivate user', (a, ip, id, r) => users.reactivateUser(deps, a, ip, id, r), 'reactivated')
    confirmAction('reset-authenticator', 'Reset their authenticator app', 'Reset authenticator', (a, ip, id, r) => users.resetAuthenticator(deps, a, ip, id, r), 'reset')

    app.post('/admin/users/:id/resend-invitation', access, async (request, reply) => {
      const id = idOf(request)
      parseForm(noFields, request.body)
      await users.resendInvitation(deps, request.user!, request.ip, id)
      await deps.jobs.send(SEND_EMAIL_JOB)
      return reply.redirect(`/admin/users/${id}?done=resent`, 303)
    })
  }
}
