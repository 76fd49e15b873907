import { runDev } from './runDev.js'

await runDev(process.env)
