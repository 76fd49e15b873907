import { runUserOpDemo } from './demoUserOp.js'

await runUserOpDemo(process.env)
