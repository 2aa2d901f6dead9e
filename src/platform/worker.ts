import { Worker } from 'node:worker_threads'

/**
 * Starts the module `name` (a sibling of the module at `moduleUrl`) in a worker thread with `data` as its
 * workerData. Under tsx (tests, `npm run dev`) the worker is TypeScript and needs tsx's loader too: Node 20
 * does not pass a loader registered in the main thread on to workers. The built app runs plain JavaScript.
 * `next()` resolves with the worker's next message, in order, and rejects if the worker fails first.
 */
export function startWorker<T>(moduleUrl: string, name: string, data: unknown): { worker: Worker; next: () => Promise<T> } {
  const typescript = moduleUrl.endsWith('.ts')
  const file = new URL(`./${name}.${typescript ? 'ts' : 'js'}`, moduleUrl)
  const boot = () => `(async () => { (await import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})).register(); await import(${JSON.stringify(file.href)}) })()`
  const worker = typescript ? new Worker(boot(), { eval: true, workerData: data }) : new Worker(file, { workerData: data })
  const arrived: T[] = []
  const waiting: { resolve: (m: T) => void; reject: (e: Error) => void }[] = []
  let failure: Error | null = null
  worker.on('message', (message: T) => {
    const w = waiting.shift()
    if (w) w.resolve(message)
    else arrived.push(message)
  })
  const fail = (error: Error) => {
    failure = error
    for (const w of waiting.splice(0)) w.reject(error)
  }
  worker.once('error', fail)
  // A worker that ends without answering must not leave its caller waiting for ever.
  worker.once('exit', (code) => fail(new Error(`The worker ${name} stopped (code ${code}) without answering`)))
  const next = () => {
    if (arrived.length) return Promise.resolve(arrived.shift()!)
    if (failure) return Promise.reject(failure)
    return new Promise<T>((resolve, reject) => waiting.push({ resolve, reject }))
  }
  return { worker, next }
}

/** Runs a worker to its first message, and stops it. */
export async function runWorker<T>(moduleUrl: string, name: string, data: unknown): Promise<T> {
  const { worker, next } = startWorker<T>(moduleUrl, name, data)
  try {
    return await next()
  } finally {
    void worker.terminate()
  }
}
