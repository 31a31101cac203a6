import { z } from "zod";

// Must run before any schema is built (imported first by main.tsx): zod's JIT probes
// `new Function`, which `script-src 'self'` forbids and reports as a CSP violation.
z.config({ jitless: true });
