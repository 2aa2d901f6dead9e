import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import multipart from '@fastify/multipart'
import { z } from 'zod'
import type { Deps } from '../../app.ts'
import { withTenant } from '../../platform/db.ts'
import { isRealDate, optionalText, parseForm, toFormErrors, withDates, type FormErrors } from '../../platform/forms.ts'
import { isUuid } from '../../platform/ids.ts'
import { NotFound } from '../../platform/errors.ts'
import { GROUNDS, groundLabel } from './grounds.ts'
import { SEND_NOTICES } from './policy.ts'
import { schoolOf } from './service.ts'
import { findImport, IMPORT_JOB, queueImport } from './import-service.ts'

type Upload = { filename: string; data: Buffer }

export const MAX_IMPORT_BYTES = 20 * 1024 * 1024

const optionalDate = (invalid: string) => z.string().optional()
  .refine((v) => !v || (v !== 'invalid' && isRealDate(v)), { error: invalid })
  .transform((v) => (v ? v : undefined))

const importForm = z.object({
  ground: z.enum(GROUNDS, { error: 'Select a valid ground' }).optional().or(z.literal('').transform(() => undefined)),
  deletionDate: optionalDate('Date of deletion must be a real date, like 4 12 2026'),
  jointEnquiriesOn: optionalDate('The date of the joint enquiries must be a real date'),
  jointEnquiriesLaContact: optionalText(200),
  jointEnquiriesSummary: optionalText(4000),
})

/** Bulk notices from a school: a CSV of removal notices or a Common Transfer File, including lost pupil files. */
export function noticeImportRoutes(deps: Deps): FastifyPluginAsync {
  const access = { config: { access: SEND_NOTICES } }
  return async (app) => {
    // Only these routes take file uploads; every other form stays URL-encoded.
    await app.register(multipart, {
      attachFieldsToBody: 'keyValues',
      limits: { fileSize: MAX_IMPORT_BYTES, files: 1, fields: 20, parts: 21 },
      // Keep the file's name with its bytes; the name tells CSV from CTF when the content does not.
      async onFile(part) { (part as unknown as { value: Upload }).value = { filename: part.filename, data: await part.toBuffer() } },
    })

    const formPage = async (request: FastifyRequest, reply: FastifyReply, values: Record<string, unknown>, errors?: FormErrors) => {
      await withTenant(deps.db, { laId: request.user!.laId, userId: request.user!.id }, (tx) => schoolOf(tx, request.user!))
      return reply.page('notices/views/import.njk', {
        title: 'Send notices in a file', values, errors, maxMegabytes: MAX_IMPORT_BYTES / 1024 / 1024,
        grounds: [{ value: '', text: 'Use the ground in each row' }, ...GROUNDS.map((g) => ({ value: g, text: groundLabel(g), selected: values.ground === g }))],
      }, errors ? 400 : 200)
    }
    app.get('/notices/import', access, async (request, reply) => formPage(request, reply, {}))
    app.post('/notices/import', access, async (request, reply) => {
      const body = (request.body ?? {}) as Record<string, unknown>
      const fields = Object.fromEntries(Object.entries(body).filter(([, v]) => typeof v === 'string'))
      const file = body.file as Upload | undefined
      if (!file || typeof file !== 'object' || !Buffer.isBuffer(file.data) || (!file.filename && file.data.length === 0)) {
        return formPage(request, reply, fields, toFormErrors([{ path: ['file'], message: 'Select a CSV or Common Transfer File (XML) to send' }]))
      }
      if (file.data.length === 0) return formPage(request, reply, fields, toFormErrors([{ path: ['file'], message: 'The selected file is empty' }]))
      const form = parseForm(importForm, withDates(fields, ['deletionDate', 'jointEnquiriesOn']))
      if (!form.ok) return formPage(request, reply, fields, form.errors)
      const id = await queueImport(deps.db, request.user!, request.ip, { filename: file.filename || 'upload', data: file.data, defaults: form.value }, deps.now())
      await deps.jobs.send(IMPORT_JOB, { laId: request.user!.laId, importId: id })
      return reply.redirect(`/notices/imports/${id}`, 303)
    })

    app.get('/notices/imports/:id', access, async (request, reply) => {
      const { id } = request.params as { id: string }
      if (!isUuid(id)) throw new NotFound()
      const found = await findImport(deps.db, request.user!, id)
      return reply.page('notices/views/import-status.njk', { title: 'Your file of notices', imp: found })
    })
  }
}

