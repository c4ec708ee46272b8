// The artifact store: immutable byte blobs (uploaded datasets, model files) under string keys. An
// interface, so a filesystem (embedded, the default) and S3-compatible storage (scale-out, later)
// are interchangeable.

export interface BlobStore {
  /** Stores bytes under `key`, all or nothing. */
  put(key: string, data: Uint8Array): Promise<void>;
  /** Moves a finished local file into the store under `key` (no copy when the store is local). */
  putFile(key: string, path: string): Promise<void>;
  get(key: string): Promise<Uint8Array>;
  /** A local path to read the blob from (a cache file for remote stores). */
  localPath(key: string): Promise<string>;
  has(key: string): Promise<boolean>;
  delete(key: string): Promise<void>;
}
