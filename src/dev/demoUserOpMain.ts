import { runUserOpDemo } from './demoUserOp.js'

// `npm run demo:userop -- --self-bundling`: no Alto; the gateway bundles the op itself.
await runUserOpDemo(process.env, { selfBundling: process.argv.includes('--self-bundling') })
