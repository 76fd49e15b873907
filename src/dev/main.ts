import { runDev } from './runDev.js'

// `npm run dev -- --self-bundling`: no Alto; the gateway bundles user operations itself.
await runDev(process.env, { selfBundling: process.argv.includes('--self-bundling') })
