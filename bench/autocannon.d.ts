// autocannon ships no types, and the project takes one devDependency for load generation, not a second
// for @types/autocannon: this declares only the part of its API the benchmarks use.
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events'

  namespace autocannon {
    type Request = {
      method?: string
      path?: string
      headers?: Record<string, string>
      body?: string | Buffer
      /** Called before every request on its connection; the value returned is what is sent. */
      setupRequest?: (request: Request) => Request
    }
    type Client = { setRequests(requests: Request[]): void }
    type Stats = { average: number; mean: number; stddev: number; min: number; max: number; total: number; p50: number; p99: number }
    type Result = {
      duration: number
      requests: Stats
      latency: Stats
      throughput: Stats
      errors: number
      timeouts: number
      non2xx: number
      statusCodeStats: Record<string, { count: number }>
    }
    type Options = {
      url: string
      connections?: number
      /** Seconds. */
      duration?: number
      /** Seconds a request may take before it counts as a timeout. */
      timeout?: number
      /** Called once per connection: the place to give each connection its own requests. */
      setupClient?: (client: Client) => void
    }
    type Instance = EventEmitter & {
      on(event: 'response', listener: (client: Client, statusCode: number, bytes: number, milliseconds: number) => void): Instance
    }
  }

  function autocannon(options: autocannon.Options, done: (err: Error | null, result: autocannon.Result) => void): autocannon.Instance
  export = autocannon
}
