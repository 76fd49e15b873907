import { runMetaTxDemo } from './demoMetaTx.js'

await runMetaTxDemo().catch((error: unknown) => {
  process.stderr.write(`demo: ${(error as Error).message}\n`)
  process.exitCode = 1
})
