import { Worker } from 'node:worker_threads'

/**
 * Runs the module `name` (a sibling of the module at `moduleUrl`) in a worker thread with `data` as its
 * workerData, and resolves with the first message it posts. Under tsx (tests, `npm run dev`) the worker is
 * TypeScript and needs tsx's loader too: Node 20 does not pass a loader registered in the main thread on to
 * workers. The built app runs plain JavaScript.
 */
export function runWorker<T>(moduleUrl: string, name: string, data: unknown): Promise<T> {
  const typescript = moduleUrl.endsWith('.ts')
  const file = new URL(`./${name}.${typescript ? 'ts' : 'js'}`, moduleUrl)
  const boot = () => `(async () => { (await import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})).register(); await import(${JSON.stringify(file.href)}) })()`
  return new Promise((resolve, reject) => {
    const worker = typescript ? new Worker(boot(), { eval: true, workerData: data }) : new Worker(file, { workerData: data })
    worker.once('message', (result: T) => { resolve(result); void worker.terminate() })
    worker.once('error', reject)
    worker.once('exit', (code) => { if (code !== 0) reject(new Error(`The worker ${name} stopped with code ${code}`)) })
  })
}
