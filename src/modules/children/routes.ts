import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import type { z } from 'zod'
import type { Deps } from '../../app.ts'
import { withTenant } from '../../platform/db.ts'
import { noFields, parseForm, toFormErrors, withDates, type FormErrors } from '../../platform/forms.ts'
import { isUuid } from '../../platform/ids.ts'
import { NotFound } from '../../platform/errors.ts'
import type { CurrentUser } from '../../platform/access.ts'
import { FLAG_LABELS, listFlags } from '../register/queries.ts'
import { EDIT_CHILD } from './policy.ts'
import { addressForm, aliasForm, contactForm, endFlagForm, flagForm, identityForm, schoolForm, siblingForm } from './forms.ts'
import * as q from './queries.ts'
import * as service from './service.ts'

type Section = 'identity' | 'names' | 'addresses' | 'contacts' | 'flags' | 'schools' | 'siblings'
const TITLES: Record<Section, string> = {
  identity: 'Change the child’s details', names: 'Other names', addresses: 'Address history', contacts: 'Parents and carers', flags: 'Known to other services',
  schools: 'School history', siblings: 'Siblings',
}

/** Keeping the child's record: identity and identifiers, other names, parents and carers, flags, school history and siblings. */
export function childRoutes(deps: Deps): FastifyPluginAsync {
  const access = { config: { access: EDIT_CHILD } }
  const today = () => deps.now().toISOString().slice(0, 10)
  const childIdOf = (request: FastifyRequest) => {
    const { id } = request.params as { id: string }
    if (!isUuid(id)) throw new NotFound()
    return id
  }

  const page = async (request: FastifyRequest, reply: FastifyReply, section: Section, values: Record<string, unknown> = {}, errors?: FormErrors) => {
    const childId = childIdOf(request)
    const user = request.user!
    const data = await withTenant(deps.db, { laId: user.laId, userId: user.id }, async (tx) => {
      const child = await q.findIdentity(tx, childId)
      if (!child) throw new NotFound()
      const extra: Record<string, unknown> = {}
      if (section === 'names') extra.aliases = await q.listAliases(tx, childId)
      if (section === 'addresses') extra.addresses = await q.listAddressHistory(tx, childId)
      if (section === 'contacts') extra.contacts = await q.listContacts(tx, childId)
      if (section === 'flags') extra.flags = await listFlags(tx, childId)
      if (section === 'schools') extra.schools = await q.listSchools(tx, childId)
      if (section === 'siblings') {
        extra.siblings = await q.listSiblings(tx, childId)
        const term = String((request.query as Record<string, string>).q ?? '').trim().slice(0, 100)
        extra.term = term
        extra.found = term ? await q.searchChildren(tx, term, childId) : []
      }
      return { child, ...extra }
    })
    const initial = section === 'identity' ? identityValues(data.child) : {}
    return reply.page(`children/views/${section}.njk`, {
      title: TITLES[section], section, ...data, flagLabels: FLAG_LABELS, values: { ...initial, ...values }, errors, backLink: `/children/${childId}`,
    }, errors ? 400 : 200)
  }

  /** Validates a section's form, runs the change, and shows the section again (with errors, or as saved). */
  const handle = <S extends z.ZodType>(section: Section, schema: (request: FastifyRequest) => S, dates: string[],
    run: (user: CurrentUser, ip: string, childId: string, value: z.infer<S>, request: FastifyRequest) => Promise<service.Result>, after?: (childId: string) => string) =>
    async (request: FastifyRequest, reply: FastifyReply) => {
      const body = request.body as Record<string, unknown>
      const form = parseForm(schema(request), withDates(body, dates))
      if (!form.ok) return page(request, reply, section, body, form.errors)
      const childId = childIdOf(request)
      const result = await run(request.user!, request.ip, childId, form.value, request)
      if (!result.ok) return page(request, reply, section, body, toFormErrors([{ path: [result.field], message: result.message }]))
      return reply.redirect(after ? after(childId) : `/children/${childId}/${section}`, 303)
    }
  const param = (request: FastifyRequest, name: string) => {
    const value = (request.params as Record<string, string>)[name]
    if (!isUuid(value)) throw new NotFound()
    return value
  }
  const none = () => noFields

  return async (app) => {
    for (const section of Object.keys(TITLES) as Section[]) app.get(`/children/:id/${section}`, access, async (request, reply) => page(request, reply, section))

    app.post('/children/:id/identity', access, handle('identity', () => identityForm(today()), ['dateOfBirth'],
      (user, ip, childId, v) => service.updateIdentity(deps.db, user, ip, childId, v, deps.now()), (childId) => `/children/${childId}`))
    app.post('/children/:id/names', access, handle('names', () => aliasForm, [], (user, ip, childId, v) => service.addAlias(deps.db, user, ip, childId, v, deps.now())))
    app.post('/children/:id/names/:aliasId/remove', access, handle('names', none, [],
      (user, ip, childId, _v, request) => service.removeAlias(deps.db, user, ip, childId, param(request, 'aliasId'), deps.now())))
    app.post('/children/:id/contacts', access, handle('contacts', () => contactForm, [], (user, ip, childId, v) => service.addContact(deps.db, user, ip, childId, v, deps.now())))
    app.post('/children/:id/contacts/:contactId/remove', access, handle('contacts', none, [],
      (user, ip, childId, _v, request) => service.removeContact(deps.db, user, ip, childId, param(request, 'contactId'), deps.now())))
    app.post('/children/:id/flags', access, handle('flags', () => flagForm(today()), ['startsOn'],
      (user, ip, childId, v) => service.addFlag(deps.db, user, ip, childId, v, deps.now())))
    app.post('/children/:id/flags/:flagId/end', access, handle('flags', () => endFlagForm(today()), ['endsOn'],
      (user, ip, childId, v, request) => service.endFlag(deps.db, user, ip, childId, param(request, 'flagId'), v.endsOn!, deps.now())))
    app.post('/children/:id/addresses', access, handle('addresses', () => addressForm, ['fromDate', 'toDate'],
      (user, ip, childId, v) => service.addAddress(deps.db, user, ip, childId, v, deps.now())))
    app.post('/children/:id/schools', access, handle('schools', () => schoolForm, ['fromDate', 'toDate'],
      (user, ip, childId, v) => service.addSchool(deps.db, user, ip, childId, v, deps.now())))
    app.post('/children/:id/siblings', access, handle('siblings', () => siblingForm, [],
      (user, ip, childId, v) => service.linkSibling(deps.db, user, ip, childId, v.siblingId, deps.now())))
    app.post('/children/:id/siblings/:siblingId/remove', access, handle('siblings', none, [],
      (user, ip, childId, _v, request) => service.unlinkSibling(deps.db, user, ip, childId, param(request, 'siblingId'), deps.now())))
  }
}

function identityValues(c: q.Identity): Record<string, unknown> {
  const [y, m, d] = c.dateOfBirth?.split('-') ?? []
  return {
    forename: c.forename, surname: c.surname, preferredName: c.preferredName, sex: c.sex, upn: c.upn, formerUpns: c.formerUpns.join(', '), uln: c.uln,
    nhsNumber: c.nhsNumber, laReference: c.laReference, consistentId: c.consistentId, version: c.version,
    'dateOfBirth-day': d ? String(Number(d)) : '', 'dateOfBirth-month': m ? String(Number(m)) : '', 'dateOfBirth-year': y ?? '',
  }
}
