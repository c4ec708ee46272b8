// One typed configuration: defaults, overridden by environment variables, overridden by flags.
import { availableParallelism } from "node:os";
import { z } from "zod";

export const ConfigSchema = z.object({
  /** HTTP port. */
  port: z.number().int().min(0).max(65535).default(8080),
  /** Address to listen on. */
  host: z.string().default("127.0.0.1"),
  /** Data folder: the SQLite database, datasets and model files. */
  home: z.string().default("./maas-data"),
  /** Bootstrap key of the platform administrator; unset: the first start creates one and prints it. */
  adminKey: z.string().min(16).optional(),
  /** Metadata store; unset: SQLite in `home`. */
  databaseUrl: z.string().optional(),
  /** ONNX Runtime threads per prediction worker and training job (0: one per core). */
  threads: z.number().int().min(0).default(0),
  /** Training jobs that run at once. */
  jobConcurrency: z.number().int().min(1).default(1),
  /** Prediction worker threads. */
  predictWorkers: z.number().int().min(1).default(Math.max(1, Math.min(4, availableParallelism()))),
  /** Memory the loaded models may take together, in MiB; unset: a quarter of the machine's, at most 4 GiB. */
  modelMemoryMiB: z.number().int().positive().optional(),
  /** Requests whose run should take less than this many µs (the model's median per row on a worker, times the rows) run on the event loop; 0: never. */
  inlineMicros: z.number().min(0).default(100),
  /** Prediction requests that may wait for a worker; more fail at once with 503 and Retry-After. */
  predictQueue: z.number().int().positive().default(1000),
  /** Milliseconds a prediction request may wait for a worker before it fails with 503 and Retry-After. */
  predictTimeoutMs: z.number().int().positive().default(30_000),
  /** Largest JSON request body, in bytes. */
  bodyLimit: z.number().int().positive().default(10 * 2 ** 20),
  /** Largest dataset upload, in bytes. */
  uploadLimit: z.number().int().positive().default(512 * 2 ** 20),
  /** Requests per minute per API key. */
  rateLimit: z.number().int().positive().default(6000),
  /** pino log level. */
  logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
});

export type Config = z.infer<typeof ConfigSchema>;
export type ConfigInput = z.input<typeof ConfigSchema>;

const int = (v: string | undefined): number | undefined => (v === undefined || v === "" ? undefined : Number(v));

/** The configuration from the environment (PORT, MAAS_HOME, MAAS_ADMIN_KEY, MAAS_DATABASE_URL, MAAS_THREADS, ...) and `overrides`. */
export function loadConfig(overrides: ConfigInput = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const fromEnv: ConfigInput = {
    port: int(env.PORT),
    host: env.MAAS_HOST,
    home: env.MAAS_HOME,
    adminKey: env.MAAS_ADMIN_KEY || undefined,
    databaseUrl: env.MAAS_DATABASE_URL || undefined,
    threads: int(env.MAAS_THREADS),
    jobConcurrency: int(env.MAAS_JOB_CONCURRENCY),
    predictWorkers: int(env.MAAS_PREDICT_WORKERS),
    modelMemoryMiB: int(env.MAAS_MODEL_MEMORY_MIB),
    predictQueue: int(env.MAAS_PREDICT_QUEUE),
    inlineMicros: int(env.MAAS_INLINE_MICROS),
    predictTimeoutMs: int(env.MAAS_PREDICT_TIMEOUT_MS),
    rateLimit: int(env.MAAS_RATE_LIMIT),
    logLevel: env.MAAS_LOG_LEVEL as Config["logLevel"] | undefined,
  };
  // An override left undefined (a flag not given) keeps the environment's value.
  const defined = (o: object) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  return ConfigSchema.parse({ ...defined(fromEnv), ...defined(overrides) });
}
