// The few errors a service may throw; the error handler turns each into its GOV.UK page.
export class HttpError extends Error {
  constructor(
    public readonly statusCode: number,
    message: string,
  ) {
    super(message)
  }
}
export class BadRequest extends HttpError {
  constructor(message = 'The request could not be understood') {
    super(400, message)
  }
}
export class Forbidden extends HttpError {
  constructor(message = 'You do not have permission to do this') {
    super(403, message)
  }
}
export class NotFound extends HttpError {
  constructor(message = 'Page not found') {
    super(404, message)
  }
}
export class Conflict extends HttpError {
  constructor(message = 'Someone else changed this record while you were editing it') {
    super(409, message)
  }
}
export class TooManyRequests extends HttpError {
  constructor(message = 'Too many attempts. Wait a few minutes and try again') {
    super(429, message)
  }
}
