// Imported first by main.tsx: zod probes for eval when the first object schema is built (at import
// time), and the page's Content-Security-Policy forbids eval. Jitless validators never probe.
import { z } from "zod";

z.config({ jitless: true });
