import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { HttpError } from './errors.ts'

const TITLES: Record<number, string> = {
  400: 'There is a problem with your request',
  401: 'You need to sign in',
  403: 'You do not have permission to see this page',
  404: 'Page not found',
  405: 'Page not found',
  409: 'Someone else changed this record',
  410: 'This page is no longer available',
  413: 'What you sent is too large',
  415: 'There is a problem with your request',
  429: 'Too many attempts',
  500: 'Sorry, there is a problem with the service',
}

/** Turns any error into the right GOV.UK error page. 5xx detail stays in the log, never on the page outside development. */
export function errorHandler(development: boolean) {
  return async (error: FastifyError | HttpError, request: FastifyRequest, reply: FastifyReply) => {
    const raw = error instanceof HttpError ? error.statusCode : (error.statusCode ?? 500)
    const status = raw >= 400 && raw < 600 ? raw : 500
    if (status >= 500) request.log.error({ err: error }, 'request failed')
    else request.log.info({ status, code: (error as FastifyError).code }, 'request rejected')
    const message =
      error instanceof HttpError ? error.message
      : status === 413 ? 'The form or file you sent is larger than Lantern accepts. Send something smaller.'
      : status === 415 ? 'Lantern could not read what was sent. Use the forms on Lantern pages.'
      : status < 500 ? 'Lantern could not understand the request. Check the address or go back and try again.'
      : 'Try again later. If the problem continues, contact your Lantern administrator.'
    const detail = development && status >= 500 ? String(error.stack ?? error.message) : undefined
    if (reply.sent) return
    if (request.headers.accept?.includes('application/json') && !request.headers.accept.includes('text/html')) {
      return reply.code(status).send({ error: TITLES[status] ?? TITLES[500], message })
    }
    return reply.page('pages/views/error.njk', { title: TITLES[status] ?? TITLES[500], message, status, detail }, status)
  }
}

export async function notFoundHandler(request: FastifyRequest, reply: FastifyReply) {
  return reply.page('pages/views/error.njk', { title: TITLES[404], message: 'If you typed the web address, check it is correct. If you pasted it, check you copied the whole address.', status: 404 }, 404)
}
